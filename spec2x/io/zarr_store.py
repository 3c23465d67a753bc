"""Products as chunked Zarr (v3) stores, on local disk or any fsspec URL.

One store per product, chunked along ``integration`` or ``slit`` (or the
leading spectrum dim) by default, numeric arrays compressed with Blosc-LZ4.  Attrs are written as JSON: NumPy scalars
become plain numbers and booleans, tuples lists; the WCS (ASDF text, or a
dict of texts per slit) is JSON already.  Fixed-width string arrays (slit
names) keep their NumPy dtype (zarr-python's fixed-length UTF-32), so
:func:`open_zarr` gives back a lazy Dataset identical to the one written
(dtypes, coords, attrs and NaNs included).

Local stores are written under a temporary name beside the target and
renamed into place, so a failed write never leaves a half store behind;
remote stores (``s3://``, needs the ``cloud`` extra) are written in place.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..datamodel import kind
from ..errors import OutputError
from ..wcs.store import WCS_COORD
from . import atomic
from .zarr_attrs import WCS_TEXTS, WHOLE, WRITING, encode_attrs, json_value, stored_chunks
from .zarr_read import open_zarr

__all__ = ["open_zarr", "to_zarr", "to_zarr_many"]

#: Target size of one chunk when choosing chunks along integration.
_CHUNK_BYTES = 32 * 2**20


def default_chunks(ds: xr.Dataset) -> dict[str, int]:
    """One chunk per slit (spectrum), ~32 MB along integration, whole along other dims."""
    found = kind(ds)
    chunks: dict[str, int] = {str(d): -1 for d in ds.dims}
    if found == "slits":
        chunks["slit"] = 1
    if found == "spectra":
        lead = [d for d in ds["flux"].dims if d not in ("integration", "spectral")]
        for d in lead:
            chunks[str(d)] = 1
    if "integration" in ds.dims and found != "spectra":
        per = max(
            (
                v.dtype.itemsize * int(np.prod([ds.sizes[d] for d in v.dims if d != "integration"]))
                for v in ds.data_vars.values()
                if "integration" in v.dims
            ),
            default=1,
        )
        chunks["integration"] = max(1, min(ds.sizes["integration"], _CHUNK_BYTES // max(per, 1)))
    return chunks


def _prepared(
    ds: xr.Dataset, chunks: Mapping[str, Any] | None, compress: bool = True
) -> xr.Dataset:
    """A copy ready for ``to_zarr``: JSON attrs, strings as objects, uniform chunks."""
    out = ds.copy(deep=False)
    if WCS_COORD in ds.coords and ds[WCS_COORD].dtype.kind == "O":
        texts = [json_value(v) if v is not None else "" for v in ds[WCS_COORD].values]
        out = out.assign_coords({WCS_COORD: ("slit", np.array(texts, dtype=object))})
        out[WCS_COORD].attrs = {**ds[WCS_COORD].attrs, WCS_TEXTS: True}
    for name, var in out.variables.items():
        out[name].attrs = encode_attrs(var.attrs)
        out[name].encoding = {}
    out.attrs = encode_attrs(ds.attrs)
    base = default_chunks(ds) if chunks is None else {**default_chunks(ds), **dict(chunks)}
    target: dict[Any, Any] = {d: c for d, c in base.items() if d in ds.dims}
    for name, var in out.variables.items():
        if var.ndim == 0:
            continue
        sizes = (None if chunks else _regular_chunks(var)) or tuple(
            var.sizes[d] if target.get(d, -1) in (-1, None) else target[d] for d in var.dims
        )
        sizes = tuple(max(1, min(c, n)) for c, n in zip(sizes, var.shape, strict=True))
        if var.chunks is not None:  # Dask: uniform chunks that match the store's
            out[name] = var.chunk(dict(zip(var.dims, sizes, strict=True)))
        encoding: dict[str, Any] = {"chunks": sizes}
        if var.dtype.kind in "fiub":
            encoding["compressors"] = (_compressor(),) if compress else None
        out[name].encoding = encoding
    return out


def _regular_chunks(var: xr.Variable) -> tuple[int, ...] | None:
    """A Dask variable's own chunks when a store can hold them as they are (all equal but a
    smaller last one): storing them needs no rechunking, so each chunk is written as soon
    as it is computed (:func:`to_zarr_many`) and memory stays that of a few chunks."""
    if var.chunks is None:
        return None
    for per_dim in var.chunks:
        if any(c != per_dim[0] for c in per_dim[:-1]) or per_dim[-1] > per_dim[0]:
            return None
    return tuple(int(per_dim[0]) for per_dim in var.chunks)


def _compressor() -> Any:
    """Blosc-LZ4 with byte shuffle: as small as zarr's default Zstd on pixel data, ~2x faster."""
    from zarr.codecs import BloscCodec

    return BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")


