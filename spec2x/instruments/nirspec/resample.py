"""Rectified output WCS of one NIRSpec slit for resample_spec (jwst ``build_nirspec_output_wcs``).

Follows jwst 3.0.0 ``ResampleSpec`` for a single input image (Stage 2): a
linear fit of the tangent-plane position along the slit, centred on the
flux-weighted slit position, a wavelength look-up table from the median
wavelength of each detector column, and a ``slit_frame`` between detector
and world.  The shared pieces (grid, linear fit, frames) are in
:mod:`spec2x._kernels.resample_spec`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..._kernels.resample_spec import (
    between,
    bounding_box,
    linear_fit,
    on_grid,
    output_frames,
    tangent_extent,
)
from ..._kernels.stacked_transforms import stacked_pixel_frames

__all__ = ["nirspec_output_wcs", "nirspec_pixel_frames"]

#: (x_slit, y_slit, wavelength) and (RA, Dec, wavelength) of every pixel of a slit image.
PixelFrames = tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]


def nirspec_pixel_frames(
    wcss: Sequence[Any], shapes: Sequence[tuple[int, ...]]
) -> list[PixelFrames]:
    """Each slit's WCS on every pixel of its image of ``shapes[i]``, all slits evaluated
    at once (:func:`spec2x._kernels.stacked_transforms.stacked_pixel_frames`): the slit
    frame (x_slit, y_slit, µm) and the world (RA, Dec deg, µm); NaN outside the bounding
    box."""
    frames = stacked_pixel_frames(wcss, shapes, keep=("slit_frame",))
    return [(f["slit_frame"], f[w.output_frame.name]) for f, w in zip(frames, wcss, strict=True)]


def _sampling_wavelengths(lam: np.ndarray) -> list[float]:
    """Sorted median wavelength of each detector column of ``lam`` (the WCS's wavelengths on
    the bounding-box grid), near-duplicates dropped (µm)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = sorted(np.nanmedian(lam[:, np.any(np.isfinite(lam), axis=0)], axis=0))
    if not ref:
        return []
    min_delta = np.fabs(np.ediff1d(ref).min()) if len(ref) > 1 else 0.0
    ediff = np.fabs(np.ediff1d(ref))
    for i in np.flatnonzero(ediff < max(0.1 * min_delta, 1e2 * np.finfo(1.0).eps))[::-1]:
        del ref[i]
    return [float(v) for v in ref]


