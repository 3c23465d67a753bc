"""From weighted sums to the cube's planes, as jwst's ``cube_build`` finishes a cube.

- value = sum(flux w) / sum(w), error = sqrt(sum((err w)^2)) / sum(w),
  weight map = number of pixels that reached the spaxel;
- DQ (spec2's ``skip_dqflagging``): 0 where some weight arrived, else
  ``NON_SCIENCE | DO_NOT_USE``;
- MIRI only: a plane with fewer good spaxels than 0.75 times the 3rd
  percentile of the planes' counts (spectral tearing at a band's ends) is
  emptied and flagged;
- value and error are NaN wherever ``DO_NOT_USE`` is set.
"""

from __future__ import annotations

import numpy as np

from ..dq import DQ

__all__ = ["finish_cube"]

_EMPTY = int(DQ.NON_SCIENCE | DQ.DO_NOT_USE)


def _torn_planes(dq: np.ndarray) -> np.ndarray:
    """Planes whose count of good spaxels is below 0.75 x the 3rd percentile of the nonzero counts."""
    good = (dq == 0).sum(axis=(1, 2))
    covered = good[good > 0]
    if covered.size == 0:
        return np.zeros(good.shape, bool)
    return (good > 0) & (good < 0.75 * np.percentile(covered, 3))


def finish_cube(
    sums: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    shape: tuple[int, int, int],
    *,
    tear_cut: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """sci, err, dq, weightmap of a cube from the weighted sums of :func:`drizzle_sums`.

    Parameters
    ----------
    sums : flat ``sum(flux w)``, ``sum(w)``, ``sum((err w)^2)``, count of pixels.
    shape : (nwave, ny, nx).
    tear_cut : empty the planes torn at a band's ends (MIRI).

    Returns
    -------
    float32 sci, err, uint32 dq, float32 weightmap, each ``shape``.
    """
    flux, weight, var, count = (np.asarray(s, np.float64).reshape(shape) for s in sums)
    reached = count > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        sci = np.where(reached, flux / weight, flux)
        var = np.where(reached, var / (weight * weight), var)
    dq = np.where(weight > 0, 0, _EMPTY).astype(np.uint32)
    if tear_cut:
        torn = _torn_planes(dq)
        sci[torn], var[torn], count[torn], dq[torn] = 0.0, 0.0, 0.0, _EMPTY
    unused = (dq & int(DQ.DO_NOT_USE)) != 0
    sci[unused] = np.nan
    var[unused] = np.nan
    return (
        sci.astype(np.float32),
        np.sqrt(var).astype(np.float32),
        dq,
        count.astype(np.float32),
    )
