"""Reading image extensions: dtype and shape from the header, NumPy now or Dask later.

:class:`HDUSlab` reads the slice of one extension asked for straight from the
file (no astropy per-extension objects); :class:`PaddedStack` stacks several
(one per slit) padded to one shape; :func:`read_image` gives the data of an
extension as NumPy or as a Dask array whose tasks read their block.
"""

from __future__ import annotations

import itertools
import mmap
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
from astropy.io import fits
from xarray.backends import BackendArray
from xarray.core import indexing

from ..datamodel import PADDING_DQ
from ..errors import InputFileError
from .fits_names import image_dtype_name

__all__ = [
    "Chunks",
    "HDUSlab",
    "PaddedStack",
    "block_chunks",
    "file_token",
    "image_dtype",
    "image_shape",
    "INDEXED",
    "lazily_indexed",
    "padded_stack",
    "read_all",
    "read_image",
]

#: The ``chunks`` argument of the readers: None (NumPy), "auto", or sizes per dim.
Chunks = Mapping[str, int | str | None] | Literal["auto"] | None


def image_shape(header: fits.Header) -> tuple[int, ...]:
    """The data shape of an extension, NumPy order (NAXISn ... NAXIS1)."""
    n = header.get("NAXIS", 0)
    return tuple(int(header[f"NAXIS{i}"]) for i in range(n, 0, -1))


def block_chunks(
    dims: tuple[str, ...], shape: tuple[int, ...], sci: Any, chunks: Chunks
) -> dict[str, Any] | None:
    """Explicit chunk sizes per dim (resolved once from SCI so every array agrees)."""
    if chunks is None:
        return None
    import dask.array as dsa

    if chunks == "auto":
        chunks = {dims[0]: "auto"}
    want = tuple(
        -1 if chunks.get(d) is None else chunks[d]
        for d in dims  # type: ignore[union-attr]
    )
    dtype = np.dtype(np.float32) if sci.header.get("BITPIX") == -32 else np.dtype(np.float64)
    resolved = dsa.core.normalize_chunks(want, shape, dtype=dtype)
    return dict(zip(dims, resolved, strict=True))


def read_all(path: Path, images: list[Any], block: Mapping[str, Any] | None) -> list[Any]:
    """Read several extensions; eager reads run in a few threads (NumPy I/O drops the GIL)."""
    if block is not None or len(images) < 2:
        token = file_token(path, block) if block is not None else None
        return [read_image(path, hdu, hdims, block, token=token) for hdu, hdims in images]
    workers = min(len(images), max(1, min(4, os.cpu_count() or 1)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda item: read_image(path, item[0], item[1], None), images))


def file_token(path: Path, block: Mapping[str, Any] | None) -> str:
    """A token naming this version of the file (path, mtime, size) read with these chunks."""
    from dask.base import tokenize

    stat = path.stat()
    return tokenize(str(path.resolve()), stat.st_mtime_ns, stat.st_size, block)


def read_image(
    path: Path,
    hdu: Any,
    dims: tuple[str, ...],
    block: Mapping[str, Any] | None,
    *,
    token: str | None = None,
) -> Any:
    """The data of an image extension, NumPy now or Dask later (block = chunks per dim).

    The Dask array is named from the extension and ``token`` (:func:`file_token`,
    computed here when not given), so opening the same file twice gives the
    same graph.
    """
    dtype = image_dtype(hdu.header)
    slab = HDUSlab(path, hdu, dtype)
    if block is None:
        return slab[...]
    import dask.array as dsa

    chunks = tuple(block[d] for d in dims)
    token = file_token(path, block) if token is None else token
    name = f"fits-{hdu.name.lower()}-{hdu.ver}-{len(dims)}d-{token}"
    return dsa.Array(
        _block_graph(slab, name, chunks), name, chunks, meta=np.empty((0,) * len(dims), dtype)
    )


def _block_graph(slab: Any, name: str, chunks: tuple[tuple[int, ...], ...]) -> dict[Any, Any]:
    """A Dask graph reading each block of ``slab``: ``(name, i, j, ...) -> slab[region]``.

    Built directly (``from_array`` spends ~0.2 ms per array on signature
    inspection and layers); the tasks hold the small ``slab``, no open file.
    """
    slices = [
        [slice(a, b) for a, b in itertools.pairwise(itertools.accumulate(c, initial=0))]
        for c in chunks
    ]
    indices = itertools.product(*(range(len(c)) for c in chunks))
    regions = itertools.product(*slices)
    return {
        (name, *index): (_read_block, slab, region)
        for index, region in zip(indices, regions, strict=True)
    }


def _read_block(slab: Any, region: tuple[slice, ...]) -> np.ndarray:
    return slab[region]


