"""The one scale kernel (``spec2x._kernels.scale``) and its wrapper ``scale_by``.

One hand-computed case per jwst rule (flat, inverse flat, photom, pathloss,
barshadow, fringe), then properties on drawn exposures.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from helpers import raise_if_dask_computes
from hypothesis import given
from hypothesis import strategies as st
from strategies import exposures

from spec2x._kernels.scale import match_nans_and_flags, scale, scale_where_finite
from spec2x.dq import DQ
from spec2x.steps._scale import scale_by

DNU = int(DQ.DO_NOT_USE)
F32 = np.float32


def _arrays(sci, err, vp, vr, vf, dq=0):
    a = [np.array([v], F32) for v in (sci, err, vp, vr)]
    shape = a[0].shape
    vflat = None if vf is None else np.array([vf], F32)
    return a[0], a[1], np.broadcast_to(np.uint32(dq), shape).copy(), a[2], a[3], vflat


def test_flat_rule_divides_and_sets_var_flat_from_the_flat_error():
    # jwst flat_field: s' = s/f; V' = V/f^2; var_flat = s'^2/f^2 * ferr^2; err = sqrt(sum)
    arrays = _arrays([4.0, 6.0], [9.0, 9.0], [1.0, 1.0], [0.5, 0.5], None)
    out = scale(
        *arrays,
        np.array([2.0, 1.0], F32),
        operation="divide",
        factor_var=np.array([0.01, 0.01], F32),
        factor_dq=np.array([0, 4], np.uint32),
    )
    s, e, d, p, r, f = out
    np.testing.assert_allclose(s, [[2.0, 6.0]])
    np.testing.assert_allclose(p, [[0.25, 1.0]])
    np.testing.assert_allclose(r, [[0.125, 0.5]])
    np.testing.assert_allclose(f, [[0.01, 0.36]], rtol=1e-6)  # 2^2/4*0.01 ; 36/1*0.01
    np.testing.assert_allclose(e, np.sqrt([[0.385, 1.86]]), rtol=1e-6)
    np.testing.assert_array_equal(d, [[0, 4]])
    assert all(a.dtype == F32 for a in (s, e, p, r, f))


def test_inverse_flat_rule_multiplies_and_zeroes_var_flat():
    sci, err, dq, vp, vr, vf = _arrays([2.0], [9.0], [0.25], [0.125], [0.01])
    s, e, _, p, r, f = scale(
        sci, err, dq, vp, vr, vf, np.array([2.0], F32), factor_var=np.array([0.01], F32)
    )
    np.testing.assert_allclose(s, [[4.0]])
    np.testing.assert_allclose(p, [[1.0]])
    np.testing.assert_allclose(r, [[0.5]])
    np.testing.assert_array_equal(f, [[0.0]])
    np.testing.assert_allclose(e, [[np.sqrt(1.5)]], rtol=1e-6)


def test_photom_rule_scales_err_and_variances_in_float64():
    # jwst photom: data, err times the conversion, every variance times its square;
    # uncalibrated pixels: factor 0 and DO_NOT_USE, hence NaN
    sci, err, dq, vp, vr, vf = _arrays([2.0, 2.0], [1.0, 1.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0])
    s, e, d, p, r, f = scale(
        sci, err, dq, vp, vr, vf, np.array([[3.0, 0.0]]), factor_dq=np.array([[0, DNU]])
    )
    np.testing.assert_array_equal(s, [[6.0, np.nan]])
    np.testing.assert_array_equal(e, [[3.0, np.nan]])
    np.testing.assert_array_equal(p, [[9.0, np.nan]])
    np.testing.assert_array_equal(r, [[18.0, np.nan]])
    np.testing.assert_array_equal(f, [[27.0, np.nan]])
    np.testing.assert_array_equal(d, [[0, DNU]])
    # float64 factor: the product is rounded once, to float32
    x = np.array([[1.1]], F32)
    factor = np.array([[1.0 / 3.0]])
    s, *_ = scale(x, x, np.zeros((1, 1), np.uint32), x, x, None, factor)
    assert s[0, 0] == F32(np.float64(x[0, 0]) * factor[0, 0])


def test_pathloss_rule_divides_and_where_leaves_slits_alone():
    # jwst pathloss: divide data, err by P and variances by P^2; NaN P -> NaN + DO_NOT_USE;
    # a slit without correction passes unchanged (not even NaN-matched)
    sci = np.array([[4.0, 4.0], [5.0, np.nan]], F32)
    one = np.ones_like(sci)
    dq = np.zeros(sci.shape, np.uint32)
    corr = np.array([[2.0, np.nan], [np.nan, np.nan]], F32)
    s, e, d, p, r, f = scale(
        sci,
        one,
        dq,
        4 * one,
        one,
        None,
        corr,
        operation="divide",
        where=np.array([[True], [False]]),
    )
    np.testing.assert_array_equal(s, [[2.0, np.nan], [5.0, np.nan]])
    np.testing.assert_array_equal(e, [[0.5, np.nan], [1.0, 1.0]])
    np.testing.assert_array_equal(p, [[1.0, np.nan], [4.0, 4.0]])
    np.testing.assert_array_equal(d, [[0, DNU], [0, 0]])
    assert f is None


def test_barshadow_rule_divides_without_matching_nans():
    # jwst barshadow: s/B, err/B, V/B^2, no match_nans_and_flags (a NaN B is not flagged)
    arrays = _arrays([3.0, 3.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [2.0, 2.0])
    s, e, d, p, _, f = scale(
        *arrays,
        np.array([0.5, np.nan], F32),
        operation="divide",
        match_nans=False,
    )
    np.testing.assert_array_equal(s, [[6.0, np.nan]])
    np.testing.assert_array_equal(e, [[2.0, np.nan]])
    np.testing.assert_array_equal(p, [[4.0, np.nan]])
    np.testing.assert_array_equal(f, [[8.0, np.nan]])
    np.testing.assert_array_equal(d, [[0, 0]])


def test_fringe_rule_unity_where_the_fringe_is_nan():
    # jwst fringe: NaN fringe -> 1 (caller), s/F, err/F, V/F^2, no DQ, no NaN matching
    fringe = np.array([0.5, np.nan], F32)
    fringe = np.where(np.isnan(fringe), F32(1.0), fringe)
    sci, err, dq, vp, vr, vf = _arrays([4.0, 4.0], [1.0, 1.0], [1.0, 1.0], [0.25, 0.25], None)
    s, e, d, p, r, _ = scale(sci, err, dq, vp, vr, vf, fringe, operation="divide", match_nans=False)
    np.testing.assert_array_equal(s, [[8.0, 4.0]])
    np.testing.assert_array_equal(e, [[2.0, 1.0]])
    np.testing.assert_array_equal(p, [[4.0, 1.0]])
    np.testing.assert_array_equal(r, [[1.0, 0.25]])
    np.testing.assert_array_equal(d, [[0, 0]])


def test_bad_operation_is_refused():
    sci, err, dq, vp, vr, vf = _arrays([1.0], [1.0], [1.0], [1.0], None)
    with pytest.raises(ValueError, match="multiply' or 'divide"):
        scale(sci, err, dq, vp, vr, vf, np.ones(1, F32), operation="add")  # type: ignore[arg-type]


def test_match_nans_and_flags_by_hand():
    sci = np.array([1.0, np.nan, 3.0, 4.0], F32)
    err = np.array([1.0, 1.0, np.nan, 1.0], F32)
    var = np.array([1.0, 1.0, 1.0, 1.0], F32)
    dq = np.array([0, 0, 0, DNU | 4], np.uint32)
    s, e, d, v = match_nans_and_flags(sci, err, dq, var)
    np.testing.assert_array_equal(s, [1.0, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(e, [1.0, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(v, [1.0, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(d, [0, DNU, DNU, DNU | 4])
    assert sci[2] == 3.0  # inputs untouched
    assert dq[1] == 0


# --- properties of scale_by ---------------------------------------------------------------


def _factor(ds: xr.Dataset, seed: int) -> xr.DataArray:
    gen = np.random.default_rng(seed)
    shape = (ds.sizes["y"], ds.sizes["x"])
    f = gen.uniform(0.5, 2.0, shape).astype(F32)
    f[gen.random(shape) < 0.1] = np.nan
    return xr.DataArray(f, dims=("y", "x"))


_OPTIONS = st.sampled_from(
    [
        {"operation": "divide"},
        {"operation": "multiply"},
        {"operation": "divide", "flat": True},
        {"operation": "multiply", "flat": True},
        {"operation": "divide", "match_nans": False},
    ]
)


def _run(ds, factor, opts):
    opts = dict(opts)
    if opts.pop("flat", False):
        opts["factor_var"] = (0.05 * factor) ** 2
        opts["factor_dq"] = xr.where(np.isnan(factor), DNU | int(DQ.NO_FLAT_FIELD), 0).astype(
            np.uint32
        )
    return scale_by(ds, factor, **opts)


@given(exposures(), st.integers(0, 2**16), _OPTIONS)
def test_scale_by_properties(ds, seed, opts):
    factor = _factor(ds, seed)
    before = ds.copy(deep=True)
    out = _run(ds, factor, opts)
    xr.testing.assert_identical(ds, before)  # input unchanged
    assert ((out["dq"].values & ds["dq"].values) == ds["dq"].values).all()  # DQ only grows
    for name in ("var_poisson", "var_rnoise", "var_flat"):
        v = out[name].values
        assert not (v < 0).any(), name  # NaN allowed, negative never
        assert out[name].dtype == ds[name].dtype
        assert out[name].attrs == ds[name].attrs
    if opts.get("match_nans", True):
        bad = (out["dq"].values & DNU) != 0
        for name in ("sci", "err", "var_poisson", "var_rnoise", "var_flat"):
            assert (np.isnan(out[name].values) == bad).all(), name
    lazy_in = ds.chunk({"y": 2})
    with raise_if_dask_computes():
        lazy = _run(lazy_in, factor.chunk({"y": 3}), opts)
    xr.testing.assert_identical(lazy.compute(), out)  # NumPy == Dask, bit for bit


@given(exposures(), st.integers(0, 2**16))
def test_multiply_then_divide_returns_the_input(ds, seed):
    factor = _factor(ds, seed).fillna(1.0)  # exact powers of two: no rounding at all
    factor = 2.0 ** np.round(np.log2(factor)).astype(F32)
    back = scale_by(scale_by(ds, factor, operation="multiply"), factor, operation="divide")
    expected = scale_by(ds, xr.ones_like(factor))  # only the NaN/DO_NOT_USE matching
    xr.testing.assert_identical(back, expected)
    ok = (ds["dq"].values & DNU) == 0
    for name in ("sci", "err", "var_poisson", "var_rnoise"):
        a, b = back[name].values, ds[name].values
        both = ok & ~np.isnan(a)
        np.testing.assert_array_equal(a[both], b[both])


@given(exposures(), st.integers(0, 2**16))
def test_round_trip_within_float32_rounding(ds, seed):
    factor = _factor(ds, seed).fillna(1.0)
    back = scale_by(scale_by(ds, factor, operation="divide"), factor, operation="multiply")
    for name in ("sci", "err", "var_poisson", "var_rnoise", "var_flat"):
        np.testing.assert_allclose(
            back[name].values, scale_by(ds, xr.ones_like(factor))[name].values, rtol=3e-7
        )


def test_scale_by_broadcasts_a_per_slit_factor_over_integrations():
    sci = np.arange(12, dtype=F32).reshape(2, 3, 1, 2)  # (slit, integration, y, x)
    ds = xr.Dataset(
        {
            "sci": (("slit", "integration", "y", "x"), sci),
            "err": (("slit", "integration", "y", "x"), np.ones_like(sci)),
            "dq": (("slit", "integration", "y", "x"), np.zeros(sci.shape, np.uint32)),
            "var_poisson": (("slit", "integration", "y", "x"), np.ones_like(sci)),
            "var_rnoise": (("slit", "integration", "y", "x"), np.ones_like(sci)),
        }
    )
    factor = xr.DataArray(np.array([[[2.0, 4.0]], [[1.0, 1.0]]], F32), dims=("slit", "y", "x"))
    out = scale_by(ds, factor, operation="divide", where=xr.Variable("slit", [True, False]))
    assert out["sci"].dims == ds["sci"].dims
    np.testing.assert_array_equal(out["sci"].values[0, :, 0], sci[0, :, 0] / [2.0, 4.0])
    np.testing.assert_array_equal(out["sci"].values[1], sci[1])
    assert "var_flat" not in out


def test_nirspec_flat_rule_takes_the_flat_error():
    # jwst NIRSpec flat: var_flat = (s' / f * ferr)^2, the same value as from the variance
    sci, err, dq, vp, vr, vf = _arrays([4.0, 6.0], [9.0, 9.0], [1.0, 1.0], [0.5, 0.5], [7.0, 7.0])
    f, ferr = np.array([2.0, 1.0], F32), np.array([0.1, 0.1], F32)
    by_err = scale(sci, err, dq, vp, vr, vf, f, operation="divide", factor_err=ferr)
    by_var = scale(sci, err, dq, vp, vr, vf, f, operation="divide", factor_var=ferr * ferr)
    np.testing.assert_allclose(by_err[5], [[0.01, 0.36]], rtol=1e-6)
    for a, b in zip(by_err, by_var, strict=True):
        np.testing.assert_allclose(a, b, rtol=3e-7)
    with pytest.raises(ValueError, match="not both"):
        scale(sci, err, dq, vp, vr, vf, f, factor_var=ferr, factor_err=ferr)


def test_outputs_follow_the_memory_order_of_the_input():
    """Slits with integration fastest in memory: same numbers, outputs in the same order."""
    gen = np.random.default_rng(4)
    shape = (2, 5, 3, 4)  # (slit, integration, y, x)
    arrays = [gen.uniform(1, 2, shape).astype(F32) for _ in range(5)]
    dq = np.zeros(shape, np.uint32)
    factor = gen.uniform(0.5, 2, (2, 1, 3, 4)).astype(F32)
    fortran = [np.asfortranarray(a) for a in arrays]
    c_out = scale(*arrays[:2], dq, *arrays[2:], factor, operation="divide")
    f_out = scale(*fortran[:2], np.asfortranarray(dq), *fortran[2:], factor, operation="divide")
    for a, b in zip(c_out, f_out, strict=True):
        np.testing.assert_array_equal(a, b)
        assert b.flags.f_contiguous


@pytest.mark.parametrize("operation", ["divide", "multiply"])
@pytest.mark.parametrize("error", ["factor_err", "factor_var", None])
@pytest.mark.parametrize("with_var_flat", [True, False])
def test_scale_where_finite_is_scale_bit_for_bit(operation, error, with_var_flat):
    """Only the finite-factor pixels computed (the IFU flat): the same arrays as ``scale``."""
    rng = np.random.default_rng(5)
    shape = (40, 50)
    sci, err, vp, vr, vf = (rng.normal(3.0, 2.0, shape).astype(F32) for _ in range(5))
    sci[rng.random(shape) < 0.05] = np.nan
    dq = rng.choice(np.array([0, 4, DNU], np.uint32), shape, p=[0.8, 0.1, 0.1])
    factor = rng.uniform(0.5, 1.5, shape).astype(F32)
    factor[rng.random(shape) < 0.8] = np.nan
    kw = {"factor_dq": np.where(np.isnan(factor), np.uint32(DNU), np.uint32(0))}
    if error is not None:
        kw[error] = rng.uniform(0.0, 0.1, shape).astype(F32)
    inputs = (sci, err, dq, vp, vr, vf if with_var_flat else None, factor)
    fast = scale_where_finite(*inputs, operation=operation, **kw)
    full = scale(*inputs, operation=operation, **kw)
    for a, b in zip(fast, full, strict=True):
        if b is None:
            assert a is None
            continue
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_scale_by_finite_only_gives_the_same_dataset():
    rng = np.random.default_rng(6)
    shape = (30, 20)
    ds = xr.Dataset(
        {
            n: (("y", "x"), rng.normal(2.0, 1.0, shape).astype(F32))
            for n in ("sci", "err", "var_poisson", "var_rnoise")
        }  # fmt: skip
    ).assign(dq=(("y", "x"), np.zeros(shape, np.uint32)))
    flat = rng.uniform(0.5, 1.5, shape).astype(F32)
    flat[:, :15] = np.nan
    args = {"operation": "divide", "factor_err": xr.Variable(("y", "x"), flat / 10)}
    fast = scale_by(ds, xr.Variable(("y", "x"), flat), finite_only=True, **args)
    full = scale_by(ds, xr.Variable(("y", "x"), flat), **args)
    xr.testing.assert_identical(fast, full)
