"""The 1-D residual fringe correction of MIRI MRS spectra (jwst's ``ifu_rfcorr``).

As jwst 3.0.0's ``jwst.residual_fringe.utils.fit_residual_fringes_1d``, with
the arguments ``jwst.extract_1d.ifu`` gives it (features clipped at 5 sigma,
no dichroic-only mode, the default amplitude limit).  For each fringe
component of the channel (the detector fringe near 2.9 cm⁻¹; in channels 3
and 4, and when the channel is not known, also the dichroic fringe near
0.4 cm⁻¹): fit the baseline, take the relative residual, fit it with the
sines the evidence supports (:mod:`.residual_fringe_fit`), zero the beats
that run away beyond 0.4, and divide the spectrum by ``1 + fit``.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .residual_fringe_baseline import (
    check_fringe_fit,
    clip_spectral_features,
    envelopes,
    fill_wavenumbers,
    fit_baseline,
)
from .residual_fringe_fit import FitFailed, FringeFitSettings, NotConverged, fit_fringes

__all__ = ["correct_residual_fringe_1d"]

log = logging.getLogger(__name__)

Array = NDArray[np.float64]

#: (ffreq, dffreq, max_nfringes) of the detector and the dichroic fringe (jwst's ``*_1D``).
_COMPONENTS = ((2.9, 1.5, 10), (0.4, 0.15, 15))
_MAX_AMP = 0.4
_CLIP_SIGMA = 5.0
#: Beyond this wavelength (µm) the calibration is too uncertain to find fringes.
_LONGEST = 27.6


def _correct(flux: Array, wave: Array, channel: int | None) -> Array:
    weights = flux / np.nanmedian(flux)
    weights[np.isposinf(weights) | np.isnan(weights)] = 0
    feat = np.where(wave > _LONGEST, 0.0, weights)
    if np.all(feat == 0):
        log.warning("residual fringe 1-D: no good data; spectrum left uncorrected")
        return flux
    lower, upper = envelopes(flux, wide=True)
    model = (lower + upper) / 2
    feat *= clip_spectral_features(np.abs((flux - model) / model), sigma=_CLIP_SIGMA)
    components = _COMPONENTS[:1] if channel in (1, 2) else _COMPONENTS
    feat[feat <= 0] = 1e-08
    with np.errstate(divide="ignore"):
        wavenum = 10000.0 / wave
    if not np.all(np.isfinite(wavenum)):
        wavenum = fill_wavenumbers(wavenum)
    proc = flux.copy()
    for ffreq, dffreq, nmax in components:
        baseline = fit_baseline(proc, feat, wavenum, ffreq, ascending=False)
        res = np.divide(proc, baseline, out=np.full_like(proc, 1e-8), where=baseline != 0)
        np.subtract(res, 1, out=res, where=res != 0)
        res *= np.where(weights > 1e-07, 1, 1e-08)
        st = FringeFitSettings(
            ffreq, dffreq, nmax, 0.001, (-2.0, 1000.0), (0.001, 1.0), True, strict=True
        )
        try:
            fit, _ = fit_fringes(res, feat, wavenum, st)
        except NotConverged:
            raise
        except FitFailed as err:
            log.warning("residual fringe 1-D: %s", err)
            continue
        fit, _ = check_fringe_fit(fit, np.full(fit.size, _MAX_AMP))
        proc = proc / (fit * (weights > 1e-05) + 1)
        proc = np.nan_to_num(np.where(proc == np.inf, 0, proc))
    return proc


def correct_residual_fringe_1d(
    wavelength_um: ArrayLike, flux: ArrayLike, channel: int | None
) -> Array:
    """Remove residual fringes from one MIRI MRS spectrum.

    ``correct_residual_fringe_1d(wavelength_um, flux, channel) -> flux``: the
    correction ``extract_1d`` applies to MRS spectra (``ifu_rfcorr``), equal
    to jwst 3.0.0's ``fit_residual_fringes_1d(flux, wavelength,
    channel=channel, dichroic_only=False, max_amp=None)``.

    Parameters
    ----------
    wavelength_um : wavelength (µm) per spectral element, 1-D, in the order
        the cube's planes have (increasing).
    flux : flux per element (any unit: flux density, surface brightness,
        background), same length; only its elements > 0 are fitted.
    channel : the MRS channel (1-4) the spectrum comes from, or None for a
        spectrum that spans several channels (jwst: ``channel=""``): channels
        1 and 2 fit the detector fringe only, 3, 4 and None also the dichroic
        fringe.

    Returns
    -------
    The corrected flux, a new float64 array (elements <= 0 or NaN as given).
    Where jwst gives up on the whole spectrum (fewer than 5 fringe periods
    across it, a baseline spline SciPy refuses, a fit out of iterations)
    ``extract_1d`` keeps the uncorrected spectrum; so does this function, with
    a warning.

    Notes
    -----
    Divides the spectrum by :math:`1 + \\sum_k a_k \\cos 2\\pi f_k \\tilde\\nu
    + b_k \\sin 2\\pi f_k \\tilde\\nu` (:math:`\\tilde\\nu` the wavenumber over
    its minimum) fitted to its relative deviation from a spline baseline;
    see :mod:`spec2x.instruments.miri.residual_fringe_fit`.  About 0.1-1 s
    per spectrum of a few thousand elements.
    """
    wave = np.asarray(wavelength_um, dtype=np.float64)
    data = np.asarray(flux, dtype=np.float64)
    if wave.shape != data.shape or data.ndim != 1:
        raise ValueError(
            f"correct_residual_fringe_1d: wavelength {wave.shape} and flux {data.shape} "
            "must be 1-D arrays of one length"
        )
    if channel not in (1, 2, 3, 4, None):
        raise ValueError(
            f"correct_residual_fringe_1d: channel must be 1, 2, 3, 4 or None, not {channel!r}"
        )
    use = data > 0
    out = data.copy()
    try:
        out[use] = _correct(data[use], wave[use], channel)
    except (FitFailed, ValueError, np.linalg.LinAlgError) as err:
        log.warning("residual fringe 1-D correction failed (%s); spectrum left uncorrected", err)
        return data.copy()
    return out
