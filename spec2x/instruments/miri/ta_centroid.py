"""The MIRI target-acquisition verification image: where the source is, where it should be.

As jwst 3.0.0's ``jwst.targ_centroid``:

- the TA verification image (an imager exposure) maps its pixels to the sky as
  the imager WCS does: subarray -> full frame, the filter's offset
  (``filteroffset``), the imager ``distortion`` to (V2, V3), velocity
  aberration, the telescope attitude;
- the expected source position in an exposure is the dithered pointing (the
  ideal offset XOFFSET, YOFFSET through the attitude) taken back to its pixels,
  and its dither offset that less the pixel of (RA_REF, DEC_REF);
- the source is a 2-D Gaussian fitted (photutils ``centroid_2dg``) in a 20-pixel
  box about the expected position in the TA image.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from astropy.modeling import models
from gwcs import wcs as gwcs_wcs

from .lrs_pointing import dithered_position
from .lrs_wcs import subarray_to_full, v2v3_to_sky, velocity_aberration

__all__ = [
    "CUTOUT_SIZE",
    "MIN_FINITE",
    "FitFailed",
    "dither_offset",
    "fit_centroid",
    "science_dither_offset",
    "ta_transforms",
]

#: Side (pixels) of the box about the expected position in which the source is fitted.
CUTOUT_SIZE = 20
#: Fewest finite pixels in the box for a fit.
MIN_FINITE = 10


class FitFailed(Exception):
    """The TA image gives no centroid (too few finite pixels, or the fit fails)."""


def ta_transforms(
    attrs: Mapping[str, Any], distortion: models.Model, offset: tuple[float, float] | None
) -> tuple[models.Model, models.Model]:
    """The TA image's pixel (x, y, 0-based, subarray) -> (RA, Dec) deg and its
    (V2, V3) arcsec -> (RA, Dec) deg, each with its inverse.

    Parameters
    ----------
    attrs : the TA image's keywords (SUBSTRT1/2, the attitude V2_REF, V3_REF,
        ROLL_REF, RA_REF, DEC_REF, VA_SCALE).
    distortion : the MIRI imager distortion (full-frame pixels -> V2, V3 arcsec).
    offset : the filter's (column, row) offset in pixels, or None.
    """
    to_v2v3 = distortion
    if offset is not None:
        to_v2v3 = models.Shift(offset[0]) & models.Shift(offset[1]) | to_v2v3
    sub2full = subarray_to_full(attrs)
    if sub2full is not None:
        to_v2v3 = sub2full | to_v2v3
    v2v3_to_world = velocity_aberration(attrs) | v2v3_to_sky(attrs)
    return to_v2v3 | v2v3_to_world, v2v3_to_world


def dither_offset(
    attrs: Mapping[str, Any],
    sky_to_pixel: models.Model,
    v2v3_to_world: models.Model,
    wavelength: float | None = None,
    dithered: tuple[float, float] | None = None,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The dithered pointing's pixel and its offset from the pixel of (RA_REF, DEC_REF).

    Parameters
    ----------
    attrs : the exposure's keywords (XOFFSET, YOFFSET arcsec, V3I_YANG, VPARITY,
        V2_REF, V3_REF, RA_REF, DEC_REF).
    sky_to_pixel : (RA, Dec[, wavelength]) -> (x, y[, ...]) 0-based pixels of the data array.
    v2v3_to_world : (V2, V3[, wavelength]) -> (RA, Dec[, ...]).
    wavelength : µm, for a spectroscopic WCS (its third input).
    dithered : the dithered pointing (RA, Dec deg) when the exposure records it
        (DITH_RA, DITH_DEC); else computed from the offsets.

    Returns
    -------
    ``(x, y)`` of the dithered pointing and ``(dx, dy)`` from the reference (pixels).

    Raises
    ------
    FitFailed
        No dithered pointing and no XOFFSET, YOFFSET, V3I_YANG or VPARITY to compute it.
    """
    if dithered is None:
        dithered = dithered_position(v2v3_to_world, attrs)
    if dithered is None:
        raise FitFailed("no XOFFSET, YOFFSET, V3I_YANG or VPARITY: no dithered pointing")
    extra = [wavelength] * (sky_to_pixel.n_inputs - 2)
    x, y = sky_to_pixel(*dithered, *extra)[:2]
    x_ref, y_ref = sky_to_pixel(float(attrs["RA_REF"]), float(attrs["DEC_REF"]), *extra)[:2]
    return (float(x), float(y)), (float(x - x_ref), float(y - y_ref))


def science_dither_offset(
    wcs: gwcs_wcs.WCS, attrs: Mapping[str, Any], dispaxis: int
) -> tuple[float, float]:
    """A MIRI LRS exposure's dither offset (pixels) at the middle wavelength of its WCS.

    The middle wavelength is the mean over the cross-dispersion pixels of the
    WCS bounding box at its middle along the dispersion (jwst's
    ``middle_from_wcs``); the dithered pointing is DITH_RA/DITH_DEC where the
    exposure has them (fixed slit), else the offsets through the WCS.
    """
    (x0, x1), (y0, y1) = wcs.bounding_box.bounding_box(order="F")
    if dispaxis == 1:
        xd = np.arange(int(round(y1)), dtype=np.float64)
        x, y = np.full(xd.size, (x0 + x1) / 2.0), xd
    else:
        xd = np.arange(int(round(x1)), dtype=np.float64)
        x, y = xd, np.full(xd.size, (y0 + y1) / 2.0)
    wavelengths = wcs(x, y)[2]
    if not np.isfinite(wavelengths).any():
        raise FitFailed("no wavelength at the middle of the science WCS's bounding box")
    ra, dec = attrs.get("DITH_RA"), attrs.get("DITH_DEC")
    return dither_offset(
        attrs,
        wcs.get_transform("world", "detector"),
        wcs.get_transform("v2v3", "world"),
        float(np.nanmean(wavelengths)),
        None if ra is None or dec is None else (float(ra), float(dec)),
    )[1]


def fit_centroid(image: np.ndarray, near: tuple[float, float]) -> tuple[float, float]:
    """The source's (x, y) (0-based pixels of ``image``): a 2-D Gaussian fitted in the
    :data:`CUTOUT_SIZE` box about ``near`` (clipped at the image's edges).

    Raises
    ------
    FitFailed
        Fewer than :data:`MIN_FINITE` finite pixels in the box, or the fit fails.
    """
    from photutils.centroids import centroid_2dg

    half = CUTOUT_SIZE // 2
    cx, cy = int(np.round(near[0])), int(np.round(near[1]))
    x0, y0 = max(0, cx - half), max(0, cy - half)
    box = image[y0 : min(image.shape[0], cy + half), x0 : min(image.shape[1], cx + half)]
    if np.count_nonzero(~np.isnan(box)) < MIN_FINITE:
        raise FitFailed("not enough finite pixels in the TA image about the expected position")
    try:
        x, y = centroid_2dg(box, mask=~np.isfinite(box))
    except ValueError as exc:
        raise FitFailed(f"2-D Gaussian fit failed: {type(exc).__name__}: {exc}") from None
    return float(x) + x0, float(y) + y0
