"""SOSS ATOCA's Tikhonov solves: one SuperLU ordering reused over factors, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from spec2x.instruments.niriss.soss_atoca_tikho import (
    Tikhonov,
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
