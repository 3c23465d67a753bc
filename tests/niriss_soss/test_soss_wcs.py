"""assign_wcs for NIS_SOSS: jwst's per-order WCS from the specwcs reference."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.errors import InputFileError, ReferenceMismatchError
from spec2x.instruments.niriss.soss_wcs import order_wcs, soss_wavelengths
from spec2x.registry import calibrated_exp_types
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.synthetic.niriss_soss import SOSS_TARGET, make_soss_rateints
from spec2x.wcs.store import get_wcs


@pytest.fixture(scope="module")
def assigned(soss_rateints, soss_refs):
    return assign_wcs(soss_rateints, {"specwcs": soss_refs["specwcs"]})


def test_wavelengths_per_order(assigned):
    wl = soss_wavelengths(assigned)
    assert wl.dims == ("order", "y", "x")
    assert wl.shape == (3, 256, 2048)
    assert wl.attrs["units"] == "um"
    # order 1 runs from ~2.83 µm (column 0) to ~0.85 µm (column 2047), the same on every row
    row = wl.sel(order=1).values[100]
    assert 2.7 < row[0] < 2.9
    assert 0.8 < row[-1] < 0.9
    np.testing.assert_array_equal(wl.sel(order=1).values[0], row)
    assert np.isnan(wl.sel(order=2).values[0, -1])  # order 2 ends before the last column


def test_sky_is_the_target_and_velosys_scales(assigned, soss_rateints, soss_refs):
    ra, dec, lam = order_wcs(get_wcs(assigned), 1)(100.0, 50.0)
    assert (ra, dec) == (SOSS_TARGET["TARG_RA"], SOSS_TARGET["TARG_DEC"])
    still = soss_rateints.copy()
    still.attrs = {k: v for k, v in still.attrs.items() if k != "VELOSYS"}
    _, _, rest = order_wcs(get_wcs(assign_wcs(still, {"specwcs": soss_refs["specwcs"]})), 1)(
        100.0, 50.0
    )
    np.testing.assert_allclose(lam, rest / (1 + soss_rateints.attrs["VELOSYS"] / 299792458.0))


def test_input_unchanged_and_keywords(soss_rateints, assigned):
    assert "wcs" not in soss_rateints.attrs
    assert assigned.attrs["S_WCS"] == "COMPLETE"
    assert str(assigned.attrs["R_SPCWCS"]).endswith("specwcs.asdf")


def test_missing_target_is_one_clear_error(soss_refs):
    ds = make_soss_rateints(nints=1, TARG_RA=None)
    with pytest.raises(InputFileError, match="TARG_RA/TARG_DEC"):
        assign_wcs(ds, {"specwcs": soss_refs["specwcs"]})


def test_a_specwcs_of_another_kind_is_one_clear_error(soss_rateints, soss_refs):
    with pytest.raises(ReferenceMismatchError, match="REFTYPE='PASTASOSS'|pastasoss"):
        assign_wcs(soss_rateints, {"specwcs": soss_refs["pastasoss"]})


def test_order_must_exist(assigned):
    with pytest.raises(InputFileError, match="order 4 does not exist"):
        order_wcs(get_wcs(assigned), 4)


def test_soss_is_calibrated_end_to_end():
    """WCS, background, flat, extract_1d (box) and photom on spectra: the chain runs."""
    assert "NIS_SOSS" in calibrated_exp_types()


@pytest.mark.parity
@pytest.mark.parametrize("subarray", ["SUBSTRIP256", "SUBSTRIP96"])
def test_wavelengths_as_jwst_assign_wcs(tmp_path, soss_refs, subarray):
    """jwst's AssignWcsStep on the same file: every order's wavelength on every pixel, and the sky."""
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst.assign_wcs.niriss import niriss_soss_set_input
    from jwst_offline import run_jwst_step

    from spec2x.io.fits import write_fits

    ds = make_soss_rateints(nints=1, subarray=subarray)
    path = write_fits(ds, tmp_path / "soss_rateints.fits")
    result = run_jwst_step(
        AssignWcsStep, str(path), {"specwcs": soss_refs["specwcs"]}, rest="N/A", tmp_path=tmp_path
    )
    ours = assign_wcs(ds, {"specwcs": soss_refs["specwcs"]})
    wl = soss_wavelengths(ours).values
    y, x = np.indices(wl.shape[1:], dtype=float)
    for order in (1, 2, 3):
        ra, dec, lam = niriss_soss_set_input(result, order)(x, y)
        np.testing.assert_array_equal(np.isnan(lam), np.isnan(wl[order - 1]))
        np.testing.assert_allclose(wl[order - 1], lam, rtol=0, atol=1e-6, equal_nan=True)
        ra_o, dec_o, _ = order_wcs(get_wcs(ours), order)(x[::50, ::50], y[::50, ::50])
        np.testing.assert_array_equal(ra_o, ra[::50, ::50])
        np.testing.assert_array_equal(dec_o, dec[::50, ::50])
    # outside the subarray the order models are bounded as jwst's
    lam_j = niriss_soss_set_input(result, 1)(5000.0, 10.0)[2]
    assert np.isnan(lam_j)
    assert np.isnan(order_wcs(get_wcs(ours), 1)(5000.0, 10.0)[2])


def test_full_frame_has_no_subarray_shift(soss_refs, assigned):
    """FULL: full-frame pixels go straight to the specwcs, unbounded (jwst binds no box)."""
    from spec2x.instruments.niriss.soss_wcs import soss_wcs

    full = soss_wcs(
        {**SOSS_TARGET, "SUBSTRT1": 1, "SUBSTRT2": 1, "VELOSYS": assigned.attrs["VELOSYS"]},
        soss_refs["specwcs"],
        shape=(2048, 2048),
    )
    strip = get_wcs(assigned)  # SUBSTRIP256 starts at full-frame row 1793 (1-based)
    for order in (1, 2, 3):
        lam_full = order_wcs(full, order)(np.array([100.0, 1500.0]), np.array([1900.0, 1850.0]))[2]
        lam_strip = order_wcs(strip, order)(np.array([100.0, 1500.0]), np.array([108.0, 58.0]))[2]
        np.testing.assert_array_equal(lam_full, lam_strip)
