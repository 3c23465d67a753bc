"""The IFU radial aperture correction (jwst's ApCorrRadial): table interpolation by hand, and
the correction reaching the spectrum through the chain adapter."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import interp1d

from spec2x.cube.apcorr import radial_correction

WAVE = np.array([5.0, 6.0, 7.0], np.float32)
RADIUS = np.array([[0.2, 0.3, 0.4], [0.4, 0.6, 0.8]], np.float32)  # arcsec, (radius, wave)
APCORR = np.array([[1.5, 1.6, 1.7], [1.1, 1.2, 1.3]], np.float32)


def test_on_a_table_node_the_correction_is_the_tables():
    # at 6 µm, radius 0.3" is the first row's node: 1.6; scale 0.1"/spaxel -> 3 spaxels
    got = radial_correction(WAVE, RADIUS, APCORR, np.array([6.0]), np.array([3.0]), scale=0.1)
    np.testing.assert_allclose(got, 1.6, rtol=1e-6)


def test_between_and_beyond_the_radii_is_linear():
    # 6 µm: radius 3..6 spaxels maps 1.6..1.2; half way (4.5) is 1.4; 7.5 extrapolates to 1.0
    got = radial_correction(WAVE, RADIUS, APCORR, np.full(2, 6.0), np.array([4.5, 7.5]), scale=0.1)
    np.testing.assert_allclose(got, [1.4, 1.0], rtol=1e-6)


def test_equals_scipy_column_by_column_beyond_the_wavelengths():
    rng = np.random.default_rng(3)
    wave = np.linspace(4.0, 8.0, 50)  # beyond the table on both sides: extrapolated
    radius = rng.uniform(1.0, 10.0, wave.size)
    got = radial_correction(WAVE, RADIUS, APCORR, wave, radius, scale=0.1)
    size = np.stack([interp1d(WAVE, r / np.float32(0.1), fill_value="extrapolate")(wave)
                     for r in RADIUS])  # fmt: skip
    corr = np.stack([interp1d(WAVE, a, fill_value="extrapolate")(wave) for a in APCORR])
    want = [interp1d(size[:, k], corr[:, k], fill_value="extrapolate")(radius[k])
            for k in range(wave.size)]  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_slit_table_is_refused_for_a_cube(tmp_path):
    from spec2x.errors import ReferenceMismatchError
    from spec2x.io.references import Reference
    from spec2x.steps._extract_ifu import _apply_radial_apcorr

    slit_table = Reference("apcorr", str(tmp_path / "lrs_apcorr.fits"), {}, {"rows": []})
    with pytest.raises(ReferenceMismatchError, match="lrs_apcorr.fits is a slit table"):
        _apply_radial_apcorr(None, slit_table, None, None, None, None, (0, 0), 5.0)