def image_dtype(header: fits.Header) -> np.dtype:
    """The NumPy dtype astropy gives an image extension (BITPIX, BZERO/BSCALE)."""
    return np.dtype(
        image_dtype_name(header["BITPIX"], header.get("BZERO", 0), header.get("BSCALE", 1))
    )


class HDUSlab:
    """Array-like view of one image extension that reads only the requested slice.

    Knows where the extension's data start in the file, so ``__getitem__``
    opens the file, maps the bytes of the rows asked for along the first axis
    (no header parsing), converts them to native order in one pass applying
    BZERO/BSCALE like astropy, and closes it.  A Dask graph built on it holds
    no open file and pickles to workers.
    """

    def __init__(self, path: Path, hdu: Any, dtype: Any) -> None:
        header = hdu.header
        naxis = int(header["NAXIS"])
        self.path = path
        self.shape = tuple(int(header[f"NAXIS{i}"]) for i in range(naxis, 0, -1))
        self.offset = int(hdu.fileinfo()["datLoc"])
        self.stored = np.dtype(_BITPIX[int(header["BITPIX"])]).newbyteorder(">")
        self.bscale = header.get("BSCALE", 1)
        self.bzero = header.get("BZERO", 0)
        self.dtype = np.dtype(dtype)
        self.ndim = naxis

    def __getitem__(self, key: Any) -> np.ndarray:
        key = key if isinstance(key, tuple) else (key,)
        first = key[0] if key else slice(None)
        if isinstance(first, slice) and first.step in (None, 1):
            start, stop, _ = first.indices(self.shape[0])
            rest: tuple[Any, ...] = (slice(None), *key[1:])
        elif isinstance(first, int | np.integer):
            start = int(first) % self.shape[0]
            stop = start + 1
            rest = (0, *key[1:])
        else:  # anything fancier: read the whole axis, index in memory
            start, stop, rest = 0, self.shape[0], key
        count = max(stop - start, 0)
        per_row = int(np.prod(self.shape[1:], dtype=np.int64))
        data = self._read_native(start * per_row, count * per_row)
        return data.reshape((count, *self.shape[1:]))[rest]

    def _read_native(self, first: int, n: int) -> np.ndarray:
        """Values ``first .. first + n`` of the data, in native byte order and ``self.dtype``.

        The bytes are mapped read-only (no copy into an intermediate buffer)
        and converted in one pass into a new array; the map is closed before
        returning.  The file size is checked first, so a short file is an
        InputFileError, never a fault.
        """
        itemsize = self.stored.itemsize
        begin = self.offset + first * itemsize
        with open(self.path, "rb") as f:
            if begin + n * itemsize > os.fstat(f.fileno()).st_size:
                raise InputFileError(f"{self.path}: truncated file; copy or download it again")
            if n == 0:
                return np.empty(0, dtype=self.dtype)
            aligned = begin - begin % mmap.ALLOCATIONGRANULARITY
            length = begin - aligned + n * itemsize
            with mmap.mmap(f.fileno(), length, offset=aligned, access=mmap.ACCESS_READ) as m:
                raw = np.frombuffer(m, dtype=self.stored, count=n, offset=begin - aligned)
                try:
                    return self._convert(raw)
                finally:
                    del raw  # no view may outlive the map

    def _convert(self, raw: np.ndarray) -> np.ndarray:
        """A new native array of ``self.dtype`` from the big-endian stored values (astropy's scaling)."""
        unsigned = (
            self.dtype.kind == "u"
            and self.bscale == 1
            and self.bzero == 2 ** (8 * raw.dtype.itemsize - 1)
        )
        if unsigned:  # signed + 2**(n-1) == the stored bits with the top bit flipped
            bits = raw.view(raw.dtype.str.replace("i", "u"))
            out = np.empty(raw.shape, dtype=self.dtype)
            np.bitwise_xor(bits, np.array(self.bzero, dtype=bits.dtype), out=out)
            return out
        if self.bscale != 1 or self.bzero != 0:
            native = raw.astype(raw.dtype.newbyteorder("="))
            return (native * self.bscale + self.bzero).astype(self.dtype)
        return raw.astype(self.dtype)


