"""NumPy core of extract_1d: aperture weights, background fits and boxcar sums.

Plain arrays in, plain arrays out (no xarray).  The extraction functions work
on stacks ``(..., ny, nx)``: every leading axis (integration, slit) is done in
one call, with the weights computed once (in blocks of about ``_BLOCK_PIXELS``
pixels along the longest leading axis, so only a block is ever in float64).  The algorithms follow jwst 3.0.0
(``jwst.extract_1d.extract`` and ``extract1d``): the same partial-pixel weights,
the same column-by-column polynomial or median background, the same variance
propagation.
"""

from __future__ import annotations

import warnings
from typing import Any, TypedDict, overload

import numpy as np

from . import extract_1d_background as _bg

__all__ = [
    "HORIZONTAL",
    "VERTICAL",
    "aperture_center",
    "aperture_wavelength",
    "box_extract",
    "box_profile",
    "mask_invalid",
    "shift_parameters",
]

HORIZONTAL = 1
VERTICAL = 2

#: Pixels box_extract works on at a time (whole images of the longest leading axis, at
#: least one): 2 MB a float64 array, so the block's temporaries stay in cache and their
#: memory is reused from block to block rather than fresh pages.
_BLOCK_PIXELS = 2**18


class _BoxOptions(TypedDict):
    """Keyword options :func:`box_extract` passes on to each block."""

    dispaxis: int
    smoothing_length: int
    bkg_fit: str | None
    bkg_order: int


def _weights_from_limits(
    profile: np.ndarray,
    idx: np.ndarray,
    lower: Any,
    upper: Any,
    allow_partial: bool = True,
) -> None:
    """Set aperture weights in ``profile`` (a local array) between inclusive limits.

    Whole pixels inside ``[lower, upper]`` get 1; a pixel cut by a limit gets
    the fraction inside (a lower limit of 1.7 gives pixel 1 the weight 0.3).
    """
    profile[(idx >= lower) & (idx <= upper)] = 1.0
    if not allow_partial:
        return
    for partial in (idx - lower + 1, upper - idx + 1):
        partial = np.broadcast_to(partial, profile.shape)
        cut = (partial > 0) & (partial < 1) & (profile < partial)
        profile[cut] = partial[cut]


def _poly(coeff: list[float], x: np.ndarray) -> np.ndarray:
    """Evaluate a polynomial, constant term first (astropy Polynomial1D order)."""
    return np.polynomial.polynomial.polyval(x, np.asarray(coeff, dtype=np.float64))


