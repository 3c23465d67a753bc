"""pixel_replace's algorithms on plain arrays: ``mingrad`` and ``fit_profile`` (jwst 3.0.0).

Both take ``planes``, a mapping of ``sci``, ``err``, ``dq`` and any of the
variances (``var_poisson``, ``var_rnoise``, ``var_flat``) to arrays of one
shape, and change them in place.  Variances are estimated as errors
(square root, estimate, square), as jwst does, so the scales match.

``mingrad`` works on a stack ``(..., y, x)`` of 2-D spectra at once;
``fit_profile`` on one 2-D spectrum, all its spatial profiles together (the
scaling of each profile with a bad pixel is one small Nelder-Mead fit, as jwst).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import MutableMapping

import numpy as np
from scipy.optimize import minimize

from ..dq import DQ

__all__ = ["ERRORS", "fit_profile", "interior", "mingrad"]

log = logging.getLogger(__name__)

Planes = MutableMapping[str, np.ndarray]

#: The planes estimated like the flux: ``err`` as is, the variances as errors.
ERRORS = ("err", "var_poisson", "var_rnoise", "var_flat")
_DNU = np.uint32(DQ.DO_NOT_USE)
_NS = np.uint32(DQ.NON_SCIENCE)
_EST = np.uint32(DQ.FLUX_ESTIMATED)


def interior(shape: tuple[int, ...], ysize: np.ndarray, xsize: np.ndarray) -> np.ndarray:
    """Pixels mingrad may replace: ``2 <= y <= ysize - 2`` and ``2 <= x <= xsize - 2``.

    jwst's bounds (one pixel kept at the high edges, two at the low edges).
    ``ysize``/``xsize`` (pixels) broadcast over the leading dims of ``shape``
    (a padded slit's own size), so padding is never read.
    """
    y = np.arange(shape[-2])[:, None]
    x = np.arange(shape[-1])[None, :]
    ys = np.asarray(ysize)[..., None, None]
    xs = np.asarray(xsize)[..., None, None]
    inside = (y > 1) & (y < ys - 1) & (x > 1) & (x < xs - 1)
    return np.broadcast_to(inside, shape)


def mingrad(planes: Planes, allowed: np.ndarray) -> int:
    """Replace each non-finite ``sci`` pixel by the mean of its two neighbours along the
    axis (row or column) where they differ least.

    Parameters
    ----------
    planes : ``sci`` (any flux unit), ``err`` (same unit), ``dq`` and variances
        (unit squared), each ``(..., y, x)``; changed in place.
    allowed : bool ``(..., y, x)``, the pixels that may be replaced
        (:func:`interior`); none on the image's edges (their neighbours are read).

    Returns
    -------
    The number of pixels replaced.  A pixel whose neighbours along both axes
    give no finite difference is left alone; a replaced one gains
    ``FLUX_ESTIMATED`` and loses ``DO_NOT_USE`` unless it is ``NON_SCIENCE``.
    """
    sci = planes["sci"]
    at = np.flatnonzero(~np.isfinite(sci) & allowed)  # flat indices: neighbours are at
    nx = sci.shape[-1]  # +-1 (along x) and +-nx (along y), never outside ``allowed``'s image
    pairs = ((at - 1, at + 1), (at - nx, at + nx))
    with np.errstate(invalid="ignore"):
        diffs = np.stack([np.abs(sci.take(a) - sci.take(b)) for a, b in pairs])
    diffs = np.where(np.isnan(diffs), np.inf, diffs)
    ok = ~np.all(np.isinf(diffs), axis=0)
    vertical = (np.argmin(diffs, axis=0) == 1)[ok]
    kept = [(a[ok], b[ok]) for a, b in pairs]
    target = at[ok]
    for name in ("sci", *ERRORS):
        arr = planes.get(name)
        if arr is None:
            continue
        root = np.sqrt if name.startswith("var") else np.asarray
        means = [(root(arr.take(a)) + root(arr.take(b))) / 2.0 for a, b in kept]
        value = np.where(vertical, means[1], means[0])
        arr.flat[target] = value**2 if name.startswith("var") else value
    dq = planes["dq"]
    old = dq.take(target)
    freed = ((old & _DNU) != 0) & ((old & _NS) == 0)
    dq.flat[target] = (old - np.where(freed, _DNU, np.uint32(0))) | _EST
    return int(ok.sum())


def _mse(scale: np.ndarray, profile: np.ndarray, current: np.ndarray) -> float:
    """Mean squared difference between ``current`` and ``profile * scale``."""
    return float(np.nansum((current - profile * scale) ** 2.0) / current.size)


def fit_profile(planes: Planes, dispaxis: int, n_adjacent: int) -> int:
    """Replace ``DO_NOT_USE`` pixels of one 2-D spectrum from its neighbours' profiles.

    Each spatial profile (a detector column for ``dispaxis=1``, a row for 2)
    holding bad pixels is estimated from the median of the ``n_adjacent``
    valid profiles on each side, each normalised to its absolute maximum
    (not normalised when no neighbour pixel reaches S/N 5), scaled to the
    good pixels of the profile by a least-squares (Nelder-Mead) fit.  Errors
    and variances take the neighbours' normalised median error, scaled alike.

    Parameters
    ----------
    planes : ``sci``, ``err``, ``dq`` and variances, each ``(y, x)``; changed in place.
    dispaxis : 1 (dispersion along x) or 2 (along y).
    n_adjacent : neighbouring profiles used on each side.

    Returns
    -------
    The number of pixels replaced (they gain ``FLUX_ESTIMATED`` and lose ``DO_NOT_USE``).
    """
    view = {k: (v.T if dispaxis == 1 else v) for k, v in planes.items() if v is not None}
    dq = view["dq"].copy()  # (profile, spatial)
    bad = (dq & _DNU) != 0
    good = ~bad
    if not good.any():
        log.warning("No good pixels in the 2-D spectrum: pixel replacement skipped")
        return 0
    cols, spat = np.nonzero(good.any(axis=1))[0], np.nonzero(good.any(axis=0))[0]
    s0, s1 = int(spat[0]), int(spat[-1]) + 1
    nonsci = (dq[:, s0:s1] & _NS) != 0
    n_bad = np.count_nonzero(bad[:, s0:s1] & ~nonsci, axis=1)
    usable = n_bad + np.count_nonzero(nonsci, axis=1) < s1 - s0
    in_range = np.zeros(dq.shape[0], bool)
    in_range[cols[0] : cols[-1] + 1] = True
    valid = in_range & usable
    targets = np.nonzero(valid & (n_bad > 0))[0]
    if targets.size == 0:
        return 0
    offsets = np.array([o for o in range(-n_adjacent, n_adjacent + 1) if o != 0], int)
    near = targets[:, None] + offsets[None, :]
    near_ok = (near >= 0) & (near < dq.shape[0])
    near = np.clip(near, 0, dq.shape[0] - 1)
    near_ok &= valid[near]

    def neighbours(values: np.ndarray) -> np.ndarray:
        masked = np.where(bad[:, s0:s1], np.nan, values[:, s0:s1])
        return np.where(near_ok[..., None], masked[near], np.nan)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        data = neighbours(view["sci"])  # (target, neighbour, spatial)
        norm = np.nanmax(np.abs(data), axis=2, keepdims=True)
        low_snr = np.nanmax(np.abs(data / neighbours(view["err"])), axis=(1, 2)) < 5
        norm = np.where(low_snr[:, None, None], norm.dtype.type(1.0), norm)
        median = np.nanmedian(data / norm, axis=1)
        errors = {
            name: np.nanmedian(
                neighbours(np.sqrt(view[name]) if name.startswith("var") else view[name]) / norm,
                axis=1,
            )
            for name in ERRORS
            if name in view
        }
        unit_norm = np.nanmedian(np.where(near_ok[..., None], norm, np.nan), axis=(1, 2)) == 1.0
    replaced = 0
    for k, col in enumerate(targets.tolist()):
        if not near_ok[k].any():
            continue
        replaced += _replace_profile(view, col, (s0, s1), dq[col, s0:s1], median[k],
                                     {n: e[k] for n, e in errors.items()}, bool(unit_norm[k]))  # fmt: skip
    return replaced


def _replace_profile(
    view: Planes,
    col: int,
    cut: tuple[int, int],
    dq: np.ndarray,
    median: np.ndarray,
    errors: dict[str, np.ndarray],
    unit_norm: bool,
) -> int:
    """Fit the median profile to profile ``col`` and replace its bad pixels (fit_profile)."""
    s0, s1 = cut
    cleaned = np.where((dq & _DNU) != 0, np.nan, view["sci"][col, s0:s1])
    seen = ~np.isnan(cleaned)
    if not seen.any():
        return 0
    shape, current = median[seen], cleaned[seen]
    top = np.max(current)
    relative = current / top
    fit: np.ndarray | float = 1.0
    scale: np.floating | float = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fitted = (
            not unit_norm and np.nanmax(np.abs(shape)) < 1e20 and np.nanmax(np.abs(relative)) < 1e20
        )
    if fitted:
        x0 = np.abs(np.nanmax(relative))
        fit = minimize(_mse, x0=x0, args=(np.abs(shape), np.abs(relative)), method="Nelder-Mead").x
        scale = top
    fix = ((dq & _DNU) != 0) & ((dq & _NS) == 0)
    estimate = np.where(fix, median * fit * scale, cleaned)
    view["sci"][col, s0:s1] = estimate
    done = fix & ~np.isnan(estimate)
    view["dq"][col, s0:s1] = np.where(done, dq ^ _DNU ^ _EST, dq)
    with np.errstate(over="ignore"):
        for name, err in errors.items():
            value = err * fit * scale
            old = view[name][col, s0:s1]
            view[name][col, s0:s1] = np.where(
                fix, value**2 if name.startswith("var") else value, old
            )
    return int(done.sum())
