"""srctype: decide whether the source is a point source or extended.

The decision (jwst 3.0.0 ``srctype``), for the modes with one target
(MIRI LRS and MRS, NIRSpec fixed slit, BOTS and IFU, NIRCam TSO grism,
NIRISS SOSS), in order of precedence:

1. the ``source_type`` parameter (not for NIS_SOSS);
2. a background target (``BKGDTARG``) is EXTENDED;
3. a time-series exposure (``TSOVISIT`` or a TSO exposure type, with more
   than one integration) is POINT;
4. the observer's choice in APT, ``SRCTYAPT`` (falling back to ``SRCTYPE``
   for old files), when it is POINT or EXTENDED;
5. a nodded dither pattern (``PATTTYPE``; ``DITHOPFR`` for MRS) holding
   ``NOD`` or ``POINT-SOURCE`` is POINT;
6. otherwise EXTENDED for MRS and NIRSpec IFU, POINT for the others.

NIRSpec MOS: each slit from its ``stellarity`` (< 0 or > 0.75: POINT).
WFSS: each slit from ``is_extended``.  Other TSO exposures: POINT.  Any
other exposure type: UNKNOWN.

An exposure gets the ``SRCTYPE`` keyword; a slits product (dims ``slit, y,
x``) also gets the per-slit coord ``srctype``.  For NIRSpec fixed slits only
the primary slit (``FXD_SLIT``) takes the decided type, the others are
EXTENDED.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import xarray as xr

from ..errors import InputFileError, ParameterError
from ..modes import exp_type_of, lookup
from ._common import record_step

__all__ = ["decide_source_type", "from_chain", "is_tso", "srctype"]

log = logging.getLogger(__name__)

SourceType = Literal["POINT", "EXTENDED"]

#: Stellarity above which (or below zero) a MOS source is a point source.
STELLARITY_THRESHOLD = 0.75


def _flag(value: Any) -> bool:
    """A FITS logical keyword (True, 'T', 'TRUE', 1) as a bool."""
    if isinstance(value, str):
        return value.strip().upper() in ("T", "TRUE", "1", "YES")
    return bool(value) if value is not None else False


def is_tso(attrs: Mapping[str, Any]) -> bool:
    """Whether the exposure is a time series (jwst's ``is_tso``).

    TSOVISIT set, or a TSO exposure type, unless NINTS says one integration.
    """
    mode = lookup(exp_type_of(attrs))
    tso = _flag(attrs.get("TSOVISIT")) or (mode is not None and mode.tso)
    nints = attrs.get("NINTS")
    if nints is not None and int(nints) < 2:
        tso = False
    return tso


def decide_source_type(attrs: Mapping[str, Any], source_type: str | None = None) -> tuple[str, str]:
    """Source type of a single-target exposure, and why (for the log).

    Parameters
    ----------
    attrs : exposure keywords (EXP_TYPE, SRCTYAPT/SRCTYPE, BKGDTARG, TSOVISIT,
        NINTS, PATTTYPE/DITHOPFR).
    source_type : the user's choice, ``"POINT"`` or ``"EXTENDED"``, or None.
    """
    exp_type = exp_type_of(attrs)
    mode = lookup(exp_type)
    if source_type is not None:
        if mode is None or not mode.srctype_overridable:
            raise ParameterError(
                f"srctype: source_type cannot be set for EXP_TYPE={exp_type}; leave it None"
            )
        return str(source_type).upper(), "set by the source_type parameter"
    if _flag(attrs.get("BKGDTARG")):
        return "EXTENDED", "a background target"
    if is_tso(attrs):
        return "POINT", "a TSO exposure"
    user = attrs.get("SRCTYAPT")
    if user is None:
        user = attrs.get("SRCTYPE")
    if user in ("POINT", "EXTENDED"):
        return str(user), "from SRCTYAPT"
    pattern = attrs.get(mode.dither_keyword if mode is not None else "PATTTYPE")
    if pattern is not None and ("NOD" in str(pattern) or "POINT-SOURCE" in str(pattern)):
        return "POINT", f"nodded ({pattern})"
    default = "EXTENDED" if mode is not None and mode.extended_by_default else "POINT"
    return default, "the default for this mode"


def _per_slit(ds: xr.Dataset, values: Any) -> xr.Dataset:
    return ds.assign_coords(srctype=("slit", np.asarray(values, dtype="U8")))


def _slit_coord(ds: xr.Dataset, name: str) -> np.ndarray | None:
    return ds[name].values if name in ds.coords else None


def srctype(ds: xr.Dataset, *, source_type: SourceType | None = None) -> xr.Dataset:
    """Set the source type of the exposure (``SRCTYPE``) or of each slit (coord ``srctype``).

    Parameters
    ----------
    ds : exposure or slits product with its FITS keywords in ``attrs``.
    source_type : ``"POINT"`` or ``"EXTENDED"`` to override the decision
        (single-target modes other than NIS_SOSS); None decides from the keywords.

    Returns
    -------
    A new Dataset with ``SRCTYPE`` (and ``SRCTYAPT`` when it was missing),
    ``S_SRCTYP = 'COMPLETE'`` and, for slits, the ``srctype`` coord.

    Raises
    ------
    InputFileError
        No EXP_TYPE keyword.
    ParameterError
        ``source_type`` is not POINT/EXTENDED, or the mode does not allow it.
    """
    if source_type is not None and str(source_type).upper() not in ("POINT", "EXTENDED"):
        raise ParameterError(
            f"srctype: source_type must be 'POINT', 'EXTENDED' or None, got {source_type!r}"
        )
    exp_type = ds.attrs.get("EXP_TYPE")
    if not exp_type:
        raise InputFileError(
            f"srctype: {ds.attrs.get('FILENAME', 'the input')} has no EXP_TYPE keyword"
        )
    exp_type = exp_type_of(ds)
    mode = lookup(exp_type)
    attrs = dict(ds.attrs)
    has_slits = "slit" in ds.dims
    out = ds.copy(deep=False)

    if mode is not None and mode.single_source:
        if attrs.get("SRCTYAPT") is None and attrs.get("SRCTYPE") is not None:
            attrs["SRCTYAPT"] = attrs["SRCTYPE"]  # old files: SRCTYPE held the APT choice
        decided, why = decide_source_type(attrs, source_type)
        attrs["SRCTYPE"] = decided
        log.info("srctype: %s, SRCTYPE = %s (%s)", exp_type, decided, why)
        if has_slits:
            names = _slit_coord(ds, "slit_name")
            if mode.primary_slit_keyword and names is not None:  # the source is in one slit
                primary = np.asarray(names) == str(attrs.get(mode.primary_slit_keyword, ""))
                out = _per_slit(out, np.where(primary, decided, "EXTENDED"))
                if decided == "EXTENDED":
                    for pos in ("source_xpos", "source_ypos"):
                        if pos in ds.coords:
                            values = np.where(primary, 0.0, ds[pos].values)
                            out = out.assign_coords({pos: ("slit", values.astype(ds[pos].dtype))})
            else:
                out = _per_slit(out, [decided] * ds.sizes["slit"])
    elif mode is not None and mode.per_slit_srctype:  # MOS: from each source's stellarity
        stellarity = _slit_coord(ds, "stellarity")
        if not has_slits or stellarity is None:
            raise InputFileError(
                f"srctype: {exp_type} needs a slits product with a per-slit 'stellarity' "
                "coordinate (run extract_2d first)"
            )
        stellarity = np.asarray(stellarity, dtype=np.float64)
        point = (stellarity < 0.0) | (stellarity > STELLARITY_THRESHOLD)
        out = _per_slit(out, np.where(point, "POINT", "EXTENDED"))
        attrs.pop("SRCTYPE", None)  # MOS uses the per-slit values only
        log.info(
            "srctype: %s, %d point and %d extended slits", exp_type, point.sum(), (~point).sum()
        )
    elif is_tso(attrs):
        attrs["SRCTYPE"] = "POINT"
        log.info("srctype: TSO exposure, SRCTYPE = POINT")
    elif mode is not None and mode.srctype_from_catalog:
        extended = _slit_coord(ds, "is_extended")
        if has_slits:
            flags = (
                np.zeros(ds.sizes["slit"], bool) if extended is None else np.asarray(extended, bool)
            )
            out = _per_slit(out, np.where(flags, "EXTENDED", "POINT"))
        log.info("srctype: %s, per-slit source types from is_extended", exp_type)
    else:
        attrs["SRCTYPE"] = "UNKNOWN"
        log.warning("srctype: EXP_TYPE %s does not apply; SRCTYPE = UNKNOWN", exp_type)

    out.attrs = attrs
    return record_step(out, "srctype")


def from_chain(ds: xr.Dataset, ctx: Any) -> xr.Dataset:
    """Chain adapter: the ``source_type`` parameter from ``ctx.params``."""
    return srctype(ds, source_type=ctx.params.get("source_type"))
