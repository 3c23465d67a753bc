"""MIRI MRS photom: the per-pixel conversion image and its throughput-loss correction.

As jwst 3.0.0 (``DataSet.calc_miri`` for MIRIFUSHORT/MIRIFULONG and
``time_dependence.miri_mrs_time_correction``):

- the data are multiplied by the reference's SCI image, (MJy/sr) per (DN/s)
  of each pixel (the pixel solid angle, PIXSIZ, is already folded in); the
  variances by its square; its DQ is OR-ed in, with ``DO_NOT_USE`` where it
  is NaN;
- when the file carries the ``TIMECOEFF_POWERLAW_CH*`` tables, the data are
  divided by the throughput left at the exposure's mid time ``EXPMID``: per
  wavelength bin of each channel the power law
  :math:`c = (t - t_0 + t_s)^{\\alpha} / ((365 + t_s)^{\\alpha} / y_1)`,
  at most 1, interpolated (and extrapolated) linearly at each pixel's
  wavelength; columns 0-511 take the left channel (1 or 4), 512-1030 the
  right one (2 or 3); pixels without a wavelength, and column 1031, get 1.

The generic :func:`spec2x.steps.photom.photom` calls :func:`mrs_conversion`
(``Mode.photom_image == "mrs"``) and scales and labels the data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from ...dq import DQ, DQ_DTYPE
from ...errors import ReferenceMismatchError
from ...io.references import Reference
from .mrs_cal_refs import MrsPhotom

__all__ = ["mrs_conversion", "mrs_time_correction", "powerlaw_throughput"]

log = logging.getLogger(__name__)

#: Channels on the left (columns 0-511) and right (512-1030) half of each detector.
_SIDES = {"MIRIFUSHORT": ("1", "2"), "MIRIFULONG": ("4", "3")}
_LEFT_END, _RIGHT_END = 512, 1031


def powerlaw_throughput(mid_time: float, table: Mapping[str, np.ndarray]) -> np.ndarray:
    """Throughput left at MJD ``mid_time`` per wavelength bin of one channel (at most 1).

    ``table`` holds ``t0 year1value tsoft alpha`` arrays (float32, as the file);
    the arithmetic stays in their precision, as jwst's.
    """
    tsoft, alpha = table["tsoft"], table["alpha"]
    norm = ((365.0 + tsoft) ** alpha) / table["year1value"]
    corr = ((mid_time - table["t0"] + tsoft) ** alpha) / norm
    return np.minimum(corr, 1.0)


def _interp_linear(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Linear interpolation on increasing ``xp``, extrapolated beyond both ends; NaN stays NaN."""
    xp = np.asarray(xp, np.float64)
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    t = (x - xp[i]) / (xp[i + 1] - xp[i])
    return (1.0 - t) * fp[i] + t * fp[i + 1]


def mrs_time_correction(
    wavelength: np.ndarray,
    columns: np.ndarray,
    detector: str,
    timecoeff: Mapping[str, Mapping[str, np.ndarray]],
    mid_time: float,
) -> np.ndarray:
    """The throughput-loss correction (divide by it) of every pixel of an MRS exposure.

    Parameters
    ----------
    wavelength : (ny, nx) µm, NaN where a pixel has none.
    columns : (nx,) 0-based full-frame detector column of each pixel.
    detector : MIRIFUSHORT or MIRIFULONG.
    timecoeff : channel -> power-law table (``binwave`` µm, ``t0`` MJD ...).
    mid_time : exposure mid time (MJD).

    Returns
    -------
    float64 (ny, nx); 1 where no correction applies.
    """
    wl = np.asarray(wavelength, np.float64)
    result = np.ones(wl.shape, np.float64)
    left, right = _SIDES[detector]
    for channel, cols in (
        (left, columns < _LEFT_END),
        (right, (columns >= _LEFT_END) & (columns < _RIGHT_END)),
    ):
        table = timecoeff[channel]
        corr = _interp_linear(wl[:, cols], table["binwave"], powerlaw_throughput(mid_time, table))
        corr[(wl[:, cols] == 0) | np.isnan(corr) | (corr == 0)] = 1.0
        result[:, cols] = corr
    return result


def mrs_conversion(
    ds: xr.Dataset,
    response: Reference,
    *,
    area: Reference | None = None,
    apply_time_correction: bool = True,
) -> tuple[xr.Variable, xr.Variable, xr.Variable | None, float | None]:
    """The MRS photom factor, its DQ and the time correction on the pixels of ``ds``.

    Parameters
    ----------
    ds : MRS exposure ``(y, x)`` in DN/s, with ``wavelength`` when the
        correction applies.
    response : the MRS ``photom`` reference (:class:`MrsPhotom`).
    area : not read: the MRS conversion image already holds each pixel's area
        (photom's image-conversion interface passes it).
    apply_time_correction : divide by the throughput loss when the file has its tables.

    Returns
    -------
    The conversion (float32, (y, x)), the DQ to OR in, the correction to
    divide by (float64, or None when not applied) and PHOTMJSR of the file.

    Raises
    ------
    ReferenceMismatchError
        Not an MRS photom file, another detector/channel/band, or it does not
        cover the exposure.
    """
    content = response.content
    if not isinstance(content, MrsPhotom):
        raise ReferenceMismatchError(
            f"photom reference {response.name} (DETECTOR={response.header.get('DETECTOR')!r}) "
            "is not a MIRI MRS photom image; give the MRS photom file of this band"
        )
    response.check_matches(ds.attrs, ("INSTRUME", "DETECTOR", "CHANNEL", "BAND"))
    iy = np.asarray(ds["y"].values, np.int64)
    ix = np.asarray(ds["x"].values, np.int64)
    ny, nx = content.sci.shape
    if iy.min() < 0 or ix.min() < 0 or iy.max() >= ny or ix.max() >= nx:
        raise ReferenceMismatchError(
            f"photom reference {response.name} ({ny}x{nx}) does not cover the pixels of "
            f"{ds.attrs.get('FILENAME', 'the exposure')}; give the full-frame MRS photom file"
        )
    sel = np.ix_(iy, ix)
    sens = content.sci[sel]
    dq = content.dq[sel] | np.where(np.isnan(sens), DQ_DTYPE(DQ.DO_NOT_USE), DQ_DTYPE(0))
    correction = _correction(ds, content, ix) if apply_time_correction else None
    dims = ("y", "x")
    return (
        xr.Variable(dims, sens),
        xr.Variable(dims, dq),
        None if correction is None else xr.Variable(dims, correction),
        content.photmjsr,
    )


def _correction(ds: xr.Dataset, content: MrsPhotom, columns: np.ndarray) -> np.ndarray | None:
    if "1" not in content.timecoeff:
        log.info("photom: no TIMECOEFF_POWERLAW tables; MRS time correction not applied")
        return None
    mid = ds.attrs.get("EXPMID")
    if mid is None or "wavelength" not in ds.coords:
        log.warning("photom: EXPMID or wavelength missing; MRS time correction not applied")
        return None
    detector = str(ds.attrs.get("DETECTOR", "")).strip().upper()
    wavelength: Any = ds["wavelength"].transpose("y", "x").values
    log.info("photom: applying the MRS time-dependent correction at MJD %s", mid)
    return mrs_time_correction(wavelength, columns, detector, content.timecoeff, float(mid))
