"""Keep a gwcs.WCS with a Dataset as ASDF text.

A WCS in ``attrs`` must survive a write to FITS or Zarr, so it is stored as
the YAML text of an ASDF file (arrays inline).  Encoding a NIRSpec slit WCS
costs a tenth of a second or more and decoding more, so every text this
process made or read is remembered with its object: a step that reads back
the WCS an earlier step stored pays nothing.  Neither direction runs asdf's
schema validation (see :mod:`spec2x.io.asdf_write`); the tests validate what
is written.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from threading import Lock
from typing import Any

import asdf
import xarray as xr

from ..errors import StepOrderError
from ..io.asdf_write import asdf_bytes

__all__ = ["clear_cache", "copy_pipeline", "get_wcs", "set_wcs", "wcs_from_text", "wcs_to_text"]

WCS_ATTR = "wcs"

_CACHE_SIZE = 256
_cache: OrderedDict[str, Any] = OrderedDict()
_lock = Lock()


def _remember(text: str, wcs: Any) -> None:
    with _lock:
        _cache[text] = wcs
        _cache.move_to_end(text)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def wcs_to_text(wcs: Any) -> str:
    """Serialise a gwcs object (or any ASDF-serialisable tree node) to ASDF text."""
    text = asdf_bytes({"wcs": wcs}, inline_arrays=True).decode("utf-8")
    _remember(text, wcs)
    return text


def wcs_from_text(text: str) -> Any:
    """Inverse of :func:`wcs_to_text` (remembered: the same text decodes once)."""
    with _lock:
        if text in _cache:
            _cache.move_to_end(text)
            return _cache[text]
    with asdf.config_context() as config:
        config.validate_on_read = False
        with asdf.open(io.BytesIO(text.encode("utf-8")), lazy_load=False, memmap=False) as af:
            wcs = af.tree["wcs"]
    _remember(text, wcs)
    return wcs


def clear_cache() -> None:
    """Forget every remembered WCS (tests use it to time or check decoding)."""
    with _lock:
        _cache.clear()


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


def copy_pipeline(wcs: Any) -> Any:
    """A new gwcs.WCS with the frames and transforms of ``wcs`` (shared, not copied).

    A WCS from :func:`get_wcs` is shared by every reader of the same text, so
    a step that changes it works on a copy.  Replacing or inserting steps
    (``set_transform``, ``insert_frame``) or setting the bounding box of a new
    first transform touches only the copy; a deep copy of a NIRSpec slit WCS
    costs a tenth of a second.  Never mutate a transform taken from it.
    """
    import gwcs

    return gwcs.WCS([(step.frame, step.transform) for step in wcs.pipeline], name=wcs.name)


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