def _is_local(store: Any) -> bool:
    return isinstance(store, str | os.PathLike) and "://" not in str(store)


def to_zarr(
    ds: xr.Dataset | xr.DataTree,
    store: str | os.PathLike[str],
    *,
    chunks: Mapping[str, int] | None = None,
    overwrite: bool = False,
) -> str:
    """Write a product to a Zarr v3 store (local path or fsspec URL).

    Parameters
    ----------
    ds : any spec2x product (NumPy- or Dask-backed; Dask data are written
        chunk by chunk without loading everything); a DataTree of slit
        groups (:mod:`spec2x.slits`) is written as one Zarr group per node.
    store : local folder (``out/x_cal.zarr``) or URL (``memory://…``, ``s3://…``).
    chunks : chunk size per dim; default one slit per chunk, ~32 MB along
        ``integration``, other dims whole.
    overwrite : replace an existing store.

    Returns
    -------
    The store written, as a string.

    Raises
    ------
    OutputError
        The store exists (and ``overwrite`` is False), the folder is missing
        or not writable, or an attr is not JSON-able.
    """
    return to_zarr_many([(ds, store)], chunks=chunks, overwrite=overwrite)[0]


def to_zarr_many(
    items: Sequence[tuple[xr.Dataset | xr.DataTree, str | os.PathLike[str]]],
    *,
    chunks: Mapping[str, int] | None = None,
    overwrite: bool = False,
    compress: bool = True,
) -> list[str]:
    """Write several products (as :func:`to_zarr`), their Dask data computed in one pass.

    The products of one run (``_calints`` and ``_x1dints``) come from one
    chain: written one after the other, each would run it again. Here every
    chunk of the shared graph is computed once and stored as soon as it is
    ready, so memory stays that of a few chunks whatever the number of
    integrations. ``compress=False`` stores the arrays as they are (for stores
    read once soon after, as the FITS pass of :mod:`spec2x.io.streaming`).

    Returns
    -------
    The stores written, in the order given.
    """
    targets = [_target(store, overwrite) for _, store in items]
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification.*")
            warnings.filterwarnings("ignore", message=".*consolidated metadata.*")
            products = [_prepared_product(ds, chunks, compress) for ds, _ in items]
            _write_all(products, targets, overwrite)
    except (FileExistsError, ValueError) as exc:
        if "exist" not in str(exc).lower():
            raise
        stores = ", ".join(final for final, _ in targets)
        raise OutputError(
            f"{stores}: a store exists; pass overwrite=True or choose another name"
        ) from None
    except OSError as exc:
        raise OutputError(f"cannot write {targets[0][0]}: {exc}") from None
    finally:
        for final, where in targets:
            if where != final and Path(where).exists():
                shutil.rmtree(where, ignore_errors=True)
    return [final for final, _ in targets]


