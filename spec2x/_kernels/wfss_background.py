"""NumPy kernel of the WFSS background: the scale of a background template fitted to the data.

jwst 3.0.0's ``background_sub_wfss.ScalingFactorComputer``: on the pixels
not masked as source, the error-weighted least-squares scale

.. math:: f = \\frac{\\sum s\\,b/\\sigma^2}{\\sum b^2/\\sigma^2}

is computed; the residuals ``s - f b`` below the ``p``-th and above the
``(100 - p)``-th percentile are rejected and the scale recomputed, up to
``maxiter`` times or until the RMS of the median residual profile along the
dispersion improves by less than ``delta_rms`` (a fraction; 0 never stops
early).  Pixels with zero variance are never used.  The sums are float64
over float32 products, as jwst's.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from ..dq import DQ, DQ_DTYPE

__all__ = ["background_mask_from_boxes", "enough_background", "fit_scale"]

log = logging.getLogger(__name__)


def _weighted_scale(sci: np.ndarray, bkg: np.ndarray, var: np.ndarray) -> np.float64:
    """Error-weighted least-squares scale of ``bkg`` to ``sci`` (NaN pixels left out)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        num = np.nansum(sci * bkg / var, dtype="f8")
        den = np.nansum(bkg * bkg / var, dtype="f8")
        return num / den


def _profile_rms(residual: np.ndarray, dispaxis: int) -> float:
    """RMS of the residual's median profile along the dispersion (collapsed across it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        profile = np.nanmedian(residual, axis=dispaxis - 1)
        return float(np.sqrt(np.nanmean(profile**2, dtype="f8")))


def fit_scale(
    sci: np.ndarray,
    bkg: np.ndarray,
    var: np.ndarray,
    source: np.ndarray,
    *,
    outlier_percent: float = 1.0,
    maxiter: int = 5,
    delta_rms: float = 0.0,
    dispaxis: int | None = None,
) -> tuple[float, int]:
    """The scale of ``bkg`` that best matches ``sci`` off the sources, with outlier rejection.

    Parameters
    ----------
    sci : (y, x) data, DN/s (float32).
    bkg : (y, x) background template on the same pixels (float32).
    var : (y, x) variance of ``sci`` (``err**2``, float32).
    source : (y, x) True where a pixel belongs to a source (left out).
    outlier_percent : percentile rejected at each end per iteration (jwst 1).
    maxiter : most rejection rounds (jwst 5).
    delta_rms : stop when the profile RMS improves by less than this fraction (0: never).
    dispaxis : 1 (dispersion along x) or 2 (along y); needed when ``delta_rms > 0``.

    Returns
    -------
    (scale, rounds): the scale (NaN when no pixel is left) and the rejection rounds run.

    Raises
    ------
    ValueError
        ``delta_rms > 0`` without a dispersion axis of 1 or 2.
    """
    if delta_rms > 0 and dispaxis not in (1, 2):
        raise ValueError(
            f"the RMS stopping criterion needs the dispersion axis (1 or 2), not {dispaxis!r}"
        )
    bad = np.asarray(source, bool) | (var == 0)
    sci = np.where(bad, np.float32(np.nan), sci)
    bkg = np.where(bad, np.float32(np.nan), bkg)
    var = np.where(bad, np.float32(np.nan), var)
    last_rms = np.inf
    rounds = 0
    while rounds < maxiter:
        residual = sci - _weighted_scale(sci, bkg, var) * bkg
        if delta_rms > 0:
            rms = _profile_rms(residual, int(dispaxis))  # type: ignore[arg-type]
            with np.errstate(invalid="ignore"):
                improvement = (last_rms - rms) / last_rms
            if improvement < delta_rms:
                log.info(
                    "bkg_subtract: rejection stopped after %d round(s) (wfss_rms_stop)", rounds
                )
                break
            last_rms = rms
        rounds += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanpercentile(residual, (outlier_percent, 100 - outlier_percent))
        with np.errstate(invalid="ignore"):
            out = (residual < low) | (residual > high)
        sci, bkg, var = (np.where(out, np.float32(np.nan), a) for a in (sci, bkg, var))
    return float(_weighted_scale(sci, bkg, var)), rounds


def background_mask_from_boxes(
    shape: tuple[int, int],
    xmin: np.ndarray,
    xmax: np.ndarray,
    ymin: np.ndarray,
    ymax: np.ndarray,
) -> np.ndarray:
    """(y, x) True where no source box covers the pixel (each box's ends included, clipped).

    The boxes are jwst's ``order_bounding`` (whole pixels, inclusive ends,
    possibly off the detector).
    """
    ny, nx = shape
    covered = np.zeros((ny + 1, nx + 1), np.int32)
    x0, x1 = np.clip(xmin, 0, nx), np.clip(np.asarray(xmax) + 1, 0, nx)
    y0, y1 = np.clip(ymin, 0, ny), np.clip(np.asarray(ymax) + 1, 0, ny)
    use = (x1 > x0) & (y1 > y0)
    x0, x1, y0, y1 = x0[use], x1[use], y0[use], y1[use]
    # a 2-D difference array: +1 at each box's corner, -1 past its far edges
    np.add.at(covered, (y0, x0), 1)
    np.add.at(covered, (y0, x1), -1)
    np.add.at(covered, (y1, x0), -1)
    np.add.at(covered, (y1, x1), 1)
    inside = covered.cumsum(axis=0).cumsum(axis=1)[:ny, :nx] > 0
    return ~inside


def enough_background(
    dq: np.ndarray, background: np.ndarray, bkg: np.ndarray, min_fraction: float = 0.05
) -> bool:
    """Whether more than ``min_fraction`` of all pixels are background, usable and nonzero in
    the template (jwst's check before fitting a catalogue-masked scale)."""
    good = background & (bkg != 0) & ((np.asarray(dq) & DQ_DTYPE(DQ.DO_NOT_USE)) == 0)
    return int(np.count_nonzero(good)) > int(min_fraction * np.asarray(dq).size)
