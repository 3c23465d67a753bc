"""Core of resample_spec: the rectified output WCS of a slit and the drizzle of its arrays.

NumPy, gwcs and drizzle only (no xarray).  The output WCS follows jwst 3.0.0
``ResampleSpec`` for one input image (Stage 2): ``interpolated_output_wcs``
(MIRI LRS: a linear fit of the tangent-plane position along the slit and a
wavelength look-up table); NIRSpec's, which adds a ``slit_frame``, is
:mod:`spec2x.instruments.nirspec.resample_grid` (many slits at once) and shares
the grid and frame helpers here.  ``drizzle_slit`` resamples science, variances and
weights with ``drizzle.resample.Drizzle`` (square kernel, inverse read-noise
variance weights) as stcal's ``Resample`` does.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .stacked_transforms import stacked_between, stacked_pixel_frames

__all__ = [
    "between",
    "bounding_box",
    "drizzle_slit",
    "interpolated_output_wcs",
    "linear_fit",
    "on_grid",
    "output_pixmap",
    "output_pixmaps",
    "output_frames",
    "pixel_frames",
    "pixel_grid",
    "pixel_world",
    "tangent_extent",
]


def bounding_box(wcs: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """The gwcs bounding box as ((x0, x1), (y0, y1)) floats (pixels)."""
    bb = wcs.bounding_box
    return ((float(bb[0][0]), float(bb[0][1])), (float(bb[1][0]), float(bb[1][1])))


def pixel_grid(bb: tuple) -> tuple[np.ndarray, np.ndarray]:
    """x and y pixel coordinates of every pixel inside ``bb`` (gwcs ``grid_from_bounding_box``)."""
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


def tangent_extent(
    ra: np.ndarray, dec: np.ndarray, transform: Any
) -> tuple[float, float, float, float]:
    """min x, max x, min y, max y under ``transform`` (sky -> tangent) of the slit's sky
    positions ``ra``, ``dec`` (deg; the WCS on the bounding-box grid, NaN outside the slit)."""
    good = np.isfinite(ra) & np.isfinite(dec)
    xt, yt = transform(ra[good], dec[good])
    return float(np.min(xt)), float(np.max(xt)), float(np.min(yt)), float(np.max(yt))


def linear_fit(values: np.ndarray) -> Any:
    """Least-squares ``Linear1D`` of ``values`` against their index (0, 1, ...)."""
    from astropy.modeling.fitting import LinearLSQFitter
    from astropy.modeling.models import Linear1D

    idx = np.linspace(0, values.shape[0], values.shape[0], endpoint=False)
    return LinearLSQFitter()(Linear1D(), idx, values)


def output_frames(with_slit: bool) -> dict[str, Any]:
    """gwcs frames ``det``, ``world`` (ICRS + wavelength in µm) and, if asked, ``slit``."""
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

    bb = bounding_box(wcs)
    ra, dec, lam = np.array(wcs(*pixel_grid(bb)))
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
    pix_to_xtan = linear_fit(xt[~np.isnan(xt)])
    pix_to_ytan = linear_fit(yt[~np.isnan(yt)])

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

    min_x, max_x, min_y, max_y = tangent_extent(ra, dec, undist2sky.inverse)
    diff_y, diff_x = abs(max_y - min_y), abs(max_x - min_x)
    slope_y, sign_y = abs(pix_to_ytan.slope), np.sign(pix_to_ytan.slope)
    slope_x, sign_x = abs(pix_to_xtan.slope), np.sign(pix_to_xtan.slope)
    ny = int(np.ceil(diff_y / slope_y)) if swap_xy else int(np.ceil(diff_x / slope_x))
    pix_to_ytan.intercept = -sign_y * 0.5 * (ny - 1) * slope_y
    pix_to_xtan.intercept = -sign_x * 0.5 * (ny - 1) * slope_x

    transform = mapping | (pix_to_xtan & pix_to_ytan | undist2sky) & pix2wave
    f = output_frames(False)
    out = WCS([(f["det"], transform), (f["world"], None)])
    size = [0, 0]
    size[spectral_axis] = int(np.ceil(len(wavelength)))
    size[spatial_axis] = ny
    out.array_shape = size[::-1]
    out.pixel_shape = size
    out.bounding_box = ((-0.5, size[0] - 0.5), (-0.5, size[1] - 0.5))
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


def pixel_frames(
    wcs: Any, shape: tuple[int, ...], keep: tuple[str, ...] = ()
) -> dict[str, tuple[np.ndarray, ...]]:
    """The WCS on every pixel of an image of ``shape``, NaN outside its bounding box, as
    drizzle's ``calc_pixmap`` evaluates it: the output frame's values and those of the
    intermediate frames named in ``keep`` (e.g. ``slit_frame``), by frame name.

    The steps of the gwcs pipeline are evaluated one after the other on the pixels inside
    the bounding box, element by element the arithmetic of ``wcs(x, y)`` (the same
    numbers) without the overhead of the compound transform and its bounding box (a
    third of the time); many slits at once: :func:`.stacked_transforms.stacked_pixel_frames`.
    """
    return stacked_pixel_frames([wcs], [shape], keep)[0]


#: Inverses of the transforms the slits of an exposure share, by id (the model held too, so
#: its id stays its own); astropy builds a new compound model on every ``.inverse``.
_INVERSES: dict[int, tuple[Any, Any]] = {}
_INVERSES_KEPT = 32


def _inverse(model: Any) -> Any:
    """``model.inverse``, built once for a model met again (transforms are never changed in
    place once in a WCS)."""
    found = _INVERSES.pop(id(model), None)  # least recently used first: shared ones stay
    if found is None:
        if len(_INVERSES) >= _INVERSES_KEPT:
            del _INVERSES[next(iter(_INVERSES))]
        found = (model, model.inverse)
    _INVERSES[id(model)] = found
    return found[1]


def between(wcs: Any, start: str, end: str) -> Any:
    """``wcs.get_transform(start, end)`` as a function evaluating the pipeline's steps one
    after the other (their inverses backwards): the same numbers without building the
    compound transform."""
    names = list(wcs.available_frames)
    i, j = names.index(start), names.index(end)
    if i <= j:
        models = [step.transform for step in wcs.pipeline[i:j]]
    else:
        models = [_inverse(step.transform) for step in reversed(wcs.pipeline[j:i])]

    def evaluate(*values: Any) -> tuple[Any, ...]:
        for model in models:
            result = model(*values)
            values = tuple(result) if isinstance(result, tuple) else (result,)
        return values

    return evaluate


def pixel_world(wcs: Any, shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """The WCS on every pixel of an image of ``shape`` (NaN outside its bounding box), as
    drizzle's ``calc_pixmap`` evaluates it (:func:`pixel_frames`)."""
    return pixel_frames(wcs, shape)[getattr(wcs.output_frame, "name", str(wcs.output_frame))]


