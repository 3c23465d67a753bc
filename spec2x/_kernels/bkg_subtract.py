"""NumPy kernels of ``bkg_subtract``: sigma clipping along an axis and clipped means.

The clipping reproduces :func:`astropy.stats.sigma_clip` with
``cenfunc="median"``, ``stdfunc="std"`` along one axis (astropy's compiled
path, which jwst 3.0.0 uses): per pixel, the median and the population
standard deviation of the values still kept give bounds
``median +- sigma * std``; values outside are dropped and the bounds
recomputed until nothing changes, nothing is left, or ``maxiters`` rounds
have run.  The final mask is "not finite, or outside the last bounds".
Clipped means follow :mod:`numpy.ma`: a pixel with every value rejected
gets 0, not NaN.
"""

from __future__ import annotations

import numpy as np

from ..dq import DQ_DTYPE

__all__ = ["combine_backgrounds", "combine_integrations", "masked_mean", "sigma_clip_mask"]


def sigma_clip_mask(
    data: np.ndarray, sigma: float = 3.0, maxiters: int | None = None
) -> np.ndarray:
    """Rejection mask of iterative median/std sigma clipping along axis 0.

    Parameters
    ----------
    data : (n, ...) values; NaN and inf are always rejected.
    sigma : half-width of the kept band in standard deviations.
    maxiters : most rounds of clipping; None means until convergence.

    Returns
    -------
    bool array of ``data.shape``, True where rejected.
    """
    values = np.asarray(data, np.float64)
    if values.shape[0] == 1:  # one value: it is its own median and std is 0, so it stays
        return ~np.isfinite(values)
    flat = values.reshape(values.shape[0], -1)
    good = np.isfinite(flat)
    npix = flat.shape[1]
    # Each pixel's values sorted (invalid last), one row per pixel: the kept
    # set is always an interval of them, so the median is two look-ups.
    ordered = np.sort(np.where(good, flat, np.inf).T, axis=1)
    kept = good.copy()
    start = np.zeros(npix, np.intp)  # kept interval begins at ordered[:, start]
    lower = np.full(npix, np.nan)
    upper = np.full(npix, np.nan)
    active = np.flatnonzero(kept.any(axis=0))
    limit = np.inf if maxiters is None else maxiters
    rounds = 0
    while active.size:
        every = active.size == npix
        vals = flat if every else flat[:, active]
        keep = kept if every else kept[:, active]
        first = start if every else start[active]
        srt = ordered if every else ordered[active]
        count = keep.sum(axis=0)
        rows = np.arange(active.size)
        median = 0.5 * (srt[rows, first + (count - 1) // 2] + srt[rows, first + count // 2])
        mean = np.where(keep, vals, 0.0).sum(axis=0) / count
        std = np.sqrt(np.where(keep, (vals - mean) ** 2, 0.0).sum(axis=0) / count)
        lo, hi = median - sigma * std, median + sigma * std
        below, above = vals < lo, vals > hi
        new_keep = keep & ~below & ~above
        new_count = new_keep.sum(axis=0)
        lower[active], upper[active] = lo, hi
        start[active] = first + (keep & below).sum(axis=0)
        kept[:, active] = new_keep
        rounds += 1
        if rounds >= limit:
            break
        active = active[(new_count != count) & (new_count != 0)]
    with np.errstate(invalid="ignore"):
        rejected = ~good | (flat < lower) | (flat > upper)
    return rejected.reshape(values.shape)


def masked_mean(data: np.ndarray, rejected: np.ndarray) -> np.ndarray:
    """Mean over axis 0 of the values not rejected, in float64; 0 where all are rejected.

    The sum runs in the input's precision, as :meth:`numpy.ma.MaskedArray.mean` does.
    """
    data = np.asarray(data)
    total = np.where(rejected, data.dtype.type(0), data).sum(axis=0)
    count = (~rejected).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total.astype(np.float64) / count
    return np.where(count > 0, mean, 0.0)


def combine_integrations(
    sci: np.ndarray,
    err: np.ndarray,
    dq: np.ndarray,
    *,
    sigma: float = 3.0,
    maxiters: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Collapse the integrations of one background exposure by clipped means.

    Parameters
    ----------
    sci, err, dq : (..., nint) arrays of one background exposure, the
        integration axis last.

    Returns
    -------
    mean sci (float64), mean variance ``err**2`` (float64, clipped on its
    own), and the OR of dq over integrations -- each of shape ``(...)``.
    """
    sci = np.moveaxis(np.asarray(sci), -1, 0)
    var = np.moveaxis(np.asarray(err) * np.asarray(err), -1, 0)
    mean_sci = masked_mean(sci, sigma_clip_mask(sci, sigma, maxiters))
    mean_var = masked_mean(var, sigma_clip_mask(var, sigma, maxiters))
    dq_or = np.bitwise_or.reduce(np.asarray(dq, DQ_DTYPE), axis=-1)
    return mean_sci, mean_var, dq_or


def combine_backgrounds(
    sci: np.ndarray,
    var: np.ndarray,
    dq: np.ndarray,
    *,
    sigma: float = 3.0,
    maxiters: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Average background exposures stacked on the last axis, with sigma clipping.

    Parameters
    ----------
    sci : (..., nbkg) background rates (NaN where a background has no data).
    var : (..., nbkg) their variances (``err**2``).
    dq : (..., nbkg) their DQ.

    Returns
    -------
    background (float32), its error -- the root of the summed variances of the
    kept values over their number (float32) -- and the OR of every DQ.
    """
    cdata = np.moveaxis(np.asarray(sci, np.float64), -1, 0)
    cvar = np.moveaxis(np.asarray(var, np.float64), -1, 0)
    rejected = sigma_clip_mask(cdata, sigma, maxiters)
    bkg = masked_mean(cdata, rejected)
    nkept = (~rejected).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.sqrt(np.where(rejected, 0.0, cvar).sum(axis=0)) / nkept
    err = np.where(nkept > 0, err, 0.0)
    dq_or = np.bitwise_or.reduce(np.asarray(dq, DQ_DTYPE), axis=-1)
    return bkg.astype(np.float32), err.astype(np.float32), dq_or
