"""Reductions over integrations of Dask cubes with flat memory: spilled once, read by row bands.

A median over the integrations of each pixel needs all the integrations of
that pixel at once.  Rechunking a Dask exposure (chunked along integration)
to whole columns of integrations makes the scheduler hold every chunk of the
cube until the first band of rows is done, so the peak grows with the number
of integrations.  :func:`by_row_bands` instead stores the cubes once, chunk by
chunk, in raw temporary files (one pass over the graph), then reads them back
a band of rows (or of part of a row) at a time: memory is that of a chunk
plus a band, whatever the number of integrations; the disk holds the cubes
until the reduction is done.

:func:`spill` keeps such files (unnamed: their disk is freed when they are
closed or dropped) for later passes: the box extraction reads its cubes
back a block of integrations at a time (:meth:`_RawCube.integrations`).
:func:`unnamed_files` and :func:`read_back` hold results a later pass needs
(the spectra, until the products are written) on disk, not in memory:
written a region at a time (a block of integrations after the other), read
back as Dask arrays block by block.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["by_row_bands", "read_back", "row_bands", "spill", "unnamed_files"]

log = logging.getLogger(__name__)

#: Bytes of one band of rows of all the cubes (read back, as float64 at most).
BAND_BYTES = 64 * 2**20


class _RawCube:
    """An (integration, y, x) array in a raw native-order file: written by region
    (as ``dask.array.store`` does), read back by bands of rows, or by region (as
    ``dask.array.from_array`` reads)."""

    ndim = 3

    def __init__(self, path: Path, shape: tuple[int, int, int], dtype: Any) -> None:
        self.shape = shape
        self.dtype = np.dtype(dtype)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        self._close = weakref.finalize(
            self, os.close, self.fd
        )  # closed once, at the latest with it
        os.ftruncate(self.fd, self.dtype.itemsize * int(np.prod(shape)))

    def _offset(self, i: int, y: int, x: int) -> int:
        _, ny, nx = self.shape
        return ((i * ny + y) * nx + x) * self.dtype.itemsize

    def __setitem__(self, key: tuple[slice, slice, slice], value: np.ndarray) -> None:
        value = np.ascontiguousarray(value, self.dtype)
        ints, ys, xs = (range(n)[k] for n, k in zip(self.shape, key, strict=True))
        if not (len(ints) and len(ys) and len(xs)):
            return
        if len(xs) == self.shape[2] and len(ys) == self.shape[1]:  # whole integrations
            _write(self.fd, value, self._offset(ints.start, 0, 0))
            return
        for a, i in enumerate(ints):
            if len(xs) == self.shape[2]:  # the rows of an integration: contiguous
                _write(self.fd, value[a], self._offset(i, ys.start, 0))
                continue
            for b, y in enumerate(ys):
                _write(self.fd, value[a, b], self._offset(i, y, xs.start))

    def rows(self, start: int, stop: int, x0: int = 0, x1: int | None = None) -> np.ndarray:
        """Rows ``start:stop`` (columns ``x0:x1``, all by default) of every integration,
        (integration, rows, x)."""
        x1 = self.shape[2] if x1 is None else x1
        out = np.empty((self.shape[0], stop - start, x1 - x0), self.dtype)
        for i in range(self.shape[0]):
            if x1 - x0 == self.shape[2]:
                _read(self.fd, out[i], self._offset(i, start, 0))
                continue
            for b, y in enumerate(range(start, stop)):
                _read(self.fd, out[i, b], self._offset(i, y, x0))
        return out

    def integrations(self, start: int, stop: int) -> np.ndarray:
        """Integrations ``start:stop`` whole, (integration, y, x) (one contiguous read)."""
        out = np.empty((stop - start, *self.shape[1:]), self.dtype)
        _read(self.fd, out, self._offset(start, 0, 0))
        return out

    def __getitem__(self, key: tuple[slice, slice, slice]) -> np.ndarray:
        """The region ``key`` (slices of step 1 along ``y``, as Dask reads blocks)."""
        ints, ys, xs = key
        rows = range(self.shape[1])[ys]
        if rows.step != 1:
            raise IndexError(f"rows {ys} of a spilled array: only a step of 1 is read")
        return self.rows(rows.start, max(rows.start, rows.stop))[ints, :, xs]

    def close(self) -> None:
        """Close the file now (its disk freed if unnamed); once only."""
        self._close()


def _read(fd: int, out: np.ndarray, offset: int) -> None:
    """Fill the contiguous ``out`` from the file's bytes at ``offset``."""
    view = out.data.cast("B")
    done = 0
    while done < view.nbytes:
        got = os.preadv(fd, [view[done:]], offset + done)
        if got <= 0:
            raise OSError(f"short read of a spilled cube ({done} of {view.nbytes} bytes)")
        done += got


