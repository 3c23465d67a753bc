"""Core of resample_spec: the rectified output WCS of a slit and the drizzle of its arrays.

NumPy, gwcs and drizzle only (no xarray).  The output WCS follows jwst 3.0.0
``ResampleSpec`` for one input image (Stage 2): ``interpolated_output_wcs``
(MIRI LRS: a linear fit of the tangent-plane position along the slit and a
wavelength look-up table) and ``nirspec_output_wcs`` (NIRSpec slits: the same,
plus a ``slit_frame``).  ``drizzle_slit`` resamples science, variances and
weights with ``drizzle.resample.Drizzle`` (square kernel, inverse read-noise
variance weights) as stcal's ``Resample`` does.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["drizzle_slit", "interpolated_output_wcs", "nirspec_output_wcs"]


def _bbox(wcs: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    bb = wcs.bounding_box
    return ((float(bb[0][0]), float(bb[0][1])), (float(bb[1][0]), float(bb[1][1])))


def _grid(bb: tuple) -> tuple[np.ndarray, np.ndarray]:
    from gwcs.wcstools import grid_from_bounding_box

    return grid_from_bounding_box(bb)


def _wrap_ra(ra: np.ndarray) -> np.ndarray:
    """Finite RA values, all on one side of 0/360 (jwst ``wrap_ra``)."""
    ra = np.asarray(ra, dtype=np.float64)
    ra = ra[np.isfinite(ra)].copy()
    median = np.nanmedian(ra) if ra.size else 0.0
    far = np.fabs(ra - median) > 180.0
    if far.any():
        ra[far] += -360.0 if median < 180 else 360.0
    return ra


def _spatial_extent(wcs: Any, transform: Any) -> tuple[float, float, float, float]:
    x, y = _grid(_bbox(wcs))
    ra, dec, _ = wcs(x, y)
    good = np.isfinite(ra) & np.isfinite(dec)
    xt, yt = transform(ra[good], dec[good])
    return float(np.min(xt)), float(np.max(xt)), float(np.min(yt)), float(np.max(yt))


def _linear_fit(values: np.ndarray) -> Any:
    from astropy.modeling.fitting import LinearLSQFitter
    from astropy.modeling.models import Linear1D

    idx = np.linspace(0, values.shape[0], values.shape[0], endpoint=False)
    return LinearLSQFitter()(Linear1D(), idx, values)


def _frames(with_slit: bool) -> dict[str, Any]:
    import astropy.units as u
    from astropy import coordinates as coord
    from gwcs import coordinate_frames as cf

    spec = cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.micron,), axes_names=("wavelength",)
    )
    sky = cf.CelestialFrame(name="sky", axes_order=(0, 1), reference_frame=coord.ICRS())
    frames = {
        "det": cf.Frame2D(name="detector", axes_order=(0, 1)),
        "world": cf.CompositeFrame([sky, spec], name="world"),
    }
    if with_slit:
        slit_spatial = cf.Frame2D(
            name="slit_spatial", axes_order=(0, 1), unit=("", ""), axes_names=("x_slit", "y_slit")
        )
        frames["slit"] = cf.CompositeFrame([slit_spatial, spec], name="slit_frame")
    return frames


def interpolated_output_wcs(wcs: Any, dispaxis: int, decreasing: bool) -> Any:
    """Output WCS for a non-NIRSpec slit (MIRI LRS), jwst ``build_interpolated_output_wcs``.

    Parameters
    ----------
    wcs : input gwcs (pixel -> RA, Dec, wavelength) with a bounding box.
    dispaxis : 1 (dispersion along x) or 2 (along y).
    decreasing : the output grid runs from long to short wavelengths (MIRI LRS:
        the detector's direction).

    Returns
    -------
    gwcs.WCS with ``array_shape`` (ny, nx) and a bounding box.
    """
    from astropy.modeling.models import Mapping, Pix2Sky_TAN, RotateNative2Celestial, Tabular1D
    from gwcs import WCS

    bb = _bbox(wcs)
    ra, dec, lam = np.array(wcs(*_grid(bb)))
    spectral_axis = dispaxis - 1
    spatial_axis = spectral_axis ^ 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        wavelength = np.nanmedian(lam, axis=spectral_axis)
    wavelength = wavelength[~np.isnan(wavelength)]
    centre = int((bb[spectral_axis][1] - bb[spectral_axis][0]) / 2)
    if spatial_axis == 0:
        ra_slice, dec_slice = ra[centre, :], dec[centre, :]
    else:
        ra_slice, dec_slice = ra[:, centre], dec[:, centre]
    ra_c = float(np.nanmean(_wrap_ra(ra_slice)))
    dec_c = float(np.nanmean(dec_slice))
    undist2sky = Pix2Sky_TAN() | RotateNative2Celestial(ra_c, dec_c, 180)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x_tan, y_tan = undist2sky.inverse(ra, dec)
    if spectral_axis == 0:
        xt, yt = x_tan.T[centre], y_tan.T[centre]
    else:
        xt, yt = x_tan[centre], y_tan[centre]
    pix_to_xtan = _linear_fit(xt[~np.isnan(xt)])
    pix_to_ytan = _linear_fit(yt[~np.isnan(yt)])

    wavelength = np.unique(np.sort(wavelength[~np.isnan(wavelength)]))
    if decreasing:
        wavelength = np.flip(wavelength)
    points = np.arange(0, wavelength.shape[0], 1)
    pix2wave = Tabular1D(
        points=points,
        lookup_table=wavelength,
        bounds_error=False,
        fill_value=None,
        name="pix2wavelength",
    )
    inv_points, inv_table = wavelength, points
    if not np.all(np.diff(wavelength) > 0):
        inv_points, inv_table = inv_points[::-1], inv_table[::-1]
    pix2wave.inverse = Tabular1D(
        points=inv_points,
        lookup_table=inv_table,
        bounds_error=False,
        fill_value=None,
        name="wavelength2pix",
    )
    mapping = Mapping((spatial_axis, spatial_axis, spectral_axis))
    swap_xy = abs(pix_to_xtan.slope) < abs(pix_to_ytan.slope)
    if swap_xy:
        mapping.inverse = Mapping((2, 1) if spatial_axis else (1, 2))

    min_x, max_x, min_y, max_y = _spatial_extent(wcs, undist2sky.inverse)
    diff_y, diff_x = abs(max_y - min_y), abs(max_x - min_x)
    slope_y, sign_y = abs(pix_to_ytan.slope), np.sign(pix_to_ytan.slope)
    slope_x, sign_x = abs(pix_to_xtan.slope), np.sign(pix_to_xtan.slope)
    ny = int(np.ceil(diff_y / slope_y)) if swap_xy else int(np.ceil(diff_x / slope_x))
    pix_to_ytan.intercept = -sign_y * 0.5 * (ny - 1) * slope_y
    pix_to_xtan.intercept = -sign_x * 0.5 * (ny - 1) * slope_x

    transform = mapping | (pix_to_xtan & pix_to_ytan | undist2sky) & pix2wave
    f = _frames(False)
    out = WCS([(f["det"], transform), (f["world"], None)])
    size = [0, 0]
    size[spectral_axis] = int(np.ceil(len(wavelength)))
    size[spatial_axis] = ny
    out.array_shape = size[::-1]
    out.pixel_shape = size
    out.bounding_box = ((-0.5, size[0] - 0.5), (-0.5, size[1] - 0.5))
    return out


def _sampling_wavelengths(wcs: Any) -> list[float]:
    x, y = _grid(_bbox(wcs))
    _, _, lam = wcs(x, y)
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


def nirspec_output_wcs(wcs: Any, data: np.ndarray, good: np.ndarray) -> Any:
    """Output WCS of one NIRSpec slit, jwst ``build_nirspec_output_wcs`` for a single input.

    Parameters
    ----------
    wcs : the slit's gwcs with ``slit_frame`` and ``world`` frames.
    data : the slit's science image (the fiducial is its flux-weighted slit position).
    good : pixels not flagged DO_NOT_USE / NON_SCIENCE.
    """
    from astropy.modeling.models import (
        Const1D,
        Mapping,
        Pix2Sky_TAN,
        RotateNative2Celestial,
        Tabular1D,
    )
    from astropy.stats import sigma_clip
    from gwcs import WCS

    if np.sum(np.isfinite(data) & (data != 0) & good) <= 100:
        pass  # jwst falls back to this (first) model anyway
    ref_data = np.array(data, dtype=data.dtype, copy=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref_data -= np.nanmin(ref_data)
    frame0 = wcs.available_frames[0]
    s2d = wcs.get_transform("slit_frame", frame0)
    d2s = wcs.get_transform(frame0, "slit_frame")
    sky_frame = "moving_target" if "moving_target" in wcs.available_frames else "world"
    s2w = wcs.get_transform("slit_frame", sky_frame)
    w2s = wcs.get_transform(sky_frame, "slit_frame")
    bb = _bbox(wcs)
    grid = _grid(bb)
    _, s, lam = np.array(d2s(*grid))
    ok = np.isfinite(s) & np.isfinite(lam) & np.isfinite(ref_data)
    ref_data[~ok] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = np.ma.filled(sigma_clip(ref_data, masked=True, sigma=100.0), fill_value=0.0)
    if not np.all(weights == 0.0):
        wmean_s = np.average(s[ok], weights=weights[ok])
    else:
        wmean_s = np.nanmean(s)
    wmean_l = np.nanmean(lam)
    targ_ra, targ_dec, _ = s2w(0, wmean_s, wmean_l)
    s2d(0, wmean_s, wmean_l)
    centre = int(np.mean(bb, axis=1)[0])
    ra_ref, dec_ref, _ = np.array(wcs(grid[0][:, centre], grid[1][:, centre]))
    undist2sky = Pix2Sky_TAN() | RotateNative2Celestial(targ_ra, targ_dec, 180)
    x_tan, y_tan = undist2sky.inverse(ra_ref, dec_ref)
    nan = np.isnan(x_tan) | np.isnan(y_tan)
    pix_to_xtan = _linear_fit(x_tan[~nan])
    pix_to_ytan = _linear_fit(y_tan[~nan])
    swap_xy = abs(pix_to_xtan.slope) < abs(pix_to_ytan.slope)
    ref_lam = _sampling_wavelengths(wcs)
    n_lam = len(ref_lam)
    if not n_lam:
        raise ValueError("not enough valid wavelengths to build the output WCS")
    min_x, max_x, min_y, max_y = _spatial_extent(wcs, undist2sky.inverse)
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

    pixel: list[float] = list(range(n_lam))
    if n_lam > 1:
        slope = (ref_lam[1] - ref_lam[0]) / pixel[1]
        ref_lam.insert(0, -0.5 * slope + ref_lam[0])
        pixel.insert(0, -0.5)
        slope = (ref_lam[-1] - ref_lam[-2]) / (pixel[-1] - pixel[-2])
        ref_lam.append(slope * (pixel[-1] + 0.5) + ref_lam[-2])
        pixel.append(pixel[-1] + 0.5)
    else:
        ref_lam, pixel = 3 * ref_lam, [-0.5, 0, 0.5]
    wave = Tabular1D(points=pixel, lookup_table=ref_lam, bounds_error=False, fill_value=np.nan)
    mapping = Mapping((1, 1, 0))
    mapping.inverse = Mapping((2, 1)) if swap_xy else Mapping((2, 0))
    pix2world = mapping | (pix_to_xtan & pix_to_ytan | undist2sky) & wave
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
    f = _frames(True)
    out = WCS([(f["det"], det2slit), (f["slit"], slit2world), (f["world"], None)])
    out.bounding_box = ((-0.5, n_lam - 0.5), (-0.5, ny - 0.5))
    out.array_shape = (ny, n_lam)
    return out


def _resample_range(shape: tuple[int, int], bb: tuple | None) -> tuple[int, int, int, int]:
    if bb is None:
        return 0, max(shape[1] - 1, 0), 0, max(shape[0] - 1, 0)
    (x1, x2), (y1, y2) = bb
    xmin, ymin = max(0, int(x1 + 0.5)), max(0, int(y1 + 0.5))
    return (
        xmin,
        max(xmin, min(shape[1] - 1, int(x2 + 0.5))),
        ymin,
        max(ymin, min(shape[0] - 1, int(y2 + 0.5))),
    )


def drizzle_slit(
    sci: np.ndarray,
    good: np.ndarray,
    variances: dict[str, np.ndarray],
    in_wcs: Any,
    out_wcs: Any,
    *,
    pixfrac: float = 1.0,
    kernel: str = "square",
    weight_type: str | None = "ivm",
) -> dict[str, np.ndarray]:
    """Drizzle one slit image (and its variances) onto ``out_wcs``.

    Parameters
    ----------
    sci : (ny, nx) science image; invalid pixels NaN.
    good : (ny, nx) True where the pixel may be used (DQ test passed).
    variances : ``var_poisson``, ``var_rnoise``, ``var_flat`` images.
    in_wcs, out_wcs : gwcs of the input and the rectified output.
    pixfrac, kernel, weight_type : drizzle options (jwst defaults 1.0, square, ivm).

    Returns
    -------
    ``sci wht con var_poisson var_rnoise var_flat err`` on the output grid
    (NaN where nothing landed).
    """
    from drizzle.resample import Drizzle
    from drizzle.utils import calc_pixmap

    shape = tuple(int(n) for n in out_wcs.array_shape)
    pixmap = calc_pixmap(in_wcs, out_wcs, sci.shape)
    mask = good.astype(np.float32)
    if weight_type == "ivm":
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / variances["var_rnoise"]
        inv[~np.isfinite(inv)] = 0
        weight = (inv * mask).astype(np.float32)
    elif weight_type is None:
        weight = mask
    else:
        raise ValueError(f"weight_type {weight_type!r} is not supported (use 'ivm' or None)")
    xmin, xmax, ymin, ymax = _resample_range(sci.shape, _bbox(in_wcs))
    kwargs = {
        "exptime": 1.0,
        "pixmap": pixmap,
        "pixel_scale_ratio": 1.0,
        "iscale": 1.0,
        "weight_map": weight,
        "wht_scale": 1.0,
        "pixfrac": pixfrac,
        "in_units": "cps",
        "xmin": xmin,
        "xmax": xmax,
        "ymin": ymin,
        "ymax": ymax,
    }
    driz = Drizzle(out_shape=shape, kernel=kernel, fillval=np.nan, disable_ctx=False)
    driz.add_image(np.asarray(sci, dtype=np.float32), **kwargs)
    out = {
        "sci": driz.out_img,
        "wht": driz.out_wht,
        "con": driz.out_ctx[0] if driz.out_ctx.ndim == 3 else driz.out_ctx,
    }
    resampled = {}
    for name in ("var_rnoise", "var_poisson", "var_flat"):
        d = Drizzle(out_shape=shape, kernel=kernel, fillval=np.nan, disable_ctx=True)
        d.add_image(np.sqrt(np.asarray(variances[name], dtype=np.float32)), **kwargs)
        resampled[name] = d.out_img**2
    rn = resampled["var_rnoise"]
    if weight_type == "ivm":
        ok = (rn > 0) & np.isfinite(rn)
        w = np.zeros(shape)
        w[ok] = 1.0 / rn[ok]
    else:
        w = np.ones(shape)
    for name, var in resampled.items():
        use = (var >= 0) & np.isfinite(var) & (w > 0)
        final = np.full(shape, np.nan, dtype=np.float32)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            final[use] = (var[use] * w[use] * w[use]) / w[use] / w[use]
        out[name] = final
    comps = [out["var_rnoise"], out["var_poisson"], out["var_flat"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        err = np.sqrt(np.nansum(comps, axis=0))
    err[np.all(np.isnan(comps), axis=0)] = np.nan
    out["err"] = err
    return out