def on_grid(
    transform: Any, bb: tuple, values: tuple[np.ndarray, ...] | None
) -> tuple[np.ndarray, ...]:
    """``transform`` on the pixel grid of the bounding box ``bb``: cut from ``values`` (its
    values on the whole image, :func:`pixel_frames`) when the grid lies inside it, else
    evaluated."""
    x, y = pixel_grid(bb)
    if values is not None:
        xs, ys = x[0], y[:, 0]
        ny, nx = values[0].shape
        inside = xs.size and ys.size and xs[0] >= 0 and ys[0] >= 0
        if inside and xs[-1] < nx and ys[-1] < ny:
            rows, cols = np.ix_(ys.astype(np.intp), xs.astype(np.intp))
            return tuple(w[rows, cols] for w in values)
    return tuple(np.asarray(w) for w in transform(x, y))


def output_pixmap(world: tuple[np.ndarray, ...], out_wcs: Any) -> np.ndarray:
    """drizzle's ``calc_pixmap`` from the input WCS already evaluated (``world``): the output
    pixel of each input pixel, the output bounding box left out as calc_pixmap does (one
    slit of :func:`output_pixmaps`)."""
    return output_pixmaps([world], [out_wcs])[0]


def _world_box(world: tuple[np.ndarray, ...]) -> tuple[slice, slice]:
    """The rectangle of the pixels with a value in some world coordinate (all pixels when
    none has)."""
    inside = ~np.isnan(world[0])
    for w in world[1:]:
        inside |= ~np.isnan(w)
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    if not rows.size:
        rows, cols = np.arange(inside.shape[0]), np.arange(inside.shape[1])
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def output_pixmaps(
    worlds: Sequence[tuple[np.ndarray, ...]], out_wcss: Sequence[Any]
) -> list[np.ndarray]:
    """drizzle's ``calc_pixmap`` of many slits from their input WCSs already evaluated.

    Parameters
    ----------
    worlds : per slit, its input WCS's world coordinates on every pixel of its image
        ((ny, nx) arrays: RA, Dec in deg, wavelength in µm; NaN off the slit).
    out_wcss : per slit, its output gwcs (detector -> ... -> world).

    Returns
    -------
    Per slit, the (ny, nx, 2) output column and row of each input pixel (pixels), the
    output bounding box left out as calc_pixmap does.

    Notes
    -----
    The output WCSs' inverse steps are walked for all slits in one stacked call
    (:func:`.stacked_transforms.stacked_between`): each slit's values meet its own
    models' arithmetic, as with ``between`` (the same numbers), without building each
    compound inverse.  Only the rectangle of the pixels with a value in some world
    coordinate is evaluated (a slit's bounding box, a small part of the detector); the
    others, NaN in every coordinate, all take the value of one such pixel (the transforms
    act element by element).
    """
    frames = list(out_wcss[0].available_frames)
    boxes = [_world_box(world) for world in worlds]
    # each slit's rectangle, then one pixel NaN in every coordinate (the value off the slit)
    points = [
        tuple(np.append(w[box].ravel(), np.nan) for w in world)
        for world, box in zip(worlds, boxes, strict=True)
    ]
    found = stacked_between(out_wcss, frames[-1], frames[0], points)
    out = []
    for world, box, (x, y) in zip(worlds, boxes, found, strict=True):
        box_shape = (box[0].stop - box[0].start, box[1].stop - box[1].start)
        pixmap = np.empty((*world[0].shape, 2), np.result_type(x, y))
        pixmap[..., 0], pixmap[..., 1] = x[-1], y[-1]
        pixmap[box] = np.stack([x[:-1].reshape(box_shape), y[:-1].reshape(box_shape)], axis=-1)
        out.append(pixmap)
    return out


