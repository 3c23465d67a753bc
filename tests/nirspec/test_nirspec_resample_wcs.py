"""The wavelength axis of NIRSpec's rectified output WCS (spec2x.instruments.nirspec.resample)."""

import numpy as np
import pytest

from spec2x.instruments.nirspec.resample import _wavelength_table


def test_wavelength_table_pads_half_a_pixel_at_both_ends_as_jwst():
    lam = [1.0, 1.1, 1.3, 1.6]
    table = _wavelength_table(list(lam))
    np.testing.assert_allclose(table.points[0], [-0.5, 0, 1, 2, 3, 3.5])
    # left: half a pixel of the first step; right: jwst's formula, last slope
    # x (last pixel + 0.5) + the second-to-last wavelength = 0.3 * 3.5 + 1.3
    np.testing.assert_allclose(table.lookup_table, [0.95, 1.0, 1.1, 1.3, 1.6, 2.35])
    np.testing.assert_allclose(table([0.0, 2.0, 0.5]), [1.0, 1.3, 1.05])
    assert np.isnan(table(4.0))  # beyond the padded ends: NaN, as jwst


def test_wavelength_table_of_one_wavelength_is_flat_over_the_pixel():
    table = _wavelength_table([2.5])
    np.testing.assert_allclose(table.points[0], [-0.5, 0, 0.5])
    assert table(0.3) == pytest.approx(2.5)
