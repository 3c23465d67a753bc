"""NIRSpec fixed-slit WCS: parity with jwst on the real CV3 PRISM model, round trips, errors."""

from __future__ import annotations

import numpy as np
import pytest
from gwcs.wcstools import grid_from_bounding_box
from nrs_helpers import (
    BASE_ATTRS,
    REALDATA,
    jwst_assign_wcs,
    jwst_image_model,
    shared_full_assigned,
    shared_full_jwst,
    shared_paths,
    shared_refs,
)

from spec2x.datamodel import make_exposure
from spec2x.errors import InputFileError, ReferenceMismatchError
from spec2x.instruments.nirspec import slits as ns
from spec2x.instruments.nirspec.fs import assign_fixed_slits, open_fixed_slits, slits_from_attrs
from spec2x.wcs.store import get_wcs

FS = ("S200A1", "S200A2", "S400A1", "S1600A1", "S200B1")


@pytest.fixture(scope="module")
def paths():
    return shared_paths()


@pytest.fixture(scope="module")
def refs():
    return shared_refs()


@pytest.fixture(scope="module")
def assigned():
    return shared_full_assigned()


def _close(a, b, rtol=1e-6, atol=0.0):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    np.testing.assert_allclose(a[ok], b[ok], rtol=rtol, atol=atol)


@pytest.mark.parity
def test_fs_wcs_matches_jwst_on_every_pixel(assigned):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import nirspec

    model = shared_full_jwst()
    jwst_slits = [s.name for s in model.meta.wcs.get_transform("gwa", "slit_frame").slits]
    ours = [s.name for s in slits_from_attrs(assigned.attrs)]
    assert ours == jwst_slits == list(FS)
    for name in FS:
        theirs = nirspec.nrs_wcs_set_input(model, name)
        mine = get_wcs(assigned, slit=name)
        np.testing.assert_allclose(
            mine.bounding_box.bounding_box(), theirs.bounding_box.bounding_box(), rtol=1e-9
        )
        x, y = grid_from_bounding_box(theirs.bounding_box)
        ra1, dec1, lam1 = mine(x, y)
        ra2, dec2, lam2 = theirs(x, y)
        assert np.isfinite(lam1).sum() > 1000
        _close(lam1, lam2)
        _close(ra1, ra2, rtol=0, atol=1e-9)
        _close(dec1, dec2, rtol=0, atol=1e-9)
        sy1 = mine.get_transform("detector", "slit_frame")(x, y)[1]
        sy2 = theirs.get_transform("detector", "slit_frame")(x, y)[1]
        _close(sy1, sy2, rtol=0, atol=1e-9)
        assert mine.available_frames == theirs.available_frames


def test_detector_world_detector_round_trip(assigned):
    """Pixel -> sky -> pixel.  The prism wavelength is tabulated every 5 nm in the
    forward direction (as in jwst) but analytic backwards: that costs <0.02 px in x
    and (with the tabulated y_slit(beta)) <0.01 px in y."""
    for name in FS:
        wcs = get_wcs(assigned, slit=name)
        x, y = grid_from_bounding_box(wcs.bounding_box)
        x, y = x[::3, ::7], y[::3, ::7]
        ra, dec, lam = wcs(x, y)
        good = np.isfinite(lam)
        assert good.sum() > 50
        xb, yb = wcs.invert(ra[good], dec[good], lam[good])
        assert np.max(np.abs(xb - x[good])) < 0.02
        assert np.max(np.abs(yb - y[good])) < 0.01


def test_wavelength_coordinate_follows_slit_wcs(assigned):
    wl = assigned["wavelength"]
    assert wl.dims == ("y", "x")
    wcs = get_wcs(assigned, slit="S200A1")
    (x0, x1), (y0, y1) = wcs.bounding_box.bounding_box()
    yy, xx = int(round((y0 + y1) / 2)), int(round((x0 + x1) / 2))
    lam = wcs(xx, yy)[2]
    assert wl.values[yy, xx] == pytest.approx(lam, rel=1e-9)
    finite = wl.values[np.isfinite(wl.values)]
    assert 0.4 < finite.min() < 0.61
    assert 5.29 < finite.max() < 6.0
    assert assigned.attrs["SPORDER"] == 0
    assert assigned.attrs["WAVSTART"] == pytest.approx(6.0e-7)


