"""photom's PHOTOM table rows: which row serves the exposure or each slit, and its scalar.

A mode's ``photom_rows`` (:mod:`spec2x.modes`) names one of
:data:`ROW_SELECTORS`: the candidate row matches, tried in turn (jwst falls
back, e.g. MIRI ``subarray=GENERIC``), to which a grism cut-out adds its
spectral order.  :func:`row_conversions` gives each slit's row, scalar
conversion, unit and relative-response curve; :mod:`spec2x.steps.photom`
applies them.

A WFSS file's ``PHOTUNIT`` (the unit of ``photmjsr``, e.g. ``MJy Angstrom s /
(DN sr)``) is converted to :data:`GRISM_PHOT_UNIT` as jwst 3.0.0 does, for the
modes whose ``photom_unit`` is set, in the factor applied to the data, not in
the PHOTMJSR recorded: ``calc_wfss`` passes the file's ``phot_unit`` to
``photom_io`` (jwst/photom/photom.py l. 716-718; for NIS_WFSS l. 379, MIR_WFSS
l. 440, NRC_WFSS l. 564), which records the conversion (l. 803) and then
multiplies it by PHOTUNIT -> GRISM_PHOT_UNIT (l. 814-829).  NRC_TSGRISM's row
goes to ``photom_io`` without it (l. 565-570): jwst ignores its PHOTUNIT, and
so does spec2x.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from .._kernels import photom as kernel
from ..errors import MissingReferenceError, ReferenceMismatchError
from ..io.references import Reference

__all__ = [
    "GRISM_PHOT_UNIT",
    "ROW_SELECTORS",
    "RowConversions",
    "find_row",
    "phot_unit_factor",
    "row_conversions",
    "source_types",
    "time_correction",
]

log = logging.getLogger(__name__)

#: The unit a grism PHOTMJSR is taken in: (MJy/sr) µm per (DN/s), the response being per µm.
GRISM_PHOT_UNIT = "MJy micron s / (DN sr)"

Selector = Callable[[Mapping[str, Any], "str | None"], list[dict[str, Any]]]


def _miri_imager(attrs: Mapping[str, Any], slit: str | None) -> list[dict[str, Any]]:
    filt, sub = attrs.get("FILTER"), attrs.get("SUBARRAY")
    return [{"filter": filt, "subarray": sub}, {"filter": filt, "subarray": "GENERIC"}]


def _nirspec_fs(attrs: Mapping[str, Any], slit: str | None) -> list[dict[str, Any]]:
    return [{"filter": attrs.get("FILTER"), "grating": attrs.get("GRATING"), "slit": slit}]


def _nirspec_bots(attrs: Mapping[str, Any], slit: str | None) -> list[dict[str, Any]]:
    return [{"filter": attrs.get("FILTER"), "grating": attrs.get("GRATING"), "slit": "S1600A1"}]


def _nirspec_grating(attrs: Mapping[str, Any], slit: str | None) -> list[dict[str, Any]]:
    return [{"filter": attrs.get("FILTER"), "grating": attrs.get("GRATING")}]


def _grism(attrs: Mapping[str, Any], slit: str | None) -> list[dict[str, Any]]:
    return [{"filter": attrs.get("FILTER"), "pupil": attrs.get("PUPIL")}]


#: ``Mode.photom_rows`` -> candidate row matches (in order) for the exposure or one slit.
ROW_SELECTORS: dict[str, Selector] = {
    "miri_imager": _miri_imager,
    "nirspec_fs": _nirspec_fs,
    "nirspec_bots": _nirspec_bots,
    "nirspec_grating": _nirspec_grating,
    "grism": _grism,  # and the slit's spectral order; the factor is per µm (see _per_micron)
}


def find_row(response: Reference, candidates: Sequence[Mapping[str, Any]], slit: str | None) -> int:
    """The PHOTOM row of the first candidate match that has one (``slit`` for the message).

    Raises
    ------
    MissingReferenceError
        A match has several rows, or no candidate has any (the message lists the rows
        the file covers).
    """
    table = response.content
    for match in candidates:
        rows = table.find_rows(**{k: ("" if v is None else v) for k, v in match.items()})
        if len(rows) > 1:
            raise MissingReferenceError(
                f"photom reference {response.name} has {len(rows)} rows for "
                f"{_describe(match)}; it must have exactly one"
            )
        if len(rows) == 1:
            return int(rows[0])
    keys = list(candidates[0])
    have = sorted({"/".join(str(table.columns[k][r]) for k in keys) for r in range(table.nrows)})
    raise MissingReferenceError(
        f"photom reference {response.name} has no row for {_describe(candidates[0])}"
        + (f" (slit {slit})" if slit else "")
        + f"; its rows cover {'/'.join(keys)} = {', '.join(have)}; give the photom file for this mode"
    )


def _describe(match: Mapping[str, Any]) -> str:
    return ", ".join(f"{k.upper()}={v!r}" for k, v in match.items())


def source_types(ds: xr.Dataset, per_slit: bool, source_type: str | None, n: int) -> list[str]:
    """Each of the ``n`` slits' source type: the override, the slits' ``srctype`` (when the
    mode reads it per slit), else SRCTYPE."""
    if source_type is not None:
        return [source_type.upper()] * n
    if "slit" in ds.dims and "srctype" in ds.coords and per_slit:
        return [str(s).upper() for s in ds["srctype"].values]
    return [str(ds.attrs.get("SRCTYPE", "")).upper()] * n


def _spectral_orders(ds: xr.Dataset, table: Any, n: int) -> list[dict[str, int]]:
    """Each slit's ``order`` row match (grism cut-outs), or nothing to add."""
    if "order" not in table.columns:
        return [{}] * n
    if "spectral_order" in ds.coords:
        return [{"order": int(o)} for o in np.atleast_1d(ds["spectral_order"].values)]
    return [{"order": int(ds.attrs.get("SPORDER", 1))}] * n


