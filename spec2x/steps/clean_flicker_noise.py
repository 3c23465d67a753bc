"""clean_flicker_noise: fit and remove 1/f (flicker) noise from a rate image (jwst 3.0.0's
CleanFlickerNoiseStep, the former NSClean, in calwebb_spec2).

Off by default (``skip = True``), as in jwst; Spec2Pipeline runs it on NIRSpec
exposures only (FS, BOTS, MOS, IFU), after msa_flagging, and on their imprint
and background members.  As a function it takes any exposure type of the
modes table (NIRCam, NIRISS and MIRI imaging are there for it, as types
calwebb_spec2 does not take); its traits ``flicker``, ``flicker_regions`` and
``flicker_autoparam`` say what jwst does for each.  For each integration:

1. a scene mask (True: background): the NIRSpec science regions from the WCS
   with ``mask_science_regions`` (:mod:`._flicker_mask`), no NaN or zero
   pixel, a sigma clip of the signal (``n_sigma``, ``fit_histogram``), one
   plane for all integrations with ``single_mask``; or the ``user_mask``;
2. the smooth background (``background_method``: ``"median"`` one level,
   ``"model"`` photutils' ``Background2D`` in ``background_box_size`` boxes,
   None nothing) measured on the mask and subtracted; the mask clipped again
   at ``n_sigma`` on the lower half of the residuals;
3. the noise fitted to the mask (``fit_method``): ``"median"`` the median of
   each stripe along the slow readout axis (per amplifier channel with
   ``fit_by_channel`` on full-frame NIR data), ``"fft"`` NSClean (NIRSpec
   only; :mod:`spec2x._kernels.flicker_fit`) and subtracted, the background
   put back.

Only ``sci`` changes (errors, variances and DQ are kept, as jwst).  jwst's
skip conditions give ``S_CLNFNS = 'FAILED'`` and the data unchanged: MIRI
other than imaging, ``fft`` off NIRSpec, a mask of another shape, a fit that
cannot be made.  ``apply_flat_field`` divides by the ``flat`` reference before
the fits (jwst finds none for NIRSpec spectroscopy and goes on without: so
does spec2x).  Not in spec2x (refused in one line): ``background_method
'median_image'``, ``autoparam``
for NIRCam/NIRISS imaging (other types: jwst warns and keeps the parameters,
as spec2x), ``mask_science_regions`` for MIRI imaging and NIRISS SOSS.
``save_mask``/``save_background``/``save_noise`` give jwst's ``mask``,
``flicker_bkg`` and ``flicker_noise`` files (:func:`from_chain`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
import xarray as xr

from .._kernels.flicker_fit import median_stripes, nsclean_full_frame, nsclean_subarray
from .._kernels.flicker_stats import background_level, clip_to_background
from ..errors import InputFileError, UnsupportedModeError
from ..io.references import Reference
from ..modes import Mode, mode_of
from ..step_spec import StepOutput
from . import StepContext
from ._common import record_step, require
from ._flicker_mask import read_user_mask, scene_mask

__all__ = ["FlickerNoise", "clean_flicker_noise", "flicker_noise", "from_chain"]

log = logging.getLogger(__name__)

#: NSClean's subarray apodizer corners (Hz); ALLSLITS fits fewer high frequencies.
SUBARRAY_FC, ALLSLITS_FC = (1061.0, 1211.0, 49943.0, 49957.0), (150.0, 200.0, 49943.0, 49957.0)


class FlickerNoise(NamedTuple):
    """What :func:`flicker_noise` gives: the cleaned exposure and what it was fitted with.

    Attributes
    ----------
    result : the exposure with ``sci`` cleaned and ``S_CLNFNS`` set.
    mask : the scene mask (True: background), ``(y, x)`` or per integration; None when
        the step failed.
    background : the background put back into each integration (``sci``'s unit), or None.
    noise : cleaned less input ``sci`` (``sci``'s unit), or None.
    """

    result: xr.Dataset
    mask: np.ndarray | None
    background: np.ndarray | None
    noise: np.ndarray | None


def _skip_reason(mode: Mode, fit_method: str) -> str | None:
    """Why jwst would skip (FAILED) this exposure, or None."""
    if mode.flicker is None:
        return f"EXP_TYPE {mode.exp_type} is not supported"
    if fit_method == "fft" and not mode.allows("clean_flicker_noise"):  # NIRSpec's four
        return f"fit_method 'fft' cannot be applied to EXP_TYPE {mode.exp_type}"
    return None


def _axis_to_correct(mode: Mode, attrs: dict[str, Any]) -> int:
    """Array axis the median stripes run along: 0 (one per column), or ``|SLOWAXIS| - 1``."""
    if mode.flicker != "nir":
        return 0
    slowaxis = attrs.get("SLOWAXIS")
    if slowaxis is None:
        raise InputFileError(
            f"clean_flicker_noise: {attrs.get('FILENAME', 'input')} lacks SLOWAXIS; set it"
        )
    return abs(int(slowaxis)) - 1


def _check(background_method: str | None, autoparam: bool, mode: Mode) -> None:
    if background_method not in ("median", "model", None):
        raise UnsupportedModeError(
            f"clean_flicker_noise: background_method {background_method!r} is not implemented "
            "in spec2x; use 'median', 'model' or None"
        )
    if autoparam and mode.flicker_autoparam:
        raise UnsupportedModeError(
            f"clean_flicker_noise: autoparam for {mode.exp_type} is not implemented in spec2x; "
            "set the fit parameters yourself"
        )


def _clean_image(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    background_method: str | None,
    box_size: Sequence[int] | None,
    n_sigma: float,
    fit_method: str,
    detector: str,
    fc: tuple[float, float, float, float],
    axis: int,
    by_channel: bool,
    flat: np.ndarray | None,
) -> tuple[np.ndarray | None, float | np.ndarray]:
    """One image cleaned (float32) and its background; None when its fit failed."""
    image = image.astype(np.float32)
    if flat is not None:
        image /= flat
    nan = np.isnan(image)
    image[nan] = 0.0
    mask = mask & ~nan
    if not mask.any():
        log.warning("clean_flicker_noise: no background pixel in an image; left as it is")
        return np.where(nan, np.nan, image), 0.0
    background: float | np.ndarray = 0.0
    residual = image
    if background_method is not None:
        background, mask = background_level(image, mask, background_method, box_size)
        residual = image - background
        if n_sigma > 0:
            mask = clip_to_background(
                residual, mask, sigma_lower=n_sigma, sigma_upper=n_sigma, lower_half_only=True
            )
    try:
        if fit_method == "fft" and residual.shape == (2048, 2048):
            noise: np.ndarray | None = nsclean_full_frame(residual, mask, detector)
        elif fit_method == "fft":
            noise = nsclean_subarray(residual, mask, detector, fc)
        else:
            noise = median_stripes(residual, mask, axis, by_channel)
    except np.linalg.LinAlgError:
        noise = None
    if noise is None:
        return None, background
    cleaned = (residual - noise) + background
    if flat is not None:
        cleaned = cleaned * flat
    return np.where(nan, np.nan, cleaned).astype(np.float32), background


def _flat_image(ds: xr.Dataset, flat: Reference) -> np.ndarray:
    """The ``flat`` reference on the exposure's pixels (float32), its zeros and NaNs
    filled from a smooth model of the rest (``Background2D``; or their median)."""
    from .flat_field import flat_on_pixels

    image = np.array(flat_on_pixels(ds, flat)[0], np.float32)
    bad = (image == 0) | ~np.isfinite(image)
    if bad.any():
        level, _ = background_level(image, ~bad, "model")
        image[bad] = level[bad] if isinstance(level, np.ndarray) and level.ndim else level
    return image


def flicker_noise(
    ds: xr.Dataset,
    *,
    fit_method: Literal["median", "fft"] = "median",
    fit_by_channel: bool = False,
    background_method: Literal["median", "model"] | None = "median",
    background_box_size: Sequence[int] | None = None,
    mask_science_regions: bool = False,
    n_sigma: float = 2.0,
    fit_histogram: bool = False,
    single_mask: bool = True,
    user_mask: Any = None,
    flat: Reference | None = None,
    autoparam: bool = False,
) -> FlickerNoise:
    """Clean the flicker noise of a rate exposure, with the mask, background and noise.

    Parameters are those of :func:`clean_flicker_noise`.
    """
    require(ds, "sci", "dq", step="clean_flicker_noise")
    attrs = ds.attrs
    mode = mode_of(ds, step="clean_flicker_noise")
    _check(background_method, autoparam, mode)
    if autoparam:
        log.warning("clean_flicker_noise: no auto parameters for %s; kept", mode.exp_type)
    reason = _skip_reason(mode, fit_method)
    if reason is not None:
        log.warning("clean_flicker_noise: %s; step skipped", reason)
        return _failed(ds)
    subarray = str(attrs.get("SUBARRAY", "FULL")).upper()
    if fit_by_channel and (subarray != "FULL" or mode.flicker == "miri"):
        log.warning("clean_flicker_noise: fit_by_channel needs full-frame NIR data; turned off")
        fit_by_channel = False
    fc = ALLSLITS_FC if subarray == "ALLSLITS" else SUBARRAY_FC
    sci = np.asarray(ds["sci"].values)
    flat_image = None if flat is None else _flat_image(ds, flat)
    if user_mask is not None:
        mask = read_user_mask(user_mask)
    else:
        mask = scene_mask(
            ds,
            mask_science_regions=mask_science_regions,
            n_sigma=n_sigma,
            fit_histogram=fit_histogram,
            single_mask=single_mask,
            flat=flat_image,
        )
    planes = sci.reshape(-1, *sci.shape[-2:])
    if mask.shape[-2:] != sci.shape[-2:] or (mask.ndim == 3 and mask.shape[0] != len(planes)):
        log.warning("clean_flicker_noise: the mask %s does not match the data %s; step skipped",
                    mask.shape, sci.shape)  # fmt: skip
        return _failed(ds)
    masks = np.broadcast_to(mask, planes.shape) if mask.ndim == 2 else mask
    options = dict(
        background_method=background_method, box_size=background_box_size, n_sigma=n_sigma,
        fit_method=fit_method, detector=str(attrs.get("DETECTOR", "")).upper(), fc=fc,
        axis=_axis_to_correct(mode, attrs), by_channel=fit_by_channel, flat=flat_image,
    )  # fmt: skip
    cleaned = np.empty(planes.shape, np.float32)
    background = np.zeros(planes.shape, np.float32)
    for i, (image, plane) in enumerate(zip(planes, masks, strict=True)):
        result, level = _clean_image(image, plane, **options)  # type: ignore[arg-type]
        if result is None:
            log.error("clean_flicker_noise: the fit failed for integration %d; step skipped", i + 1)
            return _failed(ds)
        cleaned[i], background[i] = result, level
    cleaned = cleaned.reshape(sci.shape)
    noise = cleaned - sci.astype(np.float32)
    log.info(
        "clean_flicker_noise (%s, background %s): %d images, %.1f %% background pixels, "
        "noise rms %.3g",
        fit_method, background_method, len(planes), 100 * mask.mean(), float(np.nanstd(noise)),
    )  # fmt: skip
    out = record_step(_with_sci(ds, cleaned), "clean_flicker_noise")
    return FlickerNoise(out, mask, background.reshape(sci.shape), noise)


def _failed(ds: xr.Dataset) -> FlickerNoise:
    """The input as given, ``S_CLNFNS = 'FAILED'`` (jwst's skips)."""
    return FlickerNoise(record_step(ds, "clean_flicker_noise", status="FAILED"), None, None, None)


def _with_sci(ds: xr.Dataset, cleaned: np.ndarray) -> xr.Dataset:
    """``ds`` with ``sci`` replaced, chunked as it was when it came Dask-backed."""
    data: Any = cleaned
    if ds["sci"].chunks is not None:
        import dask.array as da

        data = da.from_array(cleaned, chunks=ds["sci"].data.chunks)
    out = ds.copy()
    out["sci"] = ds["sci"].copy(data=data)
    return out


def clean_flicker_noise(ds: xr.Dataset, **params: Any) -> xr.Dataset:
    """Fit and subtract the flicker (1/f) noise of a rate or rateints exposure.

    Parameters
    ----------
    ds : exposure ``(y, x)`` or ``([integration,] y, x)`` (DN/s), after assign_wcs for
        ``mask_science_regions`` on NIRSpec; ``EXP_TYPE``, ``DETECTOR``, ``SUBARRAY`` and
        (NIR other than NIRSpec) ``SLOWAXIS`` keywords.
    fit_method : ``"median"`` (stripes along the slow axis) or ``"fft"`` (NSClean; NIRSpec).
    fit_by_channel : one median per amplifier channel (full-frame NIR only).
    background_method : ``"median"``, ``"model"`` (``Background2D``) or None.
    background_box_size : ``model`` boxes (pixels, ``(y, x)``); None: <= 32 dividing the
        image.
    mask_science_regions : leave the known science regions out of the mask (NIRSpec).
    n_sigma : clipping level of the signal (0: no clipping).
    fit_histogram : clipping sigma from a Gaussian fitted to the value histogram.
    single_mask : one mask for all integrations.
    user_mask : a mask (True: background; array, or FITS file path) used instead.
    flat : a ``flat`` reference (full frame or this subarray): the data are divided by it
        before the mask and the fits, the cleaned data multiplied back (``apply_flat_field``).
    autoparam : jwst's auto parameters (NIRCam/NIRISS imaging only; refused there,
        a warning elsewhere, as jwst).

    Returns
    -------
    A new Dataset with ``sci`` cleaned (the rest as given) and ``S_CLNFNS`` ``COMPLETE``, or
    the input as given with ``S_CLNFNS`` ``FAILED`` where jwst skips it.
    """
    return flicker_noise(ds, **params).result


def _product(ds: xr.Dataset, values: np.ndarray) -> xr.Dataset:
    """An intermediate file (jwst's ImageModel/CubeModel of ``data`` only)."""
    dims = ("integration", "y", "x")[-values.ndim :]
    attrs = {k: v for k, v in ds.attrs.items() if k != "wcs"}
    sci = xr.DataArray(
        values.astype(np.float32), dims=dims, attrs={"units": ds["sci"].attrs.get("units", "DN/s")}
    )
    return xr.Dataset({"sci": sci}, coords={d: ds[d] for d in dims if d in ds.coords}, attrs=attrs)


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset | StepOutput:
    """Chain adapter: the step parameters; ``apply_flat_field`` takes the ``flat`` reference
    (none for NIRSpec spectroscopy: a warning, as jwst); the ``save_*`` files as products."""
    p = ctx.params
    flat = None
    if p.get("apply_flat_field"):
        flat = ctx.ref("flat", ds)
        if flat is None:
            log.warning(
                "clean_flicker_noise: no flat for %s; fitting without one", ds.attrs.get("EXP_TYPE")
            )
    box = p.get("background_box_size")
    method = p.get("background_method", "median")
    fit = flicker_noise(
        ds,
        fit_method=p.get("fit_method", "median"),
        fit_by_channel=bool(p.get("fit_by_channel", False)),
        background_method=None if str(method).lower() == "none" else method,
        background_box_size=None if box is None else [int(b) for b in box],
        mask_science_regions=bool(p.get("mask_science_regions", False)),
        n_sigma=float(p.get("n_sigma", 2.0)),
        fit_histogram=bool(p.get("fit_histogram", False)),
        single_mask=bool(p.get("single_mask", True)),
        user_mask=None if str(p.get("user_mask")).lower() == "none" else p.get("user_mask"),
        flat=flat,
        autoparam=bool(p.get("autoparam", False)),
    )
    wanted = {"mask": (p.get("save_mask"), fit.mask), "flicker_bkg": (p.get("save_background"), fit.background),
              "flicker_noise": (p.get("save_noise"), fit.noise)}  # fmt: skip
    saved = {k: _product(ds, v) for k, (on, v) in wanted.items() if on and v is not None}
    return StepOutput(fit.result, saved) if saved else fit.result