def test_subarray_selects_slits_and_shifts_pixels(refs):
    attrs = dict(
        BASE_ATTRS, SUBARRAY="SUBS200A1", SUBSTRT1=1, SUBSTRT2=1030, SUBSIZE1=2048, SUBSIZE2=64
    )
    ds = make_exposure(np.zeros((64, 2048), np.float32), attrs=attrs, ystart=1030)
    out = assign_fixed_slits(ds, refs)
    assert list(out.attrs["wcs"]) == ["S200A1"]
    full = make_exposure(np.zeros((2048, 2048), np.float32), attrs=dict(BASE_ATTRS))
    opt_full = ns.build_optics(full.attrs, refs)
    slit = open_fixed_slits(attrs)[0]
    lam_full = ns.slit_wcs(opt_full, slit)(1300.0, 1070.0)[2]
    lam_sub = get_wcs(out, slit="S200A1")(1300.0, 1070.0 - 1029)[2]
    assert lam_sub == pytest.approx(lam_full, rel=1e-12)


def test_source_ids_follow_primary_slit():
    slits = open_fixed_slits(dict(BASE_ATTRS, FXD_SLIT="S400A1"))
    ids = {s.name: s.source_id for s in slits}
    assert ids == {"S200A1": 31, "S200A2": 32, "S400A1": 1, "S1600A1": 34, "S200B1": 35}
    bots = open_fixed_slits(dict(BASE_ATTRS, EXP_TYPE="NRS_BRIGHTOBJ", SUBARRAY="SUB2048"))
    assert [(s.name, s.source_id) for s in bots] == [("S1600A1", 1)]


def test_missing_filter_grating_pair_is_a_clear_error(refs):
    ds = make_exposure(np.zeros((8, 8), np.float32), attrs=dict(BASE_ATTRS, FILTER="F290LP"))
    with pytest.raises(ReferenceMismatchError, match="F290LP.*PRISM"):
        assign_fixed_slits(ds, refs)


def test_prism_needs_gwa_temperature(refs):
    attrs = dict(BASE_ATTRS)
    del attrs["GWA_TILT"]
    ds = make_exposure(np.zeros((8, 8), np.float32), attrs=attrs)
    with pytest.raises(InputFileError, match="GWA_TILT"):
        assign_fixed_slits(ds, refs)


def _esa_table():
    rows = np.loadtxt(
        REALDATA / "fixed_slits_functional_ESA_v4_20180618.txt", dtype=str, skiprows=1
    )
    names = open(REALDATA / "fixed_slits_functional_ESA_v4_20180618.txt").readline()[1:].split()
    return {
        n: (rows[:, i] if n == "SCA" else rows[:, i].astype(float)) for i, n in enumerate(names)
    }


@pytest.mark.skipif(not REALDATA.is_dir(), reason="needs the ESA functional tables")
def test_grating_independent_links_match_esa_functional_model(refs):
    """MSA -> OTEIP -> V2V3 and FPA -> pixels of the CV3 model against ESA's tables."""
    from spec2x.instruments.nirspec import wcs as nm

    t = _esa_table()
    msa2v23 = nm.msa_to_oteip(refs["fore"]) | nm.oteip_to_v23(refs["ote"])
    v2, v3, _ = msa2v23(t["xmsapos"], t["ymaspos"], t["wavelength"])
    np.testing.assert_allclose(v2, t["xV2V3"] * 3600, atol=0.05)  # arcsec
    np.testing.assert_allclose(v3, t["yV2V3"] * 3600, atol=0.05)
    for sca, det in (("SCA491", "NRS1"), ("SCA492", "NRS2")):
        sel = t["SCA"] == sca
        fpa = refs["fpa"].content[det.lower() + "_model"]
        i, j = fpa.inverse(t["xfpapos"][sel], t["yfpapos"][sel])
        # ESA's i, j are 1-based SCA pixels (not flipped for NRS2)
        np.testing.assert_allclose(i + 1, t["i"][sel], atol=0.05)
        np.testing.assert_allclose(j + 1, t["j"][sel], atol=0.05)


