"""3-D drizzle of detector pixels onto a cube grid (jwst ``cube_build``, ``weighting='drizzle'``).

A detector pixel is a quadrilateral on the cube's tangent plane (its four
corners) times a wavelength interval (its centre +- half its extent); a
spaxel is a ``cdelt1 x cdelt2`` box times its wavelength plane.  The weight
of a pixel in a spaxel is the area of their spatial overlap (exact, and
exactly 0 for a pixel that only touches the box, as jwst's Sutherland-Hodgman
clipping gives: :mod:`spec2x._kernels.cube_clip`) times the length of their
spectral overlap; a spaxel's value is the weight-averaged flux, its variance
the sum of ``(err w)^2`` over the squared sum of ``w``.  jwst does this in C,
a pixel at a time; here the overlaps of a chunk of pixels with every spaxel
near them are computed at once and summed with ``bincount``, so memory stays
at a few arrays of (chunk x neighbours).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .cube_clip import box_areas, edges

__all__ = ["CubeAxes", "add_sums", "chunk_order", "drizzle_sums"]


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

# Arrays here run (corner or candidate, pixel or pair): the long axis last, so that NumPy's
# loops and reductions over the short one (4 corners, a few candidates) stay vectorised.


def _candidates(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, valid) arrays (widest range x rows) of the integer ranges [lo, hi) of each row."""
    width = max(int((hi - lo).max()) if lo.size else 0, 0)
    index = lo + np.arange(width)[:, None]
    return index, index < hi


def _near(q: np.ndarray, centres: np.ndarray, cdelt: float) -> tuple[np.ndarray, np.ndarray]:
    """(first, count) of the spaxel columns (or rows) whose edges pass each pixel's extent
    along one axis (a run of them); ``q``: (4, npix) corners.  The candidates are searched
    with one more spaxel each side of the pixel's (for rounding)."""
    n = centres.size
    qmin, qmax = q.min(axis=0), q.max(axis=0)
    ends = []
    for extreme, extra in ((qmin, -1), (qmax, 2)):
        end = np.floor((extreme - centres[0]) / cdelt + 0.5).astype(np.intp)
        end += extra
        ends.append(np.minimum(np.maximum(end, 0, out=end), n, out=end))
    index, ok = _candidates(*ends)
    np.minimum(index, n - 1, out=index)
    centre = centres.take(index)
    ok &= (centre - cdelt * 0.5 < qmax) & (centre + cdelt * 0.5 > qmin)
    first = index.take(ok.argmax(axis=0) * q.shape[1] + np.arange(q.shape[1]))
    return first, ok.sum(axis=0)


