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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import xarray as xr

from .soss_atoca_kernel import SossKernel
from .soss_atoca_model import OrderModel
from .soss_box import BoxInputs, box_inputs
from .soss_infill import unusable_everywhere
from .soss_refs import Pastasoss, SossKernels, SossProfiles, soss_content
from .soss_traces import soss_wavemaps

__all__ = [
    "BLOCK",
    "Setup",
    "block_inputs",
    "exposure_setup",
    "integration_blocks",
    "throughput_curve",
]

_SEED = 42
BLOCK = 16  # integrations fitted and decontaminated together by default
_CHUNK = "16MiB"  # the medians over integrations: this much of the exposure at a time
_DEFAULT_SEPARATION = (0.77, 0.95)
_JOINT = (1, 2)  # the orders of the joint fit, convolved by their kernels


@dataclass(frozen=True)
class Setup:
    """Per-exposure inputs of the ATOCA fits.

    Attributes
    ----------
    inputs : the infilled, masked exposure.
    orders : order -> :class:`OrderModel`.
    kernels : order -> :class:`SossKernel` of the orders fitted jointly (1 and 2; the
        others are fitted without a kernel).
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


def integration_blocks(nints: int, size: int) -> list[slice]:
    """Consecutive slices of ``size`` integrations covering ``nints``, none of one alone.

    A lone integration (``nints`` one more than a multiple of ``size``, or
    ``size`` 1) joins the block before it: LAPACK solves one right-hand side
    (``trsv``) with other roundings than several (``trsm``), and the
    numbers must not depend on the blocks.
    """
    size = max(size, 2)
    starts = list(range(0, nints, size))
    if len(starts) > 1 and nints - starts[-1] == 1:
        starts.pop()
    return [slice(a, b) for a, b in zip(starts, [*starts[1:], nints], strict=True)]


def block_inputs(inputs: BoxInputs, part: slice) -> BoxInputs:
    """The integrations ``part`` of ``inputs`` as NumPy arrays (a Dask exposure computed for them only)."""
    import dask

    data, err, mask, dq = dask.compute(
        *(a[part] for a in (inputs.data, inputs.err, inputs.mask, inputs.dq))
    )
    return replace(
        inputs, data=np.asarray(data), err=np.asarray(err), mask=np.asarray(mask), dq=np.asarray(dq)
    )


def _mean(inputs: BoxInputs, block: int) -> np.ndarray:
    """Mean of the integrations, summed one after the other as NumPy's ``mean(axis=0)``."""
    nints = inputs.data.shape[0]
    if isinstance(inputs.data, np.ndarray):
        return inputs.data.mean(axis=0)
    total = None
    for part in integration_blocks(nints, block):
        for image in block_inputs(inputs, part).data:
            total = image.copy() if total is None else total + image
    assert total is not None
    return np.true_divide(total, np.intp(nints), out=total, casting="unsafe")


def _typical(inputs: BoxInputs, block: int) -> np.ndarray:
    nints = inputs.data.shape[0]
    scale = inputs.mederr * np.sqrt((nints - 1) / nints)
    with np.errstate(invalid="ignore"):
        noise = np.random.default_rng(seed=_SEED).normal(0, scale)
    return _mean(inputs, block) + noise


def _view(cube: np.ndarray, part: slice) -> np.ndarray:
    return cube[part]


def _wrapped(cube: np.ndarray, block: int) -> Any:
    """A Dask cube of views of ``cube``, ``block`` integrations a chunk (``from_array`` copies)."""
    import dask
    import dask.array as da

    parts = integration_blocks(cube.shape[0], block)
    return da.concatenate(
        [
            da.from_delayed(
                dask.delayed(_view)(cube, part),
                (part.stop - part.start, *cube.shape[1:]),
                cube.dtype,
            )
            for part in parts
        ]
    )


def _lazy(ds: xr.Dataset, block: int) -> xr.Dataset:
    """``ds`` as given if its ``sci``, ``err`` and ``dq`` are all NumPy (infilled once, in
    memory) or all Dask; else each NumPy one of them as a Dask cube (``block`` integrations
    a chunk), so that the exposure is computed one block at a time."""
    names = ("sci", "err", "dq")
    eager = [n for n in names if ds[n].chunks is None]
    if ds["sci"].ndim != 3 or len(eager) in (0, len(names)):
        return ds
    return ds.assign({n: (ds[n].dims, _wrapped(np.asarray(ds[n].data), block)) for n in eager})


def exposure_setup(
    ds: xr.Dataset, refs: Mapping[str, Any], opts: Mapping[str, Any], block: int = BLOCK
) -> Setup:
    """The :class:`Setup` of an exposure with its references and ATOCA options.

    A NumPy exposure is infilled and masked once, in memory, and every block
    reads those arrays.  A Dask one (or one with some cubes Dask) stays lazy
    (``block`` integrations a chunk) but for its median error, typical
    integration and bad pixels, so that :func:`block_inputs` computes one
    block at a time and memory does not grow with the integrations (the
    infill is then computed again by each pass: the masks, the mean, the
    blocks).  The numbers are the same either way, bit for bit.
    """
    import dask

    ref = soss_content(refs["pastasoss"], "pastasoss", Pastasoss)
    profiles = soss_content(refs["specprofile"], "specprofile", SossProfiles)
    kern = soss_content(refs["speckernel"], "speckernel", SossKernels)
    with dask.config.set({"array.chunk-size": _CHUNK}):
        inputs = box_inputs(_lazy(ds, block), ref, order_3=bool(opts["soss_order_3"]), settle=True)
    inputs = replace(inputs, mederr=np.asarray(inputs.mederr))
    maps, _ = soss_wavemaps(ref, inputs.pwcpos, inputs.subarray, inputs.orders)
    typical = _typical(inputs, block)
    bad = np.asarray(unusable_everywhere(inputs.dq))
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
        if order in _JOINT:
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
