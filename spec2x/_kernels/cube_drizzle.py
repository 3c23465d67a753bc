"""3-D drizzle of detector pixels onto a cube grid (jwst ``cube_build``, ``weighting='drizzle'``).

A detector pixel is a quadrilateral on the cube's tangent plane (its four
corners) times a wavelength interval (its centre +- half its extent); a
spaxel is a ``cdelt1 x cdelt2`` box times its wavelength plane.  The weight
of a pixel in a spaxel is the area of their spatial overlap (exact, and
exactly 0 for a pixel that only touches the box, as jwst's Sutherland-Hodgman
clipping gives) times the length of their spectral overlap; a spaxel's value
is the weight-averaged flux, its variance the sum of ``(err w)^2`` over the
squared sum of ``w``.  jwst does this in C, a
pixel at a time; here the overlaps of a chunk of pixels with every spaxel
near them are computed at once and summed with ``bincount``, so memory stays
at a few arrays of (chunk x neighbours).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["CubeAxes", "add_sums", "clipped_area", "drizzle_sums"]


class CubeAxes(NamedTuple):
    """A cube's sampling as the kernels take it.

    Attributes
    ----------
    xcoord, ycoord : spaxel centres on the tangent plane (arcsec), evenly spaced.
    zcoord : wavelength plane centres (µm).
    widths : width of each wavelength plane (µm).
    cdelt1, cdelt2 : spaxel size (arcsec).
    """

    xcoord: np.ndarray
    ycoord: np.ndarray
    zcoord: np.ndarray
    widths: np.ndarray
    cdelt1: float
    cdelt2: float


#: Pixels per chunk: bounds the (pixels x neighbouring spaxels) arrays.
_CHUNK = 20000
#: Pixels whose overlaps are computed at once (arrays of a few 100 kB, in cache).
_BLOCK = 1024
#: Each corner's next one round the pixel.
_NEXT = [1, 2, 3, 0]

# Arrays here run (corner or candidate, pixel or pair): the long axis last, so that NumPy's
# loops and reductions over the short one (4 corners, a few candidates) stay vectorised.


def _unclamped(a: np.ndarray, d: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The interval of t in [0, 1] where ``0 <= a + t d <= high`` (empty: lo == hi).

    ``fmax`` takes a NaN (0 x inf) bound to the interval's other end and
    ``minimum`` an infinite one (d = 0) to 1.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.reciprocal(d)
        t1 = np.negative(a)
        t1 *= inverse
        t2 = np.subtract(high, a)
        t2 *= inverse
    lo = np.fmin(t1, t2)
    hi = np.fmax(t1, t2, out=t2)
    np.fmax(lo, 0.0, out=lo)
    np.minimum(lo, 1.0, out=lo)
    np.fmax(hi, lo, out=hi)
    np.minimum(hi, 1.0, out=hi)
    return lo, hi


def _clamped_integrals(
    a: np.ndarray,
    d: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    kinks: tuple[np.ndarray, np.ndarray],
    width: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact integrals over [lo, hi] of ``v = clamp(a + t d, 0, width)`` and of ``v - width`` dt.

    ``v`` is linear between its kinks (``kinks``: :func:`_unclamped` of
    ``(a, d, width)``, overwritten here), so each piece is its middle value
    times its length; a piece clamped to 0 (to ``width``) adds exactly 0 to
    the first (the second) integral.  Between the kinks v is not clamped.
    """
    k_lo, k_hi = kinks
    np.minimum(np.maximum(k_lo, lo, out=k_lo), hi, out=k_lo)
    np.minimum(np.maximum(k_hi, k_lo, out=k_hi), hi, out=k_hi)
    half = 0.5 * d

    def piece(s0: np.ndarray, s1: np.ndarray, clamp: bool) -> tuple[np.ndarray, np.ndarray]:
        middle = np.add(s0, s1)
        middle *= half
        middle += a
        if clamp:
            np.minimum(np.maximum(middle, 0.0, out=middle), width, out=middle)
        length = np.subtract(s1, s0)
        low = middle * length
        middle -= width
        middle *= length
        return low, middle

    from_low, from_high = piece(lo, k_lo, True)
    for s0, s1, clamp in ((k_lo, k_hi, False), (k_hi, hi, True)):
        low, high = piece(s0, s1, clamp)
        from_low += low
        from_high += high
    return from_low, from_high


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
    only (touching, or apart); no threshold.

    Notes
    -----
    Every point of the outline is clamped into the box; the clamped outline's
    area, :math:`\\oint (X - c)\\,dY` for any constant c, is the overlap:
    clamping is a retraction onto the box that moves no point across the
    box's inside, so the clamped outline winds once round exactly the points
    of the box inside the quadrilateral.  Along an edge ``(a + t d)``,
    ``dY = d_y dt`` where y is not clamped and 0 elsewhere, and X is linear
    between the clamp's kinks, so each edge's integral is a sum of exact
    pieces.  It is taken with c on the box's left edge and on its right one,
    and the one of the smaller pieces (the less cancellation) is kept.  A
    quadrilateral (convex) that does not enter the box has its clamped
    outline on the box's boundary, where y is unclamped on one vertical edge
    of the box at most (a half-plane avoiding the box cannot reach both sides
    of it at one height): from that edge every piece is exactly 0, and so is
    the area.  As with the Sutherland-Hodgman clipping of jwst's C code, an
    overlap however thin counts and a touch gives 0.
    """
    return _clipped(
        np.ascontiguousarray(np.asarray(qx, np.float64).T),
        np.ascontiguousarray(np.asarray(qy, np.float64).T),
        *(np.asarray(v, np.float64) for v in (left, right, bottom, top)),
    )


def _clipped(
    qx: np.ndarray,
    qy: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    bottom: np.ndarray,
    top: np.ndarray,
) -> np.ndarray:
    """:func:`clipped_area` of (4, n) corners (corner by corner) in (n,) boxes."""
    # corners from the box's lower left corner: the box is [0, width] x [0, height]
    ax, ay = qx - left, qy - bottom
    width = right - left
    dx, dy = ax[_NEXT] - ax, ay[_NEXT] - ay
    # where along each edge y is inside the box (the integral's range) and x is (its kinks)
    y_lo, y_hi = _unclamped(ay, dy, top - bottom)
    from_left, from_right = _clamped_integrals(ax, dx, y_lo, y_hi, _unclamped(ax, dx, width), width)
    # the sizes of the pieces: from_left's are >= 0, from_right's <= 0 along each edge
    size = np.abs(dy)
    left_size, right_size = _edge_sum(from_left * size), _edge_sum(from_right * size)
    from_left *= dy
    from_right *= dy
    return np.where(
        left_size <= -right_size, np.abs(_edge_sum(from_left)), np.abs(_edge_sum(from_right))
    )


def _edge_sum(values: np.ndarray) -> np.ndarray:
    """Sum over the 4 edges (rows) of (4, n) values, in order."""
    return values[0] + values[1] + values[2] + values[3]


def _candidates(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, valid) arrays (widest range x rows) of the integer ranges [lo, hi) of each row."""
    width = max(int((hi - lo).max()) if lo.size else 0, 0)
    index = lo + np.arange(width)[:, None]
    return index, index < hi


