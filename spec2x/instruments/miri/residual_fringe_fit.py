"""The sine-sum fit of MIRI MRS residual fringes, with its Bayesian evidence (NumPy).

jwst 3.0.0 (``jwst.residual_fringe.utils.fit_1d_fringes_bayes_evidence`` and
its ``_1d`` twin) fits the relative fringe signal :math:`r(\\nu)` of one
spectrum, :math:`\\nu` the wavenumber scaled by its minimum, with a sum of
sines added one at a time:

.. math::

    r(\\nu) \\approx \\sum_{k=1}^{n} a_k \\cos 2\\pi f_k \\nu + b_k \\sin 2\\pi f_k \\nu

Each new frequency is the peak of a Lomb-Scargle periodogram of what the
previous sines leave, on a grid around the reference frequency.  The model
is fitted (BayesicFitting's Levenberg-Marquardt, inside its biweight
``RobustShell`` of domain 10) first with every frequency held at its
periodogram value, then with all parameters free; a sine is kept while the
log10 evidence grows by more than 1 (Kass & Raftery).  The fitters here
follow BayesicFitting 3.x step by step (the half Gauss-Newton step, the
damping compounded in place, the tolerances, the evidence with a
log-uniform noise scale), so the fits and their evidence agree with jwst's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["FitFailed", "FringeFitSettings", "NotConverged", "fit_fringes"]

Array = NDArray[np.float64]

#: BayesicFitting's Levenberg-Marquardt and robust-shell tolerance.
_TOLERANCE = 1e-4
#: The biweight domain jwst gives RobustShell.
_DOMAIN = 10.0
#: The evidence of a failed fit, as jwst sets it.
_FAILED_EVIDENCE = -1e9


class FitFailed(Exception):
    """A fit or its evidence cannot be computed (jwst then sets the evidence to -1e9)."""


class NotConverged(FitFailed):
    """Levenberg-Marquardt ran out of iterations (jwst's 1-D correction then gives up)."""


@dataclass(frozen=True)
class FringeFitSettings:
    """How one fringe component is searched and fitted.

    Attributes
    ----------
    ffreq, dffreq : central fringe frequency and half-width of the scan (cm⁻¹).
    max_nfringes : most sines to add.
    pgram_res : periodogram step (cm⁻¹).
    limits : range of every parameter's uniform prior (jwst: ``[-3, 10]`` in
        2-D, ``[-2, 1000]`` in 1-D).
    noise_limits : range of the log-uniform prior of the noise scale.
    robust : fit inside the biweight robust shell (jwst's 2-D step drops it
        for the low-frequency dichroic fringe, ``ffreq <= 1.5``).
    snr_mask : 0/1 per pixel, multiplied into the weights before every
        periodogram (2-D step only; None in 1-D).
    strict : a fit out of iterations raises :class:`NotConverged` (jwst's
        1-D correction) instead of counting as no evidence (its 2-D step).
    """

    ffreq: float
    dffreq: float
    max_nfringes: int
    pgram_res: float
    limits: tuple[float, float]
    noise_limits: tuple[float, float]
    robust: bool
    snr_mask: Array | None = None
    strict: bool = False


def _sines(x: Array, params: Array) -> Array:
    f, a, b = params[0::3], params[1::3], params[2::3]
    phase = 2 * np.pi * x[:, None] * f[None, :]
    return np.cos(phase) @ a + np.sin(phase) @ b


def _design(x: Array, params: Array) -> Array:
    """Partial derivatives ``(npix, nparams)`` in BayesicFitting's parameter order."""
    f, a, b = params[0::3], params[1::3], params[2::3]
    tx = 2 * np.pi * x[:, None]
    c, s = np.cos(tx * f), np.sin(tx * f)
    out = np.empty((x.size, params.size))
    out[:, 0::3] = tx * b * c - tx * a * s
    out[:, 1::3] = c
    out[:, 2::3] = s
    return out


def _chisq(x: Array, y: Array, w: Array, params: Array) -> float:
    chisq = float(np.sum(np.square(y - _sines(x, params)) * w))
    if chisq <= 0:
        raise FitFailed("chisq <= 0")
    return chisq


def _trial(
    x: Array, y: Array, w: Array, params: Array, free: NDArray[np.intp], state: list[float]
) -> tuple[Array, float, Array]:
    """One accepted Levenberg-Marquardt step; ``state`` is ``[chi, lamda, iterations]``."""
    design = _design(x, params)[:, free]
    hessian = design.T @ (design * w[:, None])
    vector = design.T @ ((y - _sines(x, params)) * w)
    max_iter = 1000 * params.size
    while state[2] < max_iter:
        hessian[np.diag_indices_from(hessian)] *= 1 + state[1]
        trypar = params.copy()
        trypar[free] = params[free] + 0.5 * np.linalg.solve(hessian, vector)
        trychi = _chisq(x, y, w, trypar)
        state[2] += 1
        if trychi <= state[0]:
            return trypar, trychi, hessian
        if state[1] < 1e20:
            state[1] *= 10
    raise NotConverged("Levenberg-Marquardt: too many iterations")


def _lm_fit(
    x: Array, y: Array, w: Array, params: Array, free: NDArray[np.intp]
) -> tuple[Array, float, Array]:
    """BayesicFitting's ``LevenbergMarquardtFitter.fit``: parameters, chisq, last (damped) Hessian."""
    state = [_chisq(x, y, w, params) + 1, 1e-3, 0.0]
    while state[2] < 1000 * params.size:
        params, trychi, hessian = _trial(x, y, w, params, free, state)
        tol = _TOLERANCE if state[0] < 1 else _TOLERANCE * state[0]
        if abs(state[0] - trychi) < tol:
            return params, trychi, hessian
        state[0] = trychi
        if state[1] > 1e-100:
            state[1] *= 0.1
    raise NotConverged("Levenberg-Marquardt: too many iterations")


def _scale(chisq: float, sumwgt: float, npfit: int) -> float:
    dof = sumwgt - npfit
    if dof <= 0:
        raise FitFailed("more parameters than (weighted) data points")
    return math.sqrt(chisq / dof)


def _robust_fit(
    x: Array, y: Array, w: Array, params: Array, free: NDArray[np.intp]
) -> tuple[Array, float, Array]:
    """BayesicFitting's biweight ``RobustShell``: parameters, chisq, last weights."""
    params, chi, _ = _lm_fit(x, y, w, params, free)
    wts = w
    trychi = chi
    for _ in range(1000 * params.size):
        scale = _scale(chi, float(np.sum(wts)), free.size)
        resid = (y - _sines(x, params)) / (scale * _DOMAIN)
        u2 = resid * resid
        wts = np.square(np.where(u2 <= 1, 1 - u2, 0.0)) * w
        params, trychi, _ = _lm_fit(x, y, wts, params, free)
        tol = _TOLERANCE if trychi < 1 else _TOLERANCE * trychi
        if abs(chi - trychi) < tol:
            break
        chi = trychi
    return params, trychi, wts


def _log10_evidence(
    chisq: float,
    sumwgt: float,
    hessian: Array,
    limits: tuple[float, float],
    noise: tuple[float, float],
) -> float:
    """BayesicFitting's ``getEvidence`` with a uniform prior per parameter and a scaled noise."""
    npfit = hessian.shape[0]
    dof = sumwgt - npfit
    s2 = _scale(chisq, sumwgt, npfit) ** 2
    scalerange = math.log(noise[1]) - math.log(noise[0])
    log_like = -0.5 * (sumwgt * math.log(2 * math.pi * s2) + chisq / s2)
    occam = 0.5 * math.log(math.pi * dof) - scalerange
    if npfit > 0:
        det = float(np.linalg.det(hessian))
        if not det > 0:
            raise FitFailed("Hessian determinant <= 0")
        spr = math.log(scalerange) + npfit * math.log(limits[1] - limits[0])
        occam += -spr + 0.5 * (npfit * math.log(2 * math.pi * s2) - math.log(det))
    return (log_like + occam) / math.log(10.0)


def _sine_evidence(
    x: Array, y: Array, w: Array, keep: dict[int, float], st: FringeFitSettings
) -> tuple[float, Array]:
    """Fit ``len(keep)`` sines (frequencies held, then free) and return their evidence."""
    params = np.ones(3 * len(keep))
    for index, value in keep.items():
        params[index] = value
    held = np.setxor1d(np.arange(params.size), list(keep))
    every = np.arange(params.size)
    if st.robust:
        params, _, _ = _robust_fit(x, y, w, params, held)
        params, chisq, wts = _robust_fit(x, y, w, params, every)
        design = _design(x, params)
        hessian = design.T @ (design * wts[:, None])
    else:
        params, _, _ = _lm_fit(x, y, w, params, held)
        params, chisq, hessian = _lm_fit(x, y, w, params, every)
        wts = w
    return _log10_evidence(chisq, float(np.sum(wts)), hessian, st.limits, st.noise_limits), params


def _ls_power(t: Array, yc: Array, freq: Array) -> Array:
    """Generalised Lomb-Scargle power (floating mean, unit weights) of centred data."""
    phase = (2 * np.pi) * np.outer(freq, t)
    cos, sin = np.cos(phase), np.sin(phase)
    c, s = cos.mean(axis=1), sin.mean(axis=1)
    ybar = yc.mean()
    yc_ = cos @ yc / t.size - ybar * c
    ys_ = sin @ yc / t.size - ybar * s
    cc = np.einsum("ij,ij->i", cos, cos) / t.size - c * c
    cs = np.einsum("ij,ij->i", cos, sin) / t.size - c * s
    ss = 1.0 - cc - c * c - s * s
    return (ss * yc_**2 + cc * ys_**2 - 2 * cs * yc_ * ys_) / (cc * ss - cs**2)


def _periodogram_peak(t: Array, y: Array, freq: Array) -> int:
    """Index of the highest Lomb-Scargle power over the monotonic grid ``freq``.

    The peaks of the periodogram are about :math:`1/T` wide (:math:`T` the
    span of ``t``); the grid is scanned first at a quarter of that, then in
    full around each coarse maximum within 80 % of the highest (the nearest
    coarse point to a peak loses at most ~5 % of its power), so the index is
    the one the full scan gives.
    """
    yc = y - y.mean()
    cells = np.floor(np.abs(freq - freq[0]) * (4.0 * (t.max() - t.min())))
    coarse = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
    if 4 * coarse.size > freq.size:
        return int(np.argmax(_ls_power(t, yc, freq)))
    power = _ls_power(t, yc, freq[coarse])
    padded = np.r_[-np.inf, power, -np.inf]
    peaks = np.flatnonzero(
        (power >= padded[:-2]) & (power >= padded[2:]) & (power >= 0.8 * power.max())
    )
    bounds = np.r_[coarse, freq.size - 1]
    fine = np.unique(
        np.concatenate([np.arange(bounds[max(k - 1, 0)], bounds[k + 1] + 1) for k in peaks])
    )
    return int(fine[np.argmax(_ls_power(t, yc, freq[fine]))])


def _constant_evidence(y: Array, w: Array, st: FringeFitSettings) -> float:
    # BayesicFitting's ConstantModel(values=1.0) has no parameter; its chisq is unweighted.
    chisq = float(np.sum(np.square(y - 1.0)))
    return _log10_evidence(chisq, float(np.sum(w)), np.empty((0, 0)), st.limits, st.noise_limits)


def fit_fringes(
    res_fringes: Array, weights: Array, wavenum: Array, st: FringeFitSettings
) -> tuple[Array, int]:
    """Fit the residual fringes of one spectrum with as many sines as the evidence allows.

    Parameters
    ----------
    res_fringes : relative fringe signal (data / baseline - 1), per pixel.
    weights : fit weights, per pixel; with ``st.snr_mask`` it is multiplied
        by the mask **in place**, as jwst's 2-D step does.
    wavenum : wavenumber (cm⁻¹), per pixel.
    st : the component's search and fit settings.

    Returns
    -------
    The fitted fringe signal per pixel and the number of sines kept.

    Raises
    ------
    FitFailed
        Not even one sine is supported by the evidence.
    """
    factor = float(np.amin(wavenum))
    x = wavenum / factor
    nscan = int(np.around((2 * st.dffreq) / st.pgram_res))
    freq = np.linspace((st.ffreq - st.dffreq) / factor, (st.ffreq + st.dffreq) / factor, nscan)
    y = np.nan_to_num(res_fringes)
    evidence = _constant_evidence(y, weights, st)
    keep: dict[int, float] = {}
    fit: Array | None = None
    kept = 0
    remaining = y.copy()
    for nfringes in range(st.max_nfringes):
        if st.snr_mask is not None:
            weights *= st.snr_mask
        scan = weights > 1e-05
        peak = _periodogram_peak(x[scan][::-1], remaining[scan][::-1], 1.0 / freq)
        keep[3 * nfringes] = 1.0 / freq[peak]
        try:
            new_evidence, params = _sine_evidence(x, y, weights, keep, st)
        except NotConverged:
            if st.strict:
                raise
            new_evidence = _FAILED_EVIDENCE
        except (FitFailed, ValueError, np.linalg.LinAlgError):
            new_evidence = _FAILED_EVIDENCE
        if not new_evidence - evidence > 1:  # NaN evidence stops too
            break
        evidence = new_evidence
        fit = _sines(x, params)
        remaining = y - fit
        kept = nfringes + 1
    if fit is None:
        raise FitFailed(f"no fringes fitted at {st.ffreq} cm-1")
    return fit, kept
