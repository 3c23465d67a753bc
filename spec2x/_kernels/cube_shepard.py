"""Modified Shepard weighting of a point cloud onto a cube grid (jwst ``cube_build``, ``emsm``/``msm``).

Each pixel, a point at its centre (xi, eta, lambda), reaches the spaxels
whose centre lies within ``rois`` (arcsec) of it on the sky and within
``roiw`` (µm) in wavelength.  With the distances in spaxel units,
``d^2 = (dxi / cdelt1)^2 + (deta / cdelt2)^2 + (dlambda / plane width)^2``:

- ``emsm``: ``w = exp(-d^2 / (scalerad / cdelt1))``;
- ``msm``: ``w = 1 / max(d^power, softrad)``.

A spaxel is the weight-averaged flux; its variance the sum of ``(err w)^2``
over the squared weight sum.  Chunks of pixels at a time, summed with ``bincount``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .cube_drizzle import CubeAxes, add_sums

__all__ = ["shepard_sums"]

_CHUNK = 20000


def _within(centres: np.ndarray, values: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """(index, ok) of the centres within ``reach`` of each value (rows), clipped to the axis."""
    step = centres[1] - centres[0] if centres.size > 1 else 1.0
    lo = np.floor((values - reach - centres[0]) / step).astype(int)
    width = int(np.ceil(2 * reach / step)) + 3
    index = lo[:, None] + np.arange(width)[None, :]
    inside = (index >= 0) & (index < centres.size)
    index = np.clip(index, 0, centres.size - 1)
    ok = inside & (np.fabs(centres[index] - values[:, None]) <= reach)
    return index, ok


def shepard_sums(
    xi: np.ndarray,
    eta: np.ndarray,
    wave: np.ndarray,
    flux: np.ndarray,
    err: np.ndarray,
    axes: CubeAxes,
    *,
    rois: float,
    roiw: float,
    kind: Literal["emsm", "msm"] = "emsm",
    scalerad: float = 0.0,
    power: float = 2.0,
    softrad: float = 0.0,
    chunk: int = _CHUNK,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sums over pixels of ``flux w``, ``w``, ``(err w)^2`` and the count of pixels per spaxel.

    Parameters
    ----------
    xi, eta : (npix,) pixel centres on the tangent plane (arcsec).
    wave : (npix,) pixel wavelengths (µm).
    flux, err : (npix,) values (any unit).
    axes : the cube's sampling.
    rois, roiw : spatial (arcsec) and spectral (µm) region of interest.
    kind : ``emsm`` (exponential, ``scalerad`` arcsec) or ``msm`` (``power``, ``softrad``).
    chunk : pixels handled at once.

    Returns
    -------
    Four flat arrays of ``zcoord.size * ycoord.size * xcoord.size`` (plane, y, x order).
    """
    xcoord, ycoord, zcoord, widths, cdelt1, cdelt2 = axes
    nx, nxy = xcoord.size, xcoord.size * ycoord.size
    size = nxy * zcoord.size
    sums = [np.zeros(size) for _ in range(4)]
    for start in range(0, len(wave), chunk):
        part = slice(start, start + chunk)
        ix, okx = _within(xcoord, xi[part], rois)
        iy, oky = _within(ycoord, eta[part], rois)
        iw, okw = _within(zcoord, wave[part], roiw)
        dx, dy = np.fabs(xcoord[ix] - xi[part, None]), np.fabs(ycoord[iy] - eta[part, None])
        radius = np.sqrt(dx[:, :, None] ** 2 + dy[:, None, :] ** 2)
        spatial = okx[:, :, None] & oky[:, None, :] & (radius <= rois)
        dxy = (dx / cdelt1)[:, :, None] ** 2 + (dy / cdelt2)[:, None, :] ** 2
        d3 = (wave[part, None] - zcoord[iw]) / widths[iw]
        dist = dxy[:, :, :, None] + (d3 * d3)[:, None, None, :]
        rows, a, b, w = np.nonzero(spatial[:, :, :, None] & okw[:, None, None, :])
        dist = dist[rows, a, b, w]
        if kind == "emsm":
            weight = np.exp(-dist / (scalerad / cdelt1))
        else:
            weight = 1.0 / np.maximum(np.sqrt(dist) ** power, softrad)
        index = iw[rows, w] * nxy + iy[rows, b] * nx + ix[rows, a]
        values = (flux[part][rows] * weight, weight, (err[part][rows] * weight) ** 2)
        add_sums(sums, index, (*values, None))
    return sums[0], sums[1], sums[2], sums[3]
