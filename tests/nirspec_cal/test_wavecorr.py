"""wavecorr: the zero-point correction by hand, against jwst's transform, and its bookkeeping."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from helpers import REALDATA
from nrs_cal_helpers import FS, make_slits

from spec2x._kernels import wavecorr as kern
from spec2x.errors import Spec2xWarning
from spec2x.io.references import ReferenceSet, open_reference
from spec2x.steps import StepContext
from spec2x.steps.wavecorr import from_chain, wavecorr

REAL = str(REALDATA / "nirspec" / "jwst_nirspec_wavecorr_0001.asdf")


def test_constant_offset_shifts_by_offset_times_dispersion():
    # offset 0.5 pixel everywhere, dispersion 0.01 um/pixel: every wavelength +0.005 um
    wl = np.tile(1.0 + 0.01 * np.arange(20.0), (1, 4, 1))
    disp = kern.dispersion_from_wavelength(wl)
    np.testing.assert_allclose(disp, 0.01, rtol=1e-9)
    table = (np.array([0.5e-6, 2.0e-6]), np.array([-0.5, 0.5]), np.full((2, 2), 0.5))
    out, done = kern.zero_point_correction(wl, disp, np.array([0.2]), np.array([0]), tables=[table])
    assert done.tolist() == [True]
    np.testing.assert_allclose(out, wl + 0.005, rtol=1e-12)


def test_offset_linear_in_position_and_extrapolated():
    wl = np.tile(1.0 + 0.01 * np.arange(10.0), (2, 3, 1))
    disp = np.full(wl.shape, 0.01)
    table = (
        np.array([0.5e-6, 2.0e-6]),
        np.array([-0.5, 0.5]),
        np.array([[1.0, -1.0], [1.0, -1.0]]),
    )
    out, _ = kern.zero_point_correction(
        wl, disp, np.array([0.25, 0.75]), np.array([0, 0]), tables=[table]
    )
    np.testing.assert_allclose(out[0] - wl[0], -0.5 * 0.01, atol=1e-12)  # offset -0.5 pixel
    np.testing.assert_allclose(out[1] - wl[1], -1.5 * 0.01, atol=1e-12)  # beyond the table


def test_dispersion_at_edges_and_gaps():
    wl = np.array([[[np.nan, 1.0, 1.1, 1.3, np.nan]]])
    d = kern.dispersion_from_wavelength(wl)
    np.testing.assert_allclose(d[0, 0, 1:4], [0.1, 0.15, 0.2])
    assert np.isnan(d[0, 0, [0, 4]]).all()


@pytest.mark.parity
@pytest.mark.parametrize("which", ["synthetic", "real"])
def test_matches_jwst_transform(cal_refs, which):
    pytest.importorskip("jwst")
    from jwst.wavecorr.wavecorr import calculate_wavelength_correction_transform

    path = str(cal_refs["wavecorr"]) if which == "synthetic" else REAL
    ds = make_slits(srctype=["POINT"] * 5, source_xpos=[-0.3, 0.0, 0.2, 0.45, 0.1])
    out = wavecorr(ds, open_reference(path))
    assert out["wavelength_corrected"].values.all()
    for i, name in enumerate(FS):
        lam = ds["wavelength"].values[i] * 1e-6
        disp = kern.dispersion_from_wavelength(ds["wavelength"].values[i]) * 1e-6
        model = calculate_wavelength_correction_transform(
            lam, disp, path, float(ds["source_xpos"][i]), name
        )
        expected = model(lam) * 1e6
        got = out["wavelength"].values[i]
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        ok = ~np.isnan(expected)
        np.testing.assert_allclose(got[ok], expected[ok], rtol=1e-12)


def test_only_point_sources_are_corrected(opened):
    ds = make_slits(srctype=["POINT", "EXTENDED", "UNKNOWN", "POINT", "EXTENDED"])
    before = ds.copy(deep=True)
    out = wavecorr(ds, opened["wavecorr"])
    xr.testing.assert_identical(ds, before)
    assert out["wavelength_corrected"].values.tolist() == [True, False, False, True, False]
    same = out["wavelength"].values == ds["wavelength"].values
    nan = np.isnan(ds["wavelength"].values)
    assert (same | nan)[[1, 2, 4]].all()
    assert not (same | nan)[[0, 3]].all()
    np.testing.assert_array_equal(out["wavelength_uncorrected"].values, ds["wavelength"].values)
    assert out.attrs["S_WAVCOR"] == "COMPLETE"
    assert out.attrs["R_WAVCOR"] == opened["wavecorr"].name
    xr.testing.assert_identical(out["sci"].variable, ds["sci"].variable)


def test_no_point_source_skips(opened):
    ds = make_slits(srctype=["EXTENDED"] * 5)
    out = wavecorr(ds, opened["wavecorr"])
    assert out.attrs["S_WAVCOR"] == "SKIPPED"
    assert not out["wavelength_corrected"].values.any()


def test_other_modes_skip(opened):
    out = wavecorr(make_slits().assign_attrs(EXP_TYPE="NRS_IFU"), opened["wavecorr"])
    assert out.attrs["S_WAVCOR"] == "SKIPPED"


def test_source_outside_slit_warns_and_extrapolates(opened):
    ds = make_slits(srctype=["POINT"] * 5, source_xpos=[0.0, 0.7, 0.0, 0.0, 0.0])
    with pytest.warns(Spec2xWarning, match="S200A2 source_xpos=0.700 lies outside"):
        out = wavecorr(ds, opened["wavecorr"])
    shift = np.nanmedian(out["wavelength"].values[1] - ds["wavelength"].values[1])
    disp = np.nanmedian(kern.dispersion_from_wavelength(ds["wavelength"].values[1]))
    # synthetic table: offset = -x * 2 pixels * (1 - 0.15 lambda / 5.3 um) at x = 0.7
    assert shift / disp == pytest.approx(-1.4 * (1 - 0.15 * 1.43 / 5.3), rel=0.02)


def test_missing_aperture_or_position_leaves_slit(tmp_path, opened):
    from spec2x.synthetic.nirspec_cal_refs import write_wavecorr

    ref = open_reference(write_wavecorr(tmp_path / "w.asdf", slits=("S200A1",)))
    ds = make_slits(srctype=["POINT"] * 5, source_xpos=[0.1, 0.1, np.nan, 0.1, 0.1])
    out = wavecorr(ds, ref)
    assert out["wavelength_corrected"].values.tolist() == [True, False, False, False, False]
    out = wavecorr(ds, opened["wavecorr"])
    assert out["wavelength_corrected"].values.tolist() == [True, True, False, True, True]


def test_from_chain_not_applicable(cal_refs):
    ds = make_slits()
    out = from_chain(ds, StepContext("wavecorr", ReferenceSet({"wavecorr": "N/A"})))
    assert out.attrs["S_WAVCOR"] == "SKIPPED"
    out = from_chain(ds, StepContext("wavecorr", ReferenceSet({"wavecorr": cal_refs["wavecorr"]})))
    assert out.attrs["S_WAVCOR"] == "COMPLETE"


def test_brightobj_single_slit(opened):
    ds = make_slits(["S1600A1"], exp_type="NRS_BRIGHTOBJ", nint=2, srctype=["POINT"])
    ds = ds.assign_coords(source_xpos=("slit", [0.25]))
    out = wavecorr(ds, opened["wavecorr"])
    assert out["wavelength_corrected"].values.tolist() == [True]
    shift = np.nanmedian(out["wavelength"].values - ds["wavelength"].values)
    disp = np.nanmedian(kern.dispersion_from_wavelength(ds["wavelength"].values))
    # S1600A1 is 16 pixels wide: offset -0.25 * 16 * (1 - 0.15 lambda / 5.3 um)
    assert shift / disp == pytest.approx(-4.0 * (1 - 0.15 * 1.43 / 5.3), rel=0.02)
