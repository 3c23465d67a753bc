"""What SOSS ATOCA computes once per exposure before any fit (jwst 3.0.0's ``run_extract1d``).

Per order: the column wavelengths (the pastasoss wavelength map's row), the
spatial profile cut to the map's size, the throughput (a clamped cubic
spline of the pastasoss table, zero at its ends, constant beyond), the
kernel, the box mask; for the exposure: the pixels bad for the model (bad in
every integration, or with a non-finite or non-positive median error) and
the typical integration the factors and the grid are chosen on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ...dq import DQ
from .soss_atoca_kernel import SossKernel
from .soss_atoca_model import OrderModel
from .soss_box import BoxInputs, box_inputs
from .soss_refs import Pastasoss, SossKernels, SossProfiles, soss_content
from .soss_traces import soss_wavemaps

__all__ = ["Setup", "exposure_setup", "throughput_curve"]

_SEED = 42
_DEFAULT_SEPARATION = (0.77, 0.95)


@dataclass(frozen=True)
class Setup:
    """Per-exposure inputs of the ATOCA fits.

    Attributes
    ----------
    inputs : the infilled, masked exposure.
    orders : order -> :class:`OrderModel`.
    kernels : order -> :class:`SossKernel`.
    box_masks : order -> (y, x) pixels outside the order's box.
    bad : (y, x) pixels bad for the model.
    typical : (y, x) the typical integration (DN/s).
    trace_wave : order -> (columns, wavelength µm) of the trace on columns ``< cutoff``.
    separation : order 2's (joint-fit blue end, single-fit red end), µm.
    threshold : profile level of significance (``soss_threshold``).
    """

    inputs: BoxInputs
    orders: dict[int, OrderModel]
    kernels: dict[int, SossKernel]
    box_masks: dict[int, np.ndarray]
    bad: np.ndarray
    typical: np.ndarray
    trace_wave: dict[int, tuple[np.ndarray, np.ndarray]]
    separation: tuple[float, float]
    threshold: float


def throughput_curve(wavelength: np.ndarray, throughput: np.ndarray) -> Callable:
    """jwst's ``ThroughputInterpolator``: clamped cubic spline, zero at the table's ends."""
    from scipy.interpolate import make_interp_spline

    order = np.argsort(wavelength)
    wave = np.asarray(wavelength, dtype=np.float64)[order]
    values = np.asarray(throughput, dtype=np.float64).copy()
    values[0] = values[-1] = 0.0
    spline = make_interp_spline(wave, values, k=3, bc_type=("clamped", "clamped"))
    return lambda w: spline(np.clip(w, wave[0], wave[-1]))


def _crop(profile: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    for axis in (0, 1):
        pad = (profile.shape[axis] - shape[axis]) // 2
        if pad > 0:
            profile = np.take(profile, np.arange(pad, profile.shape[axis] - pad), axis=axis)
    return profile


def _typical(inputs: BoxInputs) -> np.ndarray:
    nints = inputs.data.shape[0]
    scale = inputs.mederr * np.sqrt((nints - 1) / nints)
    with np.errstate(invalid="ignore"):
        noise = np.random.default_rng(seed=_SEED).normal(0, scale)
    return inputs.data.mean(axis=0) + noise


def exposure_setup(ds: xr.Dataset, refs: Mapping[str, Any], opts: Mapping[str, Any]) -> Setup:
    """The :class:`Setup` of an exposure with its references and ATOCA options."""
    ref = soss_content(refs["pastasoss"], "pastasoss", Pastasoss)
    profiles = soss_content(refs["specprofile"], "specprofile", SossProfiles)
    kern = soss_content(refs["speckernel"], "speckernel", SossKernels)
    inputs = box_inputs(ds.compute(), ref, order_3=bool(opts["soss_order_3"]))
    maps, _ = soss_wavemaps(ref, inputs.pwcpos, inputs.subarray, inputs.orders)
    typical = _typical(inputs)
    bad = np.all(inputs.dq & DQ.DO_NOT_USE != 0, axis=0)
    bad |= ~(np.isfinite(typical) & np.isfinite(inputs.mederr)) | ~(inputs.mederr > 0)
    orders, kernels, masks, trace_wave = {}, {}, {}, {}
    for i, order in enumerate(inputs.orders):
        cols, _, wave = inputs.traces[order]
        model = ref.orders[order]
        orders[order] = OrderModel(
            order,
            maps[i][0].astype(np.float64),
            _crop(profiles.profiles[order], maps[i].shape),
            throughput_curve(model.throughput_wavelength, model.throughput),
        )
        centre = np.zeros(2048)
        centre[cols] = np.where(np.isfinite(wave), wave, 0.0)
        kernels[order] = SossKernel(kern, centre)
        masks[order] = ~(inputs.weights(order, float(opts["soss_width"])) > 0)
        ok = np.isfinite(wave)
        trace_wave[order] = (cols[ok], wave[ok])
    separation = ref.order2_separation_cutoff or _DEFAULT_SEPARATION
    return Setup(
        inputs, orders, kernels, masks, bad, typical, trace_wave, separation,
        float(opts["soss_threshold"]),
    )  # fmt: skip
