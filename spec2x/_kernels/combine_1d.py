"""NumPy kernel of combine_1d: several 1-D spectra averaged onto one wavelength grid.

jwst 3.0.0 ``combine_1d.combine1d`` as ``master_background_mos`` calls it
(one spectral order, ``exptime_key="exposure_time"``):

1. the output wavelengths: all input wavelengths sorted; where ``n`` input
   spectra overlap, clumps of ``n`` nearly equal values (a small standard
   deviation against their neighbours') give one output wavelength each (their
   mean), and gaps between clumps are filled with means of ``n`` values
   (``count_input``, ``compute_output_wl``);
2. each input pixel goes to the nearest output pixel (linear interpolation of
   the output wavelengths' index, rounded half to even); ``DO_NOT_USE`` or NaN
   flux pixels are left out, a later pixel landing on the same output pixel
   replaces an earlier one, DQ bits are OR-ed (``accumulate_sums``);
3. optional clipping of ``|flux w - median| > sigma_clip * MAD`` (one MAD over
   every spectrum and wavelength), then the weighted mean of each column;
   output pixels no input reached are dropped (``combine_spectra``).

The sliding standard deviations are computed per overlap count over all
positions at once (NumPy's own ``std`` over each window, as jwst's slices).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from ..dq import DQ, DQ_DTYPE

__all__ = ["combine_spectra", "count_input", "is_monotonic", "output_wavelengths"]

#: A clump is a window whose standard deviation is below this fraction of its neighbours'.
_CUTOFF = 0.8


def is_monotonic(wavelength: np.ndarray) -> bool:
    """Strictly increasing or strictly decreasing (fewer than 2 values: True)."""
    step = np.diff(wavelength)
    return wavelength.size < 2 or bool(np.all(step > 0) or np.all(step < 0))


def count_input(wavelengths: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """All input wavelengths sorted, and how many input spectra cover each.

    Parameters
    ----------
    wavelengths : each input spectrum's wavelengths (µm), monotonic.

    Returns
    -------
    (sorted wavelengths, overlap count per wavelength).  A spectrum covers
    the range of its wavelengths widened by half a pixel at each end.

    Raises
    ------
    ValueError
        A wavelength is covered by no spectrum (jwst: "Problem with input
        wavelengths").
    """
    used = [w for w in wavelengths if w.size > 1]
    wl = np.sort(np.concatenate(used))
    n_input = np.zeros(wl.size, np.int64)
    for w in used:
        if w[1] > w[0]:
            lo, hi = w[0] - 0.5 * (w[1] - w[0]), w[-1] + 0.5 * (w[-1] - w[-2])
        elif w[1] < w[0]:
            lo, hi = w[-1] - 0.5 * (w[-2] - w[-1]), w[0] + 0.5 * (w[0] - w[1])
        else:
            continue
        n_input += (wl >= lo) & (wl < hi)
    if np.any(n_input <= 0):
        raise ValueError("combine_1d: a wavelength is covered by no input spectrum")
    return wl, n_input


def output_wavelengths(wl: np.ndarray, n_input: np.ndarray) -> np.ndarray:
    """The output wavelength grid (jwst ``compute_output_wl``), increasing.

    Parameters
    ----------
    wl, n_input : from :func:`count_input`.
    """
    nwl = wl.size
    sigma = np.full(nwl, 9999.0)
    mean = np.full(nwl, -99.0)
    out = np.full(nwl, -99.0)
    for n in np.unique(n_input):
        ks = np.flatnonzero(n_input == n)
        if n == 1:
            sigma[ks], mean[ks], out[ks] = 0.0, wl[ks], wl[ks]
            continue
        k0 = ks + n // 2 + 1 - n
        inside = (k0 >= 0) & (k0 + n <= nwl)
        ks, k0 = ks[inside], k0[inside]
        windows = np.lib.stride_tricks.sliding_window_view(wl, n)[k0]
        sigma[ks], mean[ks] = windows.std(axis=1), windows.mean(axis=1)
        zero = sigma[ks] == 0.0
        out[ks[zero]] = mean[ks[zero]]
    if nwl > 1:  # a clump: a standard deviation well below its neighbours'
        limit = np.empty(nwl)
        limit[0], limit[-1] = _CUTOFF * sigma[1], _CUTOFF * sigma[-2]
        limit[1:-1] = _CUTOFF * (sigma[:-2] + sigma[2:]) / 2.0  # jwst's order of operations
        out = np.where((sigma > 0.0) & (sigma < limit), mean, out)
    i = 0
    while i < nwl:  # fill the gaps between clumps (sequential: each step depends on the last)
        n = int(n_input[i])
        middle = i + n // 2
        if middle < nwl:
            n = int(n_input[middle])
            if i + n < nwl and out[max(i - 1, 0) : min(i + n + 1, nwl - 1)].max() <= 0.0:
                out[i] = wl[i : i + n].mean()
        i += n
    return np.sort(out[out > 0.0])


def combine_spectra(
    wavelength: Sequence[np.ndarray],
    columns: Mapping[str, Sequence[np.ndarray]],
    dq: Sequence[np.ndarray],
    weight: Sequence[float],
    *,
    sigma_clip: float | None = 3.0,
) -> dict[str, np.ndarray]:
    """Combine 1-D spectra onto one grid (jwst ``combine_1d_spectra`` for one order).

    Parameters
    ----------
    wavelength : each spectrum's wavelengths (µm).
    columns : ``flux``, ``flux_error``, ``surf_bright``, ``sb_error``: one array
        per spectrum each (any units; averaged as they are).
    dq : each spectrum's DQ.
    weight : each spectrum's weight (jwst: its exposure time, s).
    sigma_clip : clipping factor on the MAD; None: no clipping.

    Returns
    -------
    ``wavelength``, the four columns, ``dq``, ``weight`` (sum of weights) and
    ``count`` (spectra used) per output wavelength; empty arrays when no
    spectrum has a finite flux and monotonic wavelengths.
    """
    names = ("flux", "flux_error", "surf_bright", "sb_error")
    use = [
        i
        for i, w in enumerate(wavelength)
        if np.isfinite(columns["flux"][i]).any() and is_monotonic(w)
    ]
    if not use:
        return {k: np.empty(0) for k in ("wavelength", *names, "dq", "weight", "count")}
    grid = output_wavelengths(*count_input([wavelength[i] for i in use]))
    nout, nspec = grid.size, len(use)
    stack = {k: np.zeros((nspec, nout)) for k in (*names, "weight", "count")}
    out_dq = np.zeros(nout, DQ_DTYPE)
    for s, i in enumerate(use):
        w = np.asarray(wavelength[i], np.float64)
        pixel = np.interp(w, grid, np.arange(nout, dtype=float))
        pixel[(w < grid[0]) | (w > grid[-1]) | np.isnan(w)] = np.nan
        flux = np.asarray(columns["flux"][i])
        in_dq = np.asarray(dq[i]).astype(DQ_DTYPE)
        good = ((in_dq & DQ_DTYPE(DQ.DO_NOT_USE)) == 0) & ~np.isnan(flux) & ~np.isnan(pixel)
        k = np.rint(np.where(good, pixel, -1.0)).astype(np.int64)
        good &= (k >= 0) & (k < nout)
        k, src = k[good], np.flatnonzero(good)
        np.bitwise_or.at(out_dq, k, in_dq[src])
        for name in names:  # in input order: a later pixel on the same k wins, as jwst
            stack[name][s, k] = np.asarray(columns[name][i], np.float64)[src]
        stack["weight"][s, k] = weight[i]
        stack["count"][s, k] = 1.0
    combined = _weighted_mean(stack, sigma_clip)
    kept = combined["count"] > 0.0
    result = {k: v[kept] for k, v in combined.items()}
    result["wavelength"], result["dq"] = grid[kept], out_dq[kept]
    return result


def _weighted_mean(stack: dict[str, np.ndarray], sigma_clip: float | None) -> dict[str, np.ndarray]:
    """Clip and average the accumulated (spectrum, wavelength) arrays (jwst ``combine_spectra``)."""
    flux, err = stack["flux"], stack["flux_error"]
    sb, sb_err = stack["surf_bright"], stack["sb_error"]
    weight, count = stack["weight"], stack["count"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if sigma_clip is not None:
            scaled = flux * weight
            scaled[(count < 1) | (scaled == 0.0)] = np.nan
            median = np.nanmedian(scaled, axis=0)
            mad = np.nanmedian(np.abs(scaled - median))
            clipped = np.abs(flux * weight - median) > sigma_clip * mad
            for a in (flux, err, sb, sb_err):
                a[clipped] = np.nan
            count[clipped] = 0
            weight[clipped] = 0
        total = np.nansum(weight, axis=0)
        norm = np.where(total > 0.0, total, 1.0)
        return {
            "flux": np.nansum(flux * weight, axis=0) / norm,
            "flux_error": np.sqrt(np.nansum((err * weight) ** 2, axis=0)) / norm,
            "surf_bright": np.nansum(sb * weight, axis=0) / norm,
            "sb_error": np.sqrt(np.nansum((sb_err * weight) ** 2, axis=0)) / norm,
            "weight": total,
            "count": np.nansum(count, axis=0),
        }
