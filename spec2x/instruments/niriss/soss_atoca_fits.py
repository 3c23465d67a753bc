"""The ATOCA fits of a SOSS exposure: orders 1 + 2 jointly, then order 2 blue and order 3 alone.

See :mod:`spec2x.instruments.niriss.soss_atoca` for the sequence (jwst
3.0.0's ``Integration.model_image``).  What the fits share (grid, factors,
the joint system factorised once, the single-order models) is built once
per exposure (:func:`joint_fit`, :func:`single_fits`); the spectra and
trace models are then computed for a block of integrations at a time
(:func:`trace_models`): (integration, y, x) DN/s, NaN where an order is not
modelled.
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

__all__ = ["JointFit", "SingleFit", "joint_fit", "single_fits", "trace_models"]

_ESTIMATE_THRESHOLD = 1e-4
_MIN_PIXELS = 25


@dataclass(frozen=True)
class JointFit:
    """The joint order 1 + 2 fit of an exposure, ready to solve integrations.

    Attributes
    ----------
    grid : (K,) wavelength nodes (µm).
    tikfac : the Tikhonov factor.
    model : the joint :class:`LinearModel`.
    design : (fitted pixels, K) its design matrix on the median error.
    factors : the LU factorisation of the regularised normal matrix.
    rebuilds : orders 1 and 2's single-order models that project them back on the pixels.
    """

    grid: np.ndarray
    tikfac: float
    model: LinearModel
    design: Any
    factors: tuple[np.ndarray, np.ndarray]
    rebuilds: tuple[LinearModel, LinearModel]


@dataclass(frozen=True)
class SingleFit:
    """An order fitted alone (order 2 blue, order 3): its model, factor and projection."""

    model: LinearModel
    factor: float
    rebuild: LinearModel


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


def _joint_models(setup: Setup, joint: JointFit, data: np.ndarray) -> dict[int, np.ndarray]:
    """Orders 1 and 2 of the integrations ``data`` on the detector (``_build_tracemodel_order``)."""
    from scipy.linalg import lu_solve

    model, mederr = joint.model, setup.inputs.mederr
    good = ~model.mask
    scaled = data[:, good] / mederr[good]
    spectra = lu_solve(joint.factors, np.asarray(joint.design.T @ scaled.T))
    out = {}
    for i, order in enumerate((1, 2)):
        convolved = model.convolution[i] @ spectra
        sub = joint.rebuilds[i]
        lines = sub.columns[0] @ convolved  # (2048, nints)
        image = sub.profiles[0][None] * lines.T[:, None, :]
        out[order] = np.where(sub.order_masks[0][None], np.nan, image)
    return out


def joint_fit(setup: Setup, opts: Mapping[str, Any]) -> JointFit:
    """The joint fit of orders 1 and 2 (grid, factor, one factorisation for every integration)."""
    from scipy.linalg import lu_factor

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
    rebuild = _rebuild_mask(setup)
    rebuilds = tuple(
        linear_model([setup.orders[order]], grid[a:b], [rebuild], [None])
        for order, (a, b) in zip((1, 2), model.bounds[:2], strict=True)
    )
    factors = lu_factor(normal)
    return JointFit(grid, float(tikfac), model, design, factors, rebuilds)  # type: ignore[arg-type]


def _single(setup: Setup, order: int, tikfac: float, cut: float | None) -> SingleFit | None:
    """``order`` fitted alone: its model and factor (None if under 25 pixels are fitted)."""
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
    if good.sum() < _MIN_PIXELS:
        return None
    typical = Tikhonov(model.design(inputs.mederr), setup.typical[good] / inputs.mederr[good], grid)
    factor = search_factor(typical, tikfac, (-2.0, 8.0))
    rebuild = linear_model([unit], grid, [_rebuild_mask(setup)], [None])
    return SingleFit(model, factor, rebuild)


def single_fits(setup: Setup, joint: JointFit) -> dict[int, SingleFit | None]:
    """Order 2 blue (short of the separation) and order 3 alone (none on SUBSTRIP96)."""
    if setup.inputs.subarray == "SUBSTRIP96":
        return {}
    return {
        order: _single(setup, order, joint.tikfac, setup.separation[1] if order == 2 else None)
        for order in setup.inputs.orders[1:]
    }


def _single_models(fit: SingleFit | None, data: np.ndarray, err: np.ndarray) -> np.ndarray:
    """(integration, y, x) model of an order fitted alone on each integration (NaN where none)."""
    if fit is None:
        return np.full(data.shape, np.nan)
    good = ~fit.model.mask
    out = np.empty(data.shape)
    for t in range(data.shape[0]):
        problem = Tikhonov(fit.model.design(err[t]), data[t][good] / err[t][good], fit.model.grid)
        out[t] = fit.rebuild.rebuild(np.nan_to_num(problem.solve(fit.factor)), 0)
    return out


def trace_models(
    setup: Setup,
    joint: JointFit,
    singles: Mapping[int, SingleFit | None],
    data: np.ndarray,
    err: np.ndarray,
) -> dict[int, np.ndarray]:
    """Every order's trace model of the integrations ``data`` (with errors ``err``; DN/s).

    The joint fit's, completed by the single-order fits where it has none.
    """
    models = _joint_models(setup, joint, data)
    if 3 in setup.inputs.orders:
        models[3] = np.full(data.shape, np.nan)
    for order, fit in singles.items():
        single = _single_models(fit, data, err)
        single = np.where(np.isfinite(models[order]), 0.0, single)
        both_nan = np.isnan(models[order]) & np.isnan(single)
        summed = np.nansum([models[order], single], axis=0)
        models[order] = np.where(both_nan, np.nan, summed)
    return models