def box_profile(
    shape: tuple[int, int],
    params: dict[str, Any],
    wavelength: np.ndarray,
    coefficients: str = "src_coeff",
) -> tuple[np.ndarray, float | None, float | None]:
    """Weights (0..1) of the boxcar aperture on a 2-D spectral image.

    Limits come, in this order, from ``params[coefficients]`` (polynomial
    lower/upper pairs, pixel centres at 0), the trace ± (width - 1)/2, the
    middle of start/stop ± (width - 1)/2, start/stop, the array limits.

    Parameters
    ----------
    shape : (ny, nx) of the image.
    params : extraction parameters (``dispaxis``, ``xstart`` ... as jwst names them).
    wavelength : (ny, nx) wavelengths in µm, for ``independent_var="wavelength"``.
    coefficients : ``"src_coeff"`` for the source, ``"bkg_coeff"`` for background.

    Returns
    -------
    profile : (ny, nx) float64 weights.
    lower, upper : mean inclusive cross-dispersion limits (pixels).
    """
    ny, nx = shape
    yidx, xidx = np.mgrid[:ny, :nx]
    horizontal = params["dispaxis"] == HORIZONTAL
    dval = yidx if horizontal else xidx
    xstart = params.get("xstart", 0)
    xstop = params.get("xstop", nx - 1)
    ystart = params.get("ystart", 0)
    ystop = params.get("ystop", ny - 1)
    allow_partial = not (coefficients == "bkg_coeff" and params.get("bkg_fit") == "median")

    profile = np.zeros(shape, dtype=np.float64)
    lower_limit: Any = None
    upper_limit: Any = None
    coeffs = params.get(coefficients)
    if coeffs is not None:
        if str(params.get("independent_var", "pixel")).lower().startswith("wavelength"):
            ival = wavelength
        elif horizontal:
            ival = xidx.astype(np.float32)
        else:
            ival = yidx.astype(np.float32)
        if len(coeffs) % 2 != 0:
            raise ValueError(f"{coefficients} must hold pairs of lower and upper limit polynomials")
        for lo_c, hi_c in zip(coeffs[0::2], coeffs[1::2], strict=True):
            # Coefficients put 0 at a pixel centre; start/stop put 0 at its lower edge.
            lo = _poly(lo_c, ival) + 0.5
            hi = _poly(hi_c, ival) - 0.5
            _weights_from_limits(profile, dval, lo, hi, allow_partial)
            mlo, mhi = float(np.mean(lo)), float(np.mean(hi))
            lower_limit = mlo if lower_limit is None else min(lower_limit, mlo)
            upper_limit = mhi if upper_limit is None else max(upper_limit, mhi)
    elif params.get("extract_width") is not None and params.get("trace") is not None:
        width = params["extract_width"]
        trace = np.asarray(params["trace"], dtype=np.float64)
        if not horizontal:
            trace = np.tile(trace, (nx, 1)).T
        lo = trace - (width - 1.0) / 2.0
        hi = lo + width - 1
        _weights_from_limits(profile, dval, lo, hi)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lower_limit, upper_limit = float(np.nanmean(lo)), float(np.nanmean(hi))
    elif params.get("extract_width") is not None:
        middle = (ystart + ystop) / 2.0 if horizontal else (xstart + xstop) / 2.0
        width = params["extract_width"]
        lower_limit = middle - (width - 1.0) / 2.0
        upper_limit = lower_limit + width - 1
        _weights_from_limits(profile, dval, lower_limit, upper_limit)
    else:
        lower_limit, upper_limit = (ystart, ystop) if horizontal else (xstart, xstop)
        _weights_from_limits(profile, dval, lower_limit, upper_limit)

    if horizontal:
        profile[:, : int(np.ceil(xstart))] = 0
        profile[:, int(np.floor(xstop)) + 1 :] = 0
    else:
        profile[: int(np.ceil(ystart)), :] = 0
        profile[int(np.floor(ystop)) + 1 :, :] = 0
    return profile, lower_limit, upper_limit


def aperture_center(
    profile: np.ndarray, dispaxis: int = HORIZONTAL, middle_pix: int | None = None
) -> tuple[float, float]:
    """Profile-weighted centre: (cross-dispersion, dispersion) pixel index."""
    weights = np.where(profile > 0, profile, 0.0)
    yidx, xidx = np.mgrid[: profile.shape[0], : profile.shape[1]]
    if dispaxis == HORIZONTAL:
        spec_idx, slit_idx = xidx, yidx
        if middle_pix is not None:
            slit_idx, weights = yidx[:, middle_pix], weights[:, middle_pix]
    else:
        spec_idx, slit_idx = yidx, xidx
        if middle_pix is not None:
            slit_idx, weights = xidx[middle_pix, :], weights[middle_pix, :]
    if np.sum(weights) == 0:
        weights = np.ones_like(weights)
    slit_center = float(np.average(slit_idx, weights=weights))
    spec_center = (
        float(middle_pix)
        if middle_pix is not None
        else float(np.average(spec_idx, weights=weights))
    )
    return slit_center, spec_center


def shift_parameters(params: dict[str, Any], offset: float, update_trace: bool) -> dict[str, Any]:
    """New parameters with the aperture moved ``offset`` pixels across the dispersion."""
    out = dict(params)
    for key in ("src_coeff", "bkg_coeff"):
        if out.get(key) is not None:
            out[key] = [[c[0] + offset, *c[1:]] for c in out[key]]
    keys = ("ystart", "ystop") if out["dispaxis"] == HORIZONTAL else ("xstart", "xstop")
    for key in keys:
        if out.get(key) is not None:
            out[key] = out[key] + offset
    if update_trace and out.get("trace") is not None:
        out["trace"] = np.asarray(out["trace"]) + offset
    return out


def aperture_wavelength(wavelength: np.ndarray, profile: np.ndarray, dispaxis: int) -> np.ndarray:
    """Profile-weighted mean wavelength of each dispersion element (NaN where none)."""
    use = np.isfinite(wavelength) & (profile > 0)
    w = np.where(use, profile, 0.0)
    wl = np.where(use, wavelength, 0.0)
    axis = 0 if dispaxis == HORIZONTAL else 1
    total = w.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (wl * w).sum(axis=axis) / total
    return np.where(total > 0, mean, np.nan)