def _write(fd: int, value: np.ndarray, offset: int) -> None:
    view = value.data.cast("B")
    done = 0
    while done < view.nbytes:
        done += os.pwrite(fd, view[done:], offset + done)


def spill(cubes: Sequence[Any], *others: Any) -> tuple[list[_RawCube], tuple[Any, ...]]:
    """Dask (integration, y, x) cubes computed once into unnamed temporary files
    (:func:`unnamed_files`), with the Dask values ``others`` computed in the same pass
    over their graph; returns the files and the values of ``others``."""
    import dask
    import dask.array as da

    shapes = [(int(c.shape[0]), int(c.shape[1]), int(c.shape[2])) for c in cubes]
    files = unnamed_files([(s, c.dtype) for s, c in zip(shapes, cubes, strict=True)])
    log.debug(
        "spilling %d cube(s) of %s (%.1f GB)",
        len(cubes), files[0].shape,
        sum(f.dtype.itemsize * int(np.prod(f.shape)) for f in files) / 2**30,
    )  # fmt: skip
    stored = da.store(list(cubes), files, lock=False, compute=False)  # type: ignore[arg-type]  # any __setitem__
    _, *values = dask.compute(stored, *others)
    return files, tuple(values)


def row_bands(
    files: Sequence[_RawCube], fn: Callable[..., tuple[np.ndarray, ...]]
) -> tuple[np.ndarray, ...]:
    """``fn`` of the (integration, rows, x) bands of the spilled cubes ``files`` (one
    shape), band by band, each of its (rows, x) results joined into a (y, x) array.
    ``fn`` must reduce each pixel's integrations alone (its result at a pixel depends
    on that pixel's values only), so the bands give the whole cube's.  A band is
    :data:`BAND_BYTES` (at 8 bytes a value): rows, or part of a row when a row of every
    integration is more (memory flat in the number of integrations)."""
    nints, ny, nx = files[0].shape
    pixels = max(1, BAND_BYTES // max(1, 8 * len(files) * nints))
    rows, cols = max(1, pixels // nx), min(nx, pixels)
    parts = []
    for r in range(0, ny, rows):
        ys = (r, min(r + rows, ny))
        pieces = [
            fn(*(f.rows(*ys, c, min(c + cols, nx)) for f in files)) for c in range(0, nx, cols)
        ]
        parts.append([np.concatenate(p, axis=1) for p in zip(*pieces, strict=True)])
    return tuple(np.concatenate(p, axis=0) for p in zip(*parts, strict=True))


def by_row_bands(
    cubes: Sequence[Any], fn: Callable[..., tuple[np.ndarray, ...]]
) -> tuple[np.ndarray, ...]:
    """:func:`row_bands` of Dask ``cubes`` (one shape), spilled for it (:func:`spill`: one
    pass over their graph) and their files closed after."""
    files, _ = spill(cubes)
    try:
        return row_bands(files, fn)
    finally:
        for f in files:
            f.close()


def unnamed_files(specs: Sequence[tuple[tuple[int, int, int], Any]]) -> list[_RawCube]:
    """Raw (a, b, c) arrays of the given (shape, dtype), each in an unnamed temporary file
    (its disk freed when the array, and every Dask array reading it, is), written by
    region (``file[a0:a1, b0:b1, c0:c1] = values``) and read back by :func:`read_back`."""
    folder = tempfile.mkdtemp(prefix="spec2x-spill-")
    files: list[_RawCube] = []
    try:
        for i, (shape, dtype) in enumerate(specs):
            files.append(_RawCube(Path(folder) / f"array{i}", shape, dtype))
    finally:
        shutil.rmtree(folder)  # the open files live on, unnamed
    return files


def read_back(file: _RawCube, chunks: tuple[int, int, int]) -> Any:
    """A Dask array of the values of ``file`` (:func:`unnamed_files`), read block by block."""
    import dask.array as da

    return da.from_array(file, chunks=chunks, name=False, fancy=False)
