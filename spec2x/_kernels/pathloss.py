"""NumPy kernels of the NIRSpec slit pathloss correction (fixed slits and MOS slitlets).

Per slit, a pathloss curve versus wavelength is taken from the reference:
for a point source, bilinear interpolation of the (wavelength, y, x) cube at
the source position; for a uniform source, the 1-D vector.  The curve is then
interpolated linearly at each pixel's wavelength (NaN outside the curve).
As jwst 3.0.0 ``jwst.pathloss.pathloss`` (``calculate_pathloss_vector``,
``interpolate_onto_grid``), with its float32 vectors; the slits whose curves
share a wavelength grid are interpolated in one pass.  No xarray here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "interpolate_onto_grid",
    "point_vector",
    "slit_pathloss",
    "uniform_vector",
]

#: Per slit: (wavelength µm, pathloss) for point source, then for uniform source.
Vectors = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

POINT, UNIFORM = 1, 2


def _axis(wcs: Mapping[str, float], axis: int, n: int) -> np.ndarray:
    i = np.arange(1, n + 1, dtype=np.float64)
    crval, crpix, cdelt = wcs[f"crval{axis}"], wcs[f"crpix{axis}"], wcs[f"cdelt{axis}"]
    return (crval + (i - crpix) * cdelt).astype(np.float32)


def point_vector(
    cube: np.ndarray, wcs: Mapping[str, float], xcenter: float, ycenter: float
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Point-source pathloss versus wavelength at one source position.

    Parameters
    ----------
    cube : (nwave, ny, nx) pathloss over source position and wavelength.
    wcs : ``crpix/crval/cdelt 1..3`` (axes x position, y position, wavelength m).
    xcenter, ycenter : source position in the aperture (-0.5..0.5).

    Returns
    -------
    wavelength (µm, float32), pathloss (float32), and whether the position
    lies inside the grid (if not, the pathloss is zeros and must not be used).
    """
    nwave, nrows, ncols = cube.shape
    wavelength = _axis(wcs, 3, nwave)
    col = wcs["crpix1"] + (xcenter - wcs["crval1"]) / wcs["cdelt1"] - 1
    row = wcs["crpix2"] + (ycenter - wcs["crval2"]) / wcs["cdelt2"] - 1
    if not (0 <= col < ncols - 1 and 0 <= row < nrows - 1):
        return wavelength * np.float32(1e6), np.zeros(nwave, np.float32), False
    dx1 = col - int(col)
    dx2 = 1.0 - dx1
    dy1 = row - int(row)
    dy2 = 1.0 - dy1
    j, i = int(col), int(row)
    vec = (
        (dx2 * dy2) * cube[:, i, j]
        + (dx2 * dy1) * cube[:, i + 1, j]
        + (dx1 * dy2) * cube[:, i, j + 1]
        + (dx1 * dy1) * cube[:, i + 1, j + 1]
    )
    wavelength *= 1.0e6
    return wavelength, vec, True


def uniform_vector(data: np.ndarray, wcs: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Uniform-source pathloss versus wavelength (µm, float32)."""
    wavelength = _axis(wcs, 1, data.shape[0])
    wavelength *= 1.0e6
    return wavelength, data


def interpolate_onto_grid(
    wavelength: np.ndarray, vector_wl: np.ndarray, vector: np.ndarray
) -> np.ndarray:
    """Linear interpolation of ``vector`` at each wavelength; NaN outside ``vector_wl``.

    jwst's ``interpolate_onto_grid``: a wavelength equal to the first entry
    is outside too (NaN), one equal to the last is inside.  ``vector`` may be
    one curve (m,) or one curve per leading entry of ``wavelength`` (n, m),
    all on the grid ``vector_wl``.
    """
    rows = np.atleast_2d(vector)
    ext_pl = np.full((rows.shape[0], rows.shape[1] + 2), np.nan)
    ext_pl[:, 1:-1] = rows
    ext_wl = np.zeros(len(vector_wl) + 2)
    ext_wl[1:-1] = vector_wl
    ext_wl[0] = vector_wl[0] - 0.1
    ext_wl[-1] = vector_wl[-1] + 0.1
    lower = np.searchsorted(vector_wl, wavelength)
    upper = lower + 1
    s: int | np.ndarray = 0
    if np.ndim(vector) == 2:
        s = np.arange(rows.shape[0]).reshape((-1,) + (1,) * (np.ndim(wavelength) - 1))
    # the same operations as ``lo + f * (hi - lo)``, each gather once, in place (float64)
    wl_lo, pl_lo = ext_wl[lower], ext_pl[s, lower]
    with np.errstate(invalid="ignore"):
        fraction = np.subtract(wavelength, wl_lo)
        fraction /= ext_wl[upper] - wl_lo
        out = ext_pl[s, upper]
        out -= pl_lo
        out *= fraction
        out += pl_lo
        return out


def _by_grid(
    vectors: Sequence[Vectors], index: np.ndarray, slits: np.ndarray, column: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The ``slits`` grouped by the wavelength grid of their curve ``column`` (0 point,
    2 uniform): per group (slits, grid, stacked curves (n, m))."""
    groups: dict[bytes, list[int]] = {}
    for s in slits:
        groups.setdefault(np.asarray(vectors[index[s]][column]).tobytes(), []).append(int(s))
    out = []
    for members in groups.values():
        rows = np.asarray(members, np.intp)
        grid = vectors[index[rows[0]]][column]
        out.append((rows, grid, np.stack([vectors[index[r]][column + 1] for r in rows])))
    return out


def slit_pathloss(
    wavelength: np.ndarray,
    wavelength_uncorrected: np.ndarray,
    vector_index: np.ndarray,
    mode: np.ndarray,
    *,
    vectors: Sequence[Vectors],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pathloss of every pixel of every slit.

    Parameters
    ----------
    wavelength : (slit, y, x) wavelengths (µm; corrected by wavecorr for point sources).
    wavelength_uncorrected : (slit, y, x) wavelengths for the uniform-source
        curve of point-source slits (before wavecorr for fixed slits).
    vector_index : (slit,) index into ``vectors``.
    mode : (slit,) 1 = point source, 2 = uniform, 0 = no correction.
    vectors : per entry (point wl, point pathloss, uniform wl, uniform pathloss).

    Returns
    -------
    applied, point, uniform pathloss (float32, NaN where not defined or not corrected).

    Notes
    -----
    Slits whose curves share a wavelength grid (one aperture) are interpolated
    together; only the distinct grids loop.
    """
    shape = wavelength.shape
    point = np.full(shape, np.nan, np.float32)
    uniform = np.full(shape, np.nan, np.float32)
    mode = np.asarray(mode)
    done = np.flatnonzero(mode > 0)
    is_point = (mode == POINT).reshape((-1,) + (1,) * (wavelength.ndim - 1))
    un_wl = np.where(is_point, wavelength_uncorrected, wavelength)
    for rows, grid, curves in _by_grid(vectors, vector_index, done, 0):
        point[rows] = interpolate_onto_grid(wavelength[rows], grid, curves)
    for rows, grid, curves in _by_grid(vectors, vector_index, done, 2):
        uniform[rows] = interpolate_onto_grid(un_wl[rows], grid, curves)
    applied = np.where(is_point, point, uniform)
    applied[mode == 0] = np.nan
    return applied, point, uniform
