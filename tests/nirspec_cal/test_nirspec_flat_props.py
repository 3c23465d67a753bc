"""Properties of the NIRSpec flat, wavecorr and pathloss: DQ only grows, variances stay
non-negative, NumPy == Dask (chunked along slit, nothing computed early), slit order is irrelevant."""

from __future__ import annotations

import dask
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from nrs_cal_helpers import FS, make_slits

from spec2x.instruments.nirspec.flat import nirspec_flat
from spec2x.steps.pathloss import pathloss
from spec2x.steps.wavecorr import wavecorr

SRC = st.lists(st.sampled_from(["POINT", "EXTENDED"]), min_size=5, max_size=5)


class _NoCompute:
    """A Dask scheduler that fails if anything is computed."""

    calls = 0

    def __call__(self, dsk, keys, **kwargs):
        _NoCompute.calls += 1
        raise AssertionError("the step computed a Dask array")


def _run(step, ds, opened):
    if step == "flat":
        return nirspec_flat(ds, opened["fflat"], opened["sflat"], opened["dflat"])
    if step == "pathloss":
        return pathloss(ds, opened["pathloss"])
    return wavecorr(ds, opened["wavecorr"])


def _slits(seed, srctype):
    xpos = np.random.default_rng(seed).uniform(-0.45, 0.45, 5)
    return make_slits(seed=seed, srctype=srctype, shape=(10, 120), source_xpos=xpos)


@pytest.mark.parametrize("step", ["flat", "pathloss"])
@settings(deadline=None, max_examples=6)
@given(seed=st.integers(0, 10_000), srctype=SRC)
def test_dq_grows_and_variances_nonnegative(opened, step, seed, srctype):
    ds = _slits(seed, srctype)
    out = _run(step, ds, opened)
    assert ((out["dq"] & ds["dq"]) == ds["dq"]).all()
    for v in ("var_poisson", "var_rnoise", "var_flat"):
        vals = out[v].values
        assert (vals[np.isfinite(vals)] >= 0).all()
    invalid = np.isnan(out["sci"].values)
    assert ((out["dq"].values[invalid] & 1) == 1).all()


@pytest.mark.parametrize("step", ["flat", "pathloss", "wavecorr"])
@settings(deadline=None, max_examples=4)
@given(seed=st.integers(0, 10_000), srctype=SRC)
def test_numpy_equals_dask_chunked_along_slit(opened, step, seed, srctype):
    ds = _slits(seed, srctype)
    # pixel arrays chunked along slit; the small per-slit coords stay NumPy (steps read them)
    lazy = ds.assign({v: ds[v].variable.chunk({"slit": 2}) for v in ds.data_vars})
    lazy = lazy.assign_coords(wavelength=ds["wavelength"].variable.chunk({"slit": 2}))
    with dask.config.set(scheduler=_NoCompute()):
        out_lazy = _run(step, lazy, opened)
    out = _run(step, ds, opened)
    for name in ("sci", "err", "dq", "var_flat", "wavelength"):
        got = out_lazy[name]
        assert got.chunks is not None
        xr.testing.assert_identical(got.compute(), out[name])


@pytest.mark.parametrize("step", ["flat", "pathloss", "wavecorr"])
@settings(deadline=None, max_examples=4)
@given(seed=st.integers(0, 10_000), order=st.permutations(range(5)), srctype=SRC)
def test_independent_of_slit_order(opened, step, seed, order, srctype):
    ds = _slits(seed, srctype)
    out = _run(step, ds, opened)
    out_perm = _run(step, ds.isel(slit=list(order)), opened)
    back = out_perm.isel(slit=np.argsort(order))
    assert list(back["slit_name"].values) == list(FS)
    for name in ("sci", "dq", "err", "wavelength"):
        xr.testing.assert_identical(back[name], out[name])
