"""bkg_subtract: subtract the sigma-clipped mean of background exposures.

Image-from-image background subtraction as jwst 3.0.0 does it for slit,
slitless and IFU modes with dedicated background exposures (WFSS and SOSS
scale a reference background instead: SOSS's is
:mod:`spec2x.instruments.niriss.soss_background`, WFSS's
:mod:`spec2x.steps._bkg_wfss`, both reached from the chain).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .._kernels import bkg_subtract as kernel
from ..dq import DQ_DTYPE
from ..errors import InputFileError, UnsupportedModeError
from ..modes import exp_type_of, lookup
from . import StepContext
from ._common import record_step, require

__all__ = ["average_background", "bkg_subtract", "from_chain"]

log = logging.getLogger(__name__)


#: GWA tilt tolerance for NIRSpec background exposures (jwst: 1e-8, absolute).
_TILT_TOLERANCE = 1.0e-8


def _reference_background(exp_type: str) -> bool:
    """jwst scales a reference background for this mode (WFSS, SOSS)."""
    mode = lookup(exp_type)
    return mode is not None and mode.reference_background


def _checks_tilt(exp_type: str) -> bool:
    """Backgrounds must share the science exposure's grating-wheel tilt (NIRSpec)."""
    mode = lookup(exp_type)
    return mode is not None and mode.background_tilt


def average_background(
    ds: xr.Dataset,
    backgrounds: Sequence[xr.Dataset],
    *,
    sigma: float = 3.0,
    maxiters: int | None = None,
) -> xr.Dataset:
    """The combined background on the pixels of ``ds`` (jwst ``average_background``).

    Each background with an ``integration`` dim is first collapsed to the
    sigma-clipped mean of its integrations (``sci`` and ``err**2`` clipped
    separately, DQ OR-ed).  The backgrounds are then sigma-clipped against
    each other per pixel and averaged.

    Parameters
    ----------
    ds : the science exposure (only its pixel grid is used).
    backgrounds : background exposures covering the science pixels.
    sigma : clipping threshold in standard deviations (jwst default 3).
    maxiters : most clipping rounds; None until convergence (jwst default).

    Returns
    -------
    Dataset with ``sci`` (background rate), ``err`` (the root of the summed
    variances of the kept backgrounds over their number) and ``dq`` (OR of
    every background's DQ), dims ``(y, x)`` (or ``(slit, y, x)``).
    A pixel where every background is rejected gets 0, as in jwst.
    """
    if not backgrounds:
        raise InputFileError("average_background needs at least one background exposure")
    layers = [
        _collapse(_on_science_pixels(ds, b, i), sigma, maxiters) for i, b in enumerate(backgrounds)
    ]
    stack = xr.concat(layers, dim="background", coords="minimal", compat="override")
    if stack["sci"].chunks is not None:
        stack = stack.chunk({"background": -1})
    sci, err, dq = xr.apply_ufunc(
        kernel.combine_backgrounds,
        stack["sci"],
        stack["var"],
        stack["dq"],
        input_core_dims=[["background"]] * 3,
        output_core_dims=[[], [], []],
        kwargs={"sigma": sigma, "maxiters": maxiters},
        dask="parallelized",
        output_dtypes=[np.float32, np.float32, DQ_DTYPE],
    )
    units = ds["sci"].attrs.get("units", "DN/s")
    return xr.Dataset(
        {
            "sci": sci.assign_attrs(units=units),
            "err": err.assign_attrs(units=units),
            "dq": dq.assign_attrs(units=""),
        },
        attrs={"NBKG": len(backgrounds)},
    )


