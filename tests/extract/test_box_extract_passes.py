"""The boxcar kernel's shortcuts give the general computation's numbers bit for bit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from spec2x._kernels import extract_1d as k
from spec2x._kernels import extract_1d_background as kbg


def _general_inverse(matrix: np.ndarray) -> np.ndarray:
    """Condition number by SVD, inverse by LAPACK: the path of matrices larger than 1 x 1."""
    cov = np.zeros_like(matrix)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ok = np.linalg.cond(matrix) < 1e10
    cov[ok] = np.linalg.inv(matrix[ok])
    return cov


def test_one_by_one_inverse_is_lapacks() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [rng.integers(0, 80, 500).astype(float), rng.normal(0, 1e3, 500), [0.0, -0.0, 1e-300]]
    )
    matrix = values.reshape(-1, 1, 1)
    np.testing.assert_array_equal(kbg.inverse_where_conditioned(matrix), _general_inverse(matrix))


def test_one_by_one_inverse_not_finite_is_zero() -> None:
    matrix = np.array([np.inf, -np.inf, np.nan, 0.0]).reshape(-1, 1, 1)
    assert not kbg.inverse_where_conditioned(matrix).any()


def test_larger_matrices_keep_the_general_path() -> None:
    rng = np.random.default_rng(4)
    a = rng.normal(size=(50, 3, 3))
    matrix = a @ a.swapaxes(-1, -2)
    matrix[0] = 0.0  # singular
    np.testing.assert_array_equal(kbg.inverse_where_conditioned(matrix), _general_inverse(matrix))


@pytest.mark.parametrize("axis", [-1, -2])
def test_nansum_of_a_temporary_is_numpys(axis: int) -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(size=(4, 72, 41)).swapaxes(-1, -2) * 1e3
    values[rng.random(values.shape) < 0.1] = np.nan
    expected = np.nansum(values, axis=axis)
    np.testing.assert_array_equal(kbg.nansum_of(values * 1.0, axis=axis), expected)


@pytest.mark.parametrize("order", [0, 2])
def test_box_extract_with_background_unchanged(order: int, monkeypatch) -> None:
    """The background fit of a time series against a reference computed with
    ``np.nansum`` and the general inverse (the kernel before its shortcuts)."""
    monkeypatch.setattr(k, "_BLOCK_PIXELS", 16 * 60 * 24)  # blocks of 16, 16 and 8
    rng = np.random.default_rng(6)
    shape = (40, 60, 24)
    sci = rng.normal(10, 1, shape).astype(np.float32)
    sci[rng.random(shape) < 0.02] = np.nan
    vp, vr, vf = (rng.random(shape).astype(np.float32) for _ in range(3))
    profile = np.zeros(shape[1:])
    profile[3:57, 10:15] = 1.0
    profile[3:57, 15] = 0.4
    bg = np.zeros(shape[1:])
    bg[3:57, 2:7] = 1.0
    bg[3:57, 18:23] = 1.0
    kwargs = {"dispaxis": 2, "smoothing_length": 0, "bkg_fit": "poly", "bkg_order": order}
    got = k.box_extract(sci, vp, vr, vf, profile, bg, **kwargs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kbg, "nansum_of", lambda v, axis: np.nansum(v, axis=axis))
        mp.setattr(kbg, "inverse_where_conditioned", _general_inverse)
        expected = k.box_extract(sci, vp, vr, vf, profile, bg, **kwargs)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)


def test_invalid_pixels_as_nan_in_the_inputs() -> None:
    """``invalid=`` gives the sums of the same arrays with those pixels set NaN, and leaves
    the inputs as they were (float64 inputs included: the kernel's copies are its own)."""
    rng = np.random.default_rng(7)
    shape = (40, 30, 20)
    arrays = [rng.normal(5, 1, shape) for _ in range(4)]  # float64: no conversion copy
    invalid = rng.random(shape) < 0.05
    kept = [a.copy() for a in arrays]
    masked = [np.where(invalid, np.nan, a) for a in arrays]
    profile = np.zeros(shape[1:])
    profile[:, 8:12] = 1.0
    bg = np.zeros(shape[1:])
    bg[:, 1:4] = 1.0
    kwargs = {"dispaxis": 1, "smoothing_length": 0, "bkg_fit": "poly", "bkg_order": 1}
    got = k.box_extract(*arrays, profile, bg, invalid=invalid, **kwargs)
    expected = k.box_extract(*masked, profile, bg, **kwargs)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)
    for a, b in zip(arrays, kept, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("block_pixels", [1, 7 * 30 * 20, 2**30])
def test_box_extract_numbers_do_not_depend_on_the_blocks(block_pixels: int, monkeypatch) -> None:
    """Blocks of one integration, of 7 (the last one short) and the whole series at once
    give the same sums, bit for bit."""
    rng = np.random.default_rng(8)
    shape = (40, 30, 20)
    sci, vp, vr, vf = (rng.normal(5, 1, shape).astype(np.float32) for _ in range(4))
    invalid = rng.random(shape) < 0.05
    profile = np.zeros(shape[1:])
    profile[8:12] = 1.0  # rows: the dispersion along x
    profile[12] = 0.3
    bg = np.zeros(shape[1:])
    bg[1:4] = 1.0
    bg[20:25] = 1.0
    kwargs = {"invalid": invalid, "dispaxis": 1, "bkg_fit": "poly", "bkg_order": 1}
    expected = k.box_extract(sci, vp, vr, vf, profile, bg, **kwargs)
    monkeypatch.setattr(k, "_BLOCK_PIXELS", block_pixels)
    got = k.box_extract(sci, vp, vr, vf, profile, bg, **kwargs)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape == (40, 20)
        np.testing.assert_array_equal(g, e)