class PaddedStack:
    """Array-like stack of several extensions (one per slit), each padded to ``shape[1:]``."""

    def __init__(self, slabs: list[HDUSlab], shape: tuple[int, ...], fill: Any) -> None:
        self.slabs = slabs
        self.shape = shape
        self.dtype = slabs[0].dtype
        self.ndim = len(shape)
        self.fill = fill

    def __getitem__(self, key: Any) -> np.ndarray:
        """Basic indexing; only the region asked for is allocated and read (slices step 1)."""
        key = key if isinstance(key, tuple) else (key,)
        key = key + (slice(None),) * (self.ndim - len(key))
        if not all(isinstance(k, slice) and k.step in (None, 1) for k in key):
            whole = self[(slice(None),) * self.ndim]
            return whole[key]
        ranges = [range(n)[k] for n, k in zip(self.shape, key, strict=True)]
        out = np.full(tuple(len(r) for r in ranges), self.fill, dtype=self.dtype)
        for j, i in enumerate(ranges[0]):
            slab = self.slabs[i]
            # the part of the request inside this slit's own cut-out
            inner = [
                range(r.start, min(r.stop, n)) for r, n in zip(ranges[1:], slab.shape, strict=True)
            ]
            if any(len(r) == 0 for r in inner):
                continue
            rows = slab[slice(inner[0].start, inner[0].stop)]
            rest = tuple(slice(r.start, r.stop) for r in inner[1:])
            region: tuple[Any, ...] = (j, *(slice(0, len(r)) for r in inner))
            out[region] = rows[(slice(None), *rest)]
        return out


_BITPIX = {8: "u1", 16: "i2", 32: "i4", 64: "i8", -32: "f4", -64: "f8"}


class _StackBackend(BackendArray):
    """A :class:`PaddedStack` as an xarray backend array: ``isel`` stays lazy, ``load`` reads."""

    def __init__(self, stack: PaddedStack) -> None:
        self.stack = stack
        self.shape = stack.shape
        self.dtype = stack.dtype

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(  # type: ignore[no-any-return]
            key, self.shape, indexing.IndexingSupport.BASIC, self.stack.__getitem__
        )


def lazily_indexed(stack: PaddedStack) -> Any:
    """``stack`` as data of an xarray variable that reads only the region finally selected."""
    return indexing.LazilyIndexedArray(_StackBackend(stack))


#: ``chunks`` of :func:`padded_stack` for arrays read on ``.load()`` of a selection, no Dask.
INDEXED = "indexed"


def _pad_value(dtype: np.dtype, name: str) -> Any:
    if name == "DQ":
        return PADDING_DQ
    return np.nan if dtype.kind in "fc" else 0


def _padded(path: Path, hdu: Any, full: tuple[int, ...]) -> np.ndarray:
    data = HDUSlab(path, hdu, image_dtype(hdu.header))[...]
    pad = [(0, f - n) for n, f in zip(data.shape, full, strict=True)]
    if not any(p[1] for p in pad):
        return data
    return np.pad(data, pad, constant_values=_pad_value(data.dtype, hdu.name))


def padded_stack(
    path: Path, hdus: list[Any], core: tuple[str, ...], full: tuple[int, ...], chunks: Any
) -> Any:
    """One extension of every slit (``hdus``), padded to ``full``.

    ``chunks`` None: one NumPy array now; :data:`INDEXED`: lazily indexed (a
    selection reads only its region on ``load``); else Dask, one chunk per slit
    (and per ``chunks`` block).  Padding: NaN, ``DO_NOT_USE | NON_SCIENCE`` in
    DQ, 0 in other integer arrays.
    """
    if chunks is None:
        return np.stack([_padded(path, h, full) for h in hdus])
    if chunks is INDEXED:  # each group reads its own region (no Dask, no padding to all)
        dtype = image_dtype(hdus[0].header)
        slabs = [HDUSlab(path, h, dtype) for h in hdus]
        fill = _pad_value(dtype, hdus[0].name)
        return lazily_indexed(PaddedStack(slabs, (len(hdus), *full), fill))
    return _lazy_stack(path, hdus, core, full, chunks)


def _lazy_stack(
    path: Path, hdus: list[Any], core: tuple[str, ...], full: tuple[int, ...], chunks: Any
) -> Any:
    """One Dask array over every slit's extension: one chunk per slit (and per integration block)."""
    import dask.array as dsa
    from dask.base import tokenize

    dtype = image_dtype(hdus[0].header)
    slabs = [HDUSlab(path, h, dtype) for h in hdus]
    stack = PaddedStack(slabs, (len(hdus), *full), _pad_value(dtype, hdus[0].name))
    want = {"slit": 1}
    if chunks != "auto":
        want.update(dict(chunks))
    spec = tuple(-1 if want.get(d) is None else want[d] for d in ("slit", *core))
    stat = path.stat()
    name = "fits-slits-" + tokenize(
        str(path.resolve()), stat.st_mtime_ns, hdus[0].name, [h.ver for h in hdus], spec
    )
    return dsa.from_array(
        stack, chunks=spec, name=name, meta=np.empty((0,) * stack.ndim, dtype), asarray=False
    )