def drizzle_slit(
    sci: np.ndarray,
    good: np.ndarray,
    variances: dict[str, np.ndarray],
    in_wcs: Any,
    shape: tuple[int, ...],
    *,
    pixmap: np.ndarray,
    pixfrac: float = 1.0,
    kernel: str = "square",
    weight_type: str | None = "ivm",
) -> dict[str, np.ndarray]:
    """Drizzle one slit image (and its variances) onto an output grid of ``shape``.

    Parameters
    ----------
    sci : (ny, nx) science image; invalid pixels NaN.
    good : (ny, nx) True where the pixel may be used (DQ test passed).
    variances : ``var_poisson``, ``var_rnoise``, ``var_flat`` images.
    in_wcs : gwcs of the input (its bounding box bounds the pixels drizzled).
    shape : (ny, nx) of the output grid.
    pixmap : (ny, nx, 2) output column and row of each input pixel (drizzle's
        ``calc_pixmap``; :func:`output_pixmap`).
    pixfrac, kernel, weight_type : drizzle options (jwst defaults 1.0, square, ivm).

    Returns
    -------
    ``sci wht con var_poisson var_rnoise var_flat err`` on the output grid
    (NaN where nothing landed).
    """
    from drizzle.resample import Drizzle

    shape = tuple(int(n) for n in shape)
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
    xmin, xmax, ymin, ymax = _resample_range(sci.shape, bounding_box(in_wcs))
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
