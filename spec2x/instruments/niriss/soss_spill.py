"""Reductions over integrations of Dask cubes with flat memory: spilled once, read by row bands.

A median over the integrations of each pixel needs all the integrations of
that pixel at once.  Rechunking a Dask exposure (chunked along integration)
to whole columns of integrations makes the scheduler hold every chunk of the
cube until the first band of rows is done, so the peak grows with the number
of integrations.  :func:`by_row_bands` instead stores the cubes once, chunk by
chunk, in raw temporary files (one pass over the graph), then reads them back
a band of rows at a time (each integration's rows of the band are contiguous
in the file): memory is that of a chunk plus a band, whatever the number of
integrations; the disk holds the cubes until the reduction is done.

:func:`spilled` stores Dask arrays the same way, once, in unnamed temporary
files, and gives them back as Dask arrays reading those files block by block:
results a later pass needs (the box spectra, until the products are
written) are then held on disk, not in memory.  :func:`unnamed_files` and
:func:`read_back` do the same for arrays written a region at a time (ATOCA's
spectra, a block of integrations after the other).
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

__all__ = ["by_row_bands", "read_back", "spilled", "unnamed_files"]

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
            for b, y in enumerate(ys):
                _write(self.fd, value[a, b], self._offset(i, y, xs.start))

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` of every integration, (integration, rows, x)."""
        out = np.empty((self.shape[0], stop - start, self.shape[2]), self.dtype)
        for i in range(self.shape[0]):
            view = out[i].data.cast("B")
            done = 0
            while done < view.nbytes:
                got = os.preadv(self.fd, [view[done:]], self._offset(i, start, 0) + done)
                if got <= 0:
                    raise OSError(f"short read of a spilled cube ({done} of {view.nbytes} bytes)")
                done += got
        return out

    def __getitem__(self, key: tuple[slice, slice, slice]) -> np.ndarray:
        """The region ``key`` (slices of step 1 along ``y``, as Dask reads blocks)."""
        ints, ys, xs = key
        rows = range(self.shape[1])[ys]
        if rows.step != 1:
            raise IndexError(f"rows {ys} of a spilled array: only a step of 1 is read")
        return self.rows(rows.start, max(rows.start, rows.stop))[ints, :, xs]

    def close(self) -> None:
        os.close(self.fd)


def _write(fd: int, value: np.ndarray, offset: int) -> None:
    view = value.data.cast("B")
    done = 0
    while done < view.nbytes:
        done += os.pwrite(fd, view[done:], offset + done)


def by_row_bands(
    cubes: Sequence[Any], fn: Callable[..., tuple[np.ndarray, ...]]
) -> tuple[np.ndarray, ...]:
    """``fn`` of the (integration, rows, x) bands of ``cubes`` (Dask, one shape), band by
    band, each of its (rows, x) results joined along rows into a (y, x) array.

    ``fn`` must reduce each pixel's integrations alone (its result at a pixel
    depends on that pixel's values only), so the bands give the whole cube's.
    The cubes are computed once, together (one pass over their graph).
    """
    import dask.array as da

    nints, ny, nx = (int(n) for n in cubes[0].shape)
    shape = (nints, ny, nx)
    rows = max(1, BAND_BYTES // max(1, 8 * len(cubes) * nints * nx))
    with tempfile.TemporaryDirectory(prefix="spec2x-spill-") as folder:
        files = [_RawCube(Path(folder) / f"cube{i}", shape, c.dtype) for i, c in enumerate(cubes)]
        try:
            log.debug(
                "spilling %d cube(s) of %s to %s (%.1f GB)",
                len(cubes), shape, folder,
                sum(c.dtype.itemsize for c in cubes) * nints * ny * nx / 2**30,
            )  # fmt: skip
            da.store(list(cubes), files, lock=False)  # type: ignore[arg-type]  # any __setitem__
            parts = [fn(*(f.rows(r, min(r + rows, ny)) for f in files)) for r in range(0, ny, rows)]
        finally:
            for f in files:
                f.close()
    return tuple(np.concatenate(p, axis=0) for p in zip(*parts, strict=True))


def unnamed_files(specs: Sequence[tuple[tuple[int, int, int], Any]]) -> list[_RawCube]:
    """Raw (a, b, c) arrays of the given (shape, dtype), each in an unnamed temporary file
    (its disk freed when the array, and every Dask array reading it, is), written by
    region (``file[a0:a1, b0:b1, c0:c1] = values``) and read back by :func:`read_back`."""
    folder = tempfile.mkdtemp(prefix="spec2x-spill-")
    files: list[_RawCube] = []
    try:
        for i, (shape, dtype) in enumerate(specs):
            files.append(_RawCube(Path(folder) / f"array{i}", shape, dtype))
            weakref.finalize(files[-1], os.close, files[-1].fd)  # the file goes with it
    finally:
        shutil.rmtree(folder)  # the open files live on, unnamed
    return files


def read_back(file: _RawCube, chunks: tuple[int, int, int]) -> Any:
    """A Dask array of the values of ``file`` (:func:`unnamed_files`), read block by block."""
    import dask.array as da

    return da.from_array(file, chunks=chunks, name=False, fancy=False)


def spilled(arrays: Sequence[Any]) -> list[Any]:
    """Dask (a, b, c) arrays computed once, together (one pass over their graph), into
    unnamed temporary files (:func:`unnamed_files`); returned as Dask arrays of the same
    values that read those files back block by block, chunked regularly (each axis by
    its largest chunk: a store takes such chunks as they are, and they line up with the
    exposure's).

    Memory: a block at a time, whatever the arrays' size; each file's disk space is
    freed when its array (every Dask array made from it) is.
    """
    import dask.array as da

    shapes = [(int(a.shape[0]), int(a.shape[1]), int(a.shape[2])) for a in arrays]
    files = unnamed_files([(s, a.dtype) for s, a in zip(shapes, arrays, strict=True)])
    da.store(list(arrays), files, lock=False)  # type: ignore[arg-type]  # any __setitem__
    return [
        read_back(f, (max(a.chunks[0]), max(a.chunks[1]), max(a.chunks[2])))
        for f, a in zip(files, arrays, strict=True)
    ]
