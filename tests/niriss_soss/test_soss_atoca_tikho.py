"""SOSS ATOCA's Tikhonov solves: one SuperLU ordering reused over factors, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from spec2x.instruments.niriss.soss_atoca_tikho import (
    Tikhonov,
    _two_more,
    best_factor,
    penalty_matrix,
    search_factor,
    solve_sparse,
)


def _problem(rank_deficient: bool = False) -> tuple[sparse.csc_matrix, np.ndarray, np.ndarray]:
    """``BᵀB``, ``Bᵀb`` and the grid of two overlapping seeded 'orders' (node k and k / 2)."""
    rng = np.random.default_rng(7)
    nodes, pixels = 240, 1500
    rows, cols, vals = [], [], []
    for p in range(pixels):
        centre = p * (nodes - 8) / pixels
        for k in (centre, centre / 2 + 4):
            near = np.arange(int(k), int(k) + 5)
            rows += [p] * near.size
            cols += list(near)
            vals += list(rng.random(near.size))
    design = sparse.csr_matrix((vals, (rows, cols)), shape=(pixels, nodes))
    if rank_deficient:  # two nodes seen alike: singular without the penalty
        design = design.tolil()
        design[:, 100] = design[:, 101]
        design = design.tocsr()
    data = design @ rng.random(nodes) + rng.normal(scale=0.01, size=pixels)
    rhs = design.T @ data
    rhs[[0, 57]] = 0.0  # nodes no pixel sees
    return (design.T @ design).tocsc(), rhs, np.linspace(0.6, 2.8, nodes)


def _one_by_one(normal, rhs, grid, factor):
    """Each factor's matrix sliced and solved alone (the solve before the ordering was kept)."""
    idx = rhs != 0
    matrix = (normal + factor**2 * penalty_matrix(grid))[idx][:, idx]
    out = np.full(rhs.size, np.nan)
    out[idx] = solve_sparse(matrix, rhs[idx])
    return out


@pytest.mark.parametrize("rank_deficient", [False, True])
def test_solves_equal_each_factor_solved_alone(rank_deficient):
    """Every factor, tiny (ill-conditioned, and f² P underflowing to 0) or large, bit for bit."""
    normal, rhs, grid = _problem(rank_deficient)
    problem = Tikhonov(normal, rhs, grid)
    for factor in (1e-3, 1e-9, 1e-170, 0.0, 3e-5, 1e2, 1e-3):
        expected = _one_by_one(normal, rhs, grid, factor)
        np.testing.assert_array_equal(problem.solve(factor), expected)
    assert problem._pencil is not None
    assert problem._pencil.fixed is not None  # the ordering was kept


def test_search_picks_the_same_factor():
    """The factor search through the kept ordering picks what solving each alone picks."""
    normal, rhs, grid = _problem()
    residual = lambda f: np.nan_to_num(f) - 1.0  # noqa: E731
    kept = Tikhonov(normal, rhs, grid, residual)

    class Alone(Tikhonov):
        def solve(self, factor: float) -> np.ndarray:
            return _one_by_one(normal, rhs, grid, factor)

    alone = Alone(normal, rhs, grid, residual)
    assert search_factor(kept, 1e-3, (-4.0, 4.0)) == search_factor(alone, 1e-3, (-4.0, 4.0))


@pytest.mark.parametrize(
    ("normal", "factors"),
    [
        (np.ones((2, 2)), (0.0, 1.0, 0.0, 0.5)),  # singular at 0 (first, then ordered): LSQR
        (np.eye(2), (1.0, 0.0, 2.0)),  # at 0 the penalty's entries are not there
        (np.eye(2), (0.0, 1.0, 2.0)),  # the first pattern misses the penalty's entries
    ],
)
def test_solves_the_ordering_cannot_take(normal, factors):
    """A matrix whose pattern is not the first's, or exactly singular: as solved alone."""
    grid, rhs = np.array([0.0, 1.0]), np.array([1.0, 2.0])
    problem = Tikhonov(sparse.csc_matrix(normal), rhs, grid)
    for factor in factors:
        expected = _one_by_one(sparse.csc_matrix(normal), rhs, grid, factor)
        np.testing.assert_array_equal(problem.solve(factor), expected)


class _Curve:
    """A loss curve over log10(factor) standing in for a Tikhonov problem (counts its calls)."""

    def __init__(self, rng: np.random.Generator, nan_at: float | None = None) -> None:
        self.low, self.rise = rng.uniform(0.5, 2.0), rng.uniform(1e-4, 1.0)
        self.centre, self.width = rng.uniform(-20.0, -4.0), rng.uniform(0.1, 3.0)
        self.wiggle, self.nan_at = rng.uniform(0.0, 0.05), nan_at
        self.calls = 0

    def value(self, factor: float) -> float:
        x = np.log10(factor)
        if self.nan_at is not None and abs(x - self.nan_at) < 0.3:
            return np.nan
        rise = self.rise / (1.0 + np.exp(-(x - self.centre) / self.width))
        return float(self.low + rise + self.wiggle * np.sin(3.0 * x))

    def loss(self, factors: np.ndarray) -> np.ndarray:
        self.calls += len(factors)
        return np.array([self.value(f) for f in factors])


def _every_loss_search(curve: _Curve, guess: float, log_range: tuple[float, float]) -> float:
    """jwst's search with every loss computed (spec2x's before the lazy one)."""
    factors = np.logspace(np.log10(guess) + log_range[0], np.log10(guess) + log_range[1], 10)
    loss = curve.loss(factors)
    best = best_factor(factors, loss)
    for _ in range(3):
        more = _two_more(factors, best)
        factors, loss = np.concatenate([factors, more]), np.concatenate([loss, curve.loss(more)])
        best = best_factor(factors, loss)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_lazy_search_picks_what_every_loss_picks(seed):
    """The losses left out never change the factor: rises anywhere, flat curves, a NaN loss."""
    rng = np.random.default_rng(seed)
    guess, log_range = 10 ** rng.uniform(-16, -8), ((-4.0, 4.0), (-2.0, 8.0))[seed % 2]
    nan_at = np.log10(guess) + rng.uniform(*log_range) if seed % 5 == 0 else None
    lazy, full = _Curve(np.random.default_rng(seed), nan_at), _Curve(np.random.default_rng(seed))
    full.nan_at = nan_at
    assert search_factor(lazy, guess, log_range) == _every_loss_search(full, guess, log_range)
    assert lazy.calls <= full.calls == 16


def test_lazy_search_skips_the_losses_past_an_early_rise():
    """A loss rising from the smallest factor on (the joint fit's case): fewer solves."""

    def rising() -> _Curve:
        curve = _Curve(np.random.default_rng(0))
        curve.low, curve.rise, curve.centre, curve.width, curve.wiggle = 1.0, 0.6, -14.0, 1.5, 0.0
        return curve

    lazy, full = rising(), rising()
    assert search_factor(lazy, 1e-9, (-4.0, 4.0)) == _every_loss_search(full, 1e-9, (-4.0, 4.0))
    assert lazy.calls < full.calls
