"""flat_field: kernel numbers, the step's behaviour, bad input, properties."""

from __future__ import annotations

import sys
import types

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from helpers import assert_in_place_same, raise_if_dask_computes
from hypothesis import given, settings
from strategies import exposures

from spec2x import make_exposure, open_reference
from spec2x._kernels.flat_field import prepare_flat
from spec2x.dq import DQ
from spec2x.errors import ReferenceMismatchError
from spec2x.io.references import Reference, ReferenceSet
from spec2x.steps import StepContext
from spec2x.steps.flat_field import flat_field, from_chain
from spec2x.synthetic.pixel_refs import write_flat

ATTRS = {
    "INSTRUME": "MIRI",
    "DETECTOR": "MIRIMAGE",
    "EXP_TYPE": "MIR_LRS-FIXEDSLIT",
    "SUBARRAY": "FULL",
}
BAD = int(DQ.DO_NOT_USE | DQ.NO_FLAT_FIELD)


@pytest.fixture(scope="module")
def flat_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("flat") / "miri_flat.fits"
    return write_flat(
        path,
        instrument="MIRI",
        detector="MIRIMAGE",
        exp_type="MIR_LRS-FIXEDSLIT",
        shape=(16, 16),
        seed=3,
        bad_fraction=0.03,
    )


@pytest.fixture(scope="module")
def flat(flat_path):
    return open_reference(flat_path)


