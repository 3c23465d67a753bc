"""Find a point source in an IFU cube (extract_1d's ``ifu_autocen``).

jwst 3.0.0's automatic source centring for IFU point sources: the cube's
planes below 26 µm (where the MRS still has throughput) are median-collapsed,
ignoring non-finite spaxels; the image's sigma-clipped median is taken off,
and photutils' DAOStarFinder (FWHM 3 spaxels, threshold three times the
clipped standard deviation) finds the sources.  The brightest one's
centroid is the aperture centre.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["MAX_WAVELENGTH", "find_source"]

#: Planes at or beyond this wavelength (µm) are left out of the collapsed image.
MAX_WAVELENGTH = 26.0
#: DAOStarFinder's kernel FWHM (spaxels) and threshold (clipped standard deviations).
_FWHM = 3.0
_NSIGMA = 3.0


def find_source(sci: np.ndarray, wavelength: np.ndarray) -> tuple[float, float] | None:
    """The centroid of the brightest source in the cube's median image.

    Parameters
    ----------
    sci : cube ``(wavelength, y, x)`` (any surface-brightness unit; NaN where empty).
    wavelength : the planes' wavelengths (µm).

    Returns
    -------
    ``(x, y)`` in spaxels (0-based), or None when no source stands out (or
    every plane is at or beyond :data:`MAX_WAVELENGTH`).
    """
    from astropy.stats import sigma_clipped_stats
    from photutils.detection import DAOStarFinder
    from photutils.utils.exceptions import NoDetectionsWarning

    planes = np.asarray(sci)[np.asarray(wavelength) < MAX_WAVELENGTH]
    if planes.shape[0] == 0:
        return None
    image = np.ma.median(np.ma.masked_invalid(planes), axis=0)
    _, median, std = sigma_clipped_stats(image)
    with warnings.catch_warnings():  # the caller says what it does when nothing is found
        warnings.simplefilter("ignore", NoDetectionsWarning)
        found = DAOStarFinder(fwhm=_FWHM, threshold=_NSIGMA * std)(image - median)
    if found is None:
        return None
    brightest = found[int(np.argmax(np.asarray(found["flux"])))]
    return float(brightest["x_centroid"]), float(brightest["y_centroid"])
