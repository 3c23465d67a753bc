"""The ATOCA fits of a SOSS exposure: orders 1 + 2 jointly, then order 2 blue and order 3 alone.

See :mod:`spec2x.instruments.niriss.soss_atoca` for the sequence (jwst
3.0.0's ``Integration.model_image``).  What the fits share (grid, factors,
the joint system factorised once, the single-order models) is built once
per exposure (:func:`joint_fit`, :func:`single_fits`); the spectra and
trace models are then computed for a block of integrations at a time
(:func:`trace_models`): per order its column lines and profiles
(:class:`TraceModel`), evaluated only at the pixels asked for (DN/s, 0 where
no fit models the order).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import numpy as np
from scipy import sparse

from .soss_atoca_grid import decontamination_grid, oversample_grid
from .soss_atoca_model import LinearModel, linear_model
from .soss_atoca_setup import Setup
from .soss_atoca_single import OneOrderSystem
from .soss_atoca_sparse import add_into
from .soss_atoca_tikho import (
    Tikhonov,
    first_difference,
    penalty_matrix,
    search_factor,
    solve_sparse,
)

__all__ = [
    "Fitted",
    "JointFit",
    "SingleFit",
    "TraceModel",
    "joint_fit",
    "single_fits",
    "trace_models",
]

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
    factors : the sparse LU factorisation of the regularised normal matrix (median error).
    rebuilds : orders 1 and 2's single-order models that project them back on the pixels.
    """

    grid: np.ndarray
    tikfac: float
    model: LinearModel
    factors: Any
    rebuilds: tuple[LinearModel, LinearModel]


@dataclass(frozen=True)
class SingleFit:
    """An order fitted alone (order 2 blue, order 3): its model, factor, projection and
    regularised normal matrix for any integration's errors (built once per exposure)."""

    model: LinearModel
    factor: float
    rebuild: LinearModel
    system: OneOrderSystem


class Fitted(NamedTuple):
    """What every block of integrations of an exposure is solved with."""

    setup: Setup
    joint: JointFit
    singles: dict[int, SingleFit | None]


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
    problem = _search_problem(model, setup.typical, setup.inputs.mederr)
    idx = problem.valid
    spec = np.full(grid.size, np.nan)
    spec[idx] = solve_sparse(problem.normal[idx][:, idx], problem.rhs[idx])
    ok = np.isfinite(spec)
    return UnivariateSpline(grid[ok], spec[ok], k=3, s=0, ext=0)


def _rebuild_mask(setup: Setup) -> np.ndarray:
    return np.all(list(setup.box_masks.values()), axis=0)


def _joint_lines(setup: Setup, joint: JointFit, data: np.ndarray) -> list[np.ndarray]:
    """Orders 1 and 2's (integration, 2048) column lines of the integrations ``data``
    (``_build_tracemodel_order``: the spectra of one solve, convolved, integrated per column)."""
    model = joint.model
    spectra = joint.factors.solve(model.projection(data, setup.inputs.mederr))
    return [
        np.asarray(joint.rebuilds[i].columns[0] @ (model.convolution[i] @ spectra)).T
        for i in range(2)
    ]


def _residual(design: Any, data: np.ndarray, spectrum: np.ndarray) -> np.ndarray:
    return np.asarray(design @ spectrum - data)


def _search_problem(model: LinearModel, data: np.ndarray, error: np.ndarray) -> Tikhonov:
    """The Tikhonov problem of ``model`` on the image ``data``, for its factor search.

    Summed pixel by pixel from the design matrix as jwst sums it: at the
    small factors the search tries the solutions follow the normal matrix's
    last bits, and so does the factor picked.
    """
    good = ~model.mask
    design = model.design(error)
    scaled = data[good] / error[good]
    normal = (design.T @ design).tocsc()
    return Tikhonov(normal, design.T @ scaled, model.grid, partial(_residual, design, scaled))


def _searched(
    model: LinearModel, setup: Setup, estimate: np.ndarray
) -> tuple[float, sparse.csc_matrix, sparse.csc_matrix]:
    """The joint fit's Tikhonov factor searched on the typical integration (``estimate``:
    the flux estimate on the grid), with its problem's ``BᵀB`` and ``DᵀD``; the rest of
    the problem (design matrix, the search's factorisations) is freed on return."""
    reg = first_difference(model.grid) @ estimate
    guess = float(np.sqrt((~model.mask).sum() / np.nansum(reg**2)))
    problem = _search_problem(model, setup.typical, setup.inputs.mederr)
    return search_factor(problem, guess, (-4.0, 4.0)), problem.normal, problem.penalty2