def _scalar(table: Any, row: int, srctype: str, pixar_sr: float | None) -> tuple[float, str]:
    """Scalar conversion of one row and the output unit."""
    if "photmjsr" in table.columns:
        return table.columns["photmjsr"][row], "MJy/sr"
    value = table.columns["photmj"][row]
    if srctype == "POINT":
        return value, "MJy"
    if pixar_sr is None:
        log.warning("photom: pixel area unknown, cannot convert to surface brightness")
        return value, "MJy/sr"
    return value / pixar_sr, "MJy/sr"


def time_correction(ds: xr.Dataset, table: Any, row: int) -> np.float64:
    """The throughput-loss correction of ``row`` (TIMECOEFF_* tables) at EXPMID; 1 without it."""
    mid = ds.attrs.get("EXPMID")
    if mid is None:
        log.warning("photom: EXPMID missing; time-dependence correction not applied")
        return np.float64(1.0)
    corr = kernel.time_correction(float(mid), table.timecoeff, row)
    if corr != 1.0:
        log.info("photom: time-dependence correction %.6g", corr)
    return np.float64(corr)


def phot_unit_factor(response: Reference) -> float:
    """PHOTUNIT -> :data:`GRISM_PHOT_UNIT` factor of a photom file (1 when it has no PHOTUNIT).

    Raises
    ------
    ReferenceMismatchError
        PHOTUNIT is not a unit, or not one of (MJy/sr) wavelength per (DN/s).
    """
    from astropy import units as u

    unit = getattr(response.content, "phot_unit", None)
    if not unit:
        return 1.0
    try:
        return float(u.Unit(unit).to(u.Unit(GRISM_PHOT_UNIT)))
    except ValueError as exc:  # not a unit, or not convertible (UnitConversionError)
        raise ReferenceMismatchError(
            f"photom {response.name}: PHOTUNIT {unit!r} cannot be converted to "
            f"{GRISM_PHOT_UNIT!r} ({exc}); give a grism photom file"
        ) from exc


@dataclass
class RowConversions:
    """What the PHOTOM table gives the exposure or each slit (one entry each).

    Attributes
    ----------
    rows : the row index.
    scalars : the scalar conversion, over the time correction when applied.
    units : ``MJy/sr`` or ``MJy`` (a NIRSpec point source).
    curves : the relative response ``(wavelength µm, response)``.
    unit_factor : PHOTUNIT -> :data:`GRISM_PHOT_UNIT` (modes with ``photom_unit``), applied
        to the data with the scalars (not to the PHOTMJSR recorded); 1 otherwise.
    """

    rows: list[int]
    scalars: list[Any]
    units: list[str]
    curves: list[tuple[np.ndarray, np.ndarray]]
    unit_factor: float = 1.0


def row_conversions(
    ds: xr.Dataset,
    response: Reference,
    photom_rows: str,
    names: Sequence[str | None],
    srctypes: Sequence[str],
    pixar_sr: Sequence[float | None],
    *,
    apply_time_correction: bool,
    photom_unit: bool = False,
) -> RowConversions:
    """The PHOTOM row, scalar, unit and response curve of the exposure or of each slit.

    Parameters
    ----------
    ds : exposure or slits (the keywords the rows are chosen on; ``spectral_order``).
    response : the ``photom`` reference (a :class:`~spec2x.io.refs_pixel.PhotomTable`).
    photom_rows : the mode's entry of :data:`ROW_SELECTORS`.
    names : slit names (``[SLTNAME]`` for an exposure).
    srctypes, pixar_sr : each slit's source type and nominal pixel area (sr).
    apply_time_correction : divide the scalars by :func:`time_correction`.
    photom_unit : convert the file's PHOTUNIT (the mode's ``photom_unit``).
    """
    table = response.content
    select_rows = ROW_SELECTORS[photom_rows]
    orders = _spectral_orders(ds, table, len(names))
    out = RowConversions([], [], [], [])
    if photom_unit:
        out.unit_factor = phot_unit_factor(response)
    elif getattr(table, "phot_unit", None):
        log.info("photom: PHOTUNIT %r of %s not applied to %s (as jwst 3.0.0)",
                 table.phot_unit, response.name, ds.attrs.get("EXP_TYPE"))  # fmt: skip
    for i, name in enumerate(names):
        candidates = [{**c, **orders[i]} for c in select_rows(ds.attrs, name)]
        row = find_row(response, candidates, name)
        value, unit = _scalar(table, row, srctypes[i], pixar_sr[i])
        if apply_time_correction and table.timecoeff:
            value = value / time_correction(ds, table, row)
        nelem = int(table.columns["nelem"][row]) if "nelem" in table.columns else None
        curve = kernel.response_curve(
            table.columns["wavelength"][row], table.columns["relresponse"][row], nelem
        )
        out.rows.append(row)
        out.scalars.append(value)
        out.units.append(unit)
        out.curves.append(curve)
    return out
