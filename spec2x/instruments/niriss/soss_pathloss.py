"""pathloss for NIRISS SOSS, as jwst 3.0.0's ``do_correction_soss``.

A time series (``TSOVISIT = T``) is left as it is (``SKIPPED``, as jwst).
A non-TSO ``_rate`` exposure is divided by the point-source pathloss of the
aperture named like its ``SUBARRAY``: the reference's ``PS`` image
``(column, pupil position)`` is read at the detector column (nearest
reference row, ``CRPIX2/CRVAL2/CDELT2``) and interpolated linearly in the
pupil-wheel position ``PWCPOS`` (``CRPIX1/CRVAL1/CDELT1``, degrees), in
float32 as jwst; columns the reference does not cover get 1.  A ``PWCPOS``
outside the reference's positions gives 1 everywhere and a warning (jwst);
no ``PWCPOS``, no aperture for the subarray, ``inverse`` or a forced
``source_type`` skip the step with a warning (jwst).  The correction is
kept as ``pathloss_point (y, x)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from astropy.io import fits

from ...errors import InputFileError, ReferenceMismatchError
from ...io.references import Reference
from ...steps._common import record_step, require
from ...steps._scale import scale_by

__all__ = ["SossPathloss", "read_soss_pathloss", "soss_correction", "soss_pathloss"]

log = logging.getLogger(__name__)
_WCS_KEYS = ("CRPIX1", "CRVAL1", "CDELT1", "CRPIX2", "CRVAL2", "CDELT2")


@dataclass(frozen=True)
class SossPathloss:
    """Content of a SOSS ``pathloss`` reference.

    Attributes
    ----------
    point : aperture name (``SUBSTRIP256`` ...) -> float32 point-source
        pathloss ``(column, pupil position)`` (the first plane of ``PS``).
    wcs : aperture name -> ``CRPIX1/CRVAL1/CDELT1`` (pupil position, degrees)
        and ``CRPIX2/CRVAL2/CDELT2`` (detector column, 1-based) of ``point``.
    """

    point: dict[str, np.ndarray]
    wcs: dict[str, dict[str, float]]


def read_soss_pathloss(path: str, header: dict[str, Any]) -> Reference:
    """Open a NIRISS SOSS ``pathloss`` FITS file (jwst ``PathlossModel``, ``PS`` per aperture)."""
    point, wcs = {}, {}
    with fits.open(path, memmap=False) as hdul:
        extensions = [h for h in hdul if h.name == "PS"]
        if not extensions:
            raise ReferenceMismatchError(
                f"{path} has no PS extension: it is not a SOSS pathloss reference"
            )
        for ps in extensions:
            name = str(ps.header.get("APERTURE", "")).strip()
            missing = [k for k in _WCS_KEYS if ps.header.get(k) is None]
            if missing:
                raise InputFileError(f"{path}: PS extension {name!r} lacks {', '.join(missing)}")
            data = np.asarray(ps.data, dtype=np.float32)
            point[name] = data[0] if data.ndim == 3 else data
            wcs[name] = {k: float(ps.header[k]) for k in _WCS_KEYS}
    return Reference("pathloss", path, header, SossPathloss(point, wcs))


def soss_correction(
    table: np.ndarray, wcs: dict[str, float], pwcpos: float, ncols: int
) -> np.ndarray | None:
    """The float32 pathloss of each of ``ncols`` detector columns at ``pwcpos`` (degrees).

    None when ``pwcpos`` lies outside the reference's pupil positions.
    """
    nrows, npos = table.shape
    index = wcs["CRPIX1"] + (pwcpos - wcs["CRVAL1"]) / wcs["CDELT1"] - 1
    if index < 0 or index > npos - 2:
        return None
    ix = int(index)
    dx = index - ix
    column = np.arange(1, ncols + 1, dtype=np.float64)
    rows = np.floor(wcs["CRPIX2"] + (column - wcs["CRVAL2"]) / wcs["CDELT2"] - 0.5).astype(int)
    inside = (rows >= 0) & (rows <= nrows - 1)
    safe = np.where(inside, rows, 0)
    # a Python float times float32 stays float32 (NumPy 2), as in jwst's loop
    value = (1.0 - dx) * table[safe, ix] + dx * table[safe, ix + 1]
    return np.where(inside, value, np.float32(1.0)).astype(np.float32)


def _skip(ds: xr.Dataset, why: str) -> xr.Dataset:
    log.warning("pathloss: %s; pathloss correction skipped", why)
    return record_step(ds, "pathloss", status="SKIPPED")


def soss_pathloss(
    ds: xr.Dataset,
    reference: Reference,
    *,
    inverse: bool = False,
    source_type: str | None = None,
    overwrite: bool = False,
) -> xr.Dataset:
    """Divide a non-TSO SOSS exposure by the point-source pathloss at ``PWCPOS``.

    Parameters
    ----------
    ds : the exposure ``(y, x)`` (DN/s), attrs ``SUBARRAY``, ``PWCPOS``
        (degrees), ``TSOVISIT``.
    reference : opened SOSS ``pathloss`` reference (:class:`SossPathloss`).
    inverse, source_type : jwst's parameters; not implemented for SOSS by
        jwst either: the step is skipped.
    overwrite : write the results into the pixel arrays of ``ds`` (NumPy-backed
        data) instead of new ones, for a caller that owns them (the chain,
        :mod:`spec2x.ownership`): ``ds`` is changed.

    Returns
    -------
    The divided Dataset (variances by the square) with ``pathloss_point``,
    ``S_PTHLOS = COMPLETE``; unchanged and ``SKIPPED`` otherwise (see the
    module).
    """
    name = ds.attrs.get("FILENAME", "the exposure")
    if ds.attrs.get("TSOVISIT") in (True, "T", "True", 1):
        log.warning("pathloss: NIRISS SOSS time series skip the pathloss step (as jwst)")
        return record_step(ds, "pathloss", status="SKIPPED")
    if inverse:
        return _skip(ds, "inversion is not implemented for NIS_SOSS (as jwst)")
    if source_type is not None:
        return _skip(ds, "forcing the source type is not implemented for NIS_SOSS (as jwst)")
    content = reference.content
    if not isinstance(content, SossPathloss):
        raise ReferenceMismatchError(f"{reference.name} is not a NIRISS SOSS pathloss reference")
    require(ds, "sci", "err", "dq", "var_poisson", "var_rnoise", step="pathloss")
    pwcpos = ds.attrs.get("PWCPOS")
    if pwcpos is None:
        return _skip(ds, f"no pupil-wheel position (PWCPOS) in {name}")
    subarray = str(ds.attrs.get("SUBARRAY", "")).strip()
    if subarray not in content.point:
        return _skip(ds, f"{reference.name} has no aperture for SUBARRAY={subarray!r}")
    ncols = ds.sizes["x"]
    correction = soss_correction(
        content.point[subarray], content.wcs[subarray], float(pwcpos), ncols
    )
    if correction is None:
        log.warning(
            "pathloss: PWCPOS=%s outside the coverage of %s; correction set to 1.0",
            pwcpos,
            reference.name,
        )
        correction = np.ones(ncols, np.float32)
    factor = xr.Variable(("x",), correction)
    out = scale_by(ds, factor, operation="divide", overwrite=overwrite)
    plane = xr.Variable(("y", "x"), np.broadcast_to(correction, (ds.sizes["y"], ncols)).copy())
    out = out.assign(pathloss_point=xr.DataArray(plane, attrs={"units": ""}))
    log.info("pathloss: SOSS %s at PWCPOS=%s (%s)", subarray, pwcpos, reference.name)
    return record_step(out, "pathloss", reference)