def test_assign_wcs_dispatcher_runs_fixed_slits(paths):
    from spec2x.steps.assign_wcs import assign_wcs

    attrs = dict(BASE_ATTRS, SUBARRAY="SUBS200A1", SUBSTRT2=1041, SUBSIZE2=64)
    ds = make_exposure(np.zeros((64, 2048), np.float32), attrs=attrs, ystart=1041)
    out = assign_wcs(ds, paths)
    assert out.attrs["S_WCS"] == "COMPLETE"
    assert out.attrs["R_DISPER"] == "jwst_nirspec_disperser_0034.asdf"
    assert out.attrs["R_MSA"] == "msa.asdf"
    assert out.attrs["DISPAXIS"] == 1
    assert list(out.attrs["wcs"]) == ["S200A1"]
    assert np.isfinite(out["wavelength"].values).sum() > 10000
    assert "wcs" not in ds.attrs  # input unchanged


@pytest.mark.parity
def test_nrs2_detector_links_match_jwst(refs):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import nirspec as jn

    from spec2x.instruments.nirspec import wcs as nm

    attrs = dict(BASE_ATTRS, DETECTOR="NRS2", SUBSTRT1=5, SUBSTRT2=9)
    model = jwst_image_model(attrs, shape=(32, 32))
    disp = nm.corrected_disperser(refs["disperser"], attrs["GWA_XTIL"], attrs["GWA_YTIL"])
    theirs = jn.dms_to_sca(model) | jn.detector_to_gwa(
        {k: refs[k].path for k in ("fpa", "camera")}, "NRS2", disp
    )
    mine = nm.dms_to_sca("NRS2", 5, 9) | nm.detector_to_gwa(
        refs["fpa"], refs["camera"], "NRS2", disp
    )
    x, y = np.meshgrid(np.linspace(0, 2000, 9), np.linspace(0, 2000, 7))
    out_theirs = theirs(x, y, -101)  # slit id passes through
    out_mine = mine(x, y)
    for a, b in zip(out_mine, out_theirs[1:], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parity
def test_barycentric_velocity_matches_jwst(refs, paths, tmp_path):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import nirspec as jn

    attrs = dict(BASE_ATTRS, SUBARRAY="SUBS200A1", SUBSTRT2=1041, SUBSIZE2=64, VELOSYS=-25000.0)
    model = jwst_image_model(attrs, shape=(64, 2048))
    model.meta.wcsinfo.velosys = attrs["VELOSYS"]
    theirs = jn.nrs_wcs_set_input(jwst_assign_wcs(model, paths, tmp_path), "S200A1")
    ds = make_exposure(np.zeros((64, 2048), np.float32), attrs=attrs, ystart=1041)
    mine = get_wcs(assign_fixed_slits(ds, refs), slit="S200A1")
    x, y = grid_from_bounding_box(theirs.bounding_box)
    lam_mine, lam_theirs = mine(x, y)[2], theirs(x, y)[2]
    _close(lam_mine, lam_theirs)
    plain = get_wcs(assign_fixed_slits(ds.assign_attrs(VELOSYS=None), refs), slit="S200A1")(x, y)[2]
    ok = np.isfinite(plain)
    np.testing.assert_allclose(lam_mine[ok] / plain[ok], 1 / (1 - 25000.0 / 299792458.0), rtol=1e-9)


def test_world_wavelength_is_the_wcs_wavelength_bit_for_bit(assigned):
    """wavecorr's dispersion and extract_2d skip RA/Dec; the wavelength must be gwcs's own,
    NaN included."""
    from spec2x.instruments.nirspec.wcs import world_wavelength

    for name in FS:
        wcs = get_wcs(assigned, slit=name)
        (x0, x1), (y0, y1) = wcs.bounding_box.bounding_box()
        y, x = np.mgrid[int(y0) - 2 : int(y1) + 3, int(x0) - 2 : int(x1) + 3 : 5].astype(float)
        for dx in (-0.5, 0.0, 0.5):
            want = np.asarray(wcs(x + dx, y)[2])
            assert np.isfinite(want).sum() > 100
            np.testing.assert_array_equal(world_wavelength(wcs, x + dx, y), want)


def test_fixed_slit_modes_come_from_the_modes_table():
    from spec2x.errors import UnsupportedModeError

    ds = make_exposure(np.zeros((2, 2)), attrs=dict(BASE_ATTRS, EXP_TYPE="NRS_MSASPEC"))
    with pytest.raises(
        UnsupportedModeError, match="NRS_FIXEDSLIT, NRS_BRIGHTOBJ, not EXP_TYPE=.NRS_MSASPEC."
    ):
        assign_fixed_slits(ds, {})
