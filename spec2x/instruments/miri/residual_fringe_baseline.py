"""The baseline and feature masks of the MIRI MRS residual fringe fit (NumPy, SciPy).

As jwst 3.0.0's ``jwst.residual_fringe.utils``: the spectrum's baseline is a
least-squares spline in scaled wavenumber with about one knot per fringe
period (plus knots at the edges of masked runs), quadratic with a
chi-squared biweight rejection for the detector fringe, linear for the
dichroic one; spectral features are masked from the envelope of the peaks
and troughs (PCHIP through them); a fringe fit whose envelope outgrows the
allowed amplitude is zeroed between the nodes of its beat.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from astropy.stats import sigma_clipped_stats
from numpy.typing import NDArray
from scipy.interpolate import LSQUnivariateSpline, pchip

from .residual_fringe_fit import FitFailed

__all__ = [
    "check_fringe_fit",
    "clip_spectral_features",
    "envelopes",
    "fill_wavenumbers",
    "find_lines",
    "fit_baseline",
]

Array = NDArray[np.float64]


def _extrema(signal: Array, wide: bool) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Indices of strict troughs and peaks (against 1 or 2 neighbours each side)."""
    start = 2 if wide else 1
    k = np.arange(start, signal.size - start)
    lower = (signal[k] < signal[k - 1]) & (signal[k] < signal[k + 1])
    upper = (signal[k] > signal[k - 1]) & (signal[k] > signal[k + 1])
    if wide:
        lower &= (signal[k] < signal[k - 2]) & (signal[k] < signal[k + 2])
        upper &= (signal[k] > signal[k - 2]) & (signal[k] > signal[k + 2])
    return k[lower], k[upper]


def envelopes(signal: Array, *, wide: bool = False, npix: int | None = None) -> tuple[Array, Array]:
    """Lower and upper envelopes of ``signal`` on its pixel index (PCHIP through troughs, peaks).

    ``wide``: an extremum must beat two neighbours each side (jwst's
    ``check_extra_neighbors``).  Both envelopes pass through the end points;
    ``npix`` (default: the length of ``signal``) puts the last one at pixel
    ``npix - 1`` and evaluates on ``npix`` pixels, as jwst does for the
    smoothed (shorter) spectrum.
    """
    npix = signal.size if npix is None else npix
    x = np.arange(npix)
    out = []
    for idx in _extrema(signal, wide):
        knots = np.concatenate(([0], idx, [npix - 1]))
        values = np.concatenate((signal[:1], signal[idx], signal[-1:]))
        out.append(pchip(knots, values)(x))
    return out[0], out[1]


def find_lines(signal: Array, max_amp: Array) -> Array:
    """Weight factors (0 or 1) masking features above ``max_amp`` between their nearest troughs."""
    check = signal.copy()
    factors = np.ones(signal.size)
    x = np.arange(1, signal.size - 1)
    near_zero = (
        (np.abs(check[x - 1]) <= 1e-8) & (np.abs(check[x]) <= 1e-8) & (np.abs(check[x + 1]) <= 1e-8)
    )
    peaks = x[~near_zero & (check[x] > check[x - 1]) & (check[x] > check[x + 1])]
    troughs = x[~near_zero & (check[x] < check[x - 1]) & (check[x] < check[x + 1])]
    for ux in peaks[signal[peaks] > max_amp[peaks]]:
        if troughs.size == 0:
            continue
        for xp in (ux - 1, ux, ux + 1):
            order = np.argsort(np.abs(troughs - xp))
            pair = troughs[order[:2]] if troughs.size > 1 else troughs[order[:1]].repeat(2)
            check[pair.min() : pair.max()] = 0
            factors[pair.min() : pair.max()] = 0
    factors[check > 2 * max_amp] = 0
    return factors


def clip_spectral_features(signal: Array, sigma: float = 4.0) -> Array:
    """1 where ``signal`` lies below its upper sigma-clipped median + ``sigma`` std, else 0."""
    _, med, std = sigma_clipped_stats(signal, sigma_lower=np.inf, sigma_upper=sigma)
    return (signal < (med + sigma * std)).astype(int).astype(np.float64)


def check_fringe_fit(fit: Array, max_amp: Array) -> tuple[Array, Array]:
    """Zero the beats of ``fit`` whose envelope span exceeds ``max_amp``; return fit and flags."""
    fit = fit.copy()
    flags = np.zeros(fit.size)
    lower, upper = envelopes(fit)
    k = np.arange(1, upper.size - 1)
    nodes = k[(upper[k] < upper[k - 1]) & (upper[k] < upper[k + 1])]
    nodes = np.concatenate(([0], nodes, [fit.size - 1]))
    runaway = np.flatnonzero((np.abs(lower) + np.abs(upper)) > max_amp)
    for loc in np.unique(np.searchsorted(nodes, runaway)):
        lo, hi = nodes[loc - 1], nodes[loc]
        fit[lo:hi] = 0
        flags[lo:hi] = 1
    return fit, flags


