"""pathloss: vectors by hand, the step's choices and bad input, parity with jwst."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from helpers import assert_in_place_same
from nrs_cal_helpers import make_slits, to_multislit

from spec2x._kernels import pathloss as kern
from spec2x.errors import Spec2xWarning, UnsupportedModeError
from spec2x.io.references import ReferenceSet, open_reference
from spec2x.steps import StepContext
from spec2x.steps.pathloss import from_chain, pathloss
from spec2x.steps.wavecorr import wavecorr

WCS = {
    "crpix1": 1.0,
    "crval1": -0.5,
    "cdelt1": 0.5,
    "crpix2": 1.0,
    "crval2": -0.5,
    "cdelt2": 0.5,
    "crpix3": 1.0,
    "crval3": 1.0e-6,
    "cdelt3": 1.0e-6,
}


def test_point_vector_is_bilinear():
    # 2 wavelengths x 3 x 3 positions; value = 1 + x + 2 y at each wavelength (x, y in -0.5..0.5)
    pos = np.array([-0.5, 0.0, 0.5])
    plane = 1 + pos[None, :] + 2 * pos[:, None]
    cube = np.stack([plane, plane * 0.5]).astype(np.float32)
    wl, vec, inside = kern.point_vector(cube, WCS, 0.2, -0.1)
    assert inside
    np.testing.assert_allclose(wl, [1.0, 2.0])
    np.testing.assert_allclose(vec, [1 + 0.2 - 0.2, 0.5 * (1 + 0.2 - 0.2)], rtol=1e-6)
    _, _, inside = kern.point_vector(cube, WCS, 0.6, 0.0)
    assert not inside


def test_interpolate_onto_grid_edges():
    wl = np.array([1.0, 2.0, 3.0], np.float32)
    pl = np.array([0.9, 0.8, 0.6], np.float32)
    got = kern.interpolate_onto_grid(np.array([0.5, 1.0, 1.5, 2.5, 3.0, 3.5, np.nan]), wl, pl)
    # as jwst: the first table wavelength itself counts as outside
    np.testing.assert_allclose(got, [np.nan, np.nan, 0.85, 0.7, 0.6, np.nan, np.nan])


def test_step_point_and_uniform(opened):
    ds = make_slits(wl_range=(0.7, 1.8))
    before = ds.copy(deep=True)
    out = pathloss(ds, opened["pathloss"])
    xr.testing.assert_identical(ds, before)
    assert out.attrs["S_PTHLOS"] == "COMPLETE"
    assert out.attrs["R_PTHLOS"] == opened["pathloss"].name
    types = out["pathloss_correction_type"].values.tolist()
    assert types == ["POINT", "UNIFORM", "POINT", "UNIFORM", "POINT"]
    ratio = (ds["sci"] / out["sci"]).values
    for i, kind in enumerate(types):
        ok = np.isfinite(ratio[i])
        used = out["pathloss_point" if kind == "POINT" else "pathloss_uniform"].values[i]
        np.testing.assert_allclose(ratio[i][ok], used[ok], rtol=1e-6)
    # point-source losses: narrow slits lose more, and more at long wavelengths
    pl = out["pathloss_point"].values
    assert np.nanmean(pl[0]) < np.nanmean(pl[3]) <= 1.0
    row = pl[0, 5]
    assert np.nanmean(row[:40]) > np.nanmean(row[-60:])
    np.testing.assert_allclose(
        (ds["var_poisson"] / out["var_poisson"]).values[0][np.isfinite(ratio[0])],
        ratio[0][np.isfinite(ratio[0])] ** 2,
        rtol=1e-5,
    )


def test_source_type_override_and_uncorrected_wavelengths(opened):
    ds = make_slits(wl_range=(0.7, 1.8), srctype=["POINT"] * 5)
    corrected = wavecorr(ds, opened["wavecorr"])
    out = pathloss(corrected, opened["pathloss"])
    forced = pathloss(corrected, opened["pathloss"], source_type="EXTENDED")
    assert set(forced["pathloss_correction_type"].values) == {"UNIFORM"}
    # uniform pathloss of point slits is on the uncorrected wavelengths
    plain = pathloss(ds, opened["pathloss"], source_type="EXTENDED")
    np.testing.assert_array_equal(out["pathloss_uniform"].values, plain["pathloss_uniform"].values)
    assert not np.array_equal(
        forced["pathloss_uniform"].values, plain["pathloss_uniform"].values, equal_nan=True
    )


def test_source_outside_slit_left_uncorrected(opened):
    ds = make_slits(wl_range=(0.7, 1.8), source_xpos=[0.0, 0.6, 0.0, 0.0, 0.0])
    with pytest.warns(Spec2xWarning, match="slit S200A2 source position"):
        out = pathloss(ds, opened["pathloss"])
    assert out["pathloss_correction_type"].values[1] == "NONE"
    assert np.isnan(out["pathloss_point"].values[1]).all()
    for v in ("sci", "err", "dq", "var_poisson"):
        np.testing.assert_array_equal(out[v].values[1], ds[v].values[1])


def test_wavelength_outside_curve_is_nan_and_flagged(opened):
    ds = make_slits(wl_range=(0.45, 1.2))  # the reference starts at 0.6 um
    out = pathloss(ds, opened["pathloss"])
    short = (ds["wavelength"] < 0.6).broadcast_like(ds["sci"]).values
    assert short.sum() > 50
    assert np.isnan(out["sci"].values[short]).all()
    assert (out["dq"].values[short] & 1).all()


def test_missing_aperture_and_unsupported_mode(tmp_path, opened):
    from spec2x.synthetic.nirspec_cal_refs import write_pathloss

    ref = open_reference(write_pathloss(tmp_path / "p.fits", slits=("S200A1",)))
    ds = make_slits(wl_range=(0.7, 1.8))
    with pytest.warns(Spec2xWarning, match=r"no aperture S\w+ in p\.fits"):
        out = pathloss(ds, ref)
    assert out["pathloss_correction_type"].values.tolist()[:2] == ["POINT", "NONE"]
    with pytest.raises(UnsupportedModeError):
        pathloss(ds.assign_attrs(EXP_TYPE="NRS_LAMP"), ref)


def test_inverse_and_chain(cal_refs, opened):
    ds = make_slits(wl_range=(0.7, 1.8))
    there = pathloss(ds, opened["pathloss"])
    back = pathloss(there, opened["pathloss"], inverse=True)
    ok = np.isfinite(back["sci"].values)
    np.testing.assert_allclose(back["sci"].values[ok], ds["sci"].values[ok], rtol=1e-6)
    out = from_chain(ds, StepContext("pathloss", ReferenceSet({"pathloss": "N/A"})))
    assert out.attrs["S_PTHLOS"] == "SKIPPED"
    refs = ReferenceSet({"pathloss": cal_refs["pathloss"]})
    out = from_chain(ds, StepContext("pathloss", refs, params={"source_type": "POINT"}))
    assert set(out["pathloss_correction_type"].values) == {"POINT"}


def test_owning_its_input_writes_the_same_numbers_into_it_when_every_slit_is_corrected(cal_refs):
    ctx = StepContext("pathloss", ReferenceSet({"pathloss": cal_refs["pathloss"]}))
    assert_in_place_same(from_chain, make_slits(wl_range=(0.7, 1.8)), ctx)
    outside = make_slits(wl_range=(0.7, 1.8), source_xpos=[0.0, 0.6, 0.0, 0.0, 0.0])
    with pytest.warns(Spec2xWarning, match="slit S200A2 source position"):
        pure = assert_in_place_same(from_chain, outside, ctx, in_place=False)  # one slit as it was
    assert pure["pathloss_correction_type"].values[1] == "NONE"


@pytest.mark.parity
@pytest.mark.parametrize("source_type", [None, "POINT"])
def test_matches_jwst(cal_refs, source_type):
    pytest.importorskip("jwst")
    from jwst.pathloss.pathloss import do_correction
    from stdatamodels.jwst import datamodels as dm

    ds = make_slits(wl_range=(0.55, 1.9), seed=11, shape=(12, 160))
    ours = pathloss(ds, open_reference(cal_refs["pathloss"]), source_type=source_type)
    model = to_multislit(ds)
    do_correction(model, dm.PathlossModel(str(cal_refs["pathloss"])), source_type=source_type)
    for i, sl in enumerate(model.slits):
        ys, xs = sl.data.shape
        assert ours["pathloss_correction_type"].values[i] == sl.pathloss_correction_type
        assert np.array_equal(np.asarray(ours["dq"][i])[:ys, :xs], sl.dq)
        for key, theirs in (
            ("sci", sl.data),
            ("err", sl.err),
            ("var_poisson", sl.var_poisson),
            ("var_rnoise", sl.var_rnoise),
            ("pathloss_point", sl.pathloss_point),
            ("pathloss_uniform", sl.pathloss_uniform),
        ):
            mine = np.asarray(ours[key][i])[:ys, :xs]
            assert np.array_equal(np.isnan(mine), np.isnan(theirs)), (sl.name, key)
            ok = ~np.isnan(theirs)
            np.testing.assert_allclose(mine[ok], theirs[ok], rtol=1e-5, err_msg=f"{sl.name} {key}")


def test_brightobj_integrations_share_the_correction(opened):
    ds = make_slits(["S1600A1"], exp_type="NRS_BRIGHTOBJ", nint=2, srctype=["POINT"])
    ds = ds.assign_coords(wavelength=ds["wavelength"] + 0.5)  # inside the 0.6-5.3 um curve
    out = pathloss(ds, opened["pathloss"])
    assert out["sci"].dims == ("slit", "integration", "y", "x")
    assert out["pathloss_point"].dims == ("slit", "y", "x")
    ratio = (ds["sci"] / out["sci"]).values
    ok = np.isfinite(ratio).all(axis=1)
    assert ok.sum() > 1000
    np.testing.assert_allclose(ratio[:, 1][ok], ratio[:, 0][ok], rtol=1e-6)
    np.testing.assert_allclose(ratio[:, 0][ok], out["pathloss_point"].values[ok], rtol=1e-6)


def test_miri_lrs_pathloss_file_opens_with_the_miri_reader(tmp_path):
    from spec2x.instruments.miri.refs import LrsPathloss
    from spec2x.synthetic.miri_lrs_refs import write_pathloss as write_lrs_pathloss

    ref = open_reference(write_lrs_pathloss(tmp_path / "lrs_pathloss.fits"))
    assert ref.reftype == "pathloss"
    assert isinstance(ref.content, LrsPathloss)
    with pytest.raises(UnsupportedModeError, match="MIR_LRS-SLITLESS"):
        pathloss(make_slits().assign_attrs(EXP_TYPE="MIR_LRS-SLITLESS"), ref)
