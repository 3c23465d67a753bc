"""Keep a gwcs.WCS with a Dataset as ASDF text.

A WCS in ``attrs`` must survive a write to FITS or Zarr, so it is stored as
the YAML text of an ASDF file (arrays inline).  Decoding is cached by text, so
steps that ask for the same WCS many times pay once.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import asdf
import xarray as xr

from ..errors import StepOrderError

__all__ = ["get_wcs", "set_wcs", "wcs_from_text", "wcs_to_text"]

WCS_ATTR = "wcs"


def wcs_to_text(wcs: Any) -> str:
    """Serialise a gwcs object (or any ASDF-serialisable tree node) to ASDF text."""
    buf = io.BytesIO()
    af = asdf.AsdfFile({"wcs": wcs})
    af.write_to(buf, all_array_storage="inline")
    return buf.getvalue().decode("utf-8")


@lru_cache(maxsize=64)
def wcs_from_text(text: str) -> Any:
    """Inverse of :func:`wcs_to_text` (cached)."""
    with asdf.open(io.BytesIO(text.encode("utf-8")), lazy_load=False, memmap=False) as af:
        return af.tree["wcs"]


def set_wcs(ds: xr.Dataset, wcs: Any, slit: str | None = None) -> xr.Dataset:
    """Return a copy of ``ds`` carrying ``wcs`` (for one ``slit`` when given)."""
    text = wcs_to_text(wcs)
    attrs = dict(ds.attrs)
    if slit is None:
        attrs[WCS_ATTR] = text
    else:
        per_slit = dict(attrs.get(WCS_ATTR) or {})
        per_slit[slit] = text
        attrs[WCS_ATTR] = per_slit
    return _with_attrs(ds, attrs)


def _with_attrs(ds: xr.Dataset, attrs: dict[str, Any]) -> xr.Dataset:
    out = ds.copy(deep=False)
    out.attrs = attrs
    return out


def get_wcs(ds: xr.Dataset, slit: str | None = None) -> Any:
    """The gwcs of ``ds`` (of one ``slit``); a clear error when assign_wcs has not run."""
    stored = ds.attrs.get(WCS_ATTR)
    if stored is None:
        raise StepOrderError(
            f"{ds.attrs.get('FILENAME', 'this exposure')} has no WCS: run assign_wcs first"
        )
    if isinstance(stored, dict):
        if slit is None:
            raise StepOrderError("this product holds one WCS per slit: pass slit=NAME")
        if slit not in stored:
            raise StepOrderError(f"no WCS for slit {slit!r}; slits with a WCS: {sorted(stored)}")
        return wcs_from_text(stored[slit])
    return wcs_from_text(stored)
