"""The wavelength axis of NIRSpec's rectified output grid (spec2x.instruments.nirspec.resample_grid)."""

import numpy as np

from spec2x.instruments.nirspec.resample_grid import OutputGrid, _wavelength_table, grid_wcs


def _grid(pixel: np.ndarray, table: np.ndarray) -> OutputGrid:
    return OutputGrid(53.1, -27.8, (1e-5, 0.0), (2e-5, 0.0), True, 3, pixel, table,
                      slit_centre=np.array([-0.1, 0.0, 0.1]))  # fmt: skip


def test_wavelength_table_pads_half_a_pixel_at_both_ends_as_jwst():
    pixel, table = _wavelength_table([1.0, 1.1, 1.3, 1.6])
    np.testing.assert_allclose(pixel, [-0.5, 0, 1, 2, 3, 3.5])
    # left: half a pixel of the first step; right: jwst's formula, last slope
    # x (last pixel + 0.5) + the second-to-last wavelength = 0.3 * 3.5 + 1.3
    np.testing.assert_allclose(table, [0.95, 1.0, 1.1, 1.3, 1.6, 2.35])
    wcs = grid_wcs(_grid(pixel, table))
    assert wcs.array_shape == (3, 4)
    wave = wcs.forward_transform(np.array([0.0, 2.0, 0.5]), np.zeros(3))[2]
    np.testing.assert_allclose(wave, [1.0, 1.3, 1.05])
    assert np.isnan(wcs.forward_transform(4.0, 0.0)[2])  # beyond the padded ends: NaN, as jwst


def test_wavelength_table_of_one_wavelength_is_flat_over_the_pixel():
    pixel, table = _wavelength_table([2.5])
    np.testing.assert_allclose(pixel, [-0.5, 0, 0.5])
    np.testing.assert_array_equal(table, [2.5, 2.5, 2.5])


def test_tangent_plane_model_gives_the_numbers_of_jwsts_inverted_projection():
    from astropy.modeling.models import Pix2Sky_TAN, RotateNative2Celestial

    from spec2x.instruments.nirspec.resample_grid import _to_tangent

    rng = np.random.default_rng(7)
    for ra0, dec0 in ((53.1, -27.8), (359.99, 89.9), (0.01, -60.0)):
        ra = ra0 + rng.uniform(-0.01, 0.01, 50)
        dec = np.clip(dec0 + rng.uniform(-0.01, 0.01, 50), -90, 90)
        jwst = (Pix2Sky_TAN() | RotateNative2Celestial(ra0, dec0, 180)).inverse
        for mine, theirs in zip(_to_tangent(ra0, dec0)(ra, dec), jwst(ra, dec), strict=True):
            np.testing.assert_array_equal(mine, theirs)
