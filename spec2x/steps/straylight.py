"""straylight: remove light scattered inside the detector (MIRI MRS).

A generic step: the modes table names the implementation
(``Mode.straylight``); today ``mrs``, the MIRI MRS cross-artifact model
(``mrsxartcorr`` reference) and, when ``clean_showers`` is set, the
residual cosmic-ray showers measured between the slices (``regions``
reference), in :mod:`spec2x.instruments.miri.mrs_straylight`.  An N/A
``mrsxartcorr`` skips the step; a multi-integration exposure is skipped
too, as jwst does.
"""

from __future__ import annotations

import functools
import logging

import numpy as np
import xarray as xr

from ..errors import ReferenceMismatchError, UnsupportedModeError
from ..instruments.miri import mrs_straylight as kernel
from ..instruments.miri.mrs_cal_refs import MrsXartCorr
from ..instruments.miri.mrs_refs import MrsRegions
from ..io.references import Reference
from ..modes import MODES, exp_type_of, lookup
from . import StepContext
from ._common import record_step, require

__all__ = ["from_chain", "straylight"]

log = logging.getLogger(__name__)


def straylight(
    ds: xr.Dataset,
    xartcorr: Reference | None,
    *,
    regions: Reference | None = None,
    clean_showers: bool = False,
    shower_plane: int = 3,
    shower_x_stddev: float = 18.0,
    shower_y_stddev: float = 5.0,
    shower_low_reject: float = 0.1,
    shower_high_reject: float = 99.9,
) -> xr.Dataset:
    """Subtract the MRS cross-artifact (and optionally the cosmic-ray showers).

    Parameters
    ----------
    ds : full-frame MRS exposure ``(y, x)`` in DN/s (``CHANNEL``, ``BAND``).
    xartcorr : the ``mrsxartcorr`` reference; None (N/A) skips the step.
    regions : the ``regions`` reference (its throughput planes), needed
        with ``clean_showers``.
    clean_showers : also subtract the residual cosmic-ray showers (jwst's default: no).
    shower_plane : the regions plane whose slices are left out (3: 40 %).
    shower_x_stddev, shower_y_stddev : widths (pixels) of the shower model's Gaussian.
    shower_low_reject, shower_high_reject : percentiles of the inter-slice
        pixels kept for the shower model.

    Returns
    -------
    Dataset with ``sci`` corrected (DN/s; err, variances and DQ unchanged,
    as jwst), ``S_STRAY`` ``COMPLETE`` or ``SKIPPED``.  ``y`` and ``x``
    must not be chunked.

    Raises
    ------
    UnsupportedModeError
        The exposure type has no straylight implementation.
    ReferenceMismatchError
        A reference of another kind, or ``clean_showers`` without a
        multi-plane regions file.
    """
    mode = lookup(exp_type_of(ds))
    if mode is None or mode.straylight is None:
        supported = ", ".join(k for k, m in MODES.items() if m.straylight is not None)
        raise UnsupportedModeError(
            f"spec2x's straylight handles {supported}, not EXP_TYPE={exp_type_of(ds)!r}"
        )
    if xartcorr is None:
        log.warning("straylight: no mrsxartcorr reference (N/A); step skipped")
        return record_step(ds, "straylight", status="SKIPPED")
    if "integration" in ds["sci"].dims:
        log.warning("straylight: not defined for multi-integration data; step skipped")
        return record_step(ds, "straylight", status="SKIPPED")
    require(ds, "sci", "dq", step="straylight")
    if not isinstance(xartcorr.content, MrsXartCorr):
        raise ReferenceMismatchError(
            f"{xartcorr.name} is a {xartcorr.reftype} reference, not a MIRI MRS mrsxartcorr one"
        )
    xartcorr.check_matches(ds.attrs, ("INSTRUME",))
    channel = str(ds.attrs.get("CHANNEL", "")).strip()
    band = str(ds.attrs.get("BAND", "")).strip().upper()
    func = functools.partial(
        kernel.correct_xartifact, tables=xartcorr.content.tables, channel=channel, band=band
    )
    sci = _apply(func, ds["sci"], ds["dq"])
    used: list[Reference | None] = [xartcorr]
    if clean_showers:
        plane = _shower_plane(regions, shower_plane)
        showers = functools.partial(
            _showers_only,
            regions=plane,
            x_stddev=shower_x_stddev,
            y_stddev=shower_y_stddev,
            low_reject=shower_low_reject,
            high_reject=shower_high_reject,
        )
        sci = _apply(showers, sci, ds["dq"])
        used.append(regions)
    out = ds.assign(sci=sci.assign_attrs(ds["sci"].attrs))
    return record_step(out, "straylight", *used)


def _showers_only(sci: np.ndarray, dq: np.ndarray, **kwargs: object) -> np.ndarray:
    return kernel.clean_showers(sci, dq, **kwargs)[0]  # type: ignore[arg-type]


def _apply(func: functools.partial, sci: xr.DataArray, dq: xr.DataArray) -> xr.DataArray:
    return xr.apply_ufunc(
        func,
        sci,
        dq,
        input_core_dims=[["y", "x"], ["y", "x"]],
        output_core_dims=[["y", "x"]],
        dask="parallelized",
        output_dtypes=[np.float32],
    ).transpose(*sci.dims)


def _shower_plane(regions: Reference | None, plane: int) -> np.ndarray:
    content = None if regions is None else regions.content
    if not isinstance(content, MrsRegions) or content.planes.shape[0] <= plane:
        name = "none" if regions is None else regions.name
        raise ReferenceMismatchError(
            f"straylight clean_showers needs a MIRI MRS regions file with throughput plane "
            f"{plane} (got {name}); give the current-format regions reference or set "
            "clean_showers=False"
        )
    return content.planes[plane]


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: ``mrsxartcorr`` (N/A skips), ``regions`` when cleaning showers."""
    params = ctx.params
    clean = bool(params.get("clean_showers", False))
    return straylight(
        ds,
        ctx.ref("mrsxartcorr", ds),
        regions=ctx.ref("regions", ds) if clean else None,
        clean_showers=clean,
        shower_plane=int(params.get("shower_plane", 3)),
        shower_x_stddev=float(params.get("shower_x_stddev", 18.0)),
        shower_y_stddev=float(params.get("shower_y_stddev", 5.0)),
        shower_low_reject=float(params.get("shower_low_reject", 0.1)),
        shower_high_reject=float(params.get("shower_high_reject", 99.9)),
    )