def joint_fit(setup: Setup, opts: Mapping[str, Any]) -> JointFit:
    """The joint fit of orders 1 and 2 (grid, factor, one factorisation for every integration)."""
    from scipy.sparse.linalg import splu

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
    rebuild = _rebuild_mask(setup)
    rebuilds = tuple(
        linear_model([setup.orders[order]], grid[a:b], [rebuild], [None])
        for order, (a, b) in zip((1, 2), model.bounds[:2], strict=True)
    )
    if tikfac is None:
        assert estimate is not None
        tikfac, normal, penalty2 = _searched(model, setup, estimate(grid))
    else:
        normal, penalty2 = model.normal(setup.inputs.mederr), penalty_matrix(grid)
    factors = splu(add_into(normal, tikfac**2 * penalty2))  # in BᵀB's arrays if it can
    return JointFit(grid, float(tikfac), model, factors, rebuilds)  # type: ignore[arg-type]


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
    if (~model.mask).sum() < _MIN_PIXELS:
        return None
    problem = _search_problem(model, setup.typical, inputs.mederr)
    factor = search_factor(problem, tikfac, (-2.0, 8.0))
    rebuild = linear_model([unit], grid, [_rebuild_mask(setup)], [None])
    return SingleFit(model, factor, rebuild, OneOrderSystem(model, problem.penalty2, factor))


def single_fits(setup: Setup, joint: JointFit) -> dict[int, SingleFit | None]:
    """Order 2 blue (short of the separation) and order 3 alone (none on SUBSTRIP96)."""
    if setup.inputs.subarray == "SUBSTRIP96":
        return {}
    return {
        order: _single(setup, order, joint.tikfac, setup.separation[1] if order == 2 else None)
        for order in setup.inputs.orders[1:]
    }


def _single_lines(fit: SingleFit, data: np.ndarray, err: np.ndarray) -> np.ndarray:
    """(integration, 2048) column lines of an order fitted alone on each integration."""
    model, system = fit.model, fit.system
    lines = np.empty((data.shape[0], 2048))
    for t in range(data.shape[0]):
        spectrum = system.solve(err[t], model.projection(data[t], err[t]))
        lines[t] = fit.rebuild.columns[0] @ np.nan_to_num(spectrum)
    return lines


@dataclass(frozen=True)
class TraceModel:
    """An order's trace model on the detector, for a block of integrations.

    Attributes
    ----------
    nints : integrations of the block.
    parts : (profile, lines) of each fit modelling the order, the joint fit first:
        the (y, x) profile, NaN where that fit does not model the order, and the
        (integration, 2048) column lines; a pixel takes the first fit that models it.
    """

    nints: int
    parts: list[tuple[np.ndarray, np.ndarray]]

    def values(self, rows: np.ndarray) -> np.ndarray:
        """(integration, band, x) model at the (band, x) ``rows`` of every column (DN/s, 0
        where none).

        With finite lines a pixel's fit is the first whose profile is finite
        there, so the profiles choose it (the last fit's NaN read as 0)
        without testing the products; otherwise the products are tested.
        """
        profiles = [np.take_along_axis(p, rows, axis=0)[None] for p, _ in self.parts]
        lines = [line[:, None, :] for _, line in self.parts]
        if not all(np.isfinite(line).all() for line in lines):
            out = profiles[0] * lines[0]
            for profile, line in zip(profiles[1:], lines[1:], strict=True):
                out = np.where(np.isfinite(out), out, profile * line)
            return np.nan_to_num(out, copy=False)
        out = np.nan_to_num(profiles[-1]) * lines[-1]
        for profile, line in zip(profiles[-2::-1], lines[-2::-1], strict=True):
            out = np.where(np.isfinite(profile), profile * line, out)
        return out

    def image(self, shape: tuple[int, int]) -> np.ndarray:
        """(integration, y, x) model in DN/s, 0 where none."""
        rows = np.broadcast_to(np.arange(shape[0])[:, None], shape)
        return self.values(rows)


def _part(sub: LinearModel, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.where(sub.order_masks[0], np.nan, sub.profiles[0]), lines


def trace_models(
    setup: Setup,
    joint: JointFit,
    singles: Mapping[int, SingleFit | None],
    data: np.ndarray,
    err: np.ndarray,
) -> dict[int, TraceModel]:
    """Every order's trace model of the integrations ``data`` (with errors ``err``).

    The joint fit's, completed by the single-order fits where it has none.
    """
    lines = _joint_lines(setup, joint, data)
    parts: dict[int, list] = {o: [_part(joint.rebuilds[i], lines[i])] for i, o in enumerate((1, 2))}
    if 3 in setup.inputs.orders:
        parts[3] = []
    for order, fit in singles.items():
        if fit is not None:
            parts[order].append(_part(fit.rebuild, _single_lines(fit, data, err)))
    return {order: TraceModel(data.shape[0], p) for order, p in parts.items()}
