"""SOSS ATOCA's normal equations summed per column equal the design matrix's, pixel by pixel."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from spec2x.instruments.niriss.soss_atoca_model import OrderModel, linear_model


def _model():
    """Two overlapping orders on 12 rows (no kernel), some pixels bad, a seeded profile."""
    rng = np.random.default_rng(3)
    cols = np.arange(2048.0)
    orders = [
        OrderModel(1, 0.9 + 1.9 * cols / 2047, rng.random((12, 2048)), np.sqrt),
        OrderModel(2, 0.6 + 0.7 * cols / 2047, rng.random((12, 2048)), np.ones_like),
    ]
    bad = rng.random((12, 2048)) < 0.05
    grid = np.linspace(0.6, 2.8, 1500)
    boxes = [np.zeros((12, 2048), bool), np.arange(12)[:, None] < 3 + np.zeros((1, 2048), bool)]
    return linear_model(orders, grid, boxes, [None, None], bad=bad), rng


def test_column_sums_equal_the_design_products():
    """``normal`` and ``projection`` (per column) agree with ``BᵀB`` and ``Bᵀb`` of the design."""
    model, rng = _model()
    error = 0.5 + rng.random((12, 2048))
    data = rng.normal(size=(3, 12, 2048))
    design = model.design(error)
    good = ~model.mask
    expected = (design.T @ design).toarray()
    got = model.normal(error)
    assert sparse.issparse(got)
    np.testing.assert_allclose(got.toarray(), expected, rtol=1e-12, atol=1e-12 * expected.max())
    rhs = np.stack([design.T @ (d[good] / error[good]) for d in data], axis=1)
    np.testing.assert_allclose(model.projection(data, error), rhs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.projection(data[1], error), rhs[:, 1], rtol=1e-12, atol=1e-12)