def _spatial(xq, yq, xc, yc, cdelt1, cdelt2):
    """(pixel row, spaxel index y * nx + x, overlap area) of every overlapping pair.

    ``xq``, ``yq``: (4, npix) corners.  The spaxel columns and rows that meet
    each pixel's bounding box are found apart (columns x pixels, rows x
    pixels) and only then paired, so the box edges are computed once per
    column and per row, not per pair.
    """
    nx, npix = xc.size, xq.shape[1]
    ixc, left, right, okx = _near(xq, xc, cdelt1)
    iyc, bottom, top, oky = _near(yq, yc, cdelt2)
    # pixel by pixel, then column, then row: the order (and so the sums) whatever the blocks
    rows, cx, cy = np.nonzero(okx.T[:, :, None] & oky.T[:, None, :])
    # flat indices into the (candidates x pixels) arrays: take is much faster than [cx, rows]
    cx *= npix
    cx += rows
    cy *= npix
    cy += rows
    area = _clipped(
        xq.take(rows, axis=1), yq.take(rows, axis=1),
        left.take(cx), right.take(cx), bottom.take(cy), top.take(cy),
    )  # fmt: skip
    keep = np.flatnonzero(area > 0)
    spaxel = iyc.take(cy.take(keep)) * nx + ixc.take(cx.take(keep))
    return rows.take(keep), spaxel, area.take(keep)


def _near(q, centres, cdelt):
    """(index, low edge, high edge, valid) of the spaxel columns (or rows) that meet each
    pixel's extent along one axis (and one more each side, for rounding), candidates x
    pixels; ``q``: (4, npix) corners."""
    n = centres.size
    qmin, qmax = q.min(axis=0), q.max(axis=0)
    index, ok = _candidates(
        np.clip(np.floor((qmin - centres[0]) / cdelt + 0.5).astype(int) - 1, 0, n),
        np.clip(np.floor((qmax - centres[0]) / cdelt + 0.5).astype(int) + 2, 0, n),
    )
    index = np.clip(index, 0, n - 1)
    low, high = centres[index] - cdelt * 0.5, centres[index] + cdelt * 0.5
    ok &= (low < qmax) & (high > qmin)
    return index, low, high, ok