def bkg_subtract(
    ds: xr.Dataset,
    backgrounds: Sequence[xr.Dataset],
    *,
    sigma: float = 3.0,
    maxiters: int | None = None,
) -> xr.Dataset:
    """Subtract the combined background exposures from the science exposure.

    Parameters
    ----------
    ds : exposure ``(y, x)`` or ``(integration, y, x)`` in DN/s.
    backgrounds : background exposures of the same mode whose pixels cover
        those of ``ds`` (same subarray, or a larger one); each may have
        several integrations.
    sigma, maxiters : sigma clipping of the backgrounds (jwst defaults 3, None).

    Returns
    -------
    Dataset with ``sci - background`` and the backgrounds' DQ OR-ed in;
    ``err`` and the variances are unchanged, as in jwst 3.0.0 (the combined
    background's error is available from :func:`average_background`).
    ``S_BKDSUB`` is ``COMPLETE``, or ``SKIPPED`` (data unchanged) with no
    backgrounds or, for NIRSpec, when a background's GWA tilt differs.

    Notes
    -----
    .. math:: s' = s - \\langle b_k \\rangle_{\\text{clipped}}

    A background pixel that is NaN in every integration (or in every
    background) contributes 0, as in jwst: the science pixel is left as it
    was rather than turned to NaN.

    Raises
    ------
    InputFileError
        A background does not cover the science pixels (the message gives both shapes).
    UnsupportedModeError
        WFSS and SOSS exposures (jwst scales a reference background for those).
    """
    require(ds, "sci", "dq", step="bkg_subtract")
    exp_type = exp_type_of(ds)
    if _reference_background(exp_type):
        raise UnsupportedModeError(
            f"bkg_subtract for {exp_type} scales the 'bkg' reference background (jwst's WFSS/SOSS "
            "branch): call subtract_wfss_background (spec2x.steps._bkg_wfss) or "
            "subtract_soss_background (spec2x.instruments.niriss.soss_background)"
        )
    if not backgrounds:
        log.warning("bkg_subtract: no background exposures; step skipped")
        return record_step(ds, "bkg_subtract", status="SKIPPED")
    if _checks_tilt(exp_type) and not _same_tilt(ds, backgrounds):
        log.warning(
            "bkg_subtract: GWA_XTIL/GWA_YTIL of a background differ from the science; skipped"
        )
        return record_step(ds, "bkg_subtract", status="SKIPPED")
    bkg = average_background(ds, backgrounds, sigma=sigma, maxiters=maxiters)
    sci = (ds["sci"] - bkg["sci"]).astype(np.float32).transpose(*ds["sci"].dims)
    dq = (ds["dq"] | bkg["dq"]).astype(DQ_DTYPE).transpose(*ds["dq"].dims)
    out = ds.assign(sci=sci.assign_attrs(ds["sci"].attrs), dq=dq.assign_attrs(ds["dq"].attrs))
    log.info("bkg_subtract: subtracted the mean of %d background exposure(s)", len(backgrounds))
    return record_step(out, "bkg_subtract")


def _same_tilt(ds: xr.Dataset, backgrounds: Sequence[xr.Dataset]) -> bool:
    def tilt(d: xr.Dataset) -> np.ndarray:
        return np.array([d.attrs.get("GWA_XTIL", np.nan), d.attrs.get("GWA_YTIL", np.nan)], float)

    ref = tilt(ds)
    return all(
        np.allclose(ref, tilt(b), rtol=0, atol=_TILT_TOLERANCE, equal_nan=True) for b in backgrounds
    )


def _extent(d: xr.Dataset) -> str:
    x, y = d["x"].values, d["y"].values
    return (
        f"shape {tuple(d['sci'].shape)} on full-frame x {int(x.min()) + 1}..{int(x.max()) + 1}, "
        f"y {int(y.min()) + 1}..{int(y.max()) + 1}"
    )


def _on_science_pixels(ds: xr.Dataset, bkg: xr.Dataset, index: int) -> xr.Dataset:
    """``bkg``'s sci, err, dq on the pixels of ``ds``; an error if it does not cover them."""
    label = bkg.attrs.get("FILENAME", f"background #{index + 1}")
    missing = [n for n in ("sci", "err", "dq") if n not in bkg]
    if missing:
        raise InputFileError(f"background {label} lacks {', '.join(missing)}")
    covers = all(d in bkg.coords and np.isin(ds[d].values, bkg[d].values).all() for d in ("y", "x"))
    if "slit" in ds.dims:
        covers = covers and "slit" in bkg.dims and bkg.sizes["slit"] == ds.sizes["slit"]
    if not covers:
        raise InputFileError(
            f"background {label} ({_extent(bkg)}) does not cover the science exposure "
            f"{ds.attrs.get('FILENAME', '')} ({_extent(ds)}); use backgrounds taken with the "
            f"same subarray (or the full frame)"
        )
    sub = bkg[["sci", "err", "dq"]].sel(y=ds["y"].values, x=ds["x"].values)
    return sub.drop_vars([c for c in sub.coords if c not in ("y", "x", "slit", "integration")])


