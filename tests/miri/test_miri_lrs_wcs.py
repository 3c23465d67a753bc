"""MIRI LRS WCS: parity with jwst 3.0.0 on the real references, round trips, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from miri_lrs_helpers import (
    REAL,
    REAL_DISTORTION,
    REAL_SPECWCS,
    jwst_lrs_wcs,
    jwst_model,
    lrs_attrs,
)

from spec2x import make_exposure
from spec2x.errors import (
    InputFileError,
    MissingReferenceError,
    ReferenceMismatchError,
    UnsupportedModeError,
)
from spec2x.instruments.miri.lrs_wcs import lrs_wcs, pixel_wavelength
from spec2x.modes import MODES
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.wcs.store import get_wcs

LRS = ["MIR_LRS-FIXEDSLIT", "MIR_LRS-SLITLESS"]
EXTRA = [{}, {"VA_SCALE": 1.00003, "VELOSYS": -23456.7}]


def _grid(attrs):
    return np.indices((attrs["SUBSIZE2"], attrs["SUBSIZE1"]), dtype=np.float64)


@pytest.fixture(scope="module", params=LRS)
def real_lrs(request):
    attrs = lrs_attrs(request.param)
    return attrs, lrs_wcs(attrs, REAL_DISTORTION, REAL_SPECWCS[request.param])


def test_wavelength_range_and_direction(real_lrs):
    attrs, wcs = real_lrs
    y, x = _grid(attrs)
    wl = pixel_wavelength(wcs, y, x)
    assert 2.5 < np.nanmin(wl) < 4.0
    assert 13.5 < np.nanmax(wl) < 14.5
    column = int(round(wcs.forward_transform.offset_1.value * -1))
    along = wl[:, column]
    good = np.isfinite(along)
    # wavelength decreases with the row number (blue at the top of the trace)
    assert np.all(np.diff(along[good]) < 0)


def test_pixel_wavelength_equals_full_wcs(real_lrs):
    attrs, wcs = real_lrs
    y, x = _grid(attrs)
    full = wcs(x, y)[2]
    fast = pixel_wavelength(wcs, y, x)
    np.testing.assert_array_equal(np.isnan(full), np.isnan(fast))
    np.testing.assert_allclose(fast, full, rtol=0, atol=1e-12, equal_nan=True)


def test_reference_point_kept_for_pathloss(real_lrs):
    attrs, wcs = real_lrs
    fwd = wcs.get_transform("detector", "world")
    if attrs["EXP_TYPE"] == "MIR_LRS-FIXEDSLIT":
        assert -fwd.offset_1 == pytest.approx(326.13 - 1)
        assert -fwd.offset_2 == pytest.approx(300.7 - 1)
    else:
        assert -fwd.offset_1 == pytest.approx(38.5 - 1)
        assert -fwd.offset_2 == pytest.approx(829.0 - 1 - 528)


def test_world_to_pixel_round_trip(real_lrs):
    attrs, wcs = real_lrs
    y, x = _grid(attrs)
    ra, dec, wl = wcs(x, y)
    inside = np.flatnonzero(np.isfinite(wl))[::211]
    xb, yb = wcs.invert(ra.ravel()[inside], dec.ravel()[inside], wl.ravel()[inside])
    np.testing.assert_allclose(yb, y.ravel()[inside], atol=1e-6)
    # jwst's inverse looks the trace offset up at the row of the inverted
    # wavelength, so x comes back to a few thousandths of a pixel.
    np.testing.assert_allclose(xb, x.ravel()[inside], atol=0.01)


def test_wcs_survives_text_storage(real_lrs):
    attrs, wcs = real_lrs
    ds = make_exposure(
        np.zeros((attrs["SUBSIZE2"], attrs["SUBSIZE1"])),
        attrs=attrs,
        xstart=attrs["SUBSTRT1"],
        ystart=attrs["SUBSTRT2"],
    )
    out = assign_wcs(
        ds, {"distortion": REAL_DISTORTION, "specwcs": REAL_SPECWCS[attrs["EXP_TYPE"]]}
    )
    back = get_wcs(out)
    y, x = _grid(attrs)
    for a, b in zip(wcs(x, y), back(x, y), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parity
@pytest.mark.parametrize("exp_type", LRS)
@pytest.mark.parametrize("extra", EXTRA)
def test_parity_with_jwst_on_real_references(exp_type, extra):
    pytest.importorskip("jwst")
    attrs = lrs_attrs(exp_type, **extra)
    ours = lrs_wcs(attrs, REAL_DISTORTION, REAL_SPECWCS[exp_type])
    theirs = jwst_lrs_wcs(attrs, REAL_DISTORTION, REAL_SPECWCS[exp_type])
    y, x = _grid(attrs)
    a, b = ours(x, y), theirs(x, y)
    for mine, ref, tol in zip(a, b, (1e-9, 1e-9, 1e-6), strict=True):
        np.testing.assert_array_equal(np.isnan(mine), np.isnan(ref))
        np.testing.assert_allclose(mine, ref, rtol=0, atol=tol, equal_nan=True)
    assert np.isfinite(a[2]).sum() > 15000
    assert ours.bounding_box.bounding_box() == theirs.bounding_box.bounding_box()
    # and the inverse
    inside = np.flatnonzero(np.isfinite(b[2]))[::503]
    world = [w.ravel()[inside] for w in b]
    np.testing.assert_allclose(ours.invert(*world), theirs.invert(*world), atol=1e-9)


@pytest.mark.parity
@pytest.mark.parametrize("exp_type", LRS)
def test_assign_wcs_step_matches_jwst_step(exp_type, tmp_path):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst_offline import run_jwst_step

    attrs = lrs_attrs(exp_type, XOFFSET=0.4, YOFFSET=-1.3, VA_SCALE=0.99998)
    model = jwst_model(attrs)
    model.meta.observation.date = "2023-01-01"
    model.meta.observation.time = "00:00:00"
    refs = {"distortion": REAL_DISTORTION, "specwcs": REAL_SPECWCS[exp_type]}
    result = run_jwst_step(AssignWcsStep, model, refs, rest="N/A", tmp_path=tmp_path)

    shape = (attrs["SUBSIZE2"], attrs["SUBSIZE1"])
    ds = make_exposure(
        np.ones((2, *shape)), attrs=attrs, xstart=attrs["SUBSTRT1"], ystart=attrs["SUBSTRT2"]
    )
    out = assign_wcs(ds, refs)
    np.testing.assert_allclose(
        out["wavelength"].values, result.wavelength, atol=1e-6, equal_nan=True
    )
    np.testing.assert_array_equal(np.isnan(out["wavelength"].values), np.isnan(result.wavelength))
    assert out.attrs["DISPAXIS"] == result.meta.wcsinfo.dispersion_direction == 2
    assert out.attrs["SPECSYS"] == result.meta.wcsinfo.specsys
    assert out.attrs.get("S_REGION") == result.meta.wcsinfo.s_region
    if exp_type == "MIR_LRS-FIXEDSLIT":
        assert out.attrs["DITH_RA"] == pytest.approx(result.meta.dither.dithered_ra, abs=1e-10)
        assert out.attrs["DITH_DEC"] == pytest.approx(result.meta.dither.dithered_dec, abs=1e-10)


def test_assign_wcs_records_and_keeps_input():
    attrs = lrs_attrs("MIR_LRS-SLITLESS")
    ds = make_exposure(np.ones((3, 416, 72)), attrs=attrs, xstart=1, ystart=529)
    before = dict(ds.attrs)
    out = assign_wcs(
        ds, {"distortion": REAL_DISTORTION, "specwcs": REAL_SPECWCS["MIR_LRS-SLITLESS"]}
    )
    assert ds.attrs == before
    assert "wavelength" not in ds.coords
    assert out.attrs["S_WCS"] == "COMPLETE"
    assert out.attrs["R_DISTOR"] == "jwst_miri_imager_distortion_flt9.asdf"
    assert out.attrs["R_SPCWCS"] == "jwst_miri_specwcs_0006.fits"
    assert out["wavelength"].dims == ("y", "x")
    # the coordinate is on full-frame rows: row 528 is the first subarray row
    wcs = get_wcs(out)
    row = 829 - 1  # the slitless reference row, full frame
    expected = wcs(37.5, row - 528)[2]
    assert out["wavelength"].sel(y=row, x=37).item() == pytest.approx(
        pixel_wavelength(wcs, row - 528, 37), abs=1e-12
    )
    assert abs(out["wavelength"].sel(y=row, x=37).item() - expected) < 0.05
    # the 4 reference columns carry no wavelength
    assert np.isnan(out["wavelength"].isel(x=slice(0, 4))).all()
    np.testing.assert_array_equal(out["sci"].values, ds["sci"].values)


@settings(deadline=None, max_examples=20)
@given(
    st.lists(st.floats(-20, 1050, allow_nan=False), min_size=1, max_size=30),
    st.lists(st.floats(-20, 1050, allow_nan=False), min_size=1, max_size=30),
)
def test_pixel_wavelength_vectorised(ys, xs):
    attrs = lrs_attrs("MIR_LRS-FIXEDSLIT")
    wcs = _cached_fixed_slit_wcs()
    y = np.asarray(ys)[:, None]
    x = np.asarray(xs)[None, :]
    got = pixel_wavelength(wcs, y, x)
    assert got.shape == (len(ys), len(xs))
    yy, xx = np.broadcast_arrays(y, x)
    np.testing.assert_allclose(got, wcs(xx, yy)[2], atol=1e-12, equal_nan=True)
    assert attrs["EXP_TYPE"] == "MIR_LRS-FIXEDSLIT"


_CACHE: dict[str, object] = {}


def _cached_fixed_slit_wcs():
    if "fs" not in _CACHE:
        _CACHE["fs"] = lrs_wcs(
            lrs_attrs("MIR_LRS-FIXEDSLIT"), REAL_DISTORTION, REAL_SPECWCS["MIR_LRS-FIXEDSLIT"]
        )
    return _CACHE["fs"]


# ---------------------------------------------------------------- errors


def _exposure(exp_type, **extra):
    attrs = lrs_attrs(exp_type, **extra)
    shape = (attrs["SUBSIZE2"], attrs["SUBSIZE1"])
    return make_exposure(
        np.zeros(shape), attrs=attrs, xstart=attrs["SUBSTRT1"], ystart=attrs["SUBSTRT2"]
    )


def test_unknown_exp_type_is_unsupported():
    ds = _exposure("MIR_LRS-FIXEDSLIT", EXP_TYPE="MIR_IMAGE")
    with pytest.raises(UnsupportedModeError, match="MIR_IMAGE"):
        assign_wcs(ds, {})
    assert "MIR_LRS-FIXEDSLIT" in MODES


def test_missing_reference_is_named():
    ds = _exposure("MIR_LRS-FIXEDSLIT")
    with pytest.raises(MissingReferenceError, match="specwcs"):
        assign_wcs(ds, {"distortion": REAL_DISTORTION, "specwcs": "N/A"})


@pytest.mark.parametrize(
    ("specwcs", "match"),
    [
        (REAL + "jwst_miri_specwcs_0018.asdf", "MIRIFULONG"),  # an MRS specwcs
        (REAL_SPECWCS["MIR_LRS-SLITLESS"], "EXP_TYPE"),  # slitless table for the slit
        (REAL + "../nirspec/jwst_nirspec_area_0020.fits", "REFTYPE"),
    ],
)
def test_wrong_specwcs_is_a_mismatch(specwcs, match):
    ds = _exposure("MIR_LRS-FIXEDSLIT")
    with pytest.raises(ReferenceMismatchError, match=match):
        assign_wcs(ds, {"distortion": REAL_DISTORTION, "specwcs": specwcs})


def test_mrs_distortion_is_a_mismatch():
    ds = _exposure("MIR_LRS-FIXEDSLIT")
    with pytest.raises(ReferenceMismatchError, match="distortion"):
        assign_wcs(
            ds,
            {
                "distortion": REAL + "jwst_miri_mrs12A_distortion_flt9.asdf",
                "specwcs": REAL_SPECWCS["MIR_LRS-FIXEDSLIT"],
            },
        )


def test_missing_pointing_keyword_is_named():
    ds = _exposure("MIR_LRS-FIXEDSLIT")
    ds.attrs.pop("RA_REF")
    with pytest.raises(InputFileError, match="RA_REF"):
        assign_wcs(
            ds, {"distortion": REAL_DISTORTION, "specwcs": REAL_SPECWCS["MIR_LRS-FIXEDSLIT"]}
        )


def test_lrs_modes_come_from_the_modes_table():
    """lrs_wcs knows the LRS modes as those whose WCS it builds; slitless is a Mode trait."""
    from spec2x.instruments.miri.lrs_wcs import lrs_mode

    assert not lrs_mode({"EXP_TYPE": "MIR_LRS-FIXEDSLIT"}).slitless
    assert lrs_mode({"EXP_TYPE": " mir_lrs-slitless"}).slitless
    with pytest.raises(UnsupportedModeError, match=r"MIR_LRS-FIXEDSLIT, MIR_LRS-SLITLESS.*MIR_MRS"):
        lrs_mode({"EXP_TYPE": "MIR_MRS"})
