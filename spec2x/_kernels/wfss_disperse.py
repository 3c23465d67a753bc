"""NumPy kernel of the WFSS forward model: dispersed positions -> pixel areas and count rates.

Each direct-image pixel, at each wavelength of a grid, lands on the
dispersed image as a unit square centred on its dispersed position; the
square's area on each detector pixel (pixel ``i`` covering ``[i, i + 1)``,
as jwst's ``get_clipped_pixels``) carries that share of the pixel's light.
No xarray, no WCS here: positions come in as arrays.
"""

from __future__ import annotations

import numpy as np

__all__ = ["clipped_pixels", "count_rates", "native_wavelengths"]


def native_wavelengths(
    span_x: float, span_y: float, wmin: float, wmax: float, oversample: int
) -> np.ndarray:
    """The wavelength grid (µm) of one chunk of pixels, as jwst's ``_determine_native_wl_spacing``.

    Parameters
    ----------
    span_x, span_y : dispersed x and y (pixels) at ``wmax`` minus those at ``wmin``.
    wmin, wmax : the order's wavelength range (µm).
    oversample : samples per dispersed pixel.

    Returns
    -------
    ``linspace(wmin, wmax, n)`` with ``n = max(ceil((wmax - wmin) / dlam), 3)`` and
    ``dlam = |(wmax - wmin) / (span_y - span_x)| / oversample`` (jwst's rule).
    """
    dlam = abs((wmax - wmin) / (span_y - span_x)) / oversample
    npts = max(int(np.ceil((wmax - wmin) / dlam)), 3)
    return np.linspace(wmin, wmax, npts)


def clipped_pixels(
    xc: np.ndarray, yc: np.ndarray, nx: int, ny: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Areas of unit squares centred on ``(xc, yc)`` on the pixels of an ``(ny, nx)`` image.

    Parameters
    ----------
    xc, yc : square centres (pixels; pixel ``i`` covers ``[i, i + 1)``), any equal shape.
    nx, ny : image size.

    Returns
    -------
    ix, iy : pixel of each overlap (on the image).
    area : overlap area (0 < area <= 1).
    index : the flat (C-order) index of the square in ``xc``.
    """
    x = np.ravel(xc) - 0.5
    y = np.ravel(yc) - 0.5
    ok = np.isfinite(x) & np.isfinite(y)
    ok &= (x > -1) & (x < nx) & (y > -1) & (y < ny)
    index = np.flatnonzero(ok)
    x, y = x[index], y[index]
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    x0i, y0i = x0.astype(np.int32), y0.astype(np.int32)
    parts = []
    for dx, dy in ((0, 0), (0, 1), (1, 0), (1, 1)):  # the (up to) four pixels a square covers
        area = (fx if dx else 1 - fx) * (fy if dy else 1 - fy)
        ix, iy = x0i + dx, y0i + dy
        keep = (area > 0) & (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        parts.append((ix[keep], iy[keep], area[keep], index[keep]))
    ix, iy, area, index = (np.concatenate(p) for p in zip(*parts, strict=True))
    return ix, iy, area, index


def count_rates(
    flux: np.ndarray,
    area: np.ndarray,
    wavelength: np.ndarray,
    dlam: float,
    sens_wavelength: np.ndarray,
    sens_response: np.ndarray,
) -> np.ndarray:
    """DN/s of each overlap: ``flux * area * dlam / S(wavelength)``, 0 where S is not known.

    Parameters
    ----------
    flux : direct-image surface brightness of the overlap's pixel (MJy/sr).
    area : overlap area (pixels).
    wavelength : wavelength of the overlap (µm).
    dlam : wavelength step of the grid (µm).
    sens_wavelength, sens_response : the order's sensitivity S (µm; MJy/sr µm per DN/s),
        wavelength increasing; outside it or where it is 0, no light.
    """
    sens = np.interp(wavelength, sens_wavelength, sens_response, left=np.nan, right=np.nan)
    known = np.isfinite(sens) & (sens != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        counts = flux * area * dlam / sens
    return np.where(known, counts, 0.0)
