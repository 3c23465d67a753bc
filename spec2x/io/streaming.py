"""Runs larger than memory: the input opened in chunks, the products written in one pass.

A time series of thousands of integrations does not fit in memory, nor do
its products. :func:`input_chunks` decides how a command-line run opens its
input (chunked along ``integration`` when it is large, or as the user says);
the chain then builds lazy products, and :func:`write_products` writes them
all from one pass over the shared graph: each chunk of the input is read
once and every product's chunks are stored as they are computed.

FITS stores each array whole, one extension after another, so one pass cannot
write a FITS file directly: the lazy products go first to Zarr stores beside
the output (chunk by chunk, in that one pass), and each FITS file is then
written from its store slab by slab. Memory stays that of a few chunks.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import xarray as xr

from ..errors import OutputError, ParameterError

__all__ = ["input_chunks", "is_lazy", "store_all", "write_products"]

log = logging.getLogger(__name__)

#: An input file larger than this is opened in chunks when ``chunks="auto"``: a streamed
#: run holds 1-2 GB whatever the input's size, an eager one about three times its input,
#: so streaming a smaller file saves little memory and costs time.
AUTO_CHUNK_FILE_BYTES = 2**30
#: ... or larger than this fraction of the memory available (its eager run would not fit).
AUTO_MEMORY_FRACTION = 0.25
#: Bytes of input file per chunk when chunking by itself.
_CHUNK_FILE_BYTES = 16 * 2**20

Product = xr.Dataset | xr.DataTree


def input_chunks(path: str, chunks: int | Literal["auto"] | None) -> dict[str, int] | None:
    """How to open an exposure file: ``{"integration": n}`` to read it in chunks, or None.

    Parameters
    ----------
    path : the exposure (FITS; a Zarr store is opened with its own chunks).
    chunks : integrations per chunk; ``"auto"`` chunks a file that does not
        fit the memory budget (:func:`auto_chunk_limit`) into ~16 MB of input
        each; None or 0 reads it whole.

    Raises
    ------
    ParameterError
        ``chunks`` is negative.
    """
    if chunks is None or chunks == 0 or "://" in path or path.rstrip("/").endswith(".zarr"):
        return None
    if chunks == "auto":
        size = os.path.getsize(path)
        if size <= auto_chunk_limit():
            return None
        nints = _integrations(path)
        if nints <= 1:
            return None
        n = max(1, int(nints * _CHUNK_FILE_BYTES // size))
        log.info("%s: %.1f GB, read in chunks of %d integrations", path, size / 2**30, n)
        return {"integration": n}
    if not isinstance(chunks, int) or chunks < 0:
        raise ParameterError(f"--chunks {chunks!r}: give a number of integrations, auto or 0")
    return {"integration": chunks}


def auto_chunk_limit() -> int:
    """The largest input file (bytes) ``--chunks auto`` reads whole: ``AUTO_CHUNK_FILE_BYTES``,
    or ``AUTO_MEMORY_FRACTION`` of the memory available if less."""
    available = _available_memory()
    if available is None:
        return AUTO_CHUNK_FILE_BYTES
    return min(AUTO_CHUNK_FILE_BYTES, int(available * AUTO_MEMORY_FRACTION))


def _available_memory() -> int | None:
    """Bytes of memory available to a new process (Linux ``MemAvailable``, else the free
    physical pages where the system tells them), None if unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _integrations(path: str) -> int:
    """NINTS of an exposure file (1 for a ``_rate``), from its headers only."""
    from astropy.io import fits

    with fits.open(path, lazy_load_hdus=True) as hdul:
        header = hdul["SCI"].header
        return int(header["NAXIS3"]) if int(header.get("NAXIS", 0)) == 3 else 1


def is_lazy(ds: Product) -> bool:
    """Whether any array of ``ds`` (or of any node of a DataTree) is Dask-backed."""
    nodes = [n.dataset for n in ds.subtree] if isinstance(ds, xr.DataTree) else [ds]
    return any(v.chunks is not None for node in nodes for v in node.data_vars.values())


def write_products(
    products: Mapping[str, Product], folder: Path, base: str, fmt: Literal["fits", "zarr"]
) -> None:
    """Write a run's products as ``folder/<base>_<suffix>.<fits|zarr>``.

    Eager products are written one by one; lazy ones in one pass over their
    shared graph (see the module notes).
    """
    from .fits import write_fits

    if fmt not in ("fits", "zarr"):
        raise OutputError(f"unknown output format {fmt!r}; use fits or zarr")
    ext = f".{fmt}"
    lazy = {s: ds for s, ds in products.items() if is_lazy(ds)}
    for suffix, ds in products.items():
        if suffix not in lazy:
            target = folder / f"{base}_{suffix}{ext}"
            if fmt == "fits":
                write_fits(ds, target)
            else:
                from .zarr_store import to_zarr  # Zarr's modules for a Zarr output only

                to_zarr(ds, target, overwrite=True)
    if not lazy:
        return
    from .zarr_store import open_zarr, to_zarr_many

    if fmt == "zarr":
        with progress(base):
            to_zarr_many(
                [(ds, folder / f"{base}_{s}.zarr") for s, ds in lazy.items()], overwrite=True
            )
        return
    passes = [(ds, folder / f".{base}_{s}.pass.zarr") for s, ds in lazy.items()]
    with progress(base):
        stores = to_zarr_many(passes, overwrite=True, compress=False)
    try:
        for suffix, store in zip(lazy, stores, strict=True):
            write_fits(open_zarr(store), folder / f"{base}_{suffix}.fits")
    finally:
        for store in stores:
            shutil.rmtree(store, ignore_errors=True)


def store_all(products: Mapping[str, Any], url: str, base: str) -> dict[str, str]:
    """Zarr stores of every product at ``url/<base>_<suffix>.zarr`` (object storage), one pass."""
    from .zarr_store import to_zarr_many

    names = list(products)
    stores = to_zarr_many([(products[s], f"{url}/{base}_{s}.zarr") for s in names], overwrite=True)
    return dict(zip(names, stores, strict=True))


#: Seconds between two progress lines in a log (not a terminal).
PROGRESS_EVERY = 10.0


def progress(label: str) -> Any:
    """How far a streamed pass is: Dask's bar on a terminal, else a log line every 10 s.

    Nothing when INFO records are not shown (``--quiet``).
    """
    import contextlib

    if not log.isEnabledFor(logging.INFO):
        return contextlib.nullcontext()
    if sys.stdout.isatty():
        from dask.diagnostics import ProgressBar

        return ProgressBar(minimum=2.0, out=sys.stdout)
    return _log_progress(label)


def _log_progress(label: str) -> Any:
    """Dask callbacks logging the share of the pass's tasks done, at most every
    :data:`PROGRESS_EVERY` s (Dask imported here: a pass is a Dask computation)."""
    from dask.callbacks import Callback

    count = {"total": 1, "done": 0, "last": time.monotonic()}

    def start_state(dsk: Any, state: Any) -> None:
        count.update(total=max(len(dsk), 1), done=0, last=time.monotonic())

    def posttask(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        count["done"] += 1
        now = time.monotonic()
        if now - count["last"] >= PROGRESS_EVERY:
            count["last"] = now
            log.info("%s: %d%% streamed", label, 100 * count["done"] // count["total"])

    return Callback(start_state=start_state, posttask=posttask)
