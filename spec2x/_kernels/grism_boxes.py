"""Bounding boxes of dispersed spectra on a grism detector (NumPy; no xarray, no WCS).

jwst 3.0.0's rules (``assign_wcs.util.create_grism_bbox`` and
``extract_2d.grisms.extract_grism_objects``), for all sources of one order
at once:

1. the box spans the dispersed positions of the source's four sky-box corners
   at both ends of the order's wavelength range, rounded to whole pixels
   (``floor(v + 0.5)``);
2. an order is dropped unless its box reaches at least one pixel past
   each detector edge along the dispersion (strictly) and touches the
   detector across it; it is *partial* when a corner of the box lies off the
   detector;
3. extract_2d clamps the box to ``[0, size]`` on each axis and makes a
   cut-out only where both clamped extents are positive; the cut-out is the
   clamped box's pixels inside the detector.
"""

from __future__ import annotations

import numpy as np

__all__ = ["clip_to_detector", "order_boxes", "to_index"]


def to_index(value: np.ndarray) -> np.ndarray:
    """Round pixel positions to whole pixels as gwcs does: ``floor(v + 0.5)`` (int64)."""
    return np.floor(np.asarray(value, dtype=np.float64) + 0.5).astype(np.int64)


def order_boxes(
    x: np.ndarray,
    y: np.ndarray,
    shape: tuple[int, int],
    dispaxis: int,
    *,
    cross: np.ndarray | None = None,
    half_height: float | None = None,
) -> dict[str, np.ndarray]:
    """The boxes of one order for every source.

    Parameters
    ----------
    x, y : (source, point) dispersed positions (pixels, 0-based) of each
        source's sky-box corners at the order's shortest and longest wavelengths.
    shape : (ny, nx) of the detector (subarray) array.
    dispaxis : 1 (dispersion along x) or 2 (along y).
    cross : (source,) cross-dispersion centre (pixels) of the trace at the
        middle wavelength, where the cross-dispersion extent is
        ``centre ± half_height`` instead (NaN: keep the corners' extent).
    half_height : the half height (pixels) used with ``cross``.

    Returns
    -------
    ``xmin``, ``xmax``, ``ymin``, ``ymax`` (int64, jwst's ``order_bounding``),
    ``keep`` (the order is on the detector) and ``partial`` (bool), each (source,).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    finite = np.isfinite(x).any(axis=1) & np.isfinite(y).any(axis=1)
    with np.errstate(invalid="ignore"):
        lows = [np.fmin.reduce(a, axis=1) for a in (x, y)]
        highs = [np.fmax.reduce(a, axis=1) for a in (x, y)]
    if cross is not None and half_height is not None:
        axis = 0 if dispaxis == 2 else 1  # the cross-dispersion axis: x for dispaxis 2
        use = np.isfinite(cross)
        lows[axis] = np.where(use, cross - half_height, lows[axis])
        highs[axis] = np.where(use, cross + half_height, highs[axis])
    xmin, ymin = (to_index(np.where(finite, v, 0.0)) for v in lows)
    xmax, ymax = (to_index(np.where(finite, v, 0.0)) for v in highs)
    last_y, last_x = shape[0] - 1, shape[1] - 1
    if dispaxis == 1:
        along = (xmax > 0) & (last_x - xmin > 0)
        across = (ymax >= 0) & (last_y - ymin >= 0)
    else:
        along = (ymax > 0) & (last_y - ymin > 0)
        across = (xmax >= 0) & (last_x - xmin >= 0)
    keep = finite & along & across
    low_in = (ymin >= 0) & (ymin <= last_y) & (xmin >= 0) & (xmin <= last_x)
    high_in = (ymax >= 0) & (ymax <= last_y) & (xmax >= 0) & (xmax <= last_x)
    partial = keep & ~(low_in & high_in)
    return dict(xmin=xmin, xmax=xmax, ymin=ymin, ymax=ymax, keep=keep, partial=partial)


def clip_to_detector(
    low: np.ndarray, high: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """extract_2d's cut-out along one axis: (start, length, non-empty) from a box's (low, high).

    The box is clamped to ``[0, size]``; the cut-out holds pixels ``start``
    ... ``min(high, size - 1)`` and exists where the clamped ``high - low`` is positive.
    """
    start = np.clip(low, 0, size)
    stop = np.clip(high, 0, size)
    length = np.minimum(stop + 1, size) - start
    return start, length, stop - start > 0
