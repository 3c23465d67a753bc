"""3-D drizzle of detector pixels onto a cube grid (jwst ``cube_build``, ``weighting='drizzle'``).

A detector pixel is a quadrilateral on the cube's tangent plane (its four
corners) times a wavelength interval (its centre +- half its extent); a
spaxel is a ``cdelt1 x cdelt2`` box times its wavelength plane.  The weight
of a pixel in a spaxel is the area of their spatial overlap (the pixel
clipped to the box, Sutherland-Hodgman) times the length of their spectral
overlap; a spaxel's value is the weight-averaged flux, its variance the sum
of ``(err w)^2`` over the squared sum of ``w``.  jwst does this in C, a
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
#: Relative to the box, twice an area below this is rounding noise.
_NOISE = 1e-10
#: Each corner's next one round the pixel.
_NEXT = [1, 2, 3, 0]


def _unclamped(
    a: np.ndarray, d: np.ndarray, low: np.ndarray, high: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The interval of t in [0, 1] where ``low <= a + t d <= high`` (empty: lo == hi).

    ``fmax`` takes a NaN (0/0) bound to the interval's other end and ``minimum``
    an infinite one (d = 0) to 1.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.subtract(low, a)
        t1 /= d
        t2 = np.subtract(high, a)
        t2 /= d
    lo = np.fmin(t1, t2)
    hi = np.fmax(t1, t2, out=t2)
    np.fmax(lo, 0.0, out=lo)
    np.minimum(lo, 1.0, out=lo)
    np.fmax(hi, lo, out=hi)
    np.minimum(hi, 1.0, out=hi)
    return lo, hi


def _clamped_integral(
    a: np.ndarray,
    d: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    kinks: tuple[np.ndarray, np.ndarray],
    low: np.ndarray,
    high: np.ndarray,
) -> np.ndarray:
    """Exact integral over [lo, hi] of ``clamp(a + t d, low, high)`` dt: linear between its kinks.

    ``kinks``: :func:`_unclamped` of ``(a, d, low, high)``, overwritten here.
    """
    k_lo, k_hi = kinks
    np.minimum(np.maximum(k_lo, lo, out=k_lo), hi, out=k_lo)
    np.minimum(np.maximum(k_hi, k_lo, out=k_hi), hi, out=k_hi)
    total = np.zeros_like(a)
    middle = np.empty_like(a)
    for s0, s1 in ((lo, k_lo), (k_lo, k_hi), (k_hi, hi)):
        np.add(s0, s1, out=middle)
        middle *= 0.5
        middle *= d
        middle += a
        np.minimum(np.maximum(middle, low, out=middle), high, out=middle)
        middle *= np.subtract(s1, s0)
        total += middle
    return total


def clipped_area(
    qx: np.ndarray,
    qy: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    bottom: np.ndarray,
    top: np.ndarray,
) -> np.ndarray:
    """Area of each quadrilateral (rows of ``qx``, ``qy``: 4 corners in order) inside its box.

    Notes
    -----
    Every point of the outline is clamped into the box; the clamped outline's
    area, :math:`\\tfrac12 \\oint (X\\,dY - Y\\,dX)`, is the overlap: clamping
    is a retraction onto the box that moves no point across the box's inside,
    so the clamped outline winds once round exactly the points of the box
    inside the quadrilateral.  Along an edge ``(a + t d)``, ``dY = d_y dt``
    where y is not clamped and 0 elsewhere, and X is linear between the
    clamp's kinks, so each edge's integral is a sum of exact pieces.  The
    Sutherland-Hodgman clipping of jwst's C code finds the same area.
    """
    cx = (np.asarray(left) + np.asarray(right))[:, None] / 2
    cy = (np.asarray(bottom) + np.asarray(top))[:, None] / 2
    left, right = np.asarray(left)[:, None] - cx, np.asarray(right)[:, None] - cx
    bottom, top = np.asarray(bottom)[:, None] - cy, np.asarray(top)[:, None] - cy
    ax, ay = np.asarray(qx, np.float64) - cx, np.asarray(qy, np.float64) - cy
    dx, dy = ax[:, _NEXT] - ax, ay[:, _NEXT] - ay
    # where along each edge x and y are inside the box: each integral's range and the other's kinks
    x_in, y_in = _unclamped(ax, dx, left, right), _unclamped(ay, dy, bottom, top)
    x_dy = dy * _clamped_integral(ax, dx, *y_in, (x_in[0].copy(), x_in[1].copy()), left, right)
    y_dx = dx * _clamped_integral(ay, dy, *x_in, y_in, bottom, top)
    twice = np.abs((x_dy - y_dx).sum(axis=1))
    # an outline squashed onto the box's edge sums to rounding noise, not to 0
    box = ((right - left) * (top - bottom))[:, 0]
    return np.where(twice > _NOISE * box, 0.5 * twice, 0.0)


def _candidates(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, valid) arrays (rows x widest range) of the integer ranges [lo, hi) of each row."""
    width = max(int((hi - lo).max()) if lo.size else 0, 0)
    index = lo[:, None] + np.arange(width)[None, :]
    return index, index < hi[:, None]


