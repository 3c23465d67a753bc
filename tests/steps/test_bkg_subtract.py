"""bkg_subtract: kernel numbers, the step's behaviour, bad input, properties."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from helpers import raise_if_dask_computes
from hypothesis import given, settings
from hypothesis import strategies as st

from spec2x import make_exposure
from spec2x._kernels.bkg_subtract import (
    combine_backgrounds,
    combine_integrations,
    masked_mean,
    sigma_clip_mask,
)
from spec2x.dq import DQ
from spec2x.errors import InputFileError, UnsupportedModeError
from spec2x.io.references import ReferenceSet
from spec2x.steps import StepContext
from spec2x.steps.bkg_subtract import average_background, bkg_subtract, from_chain

ATTRS = {"INSTRUME": "MIRI", "DETECTOR": "MIRIMAGE", "EXP_TYPE": "MIR_LRS-FIXEDSLIT"}


# ---------------------------------------------------------------- kernels


def test_sigma_clip_hand_computed():
    data = np.array([1.0, 1.0, 1.0, 1.0, 100.0])[:, None]
    # median 1, mean 20.8, std 39.6: sigma=1.5 keeps 1 +- 59.4 -> 100 goes; then std 0, stop
    np.testing.assert_array_equal(sigma_clip_mask(data, 1.5)[:, 0], [0, 0, 0, 0, 1])
    # sigma=3 keeps 1 +- 118.8: nothing clipped
    assert not sigma_clip_mask(data, 3.0).any()
    with_nan = np.array([1.0, np.nan, 3.0])[:, None]
    np.testing.assert_array_equal(sigma_clip_mask(with_nan)[:, 0], [0, 1, 0])


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 15),
    seed=st.integers(0, 2**31 - 1),
    sigma=st.sampled_from([1.0, 2.0, 3.0]),
    maxiters=st.sampled_from([None, 1, 3]),
)
def test_sigma_clip_is_astropys(n, seed, sigma, maxiters):
    """Same mask and clipped mean as astropy.stats.sigma_clip (what jwst calls)."""
    import warnings

    from astropy.stats import sigma_clip

    gen = np.random.default_rng(seed)
    data = gen.normal(0.0, 1.0, (n, 7, 9)).astype(np.float32)
    data[gen.random(data.shape) < 0.1] *= 40.0
    data[gen.random(data.shape) < 0.05] = np.nan
    data[:, 0, 0] = 2.0  # constant pixel: std 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sigma_clip(data, sigma=sigma, maxiters=maxiters, axis=0)
    mask = sigma_clip_mask(data, sigma, maxiters)
    np.testing.assert_array_equal(mask, ref.mask)
    np.testing.assert_array_equal(masked_mean(data, mask), ref.mean(axis=0).data)


def test_sigma_clip_of_one_background_keeps_every_finite_value():
    data = np.array([[[1.0, np.nan], [np.inf, -3.0]]])
    expected = np.array([[[False, True], [True, False]]])
    np.testing.assert_array_equal(sigma_clip_mask(data), expected)
    test_sigma_clip_is_astropys.hypothesis.inner_test(n=1, seed=5, sigma=3.0, maxiters=None)


def test_maxiters_limits_the_rounds():
    data = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 3.0, 10.0, 30.0])[:, None]
    one = sigma_clip_mask(data, 1.0, maxiters=1)
    full = sigma_clip_mask(data, 1.0)
    assert one.sum() < full.sum()


def test_masked_mean_is_zero_when_everything_is_rejected():
    data = np.array([[1.0, 2.0], [3.0, 4.0]])
    rejected = np.array([[True, False], [True, False]])
    np.testing.assert_array_equal(masked_mean(data, rejected), [0.0, 3.0])


def test_combine_backgrounds_hand_computed():
    sci = np.array([[1.0, 2.0, 3.0]])
    var = np.ones((1, 3))
    dq = np.array([[1, 4, 0]], np.uint32)
    bkg, err, dq_or = combine_backgrounds(sci, var, dq)
    np.testing.assert_allclose(bkg, [2.0])
    np.testing.assert_allclose(err, [np.sqrt(3.0) / 3.0], rtol=1e-6)
    np.testing.assert_array_equal(dq_or, [5])


def test_combine_integrations_clips_each_quantity():
    sci = np.array([[1.0, 1.0, 1.0, 1.0, 1.0, 50.0]])
    err = np.full((1, 6), 2.0)
    dq = np.array([[0, 2, 0, 0, 0, 0]], np.uint32)
    mean, var, dq_or = combine_integrations(sci, err, dq, sigma=2.0)
    np.testing.assert_allclose(mean, [1.0])
    np.testing.assert_allclose(var, [4.0])
    np.testing.assert_array_equal(dq_or, [2])


# ---------------------------------------------------------------- the step


def _exp(sci, *, err=1.0, dq=None, xstart=1, ystart=1, attrs=None):
    sci = np.asarray(sci, np.float32)
    return make_exposure(
        sci,
        err=np.full(sci.shape, err, np.float32),
        dq=dq,
        attrs={**ATTRS, **(attrs or {})},
        xstart=xstart,
        ystart=ystart,
    )


def test_subtracts_the_mean_background_and_ors_dq():
    sci = _exp(np.full((4, 5), 10.0))
    dq = np.zeros((4, 5), np.uint32)
    dq[1, 1] = DQ.HOT
    bkgs = [_exp(np.full((4, 5), 1.0), dq=dq), _exp(np.full((4, 5), 3.0))]
    before = sci.copy(deep=True)
    out = bkg_subtract(sci, bkgs)
    xr.testing.assert_identical(sci, before)
    np.testing.assert_allclose(out["sci"].values, 8.0)
    assert out["dq"].values[1, 1] == DQ.HOT
    assert out["dq"].values.sum() == DQ.HOT
    xr.testing.assert_identical(out["err"], sci["err"])  # jwst 3.0.0 leaves the errors alone
    assert out.attrs["S_BKDSUB"] == "COMPLETE"
    comb = average_background(sci, bkgs)
    np.testing.assert_allclose(comb["err"].values, np.sqrt(2.0) / 2.0, rtol=1e-6)


def test_rateints_science_and_backgrounds():
    sci = _exp(np.full((3, 4, 5), 10.0))
    b = np.full((12, 4, 5), 2.0)  # 3-sigma clipping needs enough integrations
    b[2, 0, 0] = 1000.0  # a cosmic ray in one integration of the background
    out = bkg_subtract(sci, [_exp(b)])
    np.testing.assert_allclose(out["sci"].values, 8.0)
    assert out["sci"].dims == ("integration", "y", "x")


def test_subarray_science_in_a_full_frame_background():
    sci = _exp(np.full((3, 2), 10.0), xstart=3, ystart=2)
    bkg = _exp(np.arange(30, dtype=float).reshape(6, 5))
    out = bkg_subtract(sci, [bkg])
    np.testing.assert_allclose(out["sci"].values, 10.0 - np.arange(30).reshape(6, 5)[1:4, 2:4])


def test_background_of_another_shape_is_an_error():
    sci = _exp(np.zeros((4, 5)))
    with pytest.raises(InputFileError, match=r"shape \(3, 5\).*shape \(4, 5\)"):
        bkg_subtract(sci, [_exp(np.zeros((3, 5)))])


def test_all_nan_background_pixel_and_integration():
    """Documented jwst behaviour: a pixel with no background value subtracts 0 (no crash)."""
    sci = _exp(np.full((2, 3), 5.0))
    b = np.ones((2, 2, 3))
    b[:, 0, 0] = np.nan  # NaN in every integration
    b2 = np.ones((2, 2, 3))
    b2[1] = np.nan  # a whole integration NaN
    out = bkg_subtract(sci, [_exp(b), _exp(b2)])
    assert out["sci"].values[0, 0] == pytest.approx(4.5)  # 0 from the first, 1 from the second
    np.testing.assert_allclose(out["sci"].values.ravel()[1:], 4.0)
    one = bkg_subtract(sci, [_exp(np.where(np.isnan(b[0]), np.nan, 1.0))])
    assert one["sci"].values[0, 0] == 5.0


def test_skips():
    sci = _exp(np.zeros((2, 2)))
    assert bkg_subtract(sci, []).attrs["S_BKDSUB"] == "SKIPPED"
    nrs = {"INSTRUME": "NIRSPEC", "EXP_TYPE": "NRS_FIXEDSLIT", "GWA_XTIL": 0.1, "GWA_YTIL": 0.2}
    tilted = _exp(np.zeros((2, 2)), attrs={**nrs, "GWA_XTIL": 0.1001})
    assert bkg_subtract(_exp(np.zeros((2, 2)), attrs=nrs), [tilted]).attrs["S_BKDSUB"] == "SKIPPED"
    # the tilt is a trait of the mode (Mode.background_tilt): MIRI LRS does not check it
    lrs = {**nrs, "INSTRUME": "MIRI", "EXP_TYPE": "MIR_LRS-FIXEDSLIT"}
    lrs_tilted = _exp(np.zeros((2, 2)), attrs={**lrs, "GWA_XTIL": 0.1001})
    out = bkg_subtract(_exp(np.zeros((2, 2)), attrs=lrs), [lrs_tilted])
    assert out.attrs["S_BKDSUB"] == "COMPLETE"
    same = _exp(np.ones((2, 2)), attrs=nrs)
    assert bkg_subtract(_exp(np.zeros((2, 2)), attrs=nrs), [same]).attrs["S_BKDSUB"] == "COMPLETE"


def test_wfss_and_soss_are_not_image_subtraction():
    sci = _exp(np.zeros((2, 2)), attrs={"EXP_TYPE": "NIS_SOSS"})
    with pytest.raises(UnsupportedModeError, match="NIS_SOSS"):
        bkg_subtract(sci, [_exp(np.zeros((2, 2)))])
    ctx = StepContext("bkg_subtract", ReferenceSet({"bkg": "N/A"}))
    assert from_chain(sci, ctx).attrs["S_BKDSUB"] == "SKIPPED"


def test_from_chain():
    sci = _exp(np.full((2, 2), 3.0))
    ctx = StepContext(
        "bkg_subtract",
        ReferenceSet(),
        params={"sigma": 3.0, "maxiters": None},
        members={"background": [_exp(np.ones((2, 2)))]},
    )
    np.testing.assert_allclose(from_chain(sci, ctx)["sci"].values, 2.0)
    assert (
        from_chain(sci, StepContext("bkg_subtract", ReferenceSet())).attrs["S_BKDSUB"] == "SKIPPED"
    )


# ---------------------------------------------------------------- properties


@st.composite
def science_and_backgrounds(draw):
    ny, nx = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    nint = draw(st.sampled_from([None, 1, 3]))
    gen = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    shape = (ny, nx) if nint is None else (nint, ny, nx)
    dq = (gen.random(shape) < 0.2).astype(np.uint32) * np.uint32(DQ.JUMP_DET)
    sci = make_exposure(
        gen.normal(10, 2, shape), err=gen.uniform(0.1, 1, shape), dq=dq, attrs=ATTRS
    )
    bkgs = []
    for _ in range(draw(st.integers(1, 4))):
        bshape = (ny, nx) if draw(st.booleans()) else (draw(st.integers(1, 4)), ny, nx)
        bdq = (gen.random(bshape) < 0.2).astype(np.uint32) * np.uint32(DQ.HOT)
        b = gen.normal(1, 0.5, bshape)
        b[gen.random(bshape) < 0.1] = np.nan
        bkgs.append(make_exposure(b, err=gen.uniform(0.1, 1, bshape), dq=bdq, attrs=ATTRS))
    return sci, bkgs


def _chunk(ds):
    out = ds.copy()
    for name in ds.data_vars:
        chunks = tuple(1 if d == "integration" else -1 for d in ds[name].dims)
        out[name] = ds[name].copy(data=da.from_array(ds[name].values, chunks=chunks))
    return out


@settings(max_examples=20, deadline=None)
@given(case=science_and_backgrounds(), scale=st.sampled_from([0.5, 4.0]))
def test_properties(case, scale):
    sci, bkgs = case
    before = [sci.copy(deep=True)] + [b.copy(deep=True) for b in bkgs]
    out = bkg_subtract(sci, bkgs)
    for a, b in zip([sci, *bkgs], before, strict=True):
        xr.testing.assert_identical(a, b)
    assert ((out["dq"].values & sci["dq"].values) == sci["dq"].values).all()
    for name in ("err", "var_poisson", "var_rnoise", "var_flat"):
        xr.testing.assert_identical(out[name], sci[name])
    # scaling science and backgrounds scales the result (clipping is scale-free)
    scaled = bkg_subtract(
        sci.assign(sci=sci["sci"] * scale),
        [b.assign(sci=b["sci"] * scale, err=b["err"] * scale) for b in bkgs],
    )
    np.testing.assert_allclose(
        scaled["sci"].values, scale * out["sci"].values, rtol=1e-5, atol=1e-5
    )
    # NumPy and Dask agree, and building the graph computes nothing
    with raise_if_dask_computes():
        lazy = bkg_subtract(_chunk(sci), [_chunk(b) for b in bkgs])
    assert lazy["sci"].chunks is not None
    xr.testing.assert_identical(lazy.compute(), out)


def test_from_chain_reads_bkg_list_files(tmp_path):
    from spec2x.io.fits import write_fits

    paths = []
    for i, level in enumerate((1.0, 2.0)):
        bkg = _exp(np.full((2, 3), level)).assign_attrs(DATAMODL="ImageModel")
        paths.append(str(write_fits(bkg, tmp_path / f"bkg{i}_rate.fits")))
    ctx = StepContext("bkg_subtract", ReferenceSet(), params={"bkg_list": ",".join(paths) + ","})
    out = from_chain(_exp(np.full((2, 3), 5.0)), ctx)
    np.testing.assert_allclose(out["sci"].values, 3.5)