def _write_all(products: list[Any], targets: list[tuple[str, str]], overwrite: bool) -> None:
    """Metadata and NumPy data of every store, then all Dask data at once; seal; rename."""
    import dask

    pending = [
        _write(ds, where, "w" if overwrite else "w-")
        for ds, (_, where) in zip(products, targets, strict=True)
    ]
    window = _integration_window(products)
    if window is None:
        dask.compute(*pending)
    else:
        _write_windows(products, [where for _, where in targets], window)
    for final, where in targets:
        _seal(where)
        if where != final:
            atomic.replace(Path(where), Path(final))


#: Chunks along ``integration`` computed together when streaming a time series.
_WINDOW_CHUNKS = 4


def _integration_window(products: list[Any]) -> int | None:
    """Integrations per window when every Dask array of the products is chunked alike along
    ``integration`` (and whole along other dims); None otherwise."""
    sizes = set()
    for ds in products:
        if isinstance(ds, xr.DataTree):
            return None
        for var in ds.variables.values():
            if var.chunks is None:
                continue
            if "integration" not in var.dims:
                return None
            sizes.add(var.chunks[var.dims.index("integration")][0])
    return _WINDOW_CHUNKS * sizes.pop() if len(sizes) == 1 else None


def _write_windows(products: list[xr.Dataset], stores: list[str], window: int) -> None:
    """The Dask data of every product, a window of integrations at a time.

    One ``dask.compute`` over the whole series would let Dask run ahead and keep
    the shared intermediates of every chunk until all products had stored them;
    a window at a time bounds memory to the window whatever the series' length.
    """
    import dask

    lazy = [
        ds[[str(n) for n, v in ds.variables.items() if v.chunks is not None]].drop_indexes(
            list(ds.indexes), errors="ignore"
        )
        for ds in products
    ]
    nints = max(ds.sizes.get("integration", 0) for ds in lazy)
    for start in range(0, nints, window):
        region = {"integration": slice(start, min(start + window, nints))}
        writes = []
        for ds, store in zip(lazy, stores, strict=True):
            if "integration" not in ds.dims:
                continue
            part = ds.isel(region).drop_vars(
                [n for n, v in ds.variables.items() if "integration" not in v.dims]
            )
            for var in part.variables.values():
                var.encoding = {}
            writes.append(
                part.to_zarr(store, region=region, zarr_format=3, consolidated=False, compute=False)
            )
        dask.compute(*writes)


def _prepared_product(
    ds: xr.Dataset | xr.DataTree, chunks: Any, compress: bool
) -> xr.Dataset | xr.DataTree:
    if isinstance(ds, xr.DataTree):
        prepared: Any = xr.DataTree.from_dict(
            {
                node.path: _prepared(node.to_dataset(inherit=False), chunks, compress)
                for node in ds.subtree
            }
        )
    else:
        prepared = _prepared(ds, chunks, compress)
    prepared.attrs[WHOLE] = WRITING
    return prepared


def _target(store: str | os.PathLike[str], overwrite: bool) -> tuple[str, str]:
    """(the store to make, where to write it): a temporary name beside a local store."""
    if not _is_local(store):
        return str(store), str(store)
    path = Path(store)
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"output folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {folder} is not writable; choose another --output-dir")
    if path.exists() and not overwrite:
        raise OutputError(f"{path} exists; pass overwrite=True or choose another name")
    return str(path), str(atomic.temp_path(path))


def _write(ds: xr.Dataset | xr.DataTree, store: str, mode: str) -> Any:
    """Write the metadata and NumPy data; return what is left to compute (a Delayed)."""
    return ds.to_zarr(store, mode=mode, zarr_format=3, consolidated=False, compute=False)  # type: ignore[call-overload]


def _seal(store: str) -> None:
    """Record every array and its stored chunks in the root attrs, then consolidate the metadata.

    Written last: a store without the record was not finished.
    """
    import zarr

    group = zarr.open_group(store, mode="r+", zarr_format=3, use_consolidated=False)
    group.attrs.update({WHOLE: stored_chunks(group)})
    zarr.consolidate_metadata(store, zarr_format=3)
