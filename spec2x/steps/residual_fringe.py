"""residual_fringe: fit and divide out the fringes the fringe flat leaves (MIRI MRS, 2-D).

jwst 3.0.0's ``ResidualFringeStep``, off by default in calwebb_spec2 (and
here: ``skip = True``).  Per channel of the detector, per slice column of
the 80 % throughput ``regions`` plane, the column's relative deviation from
a spline baseline is fitted with sines near the slice's ``fringefreq``
frequencies and divided out; see
:mod:`spec2x.instruments.miri.residual_fringe`.  Only ``sci`` changes (err,
variances and DQ as they were, as in jwst); NaN and DO_NOT_USE pixels come
out NaN.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..errors import (
    MissingReferenceError,
    ParameterError,
    ReferenceMismatchError,
    StepOrderError,
    UnsupportedModeError,
)
from ..instruments.miri.mrs_refs import MrsRegions
from ..instruments.miri.residual_fringe import correct_image
from ..instruments.miri.residual_fringe_refs import FringeFreq
from ..io.references import Reference
from ..modes import MODES, exp_type_of, lookup
from . import StepContext
from ._common import record_step, require

__all__ = ["from_chain", "residual_fringe"]

log = logging.getLogger(__name__)

_CHANNELS = {"MIRIFUSHORT": (1, 2), "MIRIFULONG": (3, 4)}


def _need(ref: Reference | None, reftype: str, name: str) -> Reference:
    if ref is None:
        raise MissingReferenceError(
            f"residual_fringe needs a {reftype} reference for {name}; give one "
            f"(--ref {reftype}=PATH or a folder that has it) or skip the step"
        )
    return ref


def _checked(
    ds: xr.Dataset, fringefreq: Reference | None, regions: Reference | None
) -> tuple[FringeFreq, MrsRegions]:
    mode = lookup(exp_type_of(ds))
    if mode is None or not mode.allows("residual_fringe"):
        supported = ", ".join(k for k, m in MODES.items() if m.allows("residual_fringe"))
        raise UnsupportedModeError(
            f"residual_fringe handles {supported}, not EXP_TYPE={exp_type_of(ds)!r}"
        )
    name = ds.attrs.get("FILENAME", "the exposure")
    if str(ds.attrs.get("S_FRINGE", "")).upper() != "COMPLETE":
        raise StepOrderError(
            f"residual_fringe: the fringe flat has not been applied to {name}; run fringe first"
        )
    fringefreq = _need(fringefreq, "fringefreq", name)
    regions = _need(regions, "regions", name)
    if not isinstance(fringefreq.content, FringeFreq):
        raise ReferenceMismatchError(
            f"{fringefreq.name} is a {fringefreq.reftype} reference, not a fringefreq one"
        )
    if not isinstance(regions.content, MrsRegions):
        raise ReferenceMismatchError(
            f"{regions.name} is a {regions.reftype} reference, not a MIRI MRS regions one"
        )
    fringefreq.check_matches(ds.attrs, ("INSTRUME", "DETECTOR"))
    return fringefreq.content, regions.content


def _correct(
    sci: np.ndarray, err: np.ndarray, dq: np.ndarray, wave: np.ndarray, **kwargs: Any
) -> np.ndarray:
    out, done = correct_image(sci, err, dq, np.asarray(wave, np.float64), **kwargs)
    log.info("residual_fringe: %d columns corrected", done)
    return out.astype(sci.dtype)


def residual_fringe(
    ds: xr.Dataset,
    fringefreq: Reference | None,
    regions: Reference | None,
    *,
    ignore_region_min: Sequence[float] | None = None,
    ignore_region_max: Sequence[float] | None = None,
) -> xr.Dataset:
    """Correct a MIRI MRS exposure for residual fringes.

    Parameters
    ----------
    ds : full-frame MRS exposure ``(y, x)`` after ``fringe`` (any unit),
        with its ``wavelength`` coordinate (µm, NaN off the slices).
    fringefreq : the ``fringefreq`` reference.
    regions : the MRS ``regions`` reference (its 80 % throughput plane).
    ignore_region_min, ignore_region_max : wavelength ranges (µm) given no
        weight in the fits, as many lower as upper limits.

    Returns
    -------
    Dataset with ``sci`` corrected, ``S_RESFRI`` ``COMPLETE``.  ``y`` and
    ``x`` must not be chunked (the fits run column by column on NumPy arrays).

    Raises
    ------
    MissingReferenceError
        No ``fringefreq`` or ``regions`` reference (skip the step instead).
    StepOrderError
        The fringe flat has not been applied, or there is no wavelength.
    ParameterError
        Unequal numbers of ignore-region limits.
    """
    table, plane = _checked(ds, fringefreq, regions)
    lows, highs = list(ignore_region_min or ()), list(ignore_region_max or ())
    if len(lows) != len(highs):
        raise ParameterError(
            f"residual_fringe: {len(lows)} ignore_region_min but {len(highs)} ignore_region_max; give them in pairs"
        )
    require(ds, "sci", "err", "dq", coords=("wavelength",), step="residual_fringe")
    if "integration" in ds["sci"].dims:
        log.warning("residual_fringe: not defined for multi-integration data; step skipped")
        return record_step(ds, "residual_fringe", status="SKIPPED")
    band = str(ds.attrs.get("BAND", "")).strip().upper()
    rows = table.bands.get(band, table.bands["LONG"])  # jwst: any other band reads LONG
    detector = str(ds.attrs.get("DETECTOR", "")).strip().upper()
    kernel = functools.partial(
        _correct,
        labels=plane.label_map(0.8),
        table=rows,
        max_amp=table.max_amp,
        channels=_CHANNELS.get(detector, ()),
        ignore_regions=[(float(lo), float(hi)) for lo, hi in zip(lows, highs, strict=True)],
    )
    sci = xr.apply_ufunc(
        kernel,
        ds["sci"],
        ds["err"],
        ds["dq"],
        ds["wavelength"],
        input_core_dims=[["y", "x"]] * 4,
        output_core_dims=[["y", "x"]],
        dask="parallelized",
        output_dtypes=[ds["sci"].dtype],
    )
    out = ds.assign(sci=sci.transpose(*ds["sci"].dims).assign_attrs(ds["sci"].attrs))
    return record_step(out, "residual_fringe", fringefreq, regions)


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: ``fringefreq`` and ``regions`` (N/A is an error once the step is on)."""
    return residual_fringe(
        ds,
        ctx.ref("fringefreq", ds),
        ctx.ref("regions", ds),
        ignore_region_min=ctx.params.get("ignore_region_min"),
        ignore_region_max=ctx.params.get("ignore_region_max"),
    )