def fill_wavenumbers(wnums: Array) -> Array:
    """Fill 0/NaN/inf wavenumbers with a cubic in pixel index through the good ones."""
    wnums = np.where(np.isfinite(wnums) & (wnums != 0), wnums, np.nan)
    good = np.isfinite(wnums)
    pix = np.arange(wnums.size)
    coefs = np.polynomial.polynomial.polyfit(pix[good], wnums[good], 3)
    return np.where(good, wnums, np.polynomial.polynomial.polyval(pix, coefs))


def _make_knots(flux: Array, nknots: int, weights: Array) -> NDArray[np.intp]:
    """Knot indices: evenly split, plus the edges of down-weighted runs (jwst ``make_knots``)."""
    npoints = flux.size
    step = npoints / nknots
    last_split = (npoints - 1) - round((nknots - 1) * step)
    knots = np.ones(nknots + 2)
    knots[1:-1] = np.arange(nknots) * step + last_split / 2
    knots[0], knots[-1] = 0, npoints - 1
    flux = np.nan_to_num(flux, posinf=1e-08, neginf=1e-08)
    w = np.nan_to_num(weights, posinf=1e-08, neginf=1e-08)
    w = np.where(w < 0, 1e-08, w) * (np.where(flux < 0, 1e-08, flux) > 1e-03)
    pair = np.stack((w[:-1], w[1:]))
    largest = pair.max(axis=0)
    idx = np.arange(npoints - 1) + pair.argmax(axis=0)
    diff = np.abs(np.diff(w))
    edge = (largest > 1e-03) & (np.abs(largest - diff) <= 0.1 * np.maximum(largest, diff))
    edge &= ~np.isin(idx - 1, knots) & ~np.isin(idx + 1, knots)
    return np.unique(np.sort(np.concatenate((knots, idx[edge].astype(float)))).astype(int))


def _spline(
    x: Array, y: Array, w: Array, t: Array, degree: int, robust: bool
) -> LSQUnivariateSpline:
    """jwst's ``spline_fitter``: a least-squares spline, optionally with biweight rejection."""
    spline = LSQUnivariateSpline(x, y, t, w=w, k=degree)
    if not robust:
        return spline
    chi = np.nansum((y - spline(x)) ** 2 * w)
    nparams = t.size + (degree + 1) * 2
    dof = np.sum(w) - nparams
    for _ in range(1000 * nparams):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            resid = (y - spline(x)) / (np.sqrt(chi / dof) * 10)
            new_w = np.where(resid**2 <= 1, 1 - resid**2, 0.0) ** 2 * w
        spline = LSQUnivariateSpline(x, y, t, w=new_w, k=degree)
        new_chi = np.nansum((y - spline(x)) ** 2 * new_w)
        if np.abs(chi - new_chi) < (1e-4 if new_chi < 1 else 1e-4 * new_chi):
            return spline
        chi = new_chi
    raise FitFailed("baseline spline: rejection did not converge")


def fit_baseline(
    flux: Array, weights: Array, wavenum: Array, ffreq: float, *, ascending: bool
) -> Array:
    """The spectral baseline under the fringes (jwst ``fit_1d_background_complex``).

    Parameters
    ----------
    flux, weights : per pixel.
    wavenum : wavenumber (cm⁻¹) per pixel.
    ffreq : fringe frequency (cm⁻¹); one knot per period.
    ascending : ``wavenum`` already increases along the pixels (MIRIFULONG
        columns); otherwise the fit runs on the reversed arrays.

    Raises
    ------
    FitFailed
        Fewer than 5 fringe periods span the spectrum (jwst: an unpacking error).
    """
    span = float(np.amax(wavenum) - np.amin(wavenum))
    if span // ffreq < 5:
        raise FitFailed("fewer than 5 fringe periods; no baseline fitted")
    scaled = wavenum / np.amin(wavenum)
    knots = scaled[_make_knots(flux, int(span / ffreq), weights)].astype(float)
    order = slice(None) if ascending else slice(None, None, -1)
    t = knots[order][1:-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        spline = _spline(
            scaled[order],
            flux[order],
            weights[order],
            t,
            *((2, True) if ffreq > 1.5 else (1, False)),
        )
    fit = spline(scaled) * np.where(weights > 1e-07, 1, 1e-08)
    low = weights < 1e-05
    if low.any() and not low.all():
        pix = np.arange(fit.size)
        fit[low] = np.interp(pix[low], pix[~low], fit[~low])
    return fit


def snr_der(flux: Array) -> float:
    """Signal over the DER_SNR noise of a spectrum (0 when the noise is 0)."""
    n = flux.size
    noise = (
        1.482602
        / math.sqrt(6)
        * np.nanmedian(np.abs(2.0 * flux[2 : n - 2] - flux[: n - 4] - flux[4:n]))
    )
    return float(np.nanmean(flux) / noise) if noise != 0 else 0.0