def _spectral(wave, dwave, zc, widths):
    """(plane index, wavelength overlap µm) of each pixel with the planes near it
    (candidates x pixels): those whose centre is closer than half the pixel's extent and
    the widest plane's width (and 1 % more, for rounding)."""
    reach = 0.505 * (dwave + widths.max())
    iw, ok = _candidates(
        np.searchsorted(zc, wave - reach), np.searchsorted(zc, wave + reach, "right")
    )
    iwc = np.clip(iw, 0, zc.size - 1)
    width = widths[iwc]
    ok &= np.abs(zc[iwc] - wave) < np.abs(dwave + width)
    lo, hi = wave - dwave / 2, wave + dwave / 2
    spx_lo, spx_hi = zc[iwc] - width / 2, zc[iwc] + width / 2
    z1 = np.maximum(spx_hi - lo, 0)
    z2 = np.maximum(spx_hi - hi, 0)
    z3 = np.maximum(spx_lo - lo, 0)
    return iwc, np.where(ok, np.maximum(z1 - z2 - z3, 0), 0.0)


def drizzle_sums(
    xi: np.ndarray,
    eta: np.ndarray,
    wave: np.ndarray,
    dwave: np.ndarray,
    flux: np.ndarray,
    err: np.ndarray,
    axes: CubeAxes,
    *,
    chunk: int = _CHUNK,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sums over pixels of ``flux w``, ``w``, ``(err w)^2`` and the count of ``w > 0`` per spaxel.

    Parameters
    ----------
    xi, eta : (npix, 4) pixel corners on the tangent plane (arcsec), in order round the pixel.
    wave, dwave : (npix,) pixel wavelength and its extent (µm).
    flux, err : (npix,) values (any unit).
    axes : the cube's sampling.
    chunk : pixels handled at once.

    Returns
    -------
    Four flat arrays of ``zcoord.size * ycoord.size * xcoord.size`` (plane, y, x order).
    """
    nxy = axes.xcoord.size * axes.ycoord.size
    sums = [np.zeros(nxy * axes.zcoord.size) for _ in range(4)]
    npix = len(wave)
    for start in range(0, npix, chunk):
        stop = min(start + chunk, npix)
        corners = (np.ascontiguousarray(xi[start:stop].T), np.ascontiguousarray(eta[start:stop].T))
        # the pixels' overlaps a block at a time (arrays that stay in cache), summed a chunk at a time
        found = [
            _overlaps(*corners, wave[start:stop], dwave[start:stop], axes, first)
            for first in range(0, stop - start, _BLOCK)
        ]
        rows = np.concatenate([f[0] for f in found]) + start
        index = np.concatenate([f[1] for f in found])
        weight = np.concatenate([f[2] for f in found])
        values = (flux[rows] * weight, weight, (err[rows] * weight) ** 2, None)
        add_sums(sums, index, values)
    return sums[0], sums[1], sums[2], sums[3]


def _overlaps(
    xi: np.ndarray,
    eta: np.ndarray,
    wave: np.ndarray,
    dwave: np.ndarray,
    axes: CubeAxes,
    first: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pixel, flat spaxel index, weight) of each pixel of the block from ``first`` with each
    spaxel it reaches; ``xi``, ``eta``: (4, npix) corners."""
    nxy = axes.xcoord.size * axes.ycoord.size
    part = slice(first, first + _BLOCK)
    pairs, spaxel, area = _spatial(
        xi[:, part], eta[:, part], axes.xcoord, axes.ycoord, axes.cdelt1, axes.cdelt2
    )
    plane, overlap = _spectral(wave[part], dwave[part], axes.zcoord, axes.widths)
    weight = overlap.take(pairs, axis=1)
    weight *= area
    # pair by pair, then plane; flat indices into the (candidates x pixels or pairs) arrays
    pair, cand = np.nonzero((weight > 0).T)
    rows = pairs.take(pair)
    planes = plane.take(cand * plane.shape[1] + rows)
    return rows + first, planes * nxy + spaxel.take(pair), weight.take(cand * pairs.size + pair)


def add_sums(
    sums: list[np.ndarray], index: np.ndarray, values: tuple[np.ndarray | None, ...]
) -> None:
    """Add each of ``values`` into its flat array of ``sums`` at ``index`` (repeats add up;
    None: add 1 for each index, a count).

    Only the span of indices a chunk reaches is counted and added: a chunk of
    pixels meets a few wavelength planes of the cube.
    """
    if index.size == 0:
        return
    first = int(index.min())
    index = index - first
    span = int(index.max()) + 1
    for total, value in zip(sums, values, strict=True):
        total[first : first + span] += np.bincount(index, value, minlength=span)
