"""Open Zarr stores written by :func:`spec2x.io.zarr_store.to_zarr`, checked to be whole.

:func:`open_zarr` gives a lazy (Dask-backed) Dataset identical to the one
written, or a DataTree of slit groups; :func:`check_whole` refuses a store
whose write did not finish or that lost an array or chunks since.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import xarray as xr

from ..errors import InputFileError, Spec2xWarning, malformed_input
from ..wcs.store import WCS_COORD, wcs_coord
from .zarr_attrs import WCS_TEXTS, WHOLE, decode_attrs, stored_chunks

__all__ = ["check_whole", "open_zarr"]


def check_whole(store: str | os.PathLike[str]) -> None:
    """Refuse a store that :func:`to_zarr` did not finish, or that lost an array or a chunk since.

    A store without the record (written by a spec2x older than the record, or by another
    tool) is read with a :class:`~spec2x.errors.Spec2xWarning`: it cannot be checked.

    Raises
    ------
    InputFileError
        The write did not finish, or an array or chunks are missing (named).
    """
    import zarr

    try:
        group = zarr.open_group(str(store), mode="r", zarr_format=3, use_consolidated=False)
    except (KeyError, ValueError, OSError) as exc:  # zarr errors are ValueErrors
        raise InputFileError(
            f"{store}: not a readable Zarr store ({exc}); pass a store written by spec2x.to_zarr"
        ) from None
    record = group.attrs.get(WHOLE)
    if record is None:
        warnings.warn(
            f"{store} has no completeness record (written by an older spec2x or another tool): "
            "read as it is, not checked to be whole",
            Spec2xWarning,
            stacklevel=3,
        )
        return
    if not isinstance(record, dict):
        raise InputFileError(f"{store}: its write did not finish; write the product again")
    stored = stored_chunks(group)
    missing = [f"array {p!r}" for p in sorted(record) if p not in stored]
    missing += [
        f"{n - stored[p]} of {n} chunks of {p!r}"
        for p, n in sorted(record.items())
        if p in stored and stored[p] < n
    ]
    if missing:
        raise InputFileError(
            f"{store} is not whole: missing {', '.join(missing)}; write the product again"
        )


def open_zarr(store: str | os.PathLike[str]) -> xr.Dataset | xr.DataTree:
    """Open a store written by :func:`to_zarr` as a lazy (Dask-backed) Dataset.

    A store of slit groups opens as a DataTree of lazy groups.

    Raises
    ------
    InputFileError
        The store does not exist, is not a Zarr store, or is not whole
        (:func:`check_whole`).
    """
    with malformed_input(store, "Zarr store", "pass a store written by spec2x.to_zarr"):
        check_whole(store)
        root = _open_group(store, None)
        names = _slit_groups(store)
        if not names:
            return root
        from ..slits import to_tree

        return to_tree([_open_group(store, n) for n in names], attrs=dict(root.attrs))


def _slit_groups(store: str | os.PathLike[str]) -> list[str]:
    """Names of the slit groups in ``store`` (none for a one-Dataset store)."""
    import zarr

    from ..slits import GROUP_PREFIX

    try:
        group = zarr.open_group(str(store), mode="r", zarr_format=3)
        names = [k for k in group.group_keys() if k.startswith(GROUP_PREFIX)]
        return sorted(names, key=lambda k: (len(k), k))
    except (FileNotFoundError, KeyError, ValueError, OSError):
        return []


def _open_group(store: str | os.PathLike[str], group: str | None) -> xr.Dataset:
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification.*")
            ds = xr.open_zarr(str(store), group=group, consolidated=False, zarr_format=3)
    except (FileNotFoundError, KeyError, ValueError, OSError) as exc:
        raise InputFileError(
            f"{store}: not a readable Zarr store ({exc}); pass a store written by spec2x.to_zarr"
        ) from None
    out = ds.copy(deep=False)
    for name, var in ds.variables.items():
        out[name].attrs = decode_attrs(var.attrs)
        out[name].encoding = {}
    out.attrs = decode_attrs(ds.attrs)
    if WCS_COORD in out.coords and out[WCS_COORD].attrs.pop(WCS_TEXTS, False):
        import zarr

        # read the texts with zarr itself: opening never computes Dask arrays
        path = f"{group}/{WCS_COORD}" if group else WCS_COORD
        texts = np.asarray(zarr.open_array(str(store), mode="r", zarr_format=3, path=path)[:])
        values = wcs_coord([str(t) if t else None for t in texts])[1]
        out = out.assign_coords({WCS_COORD: ("slit", values, out[WCS_COORD].attrs)})
    return out
