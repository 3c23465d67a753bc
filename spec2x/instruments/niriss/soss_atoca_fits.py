"""The ATOCA fits of a SOSS exposure: orders 1 + 2 jointly, then order 2 blue and order 3 alone.

See :mod:`spec2x.instruments.niriss.soss_atoca` for the sequence (jwst
3.0.0's ``Integration.model_image``).  The joint system is factorised once
and solved for every integration at once; trace models are (integration, y,
x) DN/s, NaN where an order is not modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .soss_atoca_grid import decontamination_grid, oversample_grid
from .soss_atoca_model import LinearModel, linear_model
from .soss_atoca_setup import Setup
from .soss_atoca_tikho import Tikhonov, first_difference, search_factor, solve_sparse

__all__ = ["JointFit", "joint_fit", "single_order_models"]

_ESTIMATE_THRESHOLD = 1e-4
_MIN_PIXELS = 25


@dataclass(frozen=True)
class JointFit:
    """The joint order 1 + 2 fit: grid (µm), factor, spectra (grid, integration), trace models."""

    grid: np.ndarray
    tikfac: float
    spectra: np.ndarray
    models: dict[int, np.ndarray]


def _ones(wave: np.ndarray) -> np.ndarray:
    return np.ones_like(wave)


def _profile_weighted_wave(column_wave: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Sorted profile-weighted mean wavelength of each column (jwst's ``grid_from_map``).

    The map has no tilt, so this is the column's wavelength, up to the rounding
    of the weighted mean, which decides which grid nodes the model keeps.
    """
    weights = np.clip(profile.astype(np.float64), 0, None)
    wave = np.broadcast_to(column_wave, profile.shape)
    empty = weights.sum(axis=0) == 0
    weights[:, empty] = 1.0
    with np.errstate(invalid="ignore"):
        centre = np.average(wave, weights=weights, axis=0)
    centre = centre[~empty & np.isfinite(centre)]
    return np.sort(centre)


def _estimate(setup: Setup) -> Any:
    """Order 1's spectrum on its own columns, fitted where order 2 is faint (a spline of µm)."""
    from scipy.interpolate import UnivariateSpline

    o1 = setup.orders[1]
    grid = _profile_weighted_wave(o1.column_wave, o1.profile)
    mask = (setup.orders[2].profile >= _ESTIMATE_THRESHOLD) | setup.box_masks[1]
    model = linear_model([o1], grid, [mask], [None], bad=setup.bad)
    good = ~model.mask
    design = model.design(setup.inputs.mederr)
    rhs = design.T @ (setup.typical[good] / setup.inputs.mederr[good])
    idx = rhs != 0
    spec = np.full(grid.size, np.nan)
    spec[idx] = solve_sparse((design.T @ design).tocsc()[idx][:, idx], rhs[idx])
    ok = np.isfinite(spec)
    return UnivariateSpline(grid[ok], spec[ok], k=3, s=0, ext=0)


def _rebuild_mask(setup: Setup) -> np.ndarray:
    return np.all(list(setup.box_masks.values()), axis=0)


def _trace_models(setup: Setup, model: LinearModel, spectra: np.ndarray) -> dict[int, np.ndarray]:
    """Orders 1 and 2 projected on the detector (jwst's ``_build_tracemodel_order``)."""
    out = {}
    rebuild = _rebuild_mask(setup)
    for i, order in enumerate((1, 2)):
        a, b = model.bounds[i]
        convolved = model.convolution[i] @ spectra
        sub = linear_model([setup.orders[order]], model.grid[a:b], [rebuild], [None])
        lines = sub.columns[0] @ convolved  # (2048, nints)
        image = sub.profiles[0][None] * lines.T[:, None, :]
        out[order] = np.where(sub.order_masks[0][None], np.nan, image)
    return out