def _fiducial(
    wcs: Any, data: np.ndarray, slit: tuple[np.ndarray, ...] | None
) -> tuple[float, float]:
    """RA, Dec (deg) of the flux-weighted slit position at the mean wavelength (``slit``:
    the slit frame on every pixel of ``data``, if already evaluated)."""
    from astropy.stats import sigma_clip

    ref_data = np.array(data, dtype=data.dtype, copy=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref_data -= np.nanmin(ref_data)

    def d2s(x: np.ndarray, y: np.ndarray) -> Any:
        return wcs.get_transform(wcs.available_frames[0], "slit_frame")(x, y)

    _, s, lam = np.array(on_grid(d2s, bounding_box(wcs), slit))
    ok = np.isfinite(s) & np.isfinite(lam) & np.isfinite(ref_data)
    ref_data[~ok] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = np.ma.filled(sigma_clip(ref_data, masked=True, sigma=100.0), fill_value=0.0)
    if not np.all(weights == 0.0):
        wmean_s = np.average(s[ok], weights=weights[ok])
    else:
        wmean_s = np.nanmean(s)
    targ_ra, targ_dec, _ = between(wcs, "slit_frame", _sky_frame(wcs))(0, wmean_s, np.nanmean(lam))
    return targ_ra, targ_dec


def _sky_frame(wcs: Any) -> str:
    return "moving_target" if "moving_target" in wcs.available_frames else "world"


def _spatial_fits(
    bb: tuple, ra: np.ndarray, dec: np.ndarray, undist2sky: Any
) -> tuple[Any, Any, int, bool]:
    """Pixel -> tangent-plane x and y fits along the slit, the output height, x/y swapped
    (``ra``, ``dec``: the WCS on the grid of the bounding box ``bb``)."""
    centre = int(np.mean(bb, axis=1)[0])
    x_tan, y_tan = undist2sky.inverse(ra[:, centre], dec[:, centre])
    nan = np.isnan(x_tan) | np.isnan(y_tan)
    pix_to_xtan = linear_fit(x_tan[~nan])
    pix_to_ytan = linear_fit(y_tan[~nan])
    swap_xy = abs(pix_to_xtan.slope) < abs(pix_to_ytan.slope)
    min_x, max_x, min_y, max_y = tangent_extent(ra, dec, undist2sky.inverse)
    diff_y, diff_x = abs(max_y - min_y), abs(max_x - min_x)
    slope_y, sign_y = abs(pix_to_ytan.slope), np.sign(pix_to_ytan.slope)
    slope_x, sign_x = abs(pix_to_xtan.slope), np.sign(pix_to_xtan.slope)
    ny = (int(np.ceil(diff_y / slope_y)) if swap_xy else int(np.ceil(diff_x / slope_x))) + 1
    offset_y = ny / 2 * slope_y - diff_y / 2
    offset_x = ny / 2 * slope_x - diff_x / 2
    zero_y = min_y if sign_y > 0 else max_y
    zero_x = min_x if sign_x > 0 else max_x
    pix_to_ytan.intercept = zero_y - sign_y * offset_y
    pix_to_xtan.intercept = zero_x - sign_x * offset_x
    return pix_to_xtan, pix_to_ytan, ny, swap_xy


def _wavelength_table(ref_lam: list[float]) -> Any:
    """Pixel -> wavelength look-up, padded half a pixel beyond both ends."""
    from astropy.modeling.models import Tabular1D

    pixel: list[float] = list(range(len(ref_lam)))
    if len(ref_lam) > 1:
        slope = (ref_lam[1] - ref_lam[0]) / pixel[1]
        ref_lam.insert(0, -0.5 * slope + ref_lam[0])
        pixel.insert(0, -0.5)
        slope = (ref_lam[-1] - ref_lam[-2]) / (pixel[-1] - pixel[-2])
        ref_lam.append(slope * (pixel[-1] + 0.5) + ref_lam[-2])
        pixel.append(pixel[-1] + 0.5)
    else:
        ref_lam, pixel = 3 * ref_lam, [-0.5, 0, 0.5]
    return Tabular1D(points=pixel, lookup_table=ref_lam, bounds_error=False, fill_value=np.nan)


def nirspec_output_wcs(
    wcs: Any,
    data: np.ndarray,
    good: np.ndarray,
    frames: PixelFrames | None = None,
) -> Any:
    """Output WCS of one NIRSpec slit, jwst ``build_nirspec_output_wcs`` for a single input.

    Parameters
    ----------
    wcs : the slit's gwcs with ``slit_frame`` and ``world`` frames.
    data : the slit's science image (the fiducial is its flux-weighted slit position).
    good : pixels not flagged DO_NOT_USE / NON_SCIENCE (jwst uses the first
        model whatever their number, so they do not change the result).
    frames : ``wcs`` on every pixel of ``data`` (slit frame and world), if already
        evaluated (:func:`nirspec_pixel_frames`).

    Returns
    -------
    gwcs.WCS detector -> slit_frame -> world, with ``array_shape`` (ny, n_wavelengths).
    """
    from astropy.modeling.models import (
        Const1D,
        Mapping,
        Pix2Sky_TAN,
        RotateNative2Celestial,
        Tabular1D,
    )
    from gwcs import WCS

    slit, world = (None, None) if frames is None else frames
    targ_ra, targ_dec = _fiducial(wcs, data, slit)
    undist2sky = Pix2Sky_TAN() | RotateNative2Celestial(targ_ra, targ_dec, 180)
    bb = bounding_box(wcs)
    ra, dec, lam = on_grid(wcs, bb, world)  # once: the fits, the extent and the sampling
    pix_to_xtan, pix_to_ytan, ny, swap_xy = _spatial_fits(bb, ra, dec, undist2sky)
    ref_lam = _sampling_wavelengths(lam)
    n_lam = len(ref_lam)
    if not n_lam:
        raise ValueError("not enough valid wavelengths to build the output WCS")
    wave = _wavelength_table(ref_lam)
    mapping = Mapping((1, 1, 0))
    mapping.inverse = Mapping((2, 1)) if swap_xy else Mapping((2, 0))
    pix2world = mapping | (pix_to_xtan & pix_to_ytan | undist2sky) & wave
    w2s = between(wcs, _sky_frame(wcs), "slit_frame")
    slit_centre = w2s(*pix2world(np.full(ny, n_lam // 2), np.arange(ny)))[1]
    slit_tab = Tabular1D(
        points=np.arange(ny), lookup_table=slit_centre, bounds_error=False, fill_value=None
    )
    m = Mapping((0, 1, 0))
    inv = Mapping((2, 1), n_inputs=3)
    inv.inverse = m
    m.inverse = inv
    zero = Const1D(0)
    zero.inverse = zero
    det2slit = m | zero & slit_tab & wave
    slit2world = det2slit.inverse | pix2world
    f = output_frames(True)
    out = WCS([(f["det"], det2slit), (f["slit"], slit2world), (f["world"], None)])
    out.bounding_box = ((-0.5, n_lam - 0.5), (-0.5, ny - 0.5))
    out.array_shape = (ny, n_lam)
    return out