def _collapse(bkg: xr.Dataset, sigma: float, maxiters: int | None) -> xr.Dataset:
    """One background as (sci, var, dq) on (y, x): clipped mean over its integrations."""
    if "integration" not in bkg.dims:
        err = bkg["err"].astype(np.float32)
        return xr.Dataset({"sci": bkg["sci"], "var": err * err, "dq": bkg["dq"]})
    if bkg["sci"].chunks is not None:
        bkg = bkg.chunk({"integration": -1})
    sci, var, dq = xr.apply_ufunc(
        kernel.combine_integrations,
        bkg["sci"],
        bkg["err"],
        bkg["dq"],
        input_core_dims=[["integration"]] * 3,
        output_core_dims=[[], [], []],
        kwargs={"sigma": sigma, "maxiters": maxiters},
        dask="parallelized",
        output_dtypes=[np.float64, np.float64, DQ_DTYPE],
    )
    return xr.Dataset({"sci": sci, "var": var, "dq": dq})


def _soss(ds: xr.Dataset, bkg: Any, params: Mapping[str, Any]) -> xr.Dataset:
    """NIRISS SOSS: the scaled ``bkg`` template (jwst's ``soss_*`` parameters)."""
    from ..instruments.niriss.soss_background import subtract_soss_background

    percentiles = params.get("soss_bkg_percentile") or (25.0, 50.0)
    out, done = subtract_soss_background(
        ds,
        bkg,
        source_percentile=float(params.get("soss_source_percentile", 35.0)),
        bkg_percentile=(float(percentiles[0]), float(percentiles[1])),
    )
    if not done:
        return record_step(ds, "bkg_subtract", status="SKIPPED")
    return record_step(out, "bkg_subtract", bkg)


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: the association's ``background`` members (else ``bkg_list`` files).

    Parameters used: ``sigma``, ``maxiters`` and, when the association names
    no background, ``bkg_list`` (paths, or one comma-separated string), as jwst.
    WFSS and SOSS exposures with the ``bkg`` reference N/A are SKIPPED, as in
    jwst; SOSS subtracts the scaled ``bkg`` template
    (:mod:`spec2x.instruments.niriss.soss_background`), WFSS the template
    scaled off the catalogue's sources (:mod:`spec2x.steps._bkg_wfss`, jwst's
    ``wfss_*`` parameters).
    """
    exp_type = exp_type_of(ds)
    if _reference_background(exp_type) and (bkg := ctx.ref("bkg", ds)) is None:
        log.warning("bkg_subtract: no bkg reference for %s (N/A); step skipped", exp_type)
        return record_step(ds, "bkg_subtract", status="SKIPPED")
    mode = lookup(exp_type)
    if mode is not None and mode.reference_background and mode.wfss:
        from ._bkg_wfss import wfss_from_chain

        return wfss_from_chain(ds, bkg, ctx)
    if mode is not None and mode.reference_background:
        return _soss(ds, bkg, ctx.params)
    backgrounds = list(ctx.members.get("background", ()))
    if not backgrounds:
        paths = ctx.params.get("bkg_list")
        if isinstance(paths, str):
            paths = paths.split(",")
        if paths:
            from ..io.fits import open_exposure

            backgrounds = [open_exposure(p.strip()) for p in paths if str(p).strip()]
    maxiters = ctx.params.get("maxiters")
    return bkg_subtract(
        ds,
        backgrounds,
        sigma=float(ctx.params.get("sigma", 3.0)),
        maxiters=None if maxiters is None else int(maxiters),
    )
