"""NIRSpec slit flat: kernel values by hand, the step's bookkeeping and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from helpers import assert_in_place_same
from nrs_cal_helpers import FS, REF_SHAPE, make_slits

from spec2x.dq import DQ
from spec2x.errors import MissingReferenceError, ReferenceMismatchError, UnsupportedModeError
from spec2x.instruments.nirspec import flat_kernel as kern
from spec2x.instruments.nirspec.flat import from_chain, nirspec_flat
from spec2x.io.references import ReferenceSet, open_reference
from spec2x.steps import StepContext
from spec2x.steps.flat_field import from_chain as flat_field_step
from spec2x.synthetic import nirspec_cal_refs as ncr

BADFLAT = int(DQ.NO_FLAT_FIELD | DQ.DO_NOT_USE | DQ.UNRELIABLE_FLAT)


def _table(wl, val, err):
    return (np.asarray(wl, np.float32), np.asarray(val, np.float32), np.asarray(err, np.float32))


def test_gauss_average_of_quadratic_curve():
    # <lambda^2> over [l - d/2, l + d/2] = l^2 + d^2/12, exact for 3-point Gauss-Legendre
    wl = np.array([[[1.0, 1.1, 1.2, 1.3]]])
    wl_c, dwl = kern.clean_wavelength(wl, np.array([4]))
    np.testing.assert_allclose(dwl, 0.1, rtol=1e-12)
    grid = np.linspace(0.5, 2.0, 30001)
    tables = [(grid, grid**2, np.full(grid.shape, 0.01))]
    flat, dq, err = kern.combine_fast_slow(wl, wl_c, dwl, 1.0, None, None, np.array([0]), tables)
    np.testing.assert_allclose(flat, wl**2 + 0.01 / 12, rtol=1e-7)
    np.testing.assert_allclose(err, 0.01)
    assert not dq.any()


def test_fast_curve_outside_table_is_flagged_and_unity():
    wl = np.array([[[1.0, 1.5, 2.5, np.nan]]])
    wl0 = np.where(np.isnan(wl), 0, wl)
    wl_c, dwl = kern.clean_wavelength(wl0, np.array([4]))
    tables = [_table([0.5, 2.0], [2.0, 2.0], [0.1, 0.1])]
    flat, dq, _ = kern.combine_fast_slow(wl0, wl_c, dwl, 1.0, None, None, np.array([0]), tables)
    # 1.0 and 1.5 (with their Gauss nodes) are inside; 2.5 is outside; NaN: no wavelength
    np.testing.assert_allclose(flat[0, 0], [2.0, 2.0, 1.0, 1.0])
    assert dq[0, 0, 2] == DQ.NO_FLAT_FIELD | DQ.DO_NOT_USE
    assert dq[0, 0, 3] == 0  # no wavelength: unity, not flagged by the fast curve (as jwst)


def test_clean_wavelength_fills_columns_and_edges():
    wl = np.array([[[0.0, 1.0, 0.0, 3.0, 0.0], [0.0, 2.0, 0.0, 0.0, 0.0]]])
    wl_c, dwl = kern.clean_wavelength(wl, np.array([4]))  # column 4 is padding
    np.testing.assert_allclose(wl_c[0, :, 1], [1.0, 2.0])
    assert np.isnan(wl_c[0, :, 2]).all()  # an empty column between filled ones stays empty
    np.testing.assert_allclose(wl_c[0, :, 0], [1.0, 2.0])  # before the first: copy of it
    np.testing.assert_allclose(wl_c[0, :, 3], [3.0, 3.0])  # column mean fills the gap
    np.testing.assert_allclose(wl_c[0, :, 4], [3.0, 3.0])  # after the last: copy of it
    # the last real column (3) repeats the step of column 2 (NaN here)
    assert np.isnan(dwl[0, :, 3]).all()


def test_interpolate_cube_by_hand():
    cube = np.zeros((3, 1, 4), np.float32)
    cube[:, 0, :] = np.array([10.0, 20.0, 40.0])[:, None]
    dq = np.zeros((3, 1, 4), np.uint32)
    dq[2, 0, :] = DQ.HOT
    err = np.ones((1, 4), np.float32)
    cwl = np.array([1.0, 2.0, 3.0], np.float32)
    wl = np.array([[[2.5, 2.0, 0.5, 3.0]]])
    yy = np.zeros((1, 1, 4), int)
    xx = np.arange(4)[None, None, :]
    flat, fdq, ferr = kern.interpolate_cube(cube, dq, err, cwl, wl, yy, xx)
    np.testing.assert_allclose(flat[0, 0], [30.0, 20.0, 1.0, 40.0])
    assert fdq[0, 0, 0] == DQ.HOT  # planes 1|2
    assert fdq[0, 0, 1] == 0  # exactly on plane 1: that plane's DQ only
    assert fdq[0, 0, 2] == DQ.DO_NOT_USE  # below the first plane
    np.testing.assert_allclose(ferr, 1.0)


def test_slit_flat_product_and_error_by_hand():
    ny, nx = 2, 5
    wl = np.tile(np.linspace(1.0, 1.4, nx), (1, ny, 1))
    f = kern.FlatComponent("fore", [_table([0.5, 2.0], [2.0, 2.0], [0.2, 0.2])])
    s = kern.FlatComponent(
        "spectrograph",
        [_table([0.5, 2.0], [1.0, 1.0], [0.0, 0.0])],
        image=np.full((4, 8), 0.5, np.float32),
        image_dq=np.zeros((4, 8), np.uint32),
        image_err=np.full((4, 8), 0.05, np.float32),
    )
    d = kern.FlatComponent(
        "detector",
        [_table([0.5, 2.0], [1.0, 1.0], [0.0, 0.0])],
        image=np.full((2, 4, 8), 1.0, np.float32),
        image_dq=np.zeros((4, 8), np.uint32),
        image_err=np.zeros((4, 8), np.float32),
        image_wavelength=np.array([0.6, 1.9], np.float32),
    )
    zero = np.zeros(1, int)
    flat, dq, err = kern.slit_flat(
        wl,
        np.array([1]),
        np.array([1]),
        np.array([nx]),
        np.array([ny]),
        zero,
        zero,
        zero,
        components=[f, s, d],
    )
    np.testing.assert_allclose(flat, 1.0, rtol=1e-6)
    np.testing.assert_allclose(err, np.sqrt(0.1**2 + 0.1**2), rtol=1e-6)
    assert not dq.any()
    # without any component: everything BADFLAT is refused by the step; the kernel flags it
    flat, dq, _ = kern.slit_flat(
        wl,
        np.array([1]),
        np.array([1]),
        np.array([nx]),
        np.array([ny]),
        zero,
        zero,
        zero,
        components=[None, None, None],
    )
    assert (dq == BADFLAT).all()


def _refs(opened, fflat="fflat"):
    return opened[fflat], opened["sflat"], opened["dflat"]


def test_step_bookkeeping_and_input_unchanged(opened):
    ds = make_slits()
    before = ds.copy(deep=True)
    out = nirspec_flat(ds, *_refs(opened))
    xr.testing.assert_identical(ds, before)
    assert out.attrs["S_FLAT"] == "COMPLETE"
    assert out.attrs["R_FFLAT"] == opened["fflat"].name
    assert out.attrs["R_SFLAT"] == opened["sflat"].name
    assert out.attrs["R_DFLAT"] == opened["dflat"].name
    for v in ("sci", "err", "var_poisson", "var_rnoise", "var_flat"):
        assert out[v].attrs["units"] == ds[v].attrs["units"]
        assert out[v].dtype == np.float32
    assert out["dq"].dtype == np.uint32


def test_padding_untouched_and_dq_only_grows(opened):
    ds = make_slits()
    out = nirspec_flat(ds, *_refs(opened))
    pad = (ds["dq"] & DQ.NON_SCIENCE) != 0
    assert (out["dq"].where(pad) == ds["dq"].where(pad)).where(pad, True).all()
    assert bool(np.isnan(out["sci"].where(pad, np.nan)).all())
    assert ((out["dq"] & ds["dq"]) == ds["dq"]).all()


def test_wavelength_outside_the_fflat_is_badflat_and_nan(opened):
    ds = make_slits()
    top = max(float(w.max()) for w in opened["fflat"].content.table.wavelength)
    out = nirspec_flat(ds, *_refs(opened))
    beyond = (ds["wavelength"] > top + 0.01).broadcast_like(ds["sci"])
    assert int(beyond.sum()) > 10
    assert ((out["dq"].where(beyond, BADFLAT) & BADFLAT) == BADFLAT).all()
    assert bool(np.isnan(out["sci"].where(beyond, np.nan)).all())
    # pixels with no wavelength: the d-flat cube flags them
    nowl = np.isnan(ds["wavelength"]).broadcast_like(ds["sci"])
    assert ((out["dq"].where(nowl, 1) & DQ.DO_NOT_USE) != 0).all()


def test_values_are_flat_divided(opened):
    ds = make_slits()
    out = nirspec_flat(ds, *_refs(opened))
    ratio = (ds["sci"] / out["sci"]).values
    ok = np.isfinite(ratio)
    assert ok.sum() > 0.8 * (~np.isnan(ds["sci"].values)).sum() * 0.8
    # the synthetic flat is within 20 % of unity and varies with wavelength
    assert 0.75 < np.nanmin(ratio) < np.nanmax(ratio) < 1.3
    assert np.nanstd(ratio) > 0.005
    assert (out["var_flat"].values[ok] > 0).all()
    np.testing.assert_allclose(
        out["err"].values[ok] ** 2,
        (out["var_poisson"] + out["var_rnoise"] + out["var_flat"]).values[ok],
        rtol=1e-5,
    )


def test_inverse_undoes_the_flat(opened):
    ds = make_slits()
    once = nirspec_flat(ds, *_refs(opened))
    back = nirspec_flat(once, *_refs(opened), inverse=True)
    ok = np.isfinite(back["sci"].values)
    np.testing.assert_allclose(back["sci"].values[ok], ds["sci"].values[ok], rtol=2e-6)
    np.testing.assert_allclose(
        back["var_poisson"].values[ok], ds["var_poisson"].values[ok], rtol=2e-6
    )
    assert (back["var_flat"].values[ok] == 0).all()


def test_point_and_uniform_flats_kept_for_fixed_slit_point_sources(opened):
    ds = make_slits(srctype=["POINT", "EXTENDED", "POINT", "EXTENDED", "EXTENDED"])
    shifted = ds.assign_coords(
        wavelength_uncorrected=ds["wavelength"], wavelength=ds["wavelength"] + 0.002
    )
    out = nirspec_flat(shifted, *_refs(opened))
    fp, fu = out["flatfield_point"].values, out["flatfield_uniform"].values
    assert np.isnan(fp[[1, 3, 4]]).all()
    assert np.isnan(fu[[1, 3, 4]]).all()
    ratio = (shifted["sci"] / out["sci"]).values[0]
    ok = np.isfinite(ratio)
    np.testing.assert_allclose(ratio[ok], fp[0][ok], rtol=1e-5)
    # the uniform flat is the one on the uncorrected wavelengths
    plain = nirspec_flat(ds, *_refs(opened))
    same = np.isfinite(plain["sci"].values[0])
    np.testing.assert_allclose((ds["sci"] / plain["sci"]).values[0][same], fu[0][same], rtol=1e-5)
    assert not np.allclose(fp[0][same & ok], fu[0][same & ok])


def test_brightobj_with_integrations(opened, cal_refs):
    ds = make_slits(["S1600A1"], exp_type="NRS_BRIGHTOBJ", nint=3, srctype=["POINT"])
    fflat = open_reference(cal_refs["fflat_bots"])
    out = nirspec_flat(ds, fflat, opened["sflat"], opened["dflat"])
    assert out["sci"].dims == ("slit", "integration", "y", "x")
    ratio = (ds["sci"] / out["sci"]).values
    ok = np.isfinite(ratio).all(axis=1)
    np.testing.assert_allclose(ratio[:, 1][ok], ratio[:, 0][ok], rtol=1e-6)
    np.testing.assert_allclose(ratio[:, 2][ok], ratio[:, 0][ok], rtol=1e-6)
    assert "flatfield_point" not in out


def test_not_applicable_components(opened):
    ds = make_slits()
    out = nirspec_flat(ds, "N/A", opened["sflat"], None)
    assert out.attrs["R_FFLAT"] == "N/A"
    assert out.attrs["R_DFLAT"] == "N/A"
    assert out.attrs["R_SFLAT"] == opened["sflat"].name
    with pytest.raises(MissingReferenceError, match="all N/A"):
        nirspec_flat(ds, None, "N/A", None)


def test_slit_without_fast_variation_row(tmp_path, opened):
    path = ncr.write_fflat(tmp_path / "f.fits", slits=("S200A1", "S400A1"))
    with pytest.raises(ReferenceMismatchError, match=r"slit S200A2: fflat reference f\.fits"):
        nirspec_flat(make_slits(), open_reference(path), opened["sflat"], opened["dflat"])


def test_slit_outside_the_flat_image(opened):
    ds = make_slits(substrt=(REF_SHAPE[1] - 100, 1))
    with pytest.raises(ReferenceMismatchError, match="outside the sflat image"):
        nirspec_flat(ds, *_refs(opened))


def test_user_supplied_flat_and_other_modes_refused(opened):
    ds = make_slits()
    with pytest.raises(UnsupportedModeError):
        nirspec_flat(ds, *_refs(opened), user_supplied_flat=opened["sflat"])
    with pytest.raises(UnsupportedModeError, match="NRS_IFU"):
        nirspec_flat(ds.assign_attrs(EXP_TYPE="NRS_IFU"), *_refs(opened))
    with pytest.raises(ReferenceMismatchError, match="needs a MOS quadrant fflat"):
        nirspec_flat(ds.assign_attrs(EXP_TYPE="NRS_MSASPEC"), *_refs(opened))


def test_from_chain_names_the_missing_component(cal_refs):
    ds = make_slits()
    refs = ReferenceSet({"fflat": cal_refs["fflat"], "dflat": cal_refs["dflat"]})
    with pytest.raises(MissingReferenceError, match="sflat"):
        from_chain(ds, StepContext("flat_field", refs))
    refs = ReferenceSet({"fflat": cal_refs["fflat"], "sflat": "N/A", "dflat": cal_refs["dflat"]})
    out = from_chain(ds, StepContext("flat_field", refs))
    assert out.attrs["R_SFLAT"] == "N/A"


@pytest.mark.parametrize("point", [False, True])
def test_flat_field_owning_its_input_writes_the_same_numbers_into_it(cal_refs, point):
    refs = ReferenceSet({k: cal_refs[k] for k in ("fflat", "sflat", "dflat")})
    ds = make_slits(srctype=["POINT" if point else "EXTENDED"] * len(FS), nint=2 if point else None)
    pure = assert_in_place_same(flat_field_step, ds, StepContext("flat_field", refs))
    assert ("flatfield_point" in pure) == point


def test_three_d_sflat(opened):
    ds = make_slits()
    a = nirspec_flat(ds, opened["fflat"], opened["sflat3d"], opened["dflat"])
    b = nirspec_flat(ds, *_refs(opened))
    ok = np.isfinite(a["sci"].values) & np.isfinite(b["sci"].values)
    assert ok.sum() > 1000
    assert not np.allclose(a["sci"].values[ok], b["sci"].values[ok])
