"""wavecorr, flat_field, pathloss, barshadow, photom on NIRSpec MOS slitlets: parity with jwst 3.0.0."""

from __future__ import annotations

import numpy as np
import pytest
from mos_cal_helpers import assert_close, cal_paths, cut, ours, theirs

pytestmark = [pytest.mark.parity, pytest.mark.slow]


def test_wavecorr_matches_jwst():
    pytest.importorskip("jwst")
    out = ours()["wavecorr"]
    jw = theirs()["wavecorr"]
    assert [str(n) for n in out["slit_name"].values] == [s["name"] for s in jw]
    done = out["wavelength_corrected"].values
    assert done.tolist() == [bool(s["wavelength_corrected"]) for s in jw]
    assert 5 < done.sum() < len(done)  # point sources corrected, extended ones not
    for i, s in enumerate(jw):
        assert_close(cut(out, i, "wavelength"), s["wavelength"], 1e-6, s["name"])


def test_flat_field_matches_jwst():
    pytest.importorskip("jwst")
    out = ours()["flat_field"]
    for i, s in enumerate(theirs()["flat_field"]):
        np.testing.assert_array_equal(cut(out, i, "dq"), s["dq"], err_msg=s["name"])
        for key, jw_key in (("sci", "data"), ("err", "err"), ("var_flat", "var_flat")):
            assert_close(cut(out, i, key), s[jw_key], 1e-5, f"{s['name']} {key}")


def test_barshadow_matches_jwst():
    pytest.importorskip("jwst")
    out = ours()["barshadow"]
    jw = theirs()["barshadow"]
    assert out["barshadow_corrected"].values.tolist() == [
        bool(s["barshadow_corrected"]) for s in jw
    ]
    assert out.attrs["S_BARSHA"] == "COMPLETE"
    for i, s in enumerate(jw):
        np.testing.assert_array_equal(cut(out, i, "dq"), s["dq"], err_msg=s["name"])
        for key, jw_key in (("sci", "data"), ("err", "err"), ("var_poisson", "var_poisson"),
                            ("var_flat", "var_flat"), ("barshadow", "barshadow")):  # fmt: skip
            assert_close(cut(out, i, key), s[jw_key], 1e-5, f"{s['name']} {key}")


#: Shutter states given to the slitlets in turn (closed shutters, source at either end).
STATES = ("1x1", "11x", "x11", "x", "1x", "10x01", "x0", "111x1")


def test_barshadow_of_other_shutter_states_matches_jwst():
    """jwst's shadow of one slitlet (``_calc_correction``) for states the exposure lacks."""
    pytest.importorskip("jwst")
    from jwst.barshadow.bar_shadow import _calc_correction
    from stdatamodels.jwst import datamodels as dm

    from spec2x.io.references import open_reference
    from spec2x.steps.barshadow import barshadow

    ds = ours()["flat_field"]
    n = ds.sizes["slit"]
    states = [STATES[i % len(STATES)] for i in range(n)]
    ds = ds.assign_coords(shutter_state=("slit", states))
    out = barshadow(ds, open_reference(cal_paths()["barshadow"]), source_type="EXTENDED")
    model = theirs()["model"]
    with dm.BarshadowModel(cal_paths()["barshadow"]) as bar:
        for i, slit in enumerate(model.slits[: len(STATES) + 2]):
            kept = slit.shutter_state
            slit.shutter_state = states[i]
            try:
                expected = _calc_correction(slit, bar, "EXTENDED").data
            finally:
                slit.shutter_state = kept
            assert_close(cut(out, i, "barshadow"), expected, 1e-6, f"{slit.name} {states[i]}")


def test_pathloss_matches_jwst():
    pytest.importorskip("jwst")
    out = ours()["pathloss"]
    jw = theirs()["pathloss"]
    kinds = [str(k) for k in out["pathloss_correction_type"].values]
    assert kinds == [str(s["pathloss_correction_type"]) for s in jw]
    assert set(kinds) == {"POINT", "UNIFORM"}
    for i, s in enumerate(jw):
        np.testing.assert_array_equal(cut(out, i, "dq"), s["dq"], err_msg=s["name"])
        for key, jw_key in (("sci", "data"), ("err", "err"), ("var_poisson", "var_poisson"),
                            ("pathloss_point", "pathloss_point"),
                            ("pathloss_uniform", "pathloss_uniform")):  # fmt: skip
            assert_close(cut(out, i, key), s[jw_key], 1e-5, f"{s['name']} {key}")


@pytest.mark.parametrize("forced", [None, "POINT"])
def test_pathloss_of_other_shutter_states_matches_jwst(forced):
    """jwst's correction of one slitlet (``_corrections_for_mos``) for states the exposure
    lacks: lone shutter (1x1 aperture), source at an end (shifted row), two shutters."""
    pytest.importorskip("jwst")
    from jwst.pathloss.pathloss import _corrections_for_mos
    from stdatamodels.jwst import datamodels as dm

    from spec2x.io.references import open_reference
    from spec2x.steps.pathloss import pathloss

    ds = ours()["flat_field"]
    states = [STATES[i % len(STATES)] for i in range(ds.sizes["slit"])]
    out = pathloss(
        ds.assign_coords(shutter_state=("slit", states)),
        open_reference(cal_paths()["pathloss"]),
        source_type=forced,
    )
    model = theirs()["model"]
    with dm.PathlossModel(cal_paths()["pathloss"]) as loss:
        for i, slit in enumerate(model.slits[: len(STATES) + 2]):
            kept, wl = slit.shutter_state, slit.wavelength
            slit.shutter_state = states[i]
            slit.wavelength = cut(ds, i, "wavelength")  # jwst's slit now holds later steps' state
            try:
                expected = _corrections_for_mos(slit, loss, "NRS_MSASPEC", forced)
            finally:
                slit.shutter_state, slit.wavelength = kept, wl
            label = f"{slit.name} {states[i]}"
            assert str(out["pathloss_correction_type"].values[i]) == (
                expected.pathloss_correction_type
            ), label
            for key in ("pathloss_point", "pathloss_uniform"):
                assert_close(cut(out, i, key), getattr(expected, key), 1e-6, f"{label} {key}")


def test_photom_matches_jwst():
    """Per-slitlet source type and pixel area (the fixed slit is not in the area table)."""
    pytest.importorskip("jwst")
    out = ours()["photom"]
    for i, s in enumerate(theirs()["photom"]):
        np.testing.assert_array_equal(cut(out, i, "dq"), s["dq"], err_msg=s["name"])
        for key, jw_key in (("sci", "data"), ("err", "err"), ("var_poisson", "var_poisson"),
                            ("var_flat", "var_flat")):  # fmt: skip
            assert_close(cut(out, i, key), s[jw_key], 1e-5, f"{s['name']} {key}")
    units = {str(u) for u in out["bunit_data"].values}
    assert units == {"MJy", "MJy/sr"}