def mask_invalid(
    sci: np.ndarray,
    err: np.ndarray,
    var_poisson: np.ndarray,
    var_rnoise: np.ndarray,
    var_flat: np.ndarray,
    dq: np.ndarray,
) -> np.ndarray:
    """True where jwst treats a pixel as invalid: NaN anywhere, or DO_NOT_USE."""
    bad = np.isnan(sci) | np.isnan(err) | np.isnan(var_poisson) | np.isnan(var_rnoise)
    return bad | np.isnan(var_flat) | ((dq & 1) != 0)


def _float64(values: np.ndarray, invalid: np.ndarray | None) -> np.ndarray:
    """``values`` in float64, NaN where ``invalid`` (a new array then: the input is left as
    it is)."""
    if invalid is None:
        return np.asarray(values, dtype=np.float64)
    out = np.array(values, dtype=np.float64)
    np.copyto(out, np.nan, where=invalid)
    return out


def box_extract(
    sci: np.ndarray,
    var_poisson: np.ndarray,
    var_rnoise: np.ndarray,
    var_flat: np.ndarray,
    profile: np.ndarray,
    bg_profile: np.ndarray | None = None,
    *,
    invalid: np.ndarray | None = None,
    dispaxis: int = HORIZONTAL,
    smoothing_length: int = 0,
    bkg_fit: str | None = None,
    bkg_order: int = 0,
) -> tuple[np.ndarray, ...]:
    """Boxcar sums of a stack of spectral images, with an optional background fit.

    Parameters
    ----------
    sci, var_poisson, var_rnoise, var_flat : (..., ny, nx) image and variances;
        invalid pixels are NaN.
    profile : (ny, nx) or (..., ny, nx) aperture weights (0..1).
    bg_profile : background-region weights, or None for no background.
    invalid : (..., ny, nx) bool, True where a pixel is left out (its science and
        variances taken as NaN), or None (the NaN already in the arrays).
    dispaxis : 1 when the dispersion runs along x, 2 along y.
    smoothing_length : odd boxcar length (pixels) smoothing the background
        image along the dispersion before the fit (0 or 1: none).
    bkg_fit : ``"poly"`` or ``"median"`` (``"mean"`` is a poly of order 0).
    bkg_order : polynomial order of the background across the dispersion.

    Returns
    -------
    flux, var_poisson, var_rnoise, var_flat, background, bkg_var_poisson,
    bkg_var_rnoise, bkg_var_flat, npixels : (..., ndisp) float64 sums over the
    aperture (flux NaN where no pixel contributes).  The flux has the
    background removed and its variances include the background's.

    Notes
    -----
    With weights :math:`w_{yx}` and background :math:`B_{yx}`,

    .. math:: F_x = \\sum_y w_{yx}(D_{yx} - B_{yx}), \\quad
              V_x = \\sum_y w_{yx}^2 V_{yx} + V^B_x, \\quad N_x = \\sum_y w_{yx}

    with pixels where :math:`D` is not finite left out.
    """
    lead = np.broadcast_shapes(
        *(np.shape(a)[:-2] for a in (sci, var_poisson, var_rnoise, var_flat, profile)),
        () if invalid is None else np.shape(invalid)[:-2],
        () if bg_profile is None else np.shape(bg_profile)[:-2],
    )
    kwargs: _BoxOptions = {
        "dispaxis": dispaxis,
        "smoothing_length": smoothing_length,
        "bkg_fit": bkg_fit,
        "bkg_order": bkg_order,
    }
    images = (sci, var_poisson, var_rnoise, var_flat, profile)
    length = max(1, _BLOCK_PIXELS // max(1, int(np.prod(np.shape(sci)[-2:]))))
    if not lead or max(lead) <= length:
        return _box_extract_block(*images, bg_profile, invalid, **kwargs)
    # Work on blocks of the longest leading axis (integrations), so only a
    # block of each array is in float64 at a time; every spectrum is computed
    # on its own, so the numbers do not depend on the blocking.
    axis = int(np.argmax(lead))
    parts = []
    for start in range(0, lead[axis], length):
        block = slice(start, start + length)
        s, vp, vr, vf, p = (_block(a, len(lead), axis, block) for a in images)
        bg = _block(bg_profile, len(lead), axis, block)
        bad = _block(invalid, len(lead), axis, block)
        parts.append(_box_extract_block(s, vp, vr, vf, p, bg, bad, **kwargs))
    return tuple(np.concatenate(out, axis=axis) for out in zip(*parts, strict=True))


@overload
def _block(a: np.ndarray, nlead: int, axis: int, block: slice) -> np.ndarray: ...
@overload
def _block(a: None, nlead: int, axis: int, block: slice) -> None: ...
def _block(a: np.ndarray | None, nlead: int, axis: int, block: slice) -> np.ndarray | None:
    """Integrations ``block`` of leading axis ``axis`` of ``a`` (a view).

    ``a`` broadcasts against the leading shape: an array without that axis,
    or of length 1 along it, is passed whole.
    """
    if a is None:
        return None
    a = np.asarray(a)
    pos = axis - (nlead - (a.ndim - 2))
    if pos < 0 or a.shape[pos] == 1:
        return a
    return a[(slice(None),) * pos + (block,)]


def _box_extract_block(
    sci: np.ndarray,
    var_poisson: np.ndarray,
    var_rnoise: np.ndarray,
    var_flat: np.ndarray,
    profile: np.ndarray,
    bg_profile: np.ndarray | None,
    invalid: np.ndarray | None,
    *,
    dispaxis: int,
    smoothing_length: int,
    bkg_fit: str | None,
    bkg_order: int,
) -> tuple[np.ndarray, ...]:
    """:func:`box_extract` on arrays small enough to convert to float64 whole."""
    arrays = [_float64(a, invalid) for a in (sci, var_poisson, var_rnoise, var_flat)]
    profile = np.asarray(profile, dtype=np.float64)
    if bg_profile is not None:
        bg_profile = np.asarray(bg_profile, dtype=np.float64)
    if dispaxis != HORIZONTAL:
        arrays = [a.swapaxes(-1, -2) for a in arrays]
        profile = profile.swapaxes(-1, -2)
        bg_profile = None if bg_profile is None else bg_profile.swapaxes(-1, -2)
    image, vp, vr, vf = arrays
    variances = (vr, vp, vf)  # jwst's order: read noise, photon noise, flat

    if bg_profile is not None and bkg_fit is not None:
        background_image = image
        if smoothing_length > 1:
            if smoothing_length % 2 != 1:
                raise ValueError("smoothing_length must be an odd integer >= 1")
            background_image = _bg.smooth(image, smoothing_length)
        if bkg_fit == "median":
            bkg_2d, bvars = _bg.median_background(
                image, variances, profile, bg_profile, background_image
            )
        elif bkg_fit in ("poly", "mean"):
            order = 0 if bkg_fit == "mean" else int(bkg_order)
            if order < 0:
                raise ValueError("bkg_order must be an integer >= 0")
            bkg_2d, bvars = _bg.poly_background(
                image, variances, profile, bg_profile, background_image, order
            )
        else:
            raise ValueError(f"bkg_fit must be 'poly', 'mean' or 'median', not {bkg_fit!r}")
        image = image - bkg_2d
    else:
        bkg_2d = None
        zero = np.zeros(image.shape[:-2] + image.shape[-1:])
        bvars = (zero, zero, zero)

    weights = np.where(np.isfinite(image), profile, 0.0)
    flux = np.sum(np.where(weights == 0, 0.0, image) * weights, axis=-2)
    npixels = np.sum(weights, axis=-2)
    with np.errstate(over="ignore", invalid="ignore"):
        weights2 = weights**2
        fvars = [_bg.nansum_of(v * weights2, axis=-2) for v in variances]
    if bkg_2d is not None:
        fvars = [f + b for f, b in zip(fvars, bvars, strict=True)]
        bkg = np.sum(np.broadcast_to(bkg_2d, image.shape) * weights, axis=-2)
        bkg = np.where(np.isfinite(bkg), bkg, 0.0)
    else:
        bkg = np.zeros_like(flux)
    flux = np.where(np.isclose(npixels, 0), np.nan, flux)
    f_rn, f_ph, f_flat = fvars
    b_rn, b_ph, b_flat = (np.broadcast_to(b, flux.shape) for b in bvars)
    return flux, f_ph, f_rn, f_flat, bkg, b_ph, b_rn, b_flat, npixels