def test_prepare_flat_flags_and_neutralises_bad_pixels():
    f, dq = prepare_flat(
        np.array([[2.0, 0.0, np.nan, 3.0]]), np.array([[0, 0, 0, int(DQ.NO_FLAT_FIELD)]], np.uint32)
    )
    np.testing.assert_array_equal(f, [[2.0, 1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(dq, [[0, BAD, BAD, BAD]])


def _exposure(shape=(8, 6), *, xstart=3, ystart=5, seed=1, attrs=None):
    gen = np.random.default_rng(seed)
    sci = gen.normal(10.0, 1.0, shape).astype(np.float32)
    return make_exposure(
        sci,
        var_poisson=np.full(shape, 0.5, np.float32),
        var_rnoise=np.full(shape, 0.25, np.float32),
        attrs={**ATTRS, **(attrs or {})},
        xstart=xstart,
        ystart=ystart,
    )


def test_step_divides_by_the_subarray_of_the_flat(flat):
    ds = _exposure()
    before = ds.copy(deep=True)
    out = flat_field(ds, flat)
    xr.testing.assert_identical(ds, before)  # input unchanged
    f = flat.content.sci[4:12, 2:8]
    ok = np.isfinite(f) & (f != 0)
    np.testing.assert_allclose(out["sci"].values[ok], (ds["sci"].values / f)[ok], rtol=1e-6)
    bad = ~ok
    assert np.isnan(out["sci"].values[bad]).all()
    assert ((out["dq"].values[bad] & BAD) == BAD).all()
    assert out.attrs["S_FLAT"] == "COMPLETE"
    assert out.attrs["R_FLAT"] == "miri_flat.fits"
    assert out["sci"].attrs["units"] == "DN/s"
    assert out["var_flat"].dtype == np.float32
    assert out["dq"].dtype == np.uint32


def test_rateints_and_all_nan_integration(flat):
    """An all-NaN integration comes out NaN and DO_NOT_USE; the others are calibrated."""
    ds = _exposure((3, 8, 6))
    sci = ds["sci"].values.copy()
    sci[1] = np.nan
    ds = ds.assign(sci=(ds["sci"].dims, sci, ds["sci"].attrs))
    out = flat_field(ds, flat)
    assert np.isnan(out["sci"].values[1]).all()
    assert (out["dq"].values[1] & DQ.DO_NOT_USE).all()
    np.testing.assert_array_equal(np.isnan(out["sci"].values[0]), np.isnan(out["sci"].values[2]))
    single = flat_field(ds.isel(integration=0), flat)
    np.testing.assert_array_equal(out["sci"].values[0], single["sci"].values)


def test_slits_take_their_cutouts_of_the_flat(flat):
    ds = _exposure((8, 6), xstart=1, ystart=1)
    full = flat_field(ds, flat)
    # two hand-made cut-outs (1-based xstart/ystart in the exposure), padded to 3x4
    parts = [ds.isel(y=slice(1, 4), x=slice(0, 4)), ds.isel(y=slice(4, 7), x=slice(2, 6))]
    parts = [p.assign_coords(y=np.arange(3), x=np.arange(4)) for p in parts]
    cut = xr.concat(parts, dim="slit")
    cut = cut.assign_coords(
        slit_name=("slit", ["A", "B"]),
        xstart=("slit", [1, 3]),
        ystart=("slit", [2, 5]),
        xsize=("slit", [4, 3]),
        ysize=("slit", [3, 3]),
    )
    out = flat_field(cut, flat)
    np.testing.assert_array_equal(out["sci"].values[0], full["sci"].values[1:4, 0:4])
    np.testing.assert_array_equal(out["sci"].values[1, :, :3], full["sci"].values[4:7, 2:5])
    # the padding column of slit B (x = 3 >= xsize) is left as it was: flat 1, no flags added
    np.testing.assert_array_equal(out["dq"].values[1, :, 3], cut["dq"].values[1, :, 3])


def test_wrong_detector_is_an_error(flat):
    with pytest.raises(ReferenceMismatchError, match="DETECTOR='MIRIMAGE'.*MIRIFULONG"):
        flat_field(_exposure(attrs={"DETECTOR": "MIRIFULONG"}), flat)


def test_flat_not_covering_the_subarray_is_an_error(tmp_path):
    path = write_flat(
        tmp_path / "sub_flat.fits",
        instrument="MIRI",
        detector="MIRIMAGE",
        exp_type="MIR_LRS-SLITLESS",
        shape=(10, 8),
        xstart=1,
        ystart=321,
        seed=1,
        subarray="SLITLESSPRISM",
    )
    ds = _exposure((8, 6), xstart=1, ystart=1, attrs={"SUBARRAY": "FULL"})
    with pytest.raises(ReferenceMismatchError, match=r"sub_flat.fits.*\(10, 8\).*\(8, 6\)"):
        flat_field(ds, open_reference(path))


def test_skips():
    ds = _exposure()
    assert flat_field(ds, None).attrs["S_FLAT"] == "SKIPPED"
    done = ds.assign_attrs(S_EXTR2D="COMPLETE")
    assert flat_field(done, None).attrs["S_FLAT"] == "SKIPPED"
    nrs = ds.assign_attrs(INSTRUME="NIRSPEC", EXP_TYPE="NRS_DARK")
    assert flat_field(nrs, None).attrs["S_FLAT"] == "SKIPPED"


def test_nirspec_spectra_go_to_the_nirspec_flat(monkeypatch):
    calls = {}

    def fake(ds, fflat, sflat, dflat, **kwargs):
        calls.update(args=(fflat, sflat, dflat), kwargs=kwargs)
        return ds.assign(sci=ds["sci"] * 2)

    monkeypatch.setitem(
        sys.modules, "spec2x.instruments.nirspec.flat", types.SimpleNamespace(nirspec_flat=fake)
    )
    ds = _exposure(attrs={"INSTRUME": "NIRSPEC", "DETECTOR": "NRS1", "EXP_TYPE": "NRS_FIXEDSLIT"})
    fflat, sflat = Reference("fflat", "/refs/f.fits"), Reference("sflat", "/refs/s.fits")
    out = flat_field(ds, fflat=fflat, sflat=sflat, dflat=None, inverse=True)
    assert calls == {"args": (fflat, sflat, None), "kwargs": {"inverse": True, "overwrite": False}}
    np.testing.assert_array_equal(out["sci"].values, 2 * ds["sci"].values)
    assert out.attrs["S_FLAT"] == "COMPLETE"
    assert (out.attrs["R_FFLAT"], out.attrs["R_SFLAT"]) == ("f.fits", "s.fits")


def test_from_chain(flat_path):
    ctx = StepContext("flat_field", ReferenceSet({"flat": flat_path}), params={"inverse": False})
    out = from_chain(_exposure(), ctx)
    assert out.attrs["R_FLAT"] == "miri_flat.fits"
    na = StepContext("flat_field", ReferenceSet({"flat": "N/A"}))
    assert from_chain(_exposure(), na).attrs["S_FLAT"] == "SKIPPED"


@pytest.mark.parametrize("inverse", [False, True])
def test_from_chain_owning_its_input_writes_the_same_numbers_into_it(flat_path, inverse):
    ctx = StepContext("flat_field", ReferenceSet({"flat": flat_path}), params={"inverse": inverse})
    ds = _exposure((3, 8, 6))
    assert_in_place_same(from_chain, ds.assign(var_flat=ds["var_poisson"] * 0.5), ctx)
    assert_in_place_same(from_chain, ds, ctx)  # no var_flat yet: the others in place


# ---------------------------------------------------------------- properties


def _finite(a):
    return a[np.isfinite(a)]


@settings(max_examples=15, deadline=None)
@given(ds=exposures())
def test_properties(flat, ds):
    before = ds.copy(deep=True)
    out = flat_field(ds, flat)
    xr.testing.assert_identical(ds, before)
    assert ((out["dq"].values & ds["dq"].values) == ds["dq"].values).all()  # no bit lost
    for name in ("var_poisson", "var_rnoise", "var_flat"):
        assert (_finite(out[name].values) >= 0).all()
    total = out["var_poisson"] + out["var_rnoise"] + out["var_flat"]
    np.testing.assert_allclose(out["err"].values ** 2, total.values, rtol=1e-5, atol=1e-30)
    # NaN and DO_NOT_USE agree
    dnu = (out["dq"].values & DQ.DO_NOT_USE) != 0
    np.testing.assert_array_equal(np.isnan(out["sci"].values), dnu)
    # linear in the data
    scaled = flat_field(ds.assign(sci=ds["sci"] * 4), flat)
    np.testing.assert_allclose(scaled["sci"].values, 4 * out["sci"].values, rtol=1e-6)
    np.testing.assert_allclose(scaled["var_flat"].values, 16 * out["var_flat"].values, rtol=1e-5)
    # inverse undoes it where calibrated
    back = flat_field(out, flat, inverse=True)
    ok = ~dnu
    np.testing.assert_allclose(back["sci"].values[ok], ds["sci"].values[ok], rtol=1e-6)


@settings(max_examples=8, deadline=None)
@given(ds=exposures(integrations=True))
def test_dask_matches_numpy_and_is_lazy(flat, ds):
    chunked = ds.copy()
    for name in ds.data_vars:
        chunked[name] = ds[name].copy(data=da.from_array(ds[name].values, chunks=(1, -1, -1)))
    with raise_if_dask_computes():
        lazy = flat_field(chunked, flat)
    assert lazy["sci"].chunks is not None
    xr.testing.assert_identical(lazy.compute(), flat_field(ds, flat))
