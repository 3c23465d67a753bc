"""SOSS ATOCA's one-order systems (order 2 blue, order 3) summed on a fixed pattern: bit for bit."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from spec2x.instruments.niriss.soss_atoca_model import OrderModel, linear_model
from spec2x.instruments.niriss.soss_atoca_single import OneOrderSystem
from spec2x.instruments.niriss.soss_atoca_tikho import Tikhonov, penalty_matrix


def _model(bad_columns: bool):
    """One order on 10 rows (no kernel, about 3 grid nodes a column, the grid wider than
    the order), seeded profile and bad pixels; with ``bad_columns`` some columns wholly
    bad (zero column weights: SciPy's products leave those entries out)."""
    rng = np.random.default_rng(11)
    cols = np.arange(2048.0)
    order = OrderModel(3, 0.6 + 0.35 * cols / 2047, rng.random((10, 2048)), np.ones_like)
    bad = rng.random((10, 2048)) < 0.05
    if bad_columns:
        bad[:, 700:760] = True
    grid = np.linspace(0.59, 0.96, 6000)
    return linear_model([order], grid, [np.zeros((10, 2048), bool)], [None], bad=bad), rng


def _as_tikhonov(model, error, rhs, factor):
    """The solution as :class:`Tikhonov` finds it (SciPy's products and sum each time)."""
    problem = Tikhonov(model.normal(error), rhs, model.grid, penalty2=penalty_matrix(model.grid))
    return problem.solve(factor)


def test_one_order_system_equals_the_tikhonov_solve_bit_for_bit():
    """Matrix values and solutions identical to SciPy's sums, with and without bad columns."""
    for bad_columns in (False, True):
        model, rng = _model(bad_columns)
        factor = 3e-9
        penalty2 = penalty_matrix(model.grid)
        system = OneOrderSystem(model, penalty2, factor)
        for seed in range(3):
            error = 0.5 + np.random.default_rng(seed).random((10, 2048))
            data = rng.normal(size=(10, 2048))
            expected = sparse.csc_matrix(model.normal(error) + factor**2 * penalty2)
            expected.sort_indices()
            got = system.matrix(error)
            got.eliminate_zeros()
            np.testing.assert_array_equal(got.indptr, expected.indptr)
            np.testing.assert_array_equal(got.indices, expected.indices)
            np.testing.assert_array_equal(got.data, expected.data)
            rhs = model.projection(data, error)
            assert not (rhs != 0).all()  # the solve drops the nodes no pixel sees
            np.testing.assert_array_equal(
                system.solve(error, rhs), _as_tikhonov(model, error, rhs, factor)
            )