def joint_fit(setup: Setup, opts: Mapping[str, Any]) -> JointFit:
    """Fit orders 1 and 2 together on every integration (one factorisation)."""
    from scipy.linalg import lu_factor, lu_solve

    tikfac = opts["soss_tikfac"]
    grid = opts["soss_wave_grid_in"]
    estimate = _estimate(setup) if grid is None or tikfac is None else None
    if grid is None:
        assert estimate is not None
        grid = decontamination_grid(
            setup.trace_wave[1][1],
            setup.trace_wave[2][1],
            estimate,
            blue_cut=setup.separation[0],
            n_os=int(opts["soss_n_os"]),
            rtol=float(opts["soss_rtol"]),
            max_grid_size=int(opts["soss_max_grid_size"]),
        )
    grid = np.asarray(grid, dtype=np.float64)
    o1, o2 = setup.orders[1], setup.orders[2]
    model = linear_model(
        [o1, o2], grid, [setup.box_masks[1], setup.box_masks[2]],
        [setup.kernels[1], setup.kernels[2]], bad=setup.bad, threshold=setup.threshold,
    )  # fmt: skip
    good = ~model.mask
    mederr = setup.inputs.mederr
    design = model.design(mederr)
    penalty = first_difference(grid)
    if tikfac is None:
        assert estimate is not None
        reg = penalty @ estimate(grid)
        guess = float(np.sqrt(good.sum() / np.nansum(reg**2)))
        problem = Tikhonov(design, setup.typical[good] / mederr[good], grid)
        tikfac = search_factor(problem, guess, (-4.0, 4.0))
    normal = (design.T @ design + tikfac**2 * (penalty.T @ penalty)).toarray()
    factors = lu_factor(normal)
    data = setup.inputs.data[:, good] / mederr[good]
    spectra = lu_solve(factors, np.asarray(design.T @ data.T))
    return JointFit(grid, float(tikfac), spectra, _trace_models(setup, model, spectra))


def _single(setup: Setup, order: int, tikfac: float, cut: float | None) -> np.ndarray:
    """(integration, y, x) model of ``order`` fitted alone (NaN where none)."""
    inputs = setup.inputs
    wave = setup.trace_wave[order][1]
    wave = np.sort(wave)
    if cut is not None:
        wave = wave[wave < cut]
    grid = oversample_grid(wave, 3)
    om = setup.orders[order]
    unit = type(om)(om.order, om.column_wave, om.profile, _ones)
    fit_mask = setup.box_masks[order] | setup.bad
    model = linear_model([unit], grid, [fit_mask], [None])
    good = ~model.mask
    nints = inputs.data.shape[0]
    if good.sum() < _MIN_PIXELS:
        return np.full(inputs.data.shape, np.nan)
    typical = Tikhonov(model.design(inputs.mederr), setup.typical[good] / inputs.mederr[good], grid)
    factor = search_factor(typical, tikfac, (-2.0, 8.0))
    rebuild = linear_model([unit], grid, [_rebuild_mask(setup)], [None])
    out = np.empty(inputs.data.shape)
    for t in range(nints):
        err = inputs.err[t]
        problem = Tikhonov(model.design(err), inputs.data[t][good] / err[good], grid)
        out[t] = rebuild.rebuild(np.nan_to_num(problem.solve(factor)), 0)
    return out


def single_order_models(setup: Setup, joint: JointFit) -> dict[int, np.ndarray]:
    """Every order's trace model: the joint fit's, completed by the single-order fits."""
    models = dict(joint.models)
    if 3 in setup.inputs.orders:
        models[3] = np.full(setup.inputs.data.shape, np.nan)
    if setup.inputs.subarray == "SUBSTRIP96":
        return models
    for order in setup.inputs.orders[1:]:
        cut = setup.separation[1] if order == 2 else None
        single = _single(setup, order, joint.tikfac, cut)
        single = np.where(np.isfinite(models[order]), 0.0, single)
        both_nan = np.isnan(models[order]) & np.isnan(single)
        summed = np.nansum([models[order], single], axis=0)
        models[order] = np.where(both_nan, np.nan, summed)
    return models
