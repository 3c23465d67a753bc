"""NIRSpec MOS WCS: parity with jwst's assign_wcs per slitlet, dropping, ordering, errors."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from gwcs.wcstools import grid_from_bounding_box
from mos_helpers import N_SLITLETS, assigned, jwst_assigned, mos_exposure, mos_refs

from spec2x.errors import InputFileError
from spec2x.instruments.nirspec.fs import slits_from_attrs
from spec2x.instruments.nirspec.msa_wcs import assign_msa_slits, msa_slit_scales
from spec2x.wcs.store import get_wcs


def _same(a, b, rtol=0.0, atol=0.0):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    np.testing.assert_allclose(a[ok], b[ok], rtol=rtol, atol=atol)


@pytest.mark.parity
@pytest.mark.slow
def test_slitlet_wcs_matches_jwst():
    """Same slitlets in the same order, equal boxes, wavelengths, slit and sky coordinates."""
    pytest.importorskip("jwst")
    from jwst.assign_wcs import nirspec

    model = jwst_assigned()
    ours = assigned()
    theirs_slits = model.meta.wcs.get_transform("gwa", "slit_frame").slits
    mine_slits = slits_from_attrs(ours.attrs)
    assert [s.name for s in mine_slits] == [str(s.name) for s in theirs_slits]
    assert len(mine_slits) == N_SLITLETS - 2 + 1  # two fall on NRS2; the fixed slit S200A1
    for mine_slit, their_slit in zip(mine_slits, theirs_slits, strict=True):
        for field in their_slit._fields[1:]:
            a, b = getattr(mine_slit, field), getattr(their_slit, field)
            assert a == b or np.isclose(a, b, rtol=1e-7), (their_slit.name, field, a, b)
        theirs = nirspec.nrs_wcs_set_input(model, their_slit.name)
        mine = get_wcs(ours, slit=mine_slit.name)
        assert mine.bounding_box.bounding_box() == theirs.bounding_box.bounding_box()
        x, y = grid_from_bounding_box(theirs.bounding_box)
        x, y = x[:, ::3], y[:, ::3]
        ra1, dec1, lam1 = mine(x, y)
        ra2, dec2, lam2 = theirs(x, y)
        assert np.isfinite(lam1).sum() > 1000
        _same(lam1, lam2, rtol=1e-6)
        _same(ra1, ra2, atol=1e-9)
        _same(dec1, dec2, atol=1e-9)
        s1 = mine.get_transform("detector", "slit_frame")(x, y)
        s2 = theirs.get_transform("detector", "slit_frame")(x, y)
        for a, b in zip(s1, s2, strict=True):
            _same(a, b, atol=1e-9)
        assert mine.available_frames == theirs.available_frames


def test_slitlets_of_one_quadrant_follow_each_other():
    """jwst orders the slitlets by quadrant (1..4, then the fixed slits), file order within."""
    slits = slits_from_attrs(assigned().attrs)
    quadrants = [s.quadrant for s in slits]
    assert quadrants == sorted(quadrants)
    assert slits[-1].name == "S200A1"
    assert {s.quadrant for s in slits} == {3, 4, 5}


def test_slitlet_extent_covers_its_three_shutters():
    slits = {s.name: s for s in slits_from_attrs(assigned().attrs)}
    bkg = [s for s in slits.values() if s.source_name.startswith("1234_BKG")]
    assert len(bkg) == 4
    # point 1 of the nod: the source in the centre shutter, one open shutter each side
    src = [s for s in slits.values() if s.quadrant < 5 and s not in bkg]
    assert all(s.shutter_state == "1x1" for s in src)
    assert all(s.ymin == pytest.approx(-0.55 - 0.5 - 1.15) for s in src)
    assert all(s.ymax == pytest.approx(0.55 + 0.5 + 1.15) for s in src)


def test_nod_moves_the_source_shutter():
    """At dither point 2 the source sits in the upper shutter: the slit extends downwards."""
    slits = [s for s in slits_from_attrs(assigned(2).attrs) if s.quadrant < 5]
    src = [s for s in slits if not s.source_name.startswith("1234_BKG")]
    assert all(s.shutter_state == "11x" for s in src)
    assert all(s.ymin == pytest.approx(-0.55 - 0.5 - 2 * 1.15) for s in src)
    first = slits_from_attrs(assigned(1).attrs)[0]
    moved = next(s for s in slits if s.name == first.name)
    assert moved.shutter_id == first.shutter_id + 365


def test_wavelength_coordinate_and_keywords():
    out = assigned()
    wl = out["wavelength"].values
    assert 0.5 < np.nanmin(wl) < 0.7
    assert 5.0 < np.nanmax(wl) < 5.6
    for slit in slits_from_attrs(out.attrs)[:3]:
        wcs = get_wcs(out, slit=slit.name)
        (x0, x1), (y0, y1) = wcs.bounding_box.bounding_box()
        x, y = grid_from_bounding_box(wcs.bounding_box)
        lam = wcs(x, y)[2]
        iy, ix = np.argwhere(np.isfinite(lam))[len(lam) // 2]
        px, py = int(x[iy, ix]), int(y[iy, ix])
        assert wl[py, px] == pytest.approx(wcs(px, py)[2], rel=1e-9)
    assert out.attrs["SPORDER"] == 0
    assert "wcs" not in mos_exposure().attrs


def test_off_detector_slitlets_dropped_with_one_log_line(caplog):
    with caplog.at_level(logging.INFO, logger="spec2x.instruments.nirspec.msa_wcs"):
        assign_msa_slits(mos_exposure(), mos_refs())
    lines = [r.getMessage() for r in caplog.records if "fall off" in r.getMessage()]
    assert lines == [
        "2 slitlet(s) fall off detector NRS1 with GRATING=PRISM and are dropped: 129, 130"
    ]


def test_slit_scales_from_the_msa_reference():
    scales = msa_slit_scales(mos_refs()["msa"])
    assert scales[1] == pytest.approx((1.05e-4 / 7.8e-5, 2.04e-4 / 1.78e-4))
    slit = slits_from_attrs(assigned().attrs)[0]
    assert (slit.slit_xscale, slit.slit_yscale) == pytest.approx(scales[slit.quadrant])


@pytest.mark.parametrize(
    ("attrs", "match"),
    [
        ({"MSAMETFL": "N/A"}, "no MSA metadata file"),
        ({"MSAMETFL": "/nowhere/jw_msa.fits"}, r"jw_msa\.fits .*does not exist"),
        ({"MSAMETID": None}, "lacks keyword MSAMETID"),
        ({"PATT_NUM": None}, "lacks keyword PATT_NUM"),
        ({"MSAMETID": 7}, r"_msa\.fits has no shutters for MSAMETID=7 \(it holds .* 1\)"),
        ({"PATT_NUM": 4}, "PATT_NUM=4 .dither points: 1, 2, 3"),
    ],
)
def test_exposure_that_does_not_match_its_msa_file(attrs, match):
    with pytest.raises(InputFileError, match=match):
        assign_msa_slits(mos_exposure(**attrs), mos_refs())


def test_no_slitlet_on_detector_is_an_error(tmp_path):
    from spec2x.synthetic.nirspec_msa import mos_layout, write_msa_metadata

    path = write_msa_metadata(
        tmp_path / "off_msa.fits", mos_layout(3, n_background=0, n_off_detector=3), fixed_slit=None
    )
    with pytest.raises(InputFileError, match=r"none of the 3 open slitlets .*off_msa\.fits"):
        assign_msa_slits(mos_exposure(MSAMETFL=str(path)), mos_refs())


def test_small_msa_reference_is_refused(tmp_path):
    from spec2x.io.references import open_reference
    from spec2x.synthetic.nirspec_refs import write_msa

    small = open_reference(write_msa(tmp_path / "msa.asdf", grid=(4, 3)), "msa")
    with pytest.raises(InputFileError, match="quadrant 1 has 12 shutters.*full shutter grid"):
        msa_slit_scales(small)


def test_assign_wcs_step_builds_the_mos_wcs():
    """The assign_wcs dispatcher runs the MOS builder (modes table) and records the step."""
    from spec2x.steps.assign_wcs import assign_wcs

    ds = mos_exposure()
    out = assign_wcs(ds, mos_refs())
    assert out.attrs["S_WCS"] == "COMPLETE"
    assert out.attrs["NRS_SLITS"] == assigned().attrs["NRS_SLITS"]
    assert "wcs" not in ds.attrs  # input unchanged


def test_relative_metadata_file_is_found_beside_the_exposure(monkeypatch, tmp_path):
    """MSAMETFL is a bare file name; jwst looks for it in the exposure's folder."""
    from mos_helpers import metadata_file

    monkeypatch.chdir(tmp_path)
    ds = mos_exposure(MSAMETFL=metadata_file().name)
    with pytest.raises(InputFileError, match="does not exist"):
        assign_msa_slits(ds, mos_refs())
    ds.encoding["source"] = str(
        metadata_file().with_name("jw01234001001_01101_00001_nrs1_rate.fits")
    )
    out = assign_msa_slits(ds, mos_refs())
    assert out.attrs["NRS_SLITS"] == assigned().attrs["NRS_SLITS"]


def test_traced_boxes_equal_the_per_slit_trace():
    """All apertures traced at once (coarse grid, fine near the extremes) give exactly the
    boxes of the per-slit trace over the full 0.1 nm grid."""
    from spec2x.instruments.nirspec import slits as ns
    from spec2x.instruments.nirspec.msa_wcs import msa_slitlets, slitlets_to_slits

    ds = mos_exposure()
    optics = ns.build_optics(ds.attrs, mos_refs())
    slits = slitlets_to_slits(msa_slitlets(ds.attrs, mos_refs()["msa"]))[::4]
    boxes = ns.traced_boxes(optics, slits)
    for slit, box in zip(slits, boxes, strict=True):
        full = ns.slit_bounding_box(
            ns.slit_wcs(optics, slit).get_transform("detector", "slit_frame"),
            optics.wrange,
            slit.ymin,
            slit.ymax,
            refine=False,
        )
        assert np.array_equal(np.asarray(full), box), slit.name