def _spectral(
    wave: np.ndarray, dwave: np.ndarray, zc: np.ndarray, widths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(plane index, wavelength overlap µm) of each pixel with the planes near it
    (pixels x candidates): those whose centre is closer than half the pixel's extent and
    the widest plane's width (and 1 % more, for rounding)."""
    reach = 0.505 * (dwave + widths.max())
    iw, ok = _candidates(
        np.searchsorted(zc, wave - reach), np.searchsorted(zc, wave + reach, "right")
    )
    iwc = np.minimum(iw, zc.size - 1, out=iw)
    width, centre = widths.take(iwc), zc.take(iwc)
    ok &= np.abs(centre - wave) < np.abs(dwave + width)
    lo, hi = wave - dwave / 2, wave + dwave / 2
    width /= 2
    spx_lo, spx_hi = centre - width, centre + width
    z1 = np.maximum(spx_hi - lo, 0)
    z2 = np.maximum(spx_hi - hi, 0)
    z3 = np.maximum(spx_lo - lo, 0)
    z1 -= z2
    z1 -= z3
    overlap = np.where(ok, np.maximum(z1, 0, out=z1), 0.0)
    return np.ascontiguousarray(iwc.T), np.ascontiguousarray(overlap.T)


class _Chunk(NamedTuple):
    """A chunk of pixels with the spaxel columns, rows and planes each one may reach.

    ``xq``, ``yq``: (4, npix) corners; ``cols``, ``rows``: (first, count) of the
    spaxel columns and rows each pixel's extent meets; ``plane``, ``overlap``:
    (npix, candidates) plane index and wavelength overlap (µm, 0 for none).
    """

    xq: np.ndarray
    yq: np.ndarray
    cols: tuple[np.ndarray, np.ndarray]
    rows: tuple[np.ndarray, np.ndarray]
    plane: np.ndarray
    overlap: np.ndarray


def _chunk(
    xi: np.ndarray, eta: np.ndarray, wave: np.ndarray, dwave: np.ndarray, axes: CubeAxes
) -> _Chunk:
    xq, yq = np.ascontiguousarray(xi.T), np.ascontiguousarray(eta.T)
    return _Chunk(
        xq, yq, _near(xq, axes.xcoord, axes.cdelt1), _near(yq, axes.ycoord, axes.cdelt2),
        *_spectral(wave, dwave, axes.zcoord, axes.widths),
    )  # fmt: skip


def _spatial(chunk: _Chunk, axes: CubeAxes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pixel, spaxel index y * nx + x, overlap area) of every overlapping pair of the
    chunk's pixels, pixel by pixel, then column, then row.

    Pixels that meet as many columns and rows are taken together, so that a
    pixel's x pieces are computed once per column, its y pieces once per row,
    and only their combination per pair (:func:`_group_areas`).
    """
    counts = chunk.cols[1] * chunk.rows[1]
    offset = np.cumsum(counts) - counts
    area = np.empty(int(counts.sum()))
    spaxel = np.empty(area.size, np.intp)
    key = chunk.cols[1] * (int(chunk.rows[1].max(initial=0)) + 1) + chunk.rows[1]
    order = np.argsort(key, kind="stable")
    ranked = key.take(order)
    starts = np.flatnonzero(np.diff(ranked)) + 1
    for begin, end in zip(np.r_[0, starts], np.r_[starts, ranked.size], strict=True):
        if counts[order[begin]] == 0:
            continue
        for first in range(begin, end, _BLOCK):
            pixels = order[first : min(first + _BLOCK, end)]
            _group_areas(chunk, axes, pixels, offset.take(pixels), area, spaxel)
    pixel = np.repeat(np.arange(counts.size), counts)
    keep = np.flatnonzero(area > 0)
    return pixel.take(keep), spaxel.take(keep), area.take(keep)


def _group_areas(
    chunk: _Chunk,
    axes: CubeAxes,
    pixels: np.ndarray,
    offset: np.ndarray,
    area: np.ndarray,
    spaxel: np.ndarray,
) -> None:
    """Put the overlap areas and spaxel indices of ``pixels`` (meeting as many columns and
    rows) with their spaxels at ``offset`` of each pixel (column by column, row by row)."""
    (first_x, count_x), (first_y, count_y) = chunk.cols, chunk.rows
    ncol, nrow = int(count_x[pixels[0]]), int(count_y[pixels[0]])
    column = first_x.take(pixels) + np.arange(ncol)[:, None]
    row = first_y.take(pixels) + np.arange(nrow)[:, None]
    sides = []
    for q, index, centres, cdelt in (
        (chunk.xq, column, axes.xcoord, axes.cdelt1),
        (chunk.yq, row, axes.ycoord, axes.cdelt2),
    ):
        centre = centres.take(index)
        low, high = centre - cdelt * 0.5, centre + cdelt * 0.5
        # (corner, column or row, pixel): the corners from the box's low edge
        a = q.take(pixels, axis=1)[:, None, :] - low
        sides.append((a, edges(a), high - low))
    (ax, dx, width), (ay, dy, height) = sides
    got = box_areas(
        ax[:, :, None], dx[:, :, None], width[:, None], ay[:, None], dy[:, None], height[None]
    )  # fmt: skip
    at = offset + np.arange(ncol * nrow)[:, None]
    area.put(at, got)
    spaxel.put(at, row[None] * axes.xcoord.size + column[:, None])


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
    order = chunk_order(wave, axes.zcoord, chunk)
    npix = len(wave)
    for start in range(0, npix, chunk):
        part: slice | np.ndarray = (
            slice(start, min(start + chunk, npix)) if order is None else order[start : start + chunk]
        )  # fmt: skip
        pixels = _chunk(xi[part], eta[part], wave[part], dwave[part], axes)
        index, *values = _weights(pixels, flux[part], err[part], axes)
        add_sums(sums, index, (*values, None))
    return sums[0], sums[1], sums[2], sums[3]


#: Steps of the wavelength range by which :func:`chunk_order` sorts the pixels.
_STEPS = 4096


def chunk_order(wave: np.ndarray, zcoord: np.ndarray, chunk: int = _CHUNK) -> np.ndarray | None:
    """An order of the pixels in which a chunk of them meets a few planes of the cube (the
    span :func:`add_sums` adds), or None when their own order does already.

    The pixels' wavelengths (µm) in :data:`_STEPS` steps of the cube's range:
    when the chunks of the pixels' own order span on average more than 4 times
    what sorted chunks would (a NIRSpec IFU detector row crosses every plane;
    MIRI MRS rows follow the dispersion, within 2 times), the indices
    sorted by step (stable: the detector's order within a step).
    """
    if wave.size <= chunk:
        return None
    low, high = float(zcoord[0]), float(zcoord[-1])
    key = np.clip((wave - low) * ((_STEPS - 1) / max(high - low, 1e-30)), 0.0, _STEPS - 1.0)
    key = key.astype(np.uint16)
    starts = np.arange(0, key.size, chunk)
    spans = np.maximum.reduceat(key, starts) - np.minimum.reduceat(key, starts).astype(np.int64)
    if spans.mean() <= 4.0 * _STEPS * chunk / key.size:
        return None
    return np.argsort(key, kind="stable")


def _weights(
    chunk: _Chunk, flux: np.ndarray, err: np.ndarray, axes: CubeAxes
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(flat spaxel index, flux w, w, (err w)^2) of each pixel of the chunk with each
    spaxel it reaches, pixel by pixel, then spaxel, then plane."""
    pixels, spaxel, area = _spatial(chunk, axes)
    # each pixel's planes of positive overlap, in candidate order: a run of them per pixel
    positive = chunk.overlap > 0
    overlap, plane = chunk.overlap[positive], chunk.plane[positive]
    plane *= axes.xcoord.size * axes.ycoord.size
    runs = positive.sum(axis=1)
    # a pair's slots are its pixel's run: where each slot's plane is in ``overlap``
    count = runs.take(pixels)
    ends = np.cumsum(count)
    at = np.repeat((np.cumsum(runs) - runs).take(pixels) - ends + count, count)
    at += np.arange(at.size)
    weight = overlap.take(at)
    weight *= np.repeat(area, count)
    index = plane.take(at)
    index += np.repeat(spaxel, count)
    flux = np.repeat(flux.take(pixels), count)
    flux *= weight
    err = np.repeat(err.take(pixels), count)
    err *= weight
    if weight.size and not weight.min() > 0:  # area x overlap below the least double: no weight
        kept = np.flatnonzero(weight > 0)
        index, flux, weight, err = (v.take(kept) for v in (index, flux, weight, err))
    return index, flux, weight, np.square(err, out=err)


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
