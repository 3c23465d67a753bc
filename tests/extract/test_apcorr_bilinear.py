"""The NIRSpec aperture correction's bilinear evaluation for all elements at once equals
FITPACK's degree-1 spline built for each element (as jwst's ``ApCorrPhase`` does)."""

from __future__ import annotations

import numpy as np
from scipy.interpolate import RectBivariateSpline

from spec2x._kernels.apcorr import _bilinear


def test_bilinear_equals_one_fitpack_spline_per_point():
    rng = np.random.default_rng(11)
    xs = np.sort(rng.uniform(0.6, 5.3, 25))
    table = rng.uniform(0.5, 1.5, (xs.size, 4))
    n = 300
    ys = np.sort(rng.uniform(0.5, 12.0, (n, 4)), axis=1)
    x = np.r_[rng.uniform(xs[0], xs[-1], n - 4), xs[0], xs[-1], xs[3], xs[-1]]
    y = np.r_[rng.uniform(0.0, 14.0, n - 4), ys[n - 4, 0], 20.0, -3.0, np.nan]  # clamped, NaN
    got = _bilinear(xs, ys, table, x, y)
    expected = np.array(
        [RectBivariateSpline(xs, ys[i], table, kx=1, ky=1)(x[i], y[i]).item() for i in range(n)]
    )
    assert np.isnan(got[-1])
    assert np.isnan(expected[-1])
    np.testing.assert_allclose(got[:-1], expected[:-1], rtol=1e-14, atol=0)
