"""What a product file holds: mode, arrays, steps done, references (``spec2x info FILE``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..step_spec import STATUS_KEYWORDS
from .info_headers import MODE_KEYWORDS, describe_headers

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["describe", "describe_dataset", "format_description"]

#: FITS files up to this size (bytes) are read whole: faster than building Dask arrays (and
#: importing dask.array) to read none of it; larger ones are opened lazily.
READ_WHOLE_BELOW = 64 * 2**20


def describe(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Describe a FITS product or Zarr store without reading its pixel data (an exposure
    from its headers alone, :mod:`spec2x.io.info_headers`; any other FITS file of up to
    :data:`READ_WHOLE_BELOW` bytes is read whole; nothing decodes its WCS).

    Returns
    -------
    dict with ``file``, ``format`` (fits/zarr), ``datamodel``, ``kind``,
    ``mode`` (INSTRUME, EXP_TYPE, ...), ``dims``, ``arrays`` (name -> dims,
    shape, dtype, units), ``coords``, ``steps`` (step -> S_* status),
    ``references`` (R_* keyword -> file), ``wcs`` (none / one / per slit),
    ``slits`` (names, for slits products).
    """
    text = str(path)
    if text.endswith(".zarr") or text.endswith(".zarr/") or "://" in text:
        from .zarr_read import open_zarr  # Zarr's modules for a Zarr input only

        ds = open_zarr(path)
        fmt = "zarr"
    else:
        fast = describe_headers(path)
        if fast is not None:
            return {**fast, "file": Path(text).name, "format": "fits"}
        from .fits import open_product

        ds = open_product(path, chunks=None if _size(path) <= READ_WHOLE_BELOW else "auto")
        fmt = "fits"
    import xarray as xr  # imported already by the reader

    if isinstance(ds, xr.DataTree):
        from ..slits import groups

        parts = groups(ds)
        out = describe_dataset(parts[0])
        out["groups"] = [{str(d): int(n) for d, n in g.sizes.items()} for g in parts]
        out["slits"] = [str(s) for g in parts for s in g["slit_name"].values]
    else:
        out = describe_dataset(ds)
    out["file"] = Path(text).name if "://" not in text else text
    out["format"] = fmt
    return out


def _size(path: str | os.PathLike[str]) -> int:
    """The file's size in bytes (0 when it cannot be read: :func:`open_product` says why)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def describe_dataset(ds: xr.Dataset) -> dict[str, Any]:
    """The same summary for a Dataset in memory."""
    from ..datamodel import kind
    from ..wcs.store import has_wcs, slit_wcs

    attrs = ds.attrs
    arrays = {
        str(name): {
            "dims": list(var.dims),
            "shape": list(var.shape),
            "dtype": str(var.dtype),
            "units": var.attrs.get("units"),
        }
        for name, var in ds.data_vars.items()
    }
    steps = {
        step: attrs[key]
        for step, key in STATUS_KEYWORDS.items()
        if key in attrs and attrs[key] not in (None, "")
    }
    references = {k: v for k, v in attrs.items() if k.startswith("R_") and isinstance(v, str) and v}
    wcs = "none" if not has_wcs(ds) else "per slit" if slit_wcs(ds) is not None else "one"
    summary: dict[str, Any] = {
        "datamodel": attrs.get("DATAMODL"),
        "kind": kind(ds),
        "mode": {k: attrs[k] for k in MODE_KEYWORDS if k in attrs},
        "dims": {str(d): int(n) for d, n in ds.sizes.items()},
        "arrays": arrays,
        "coords": sorted(str(c) for c in ds.coords),
        "steps": steps,
        "references": references,
        "wcs": wcs,
    }
    if "slit_name" in ds.coords and ds["slit_name"].ndim == 1:
        summary["slits"] = [str(s) for s in ds["slit_name"].values]
    return summary


def format_description(info: dict[str, Any]) -> str:
    """A readable multi-line text of :func:`describe`'s result."""
    mode = ", ".join(f"{k}={v}" for k, v in info["mode"].items()) or "unknown"
    dims = ", ".join(f"{d}={n}" for d, n in info["dims"].items())
    lines = [
        f"{info.get('file', 'dataset')}  ({info.get('format', 'memory')}, "
        f"{info['datamodel'] or '?'}, {info['kind']})",
        f"  mode:   {mode}",
        f"  dims:   {dims}",
        "  arrays:",
    ]
    for name, a in info["arrays"].items():
        units = f" [{a['units']}]" if a["units"] else ""
        shape = "x".join(str(n) for n in a["shape"])
        lines.append(f"    {name:<18} {a['dtype']:<8} ({', '.join(a['dims'])}) {shape}{units}")
    lines.append(f"  coords: {', '.join(info['coords'])}")
    if "groups" in info:
        lines.append(f"  groups: {len(info['groups'])} padded slit groups (spec2x.slits)")
    if "slits" in info:
        lines.append(f"  slits:  {', '.join(info['slits'])}")
    lines.append(f"  wcs:    {info['wcs']}")
    done = ", ".join(f"{s}={v}" for s, v in info["steps"].items()) or "none"
    lines.append(f"  steps:  {done}")
    for key, value in info["references"].items():
        lines.append(f"    {key} = {value}")
    return "\n".join(lines)
