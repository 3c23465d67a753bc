"""The 2-D residual fringe correction of a MIRI MRS detector image (NumPy).

As jwst 3.0.0's ``jwst.residual_fringe.residual_fringe.ResidualFringeCorrection``:
the image (NaN and DO_NOT_USE pixels set to 0, divided by the median of its
positive pixels) is corrected column by column within each slice of the
80 % throughput ``regions`` plane.  A column of more than 50 slice pixels
whose DER_SNR reaches the slice's ``min_snr`` is fitted: spectral features
are masked (envelope of troughs; in channels 3 and 4 also of the 7-pixel
running mean), then for each fringe component of the ``fringefreq`` row
(the detector fringe, and in channels 3 and 4 the dichroic one) the
baseline, the relative residual and its sine fit
(:mod:`.residual_fringe_fit`) give factors ``1 / (1 + fit)`` applied to the
column.  A column whose fit fails is left as it was.  The result is scaled
back; NaN and DO_NOT_USE pixels come out NaN.

One deliberate difference: jwst also fits a last baseline per column for
its diagnostics only; here it is not computed (in jwst, its failure would
leave the column uncorrected).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ...dq import DQ, DQ_DTYPE
from .residual_fringe_baseline import (
    check_fringe_fit,
    envelopes,
    fill_wavenumbers,
    find_lines,
    fit_baseline,
    snr_der,
)
from .residual_fringe_fit import FitFailed, FringeFitSettings, fit_fringes

__all__ = ["SliceFringes", "correct_image"]

log = logging.getLogger(__name__)

Array = NDArray[np.float64]


@dataclass(frozen=True)
class SliceFringes:
    """One slice's row of the ``fringefreq`` table (a value per fringe component).

    Attributes
    ----------
    ffreq, dffreq : fringe frequency and scan half-width (cm⁻¹); ffreq <= 1e-3 is a placeholder.
    max_nfringes : most sines per component.
    min_snr : DER_SNR a column needs for each component.
    pgram_res : periodogram step (cm⁻¹).
    """

    ffreq: Array
    dffreq: Array
    max_nfringes: NDArray[np.int64]
    min_snr: Array
    pgram_res: Array


def _column_weights(sci: Array) -> Array:
    """Each column over its NaN-mean, inf and NaN as 0 (jwst ``calc_weights``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        w = (sci / np.nanmean(sci, axis=0)).astype(np.float64)
    w[np.isposinf(w) | np.isnan(w)] = 0
    return w


def _feature_weights(
    data: Array, weight: Array, max_amp: Array, snr_mask: Array, channel: int
) -> Array:
    """The column's weights with spectral features (lines above the fringe amplitude) at 0."""
    lower, _ = envelopes(data)
    with np.errstate(divide="ignore", invalid="ignore"):
        feat = weight * find_lines((np.abs(data / lower) - 1) * snr_mask, max_amp)
        if channel in (3, 4):
            cumsum = np.cumsum(np.insert(data, 0, 0))
            lower, _ = envelopes((cumsum[7:] - cumsum[:-7]) / 7.0, npix=data.size)
            feat *= find_lines(np.abs(data / lower) - 1, max_amp)
    nonzero = np.flatnonzero(feat != 0.0)
    if nonzero.size < 2:
        raise FitFailed("fewer than 2 weighted pixels")
    gaps = np.diff(nonzero)
    if feat[0] != 0 and gaps[0] > 1:
        feat[0] = 1e-08
    if feat[-1] != 0 and gaps[-1] > 1:
        feat[-1] = 1e-08
    feat[feat <= 0.003] = 1e-08
    return feat


def _fit_column(
    data: Array,
    weight: Array,
    feat: Array,
    wavenum: Array,
    row: SliceFringes,
    ctx: tuple[float, Array, Array, int],
) -> Array:
    """The column divided by each component's fitted fringes (raises :class:`FitFailed`)."""
    snr, max_amp, snr_mask, channel = ctx
    proc = data.copy()
    fitted = False
    for fn, ff in enumerate(row.ffreq):
        if ff <= 1e-03 or snr <= row.min_snr[fn]:
            continue
        fitted = True
        baseline = fit_baseline(proc, feat, wavenum, float(ff), ascending=channel in (3, 4))
        res = np.divide(proc, baseline, out=np.zeros_like(proc), where=baseline != 0)
        np.subtract(res, 1, out=res, where=res != 0)
        res *= np.where(weight > 1e-07, 1, 1e-08)
        st = FringeFitSettings(
            float(ff), float(row.dffreq[fn]), int(row.max_nfringes[fn]), float(row.pgram_res[fn]),
            (-3.0, 10.0), (0.001, 10.0), robust=bool(ff > 1.5), snr_mask=snr_mask,
        )  # fmt: skip
        fit, _ = fit_fringes(res, feat, wavenum, st)
        fit, _ = check_fringe_fit(fit, max_amp)
        proc = proc / (fit * (weight > 1e-05) + 1)
        proc = np.nan_to_num(proc, posinf=1e-08, neginf=1e-08)
        proc[proc < 0] = 1e-08
    if not fitted:
        raise FitFailed("no fringe component to fit")
    return proc


def _correct_column(
    data: Array,
    wave: Array,
    weight: Array,
    col_snr: Array,
    row: SliceFringes,
    amp: tuple[Array, Array],
    channel: int,
) -> Array | None:
    """One slice column (0 outside the slice) corrected, or None when it is left alone."""
    valid = (wave > 0) & ~np.isnan(wave)
    if np.count_nonzero(valid) <= 50:
        return None
    test = data[valid]
    test[test < 0] = 1e-08
    snr = snr_der(test)
    if snr < row.min_snr[0]:
        return None
    max_amp = 2 * np.interp(wave, amp[0], amp[1])
    snr_mask = np.where(col_snr > 10, 1.0, 0.0)
    data = np.where(data <= 0, 1e-08, data)
    weight = np.where(weight <= 0, 1e-08, weight)
    with np.errstate(divide="ignore", invalid="ignore"):
        wavenum = 10000.0 / wave
    if not np.all(np.isfinite(wavenum)):
        wavenum = fill_wavenumbers(wavenum)
    try:
        feat = _feature_weights(data, weight, max_amp, snr_mask, channel)
        return _fit_column(data, weight, feat, wavenum, row, (snr, max_amp, snr_mask, channel))
    except (FitFailed, ValueError, np.linalg.LinAlgError) as err:
        log.debug("residual_fringe: column left uncorrected (%s)", err)
        return None


def _slice_columns(mask: NDArray[np.bool_]) -> range:
    counts = mask.sum(axis=0)
    change = np.flatnonzero(counts[:-1] != counts[1:])
    return range(int(change.min()), int(change.max()) + 1)


def correct_image(
    sci: Array,
    err: Array,
    dq: NDArray[np.uint32],
    wavelength: Array,
    labels: NDArray[np.integer],
    table: Mapping[int, SliceFringes],
    max_amp: tuple[Array, Array],
    *,
    channels: Sequence[int],
    ignore_regions: Sequence[tuple[float, float]] = (),
) -> tuple[Array, int]:
    """Correct an MRS detector image for residual fringes.

    Parameters
    ----------
    sci, err : the image and its uncertainty ``(y, x)``, fringe flat applied.
    dq : its DQ.
    wavelength : µm per pixel, NaN off the slices.
    labels : slice number per pixel (``100 * channel + n``) of the 80 % throughput plane.
    table : the ``fringefreq`` rows of the exposure's band, by slice number.
    max_amp : (wavelength µm, amplitude) of the largest fringe allowed.
    channels : the detector's channels.
    ignore_regions : wavelength ranges (µm, open) given no weight in the fits.

    Returns
    -------
    The corrected image (``sci``'s dtype, computed in it where jwst does;
    NaN where ``sci`` is NaN or DO_NOT_USE) and the number of columns corrected.
    """
    bad = ((dq & DQ_DTYPE(DQ.DO_NOT_USE)) != 0) | ~np.isfinite(sci)
    norm = np.median(sci[sci > 0])  # in the image's dtype, as jwst
    image = np.where(bad, sci.dtype.type(0), sci) / norm
    weights = _column_weights(sci)
    for lo, hi in ignore_regions:
        weights[(wavelength > lo) & (wavelength < hi)] = 0
    out = image.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        col_snr = sci / err
    done = 0
    for number in np.unique(labels):
        if int(number) // 100 not in channels or number not in table:
            continue
        mask = labels == number
        wave = np.where(mask, wavelength, np.where(np.isnan(wavelength), np.nan, 0.0))
        for col in _slice_columns(mask):
            data = np.where(mask[:, col], image[:, col], 0.0)
            fixed = _correct_column(
                data, wave[:, col], np.where(mask[:, col], weights[:, col], 0.0), col_snr[:, col],
                table[int(number)], max_amp, int(number) // 100,
            )  # fmt: skip
            if fixed is not None:
                inside = data > 0
                out[inside, col] = fixed[inside]
                done += 1
    return np.where(bad, np.nan, out * norm), done
