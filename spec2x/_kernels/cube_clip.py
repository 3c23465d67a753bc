"""Exact area of a convex quadrilateral inside an axis-aligned box (the drizzle's spatial overlap).

Every point of the quadrilateral's outline is clamped into the box; the
clamped outline's area, :math:`\\oint (X - c)\\,dY` for any constant c, is
the overlap: clamping is a retraction onto the box that moves no point
across the box's inside, so the clamped outline winds once round exactly
the points of the box inside the quadrilateral.  Along an edge
``(a + t d)``, ``dY = d_y dt`` where y is not clamped and 0 elsewhere, and X
is linear between the clamp's kinks, so each edge's integral is a sum of
exact pieces.  It is taken with c on the box's left edge and on its right
one, and the one of the smaller pieces (the less cancellation) is kept.  A
quadrilateral (convex) that does not enter the box has its clamped outline
on the box's boundary, where y is unclamped on one vertical edge of the box
at most (a half-plane avoiding the box cannot reach both sides of it at one
height): from that edge every piece is exactly 0, and so is the area.  As
with the Sutherland-Hodgman clipping of jwst's C code, an overlap however
thin counts and a touch gives 0.

The pieces along x depend only on the quadrilateral and the box's columns,
those along y only on its rows: :func:`box_areas` takes them apart, shaped
to broadcast against each other (a pixel's few columns times its few rows),
so each is computed once per column or row, not once per pair.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["box_areas", "clipped_area"]


def clipped_area(
    qx: np.ndarray,
    qy: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    bottom: np.ndarray,
    top: np.ndarray,
) -> np.ndarray:
    """Area of each quadrilateral (rows of ``qx``, ``qy``: 4 corners in order) inside its box.

    Exactly 0 for a quadrilateral that meets its box on the box's boundary
    only (touching, or apart); no threshold.  Units: those of the corners, squared.
    """
    qx, qy = (np.ascontiguousarray(np.asarray(q, np.float64).T) for q in (qx, qy))
    left, right, bottom, top = (np.asarray(v, np.float64) for v in (left, right, bottom, top))
    ax, ay = qx - left, qy - bottom
    return box_areas(ax, edges(ax), right - left, ay, edges(ay), top - bottom)


def edges(a: np.ndarray) -> np.ndarray:
    """Each corner's step to the next one round the quadrilateral (corners on the first axis)."""
    step = np.empty_like(a)
    np.subtract(a[1:], a[:-1], out=step[:-1])
    np.subtract(a[0], a[3], out=step[3])
    return step


def box_areas(
    ax: np.ndarray,
    dx: np.ndarray,
    width: np.ndarray,
    ay: np.ndarray,
    dy: np.ndarray,
    height: np.ndarray,
) -> np.ndarray:
    """Areas of quadrilaterals inside boxes ``[0, width] x [0, height]``.

    Parameters
    ----------
    ax, dx : (4, ...) corners' x from the box's left edge and steps to the next corner.
    width : (...) box widths.
    ay, dy, height : the same along y (from the bottom edge); the x and the y
        arrays broadcast against each other (a pair's shape).

    Returns
    -------
    The areas, of the broadcast shape without the corner axis.
    """
    # where along each edge y is inside the box (the integral's span), and x (its kinks)
    y_lo, y_hi = _t_range(ay, dy, height)
    span = _clamp(y_lo, 0.0, 1.0), _clamp(y_hi, y_lo, 1.0)
    x_lo, x_hi = _t_range(ax, dx, width)
    k_lo = np.minimum(np.maximum(x_lo, span[0]), span[1])
    k_hi = np.maximum(x_hi, k_lo)
    np.minimum(k_hi, span[1], out=k_hi)
    from_left, from_right = _integrals(ax, dx, span, (k_lo, k_hi), width)
    # the sizes of the pieces: from_left's are >= 0, from_right's <= 0 along each edge
    size = np.abs(dy)
    left_size, right_size = _edge_sum(from_left * size), _edge_sum(from_right * size)
    from_left *= dy
    from_right *= dy
    return np.where(
        left_size <= -right_size, np.abs(_edge_sum(from_left)), np.abs(_edge_sum(from_right))
    )


def _t_range(a: np.ndarray, d: np.ndarray, high: Any) -> tuple[np.ndarray, np.ndarray]:
    """The ends t1 <= t2 (unbounded) of the t where ``0 <= a + t d <= high``.

    ``fmin``/``fmax`` take a NaN end (0 x inf, for d = 0) to the other one; d = 0
    gives an empty range at -inf or +inf when ``a`` is outside, the whole line inside.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.reciprocal(d)
        t1 = np.negative(a)
        t1 *= inverse
        t2 = np.subtract(high, a)
        t2 *= inverse
    return np.fmin(t1, t2), np.fmax(t1, t2, out=t2)


def _clamp(t: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    """``t`` clamped into [lo, hi], in place."""
    return np.minimum(np.maximum(t, lo, out=t), hi, out=t)


def _integrals(
    a: np.ndarray,
    d: np.ndarray,
    span: tuple[np.ndarray, np.ndarray],
    kinks: tuple[np.ndarray, np.ndarray],
    width: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact integrals over ``span`` [lo, hi] of ``v = clamp(a + t d, 0, width)`` and of
    ``v - width``, dt.

    ``kinks`` (k_lo <= k_hi, within the span) bound where v is not clamped: there
    each integral is v's middle value times the length; before them v is 0 and
    after them ``width`` (d >= 0), or the other way round (d < 0, by its sign bit,
    so -0 too), pieces that add exactly 0 to one integral and ``width`` (or
    ``-width``) times their length to the other.
    """
    lo, hi = span
    k_lo, k_hi = kinks
    before = np.subtract(k_lo, lo)
    after = np.subtract(hi, k_hi)
    inside = np.subtract(k_hi, k_lo)
    middle = np.add(k_lo, k_hi)
    middle *= 0.5 * d
    middle += a
    from_low = middle * inside
    middle -= width
    middle *= inside
    falling = np.signbit(d)
    at_width = np.where(falling, before, after)
    at_zero = np.where(falling, after, before)
    at_width *= width
    from_low += at_width
    at_zero *= width
    middle -= at_zero
    return from_low, middle


def _edge_sum(values: np.ndarray) -> np.ndarray:
    """Sum over the 4 edges (first axis) of (4, ...) values, in order."""
    return values[0] + values[1] + values[2] + values[3]
