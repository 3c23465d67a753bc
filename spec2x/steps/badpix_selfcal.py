"""badpix_selfcal: flag residual bad pixels from the exposure and its companions (jwst 3.0.0).

Off by default in calwebb_spec2 (``skip = True``); when on it runs after
assign_wcs for every mode.  The science exposure and its ``selfcal`` and
``background`` association members (or lists given by the user) are combined
with a NaN-ignoring minimum (MIRI MRS: each less the median of its pedestal
region between the channels first); the minimum image less its running median
(``kernel_size`` along the dispersion axis, or a square box without
``DISPAXIS``) gives the outliers, the ``flagfrac_lower`` and ``flagfrac_upper``
fractions at each end.  Those pixels become NaN in ``sci``, ``err`` and the
variances and gain ``DO_NOT_USE | OTHER_BAD_PIXEL``, in the science and in the
background members (which go on to bkg_subtract flagged).

Without selfcal or background exposures the step is skipped with a warning
(``S_BPXSLF = 'SKIPPED'``), unless ``force_single`` (the science alone).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import xarray as xr

from .._kernels.badpix_selfcal import flag_outliers
from ..datamodel import PIXEL_VARIABLES
from ..dq import DQ
from ..errors import InputFileError, ParameterError, StepOrderError, UnsupportedModeError
from ..instruments.miri.mrs_pedestal import PEDESTAL_BOXES
from ..step_spec import StepOutput
from . import StepContext
from ._common import record_step, require

__all__ = ["badpix_selfcal", "flag_bad_pixels", "from_chain"]

log = logging.getLogger(__name__)

_FLAG = DQ.DO_NOT_USE | DQ.OTHER_BAD_PIXEL


def _check(
    ds: xr.Dataset, members: Sequence[xr.Dataset], kernel_size: int, fracs: Sequence[float]
) -> None:
    require(ds, "sci", "dq", step="badpix_selfcal")
    if "slit" in ds.dims:
        raise StepOrderError("badpix_selfcal: runs on the detector image, before extract_2d")
    if "integration" in ds.dims:
        raise UnsupportedModeError(
            f"badpix_selfcal: {ds.attrs.get('FILENAME', 'the input')} has integrations; as in "
            "jwst, the step takes a single image (rate, not rateints): skip it"
        )
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ParameterError(
            f"badpix_selfcal: kernel_size must be a positive odd integer, not {kernel_size}"
        )
    if not all(0.0 <= f <= 0.5 for f in fracs):
        raise ParameterError(
            f"badpix_selfcal: flagfrac_lower/upper must lie in [0, 0.5], not {fracs}"
        )
    for m in members:
        if m["sci"].shape != ds["sci"].shape:
            raise InputFileError(
                f"badpix_selfcal: {m.attrs.get('FILENAME', 'a selfcal/background member')} is "
                f"{m['sci'].shape}, the science {ds['sci'].shape}: members must match the science"
            )


def _kernel(ds: xr.Dataset, kernel_size: int) -> tuple[int, int]:
    """The median box ``(ky, kx)``: along the dispersion (``DISPAXIS``), else square."""
    dispaxis = ds.attrs.get("DISPAXIS")
    if dispaxis is None:
        log.warning("badpix_selfcal: no DISPAXIS; the median filter is two-dimensional")
        return (kernel_size, kernel_size)
    if int(dispaxis) not in (1, 2):
        raise InputFileError(f"badpix_selfcal: DISPAXIS must be 1 or 2, not {dispaxis}")
    return (kernel_size, 1) if int(dispaxis) == 2 else (1, kernel_size)


def flag_bad_pixels(ds: xr.Dataset, bad: xr.DataArray) -> xr.Dataset:
    """``ds`` with the ``bad`` pixels NaN in ``sci``, ``err`` and the variances and
    ``DO_NOT_USE | OTHER_BAD_PIXEL`` in ``dq`` (the input is not modified)."""
    out = ds.copy()
    for name in PIXEL_VARIABLES:
        if name in ds.data_vars and name != "dq":
            out[name] = ds[name].where(~bad).assign_attrs(ds[name].attrs)
    dq = ds["dq"]
    out["dq"] = (dq | xr.where(bad, dq.dtype.type(_FLAG), dq.dtype.type(0))).assign_attrs(dq.attrs)
    return out


def badpix_selfcal(
    ds: xr.Dataset,
    selfcal: Sequence[xr.Dataset] = (),
    background: Sequence[xr.Dataset] = (),
    *,
    flagfrac_lower: float = 0.001,
    flagfrac_upper: float = 0.001,
    kernel_size: int = 15,
    force_single: bool = False,
) -> tuple[xr.Dataset, list[xr.Dataset]]:
    """Flag the outliers of the minimum of an exposure and its selfcal/background exposures.

    Parameters
    ----------
    ds : a single-image exposure ``(y, x)`` in DN/s (after assign_wcs: its
        ``DISPAXIS`` sets the filter's direction).
    selfcal : exposures used to find the outliers only.
    background : exposures used to find them and flagged too.
    flagfrac_lower, flagfrac_upper : fractions of pixels flagged at the low and
        the high end of the high-pass minimum image (0-0.5).
    kernel_size : length (pixels, odd) of the running median.
    force_single : with no selfcal or background exposure, find the outliers of
        the science alone (else the step is skipped, as in jwst).

    Returns
    -------
    The flagged science (``S_BPXSLF`` ``COMPLETE``, or ``SKIPPED``) and the
    flagged background exposures.  NumPy or Dask input (the image is one block:
    the quantiles are over the whole image); Dask stays lazy.

    Raises
    ------
    UnsupportedModeError
        Multi-integration input (jwst takes an image only).
    ParameterError
        An even or non-positive ``kernel_size``, fractions outside [0, 0.5].
    InputFileError
        A member of another shape than the science.
    """
    members = [*selfcal, *background]
    _check(ds, members, kernel_size, (flagfrac_lower, flagfrac_upper))
    if not members and not force_single:
        log.warning(
            "badpix_selfcal: no selfcal or background exposure; step skipped (force_single=True "
            "uses the science alone, generally not recommended)"
        )
        return record_step(ds, "badpix_selfcal", status="SKIPPED"), list(background)
    stack = xr.DataArray(
        xr.Variable.concat([m["sci"].variable for m in (ds, *members)], dim="member"),
    )
    bad = xr.apply_ufunc(
        flag_outliers,
        stack,
        input_core_dims=[["member", "y", "x"]],
        output_core_dims=[["y", "x"]],
        kwargs={
            "pedestal_box": PEDESTAL_BOXES.get(str(ds.attrs.get("DETECTOR", "")).upper()),
            "flagfrac_lower": flagfrac_lower,
            "flagfrac_upper": flagfrac_upper,
            "kernel": _kernel(ds, kernel_size),
        },
        dask="parallelized",
        output_dtypes=[bool],
        dask_gufunc_kwargs={"allow_rechunk": True},
    )
    bad = bad.assign_coords(y=ds["y"], x=ds["x"]) if "y" in ds.coords else bad
    if bad.chunks is None:
        log.info("badpix_selfcal: %d new bad pixels flagged", int(bad.sum()))
    out = record_step(flag_bad_pixels(ds, bad), "badpix_selfcal")
    return out, [flag_bad_pixels(b, bad) for b in background]


def from_chain(
    ds: xr.Dataset, ctx: StepContext
) -> tuple[xr.Dataset, dict[str, list[xr.Dataset]]] | StepOutput:
    """Chain adapter: the ``selfcal`` and ``background`` association members, the step's
    parameters; ``save_flagged_bkg`` saves each flagged background as
    ``badpix_selfcal_bkg_<i>``.  Returns the science and the flagged backgrounds."""
    p = ctx.params
    background = list(ctx.members.get("background", ()))
    out, flagged = badpix_selfcal(
        ds,
        list(ctx.members.get("selfcal", ())),
        background,
        flagfrac_lower=float(p.get("flagfrac_lower", 0.001)),
        flagfrac_upper=float(p.get("flagfrac_upper", 0.001)),
        kernel_size=int(p.get("kernel_size", 15)),
        force_single=bool(p.get("force_single", False)),
    )
    members = {"background": flagged}
    if not p.get("save_flagged_bkg") or not flagged:
        return out, members
    saved = {f"badpix_selfcal_bkg_{i}": b for i, b in enumerate(flagged)}
    return StepOutput(out, saved, members)