def _spatial(xq, yq, xc, yc, cdelt1, cdelt2):
    """(pixel row, spaxel index y * nx + x, overlap area) of every overlapping pair.

    The spaxel columns and rows that meet each pixel's bounding box are found
    apart (pixels x columns, pixels x rows) and only then paired, so the box
    edges are computed once per column and per row, not per pair.
    """
    nx = xc.size
    ixc, left, right, okx = _near(xq, xc, cdelt1)
    iyc, bottom, top, oky = _near(yq, yc, cdelt2)
    rows, cx, cy = np.nonzero(okx[:, :, None] & oky[:, None, :])
    area = clipped_area(
        xq[rows], yq[rows], left[rows, cx], right[rows, cx], bottom[rows, cy], top[rows, cy]
    )
    keep = area > 0
    rows, cx, cy = rows[keep], cx[keep], cy[keep]
    return rows, iyc[rows, cy] * nx + ixc[rows, cx], area[keep]


def _near(q, centres, cdelt):
    """(index, low edge, high edge, valid) of the spaxel columns (or rows) that meet each
    pixel's extent along one axis (and one more each side, for rounding), pixels x candidates."""
    n = centres.size
    qmin, qmax = q.min(axis=1), q.max(axis=1)
    index, ok = _candidates(
        np.clip(np.floor((qmin - centres[0]) / cdelt + 0.5).astype(int) - 1, 0, n),
        np.clip(np.floor((qmax - centres[0]) / cdelt + 0.5).astype(int) + 2, 0, n),
    )
    index = np.clip(index, 0, n - 1)
    low, high = centres[index] - cdelt * 0.5, centres[index] + cdelt * 0.5
    ok &= (low < qmax[:, None]) & (high > qmin[:, None])
    return index, low, high, ok


def _spectral(wave, dwave, zc, widths):
    """(plane index, wavelength overlap µm) of each pixel with the planes near it."""
    reach = dwave + widths.max()
    iw, ok = _candidates(
        np.searchsorted(zc, wave - reach), np.searchsorted(zc, wave + reach, "right")
    )
    iwc = np.clip(iw, 0, zc.size - 1)
    width = widths[iwc]
    ok &= np.fabs(zc[iwc] - wave[:, None]) < np.fabs(dwave[:, None] + width)
    lo, hi = wave - dwave / 2, wave + dwave / 2
    spx_lo, spx_hi = zc[iwc] - width / 2, zc[iwc] + width / 2
    z1 = np.maximum(spx_hi - lo[:, None], 0)
    z2 = np.maximum(spx_hi - hi[:, None], 0)
    z3 = np.maximum(spx_lo - lo[:, None], 0)
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
        # the pixels' overlaps a block at a time (arrays that stay in cache), summed a chunk at a time
        found = [
            _overlaps(xi, eta, wave, dwave, axes, slice(first, min(first + _BLOCK, stop)))
            for first in range(start, stop, _BLOCK)
        ]
        rows = np.concatenate([f[0] for f in found])
        index = np.concatenate([f[1] for f in found])
        weight = np.concatenate([f[2] for f in found])
        values = (flux[rows] * weight, weight, (err[rows] * weight) ** 2, np.ones_like(weight))
        add_sums(sums, index, values)
    return sums[0], sums[1], sums[2], sums[3]


def _overlaps(
    xi: np.ndarray,
    eta: np.ndarray,
    wave: np.ndarray,
    dwave: np.ndarray,
    axes: CubeAxes,
    part: slice,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pixel, flat spaxel index, weight) of each pixel of ``part`` with each spaxel it reaches."""
    nxy = axes.xcoord.size * axes.ycoord.size
    pairs, spaxel, area = _spatial(
        xi[part], eta[part], axes.xcoord, axes.ycoord, axes.cdelt1, axes.cdelt2
    )
    plane, overlap = _spectral(wave[part], dwave[part], axes.zcoord, axes.widths)
    weight = area[:, None] * overlap[pairs]
    pair, w = np.nonzero(weight > 0)
    rows = pairs[pair]
    return rows + part.start, plane[rows, w] * nxy + spaxel[pair], weight[pair, w]


def add_sums(sums: list[np.ndarray], index: np.ndarray, values: tuple[np.ndarray, ...]) -> None:
    """Add each of ``values`` into its flat array of ``sums`` at ``index`` (repeats add up).

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
