"""photom of NIRSpec IFU exposures: surface brightness from the response and each slice's pixel area.

jwst 3.0.0 (``calc_nirspec``, ``calc_nrs_ifu_sens2d``) converts every IFU
pixel, point source or not, to MJy/sr: the PHOTOM row of the filter and
grating gives ``photmj`` and the relative response, interpolated (clamped at
the ends) at the pixel's wavelength (float32); the ``area`` reference gives
the pixel area (arcsec^2) of each slice (``slice_id``).  Pixels without a
slice wavelength get factor 1 and ``NON_SCIENCE``.  No time correction.
PHOTMJSR is ``photmj`` over the mean pixel area of the slices.

:func:`spec2x.steps.photom.photom` calls :func:`ifu_conversion` through
``Mode.photom_image``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ...dq import DQ, DQ_DTYPE
from ...errors import MissingReferenceError, ReferenceMismatchError
from ...io.references import Reference
from ...io.refs_pixel import PhotomTable
from . import ifu_wcs as iw
from .area import A2_TO_SR

__all__ = ["ifu_conversion"]


def _row(response: Reference, attrs: dict) -> int:
    table = response.content
    if not isinstance(table, PhotomTable) or not table.columns:
        raise ReferenceMismatchError(
            f"{response.name} is not a NIRSpec photom table; give the IFU photom file"
        )
    match = {"filter": attrs.get("FILTER"), "grating": attrs.get("GRATING")}
    rows = table.find_rows(**{k: "" if v is None else v for k, v in match.items()})
    if len(rows) != 1:
        raise MissingReferenceError(
            f"photom reference {response.name} has {len(rows)} rows for FILTER={match['filter']!r} "
            f"GRATING={match['grating']!r}; it must have exactly one (give the photom file of "
            "this mode)"
        )
    return int(rows[0])


def _slice_areas(area: Reference | None) -> np.ndarray:
    """Pixel area (arcsec^2, float32) of slices 0..29 from the IFU ``area`` table."""
    table = None if area is None else area.content.table
    if table is None or "slice_id" not in table:
        raise MissingReferenceError(
            "photom for NIRSpec IFU needs the IFU area reference (a SLICE_ID/PIXAREA table); "
            f"{'got ' + area.name if area is not None else 'none was given'}"
        )
    ids = np.asarray(table["slice_id"], int)
    missing = sorted(set(range(iw.N_SLICES)) - set(ids.tolist()))
    if missing:
        raise MissingReferenceError(
            f"IFU area reference {area.name if area else ''} has no row for slices {missing}; "
            "give the IFU area file with all 30 slices"
        )
    pix = np.asarray(table["pixarea"], np.float32)
    return np.array([pix[np.flatnonzero(ids == s)[0]] for s in range(iw.N_SLICES)], np.float32)


def ifu_conversion(
    ds: xr.Dataset,
    response: Reference,
    *,
    area: Reference | None = None,
    apply_time_correction: bool = True,
) -> tuple[xr.Variable, xr.Variable, None, float]:
    """The IFU photom factor (MJy/sr per DN/s) on every pixel and its DQ.

    Parameters
    ----------
    ds : IFU exposure ``(y, x)`` with the ``wavelength`` (µm) and ``regions``
        (slice + 1) coordinates of assign_wcs.
    response : the NIRSpec IFU ``photom`` reference (a row per filter/grating).
    area : the IFU ``area`` reference (pixel area per slice).
    apply_time_correction : not used (jwst applies none to the IFU).

    Returns
    -------
    The factor (float64, (y, x); 1 off the slices), the DQ to OR in
    (``NON_SCIENCE`` off the slices), no time correction, and PHOTMJSR.

    Raises
    ------
    ReferenceMismatchError, MissingReferenceError
        Not a photom table, no single row for the filter/grating, no IFU area
        table or a slice missing from it.
    """
    del apply_time_correction
    table = response.content
    row = _row(response, ds.attrs)
    areas = _slice_areas(area)
    photmj = table.columns["photmj"][row]
    nelem = int(table.columns["nelem"][row]) if "nelem" in table.columns else None
    waves = np.asarray(table.columns["wavelength"][row])[:nelem]
    relresp = np.asarray(table.columns["relresponse"][row])[:nelem]
    if 0.0 < waves.max() < 1e-4:
        waves = waves * 1.0e6
    wl = np.asarray(ds["wavelength"].values, np.float32)
    regions = np.asarray(ds["regions"].values)
    on = np.isfinite(wl)
    pixarea = np.ones(wl.shape, np.float32)
    pixarea[on] = areas[regions[on] - 1]
    sens = np.interp(np.where(on, wl, np.float32(0.0)), waves, relresp) * photmj
    sens /= pixarea * A2_TO_SR
    sens[~on] = 1.0
    dq = np.where(on, DQ_DTYPE(0), DQ_DTYPE(DQ.NON_SCIENCE))
    photmjsr = float(photmj / (np.nanmean(areas) * A2_TO_SR))
    return xr.Variable(("y", "x"), sens), xr.Variable(("y", "x"), dq), None, photmjsr
