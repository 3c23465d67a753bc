"""Known spectra dispersed onto a synthetic WFSS exposure where the grism WCS puts them.

Each point source's spectrum (DN/s per µm, one curve scaled by the source's
brightness) is sampled on a fine wavelength grid; every sample goes through
the grism WCS's backward transform (RA, Dec, wavelength, order -> dispersed
pixel) and its DN/s land on the nearest pixel.  A column of the trace then
holds the spectrum times the column's wavelength span, which is what
photom's division by the dispersion undoes: the ``_x1d`` flux of an
isolated source is ``counts(λ) * PHOTMJSR * R(λ) * PIXAR_SR * 1e6`` Jy
(:func:`expected_flux`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["expected_flux", "inject_point_sources"]

#: Fine-grid samples per µm (about 200 per pixel at NIRCam's ~1e-3 µm per pixel: a
#: column collects its share to 0.5 %).
SAMPLES_PER_UM = 200_000


def inject_point_sources(
    image: np.ndarray,
    wcs: Any,
    ra: np.ndarray,
    dec: np.ndarray,
    scale: np.ndarray,
    counts_per_um: Callable[[np.ndarray], np.ndarray],
    wavelength_range: tuple[float, float],
    order: int = 1,
) -> np.ndarray:
    """Add each source's dispersed spectrum to ``image`` (in place; returned).

    Parameters
    ----------
    image : (ny, nx) DN/s, the dispersed exposure's pixels.
    wcs : the exposure's grism gwcs (``world -> grism_detector`` backward).
    ra, dec : sources' sky positions (deg).
    scale : each source's multiplier of ``counts_per_um``.
    counts_per_um : wavelength µm -> DN/s per µm.
    wavelength_range : (low, high) µm of the injected spectrum.
    order : the spectral order.
    """
    lo, hi = wavelength_range
    n = int(np.ceil((hi - lo) * SAMPLES_PER_UM))
    step = (hi - lo) / n
    lam = lo + step * (np.arange(n) + 0.5)
    weight = counts_per_um(lam) * step
    ny, nx = image.shape
    for r, d, s in zip(np.ravel(ra), np.ravel(dec), np.ravel(scale), strict=True):
        x, y, *_ = wcs.backward_transform(np.full(n, r), np.full(n, d), lam, np.full(n, order))
        ix, iy = np.rint(np.asarray(x)).astype(int), np.rint(np.asarray(y)).astype(int)
        on = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        np.add.at(image, (iy[on], ix[on]), (s * weight[on]).astype(image.dtype))
    return image


def expected_flux(
    counts_per_um: np.ndarray, photmjsr: float, relresponse: np.ndarray, pixar_sr: float
) -> np.ndarray:
    """The ``_x1d`` flux (Jy) of an injected isolated point source at the spectrum's wavelengths."""
    return counts_per_um * photmjsr * relresponse * pixar_sr * 1e6
