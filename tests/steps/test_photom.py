"""photom: kernel numbers, the step's behaviour, bad input, properties."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from helpers import raise_if_dask_computes
from hypothesis import given, settings
from strategies import exposures, slits

from spec2x import make_exposure, open_reference
from spec2x._kernels.photom import (
    conversion,
    dispersion,
    grism_conversion,
    response_curve,
    time_correction,
)
from spec2x.dq import DQ
from spec2x.errors import MissingReferenceError, StepOrderError, UnsupportedModeError
from spec2x.io.references import ReferenceSet
from spec2x.steps import StepContext
from spec2x.steps.photom import A2_TO_SR, MJSR_TO_UJA2, from_chain, photom
from spec2x.synthetic.pixel_refs import (
    write_miri_photom,
    write_nirspec_fs_area,
    write_nirspec_fs_photom,
    write_pixel_area,
)

MIRI = {
    "INSTRUME": "MIRI",
    "DETECTOR": "MIRIMAGE",
    "EXP_TYPE": "MIR_LRS-FIXEDSLIT",
    "FILTER": "P750L",
    "SUBARRAY": "FULL",
}
AREAS = {"S200A1": 0.0220, "S200A2": 0.0218, "S400A1": 0.0430}


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    d = tmp_path_factory.mktemp("photom")
    waves = np.linspace(3.0, 16.0, 27)
    miri = write_miri_photom(
        d / "miri_photom.fits", wavelength_um=waves, relresponse=1.0 + 0.05 * waves, photmjsr=0.5
    )
    rows = [
        {
            "filter": "CLEAR",
            "grating": "PRISM",
            "slit": s,
            "photmj": 0.002 * (i + 1),
            "wavelength": np.linspace(0.6, 5.3, 30),
            "relresponse": np.linspace(0.9, 1.1, 30),
        }
        for i, s in enumerate(AREAS)
    ]
    nrs = write_nirspec_fs_photom(d / "nrs_photom.fits", rows=rows)
    area = write_nirspec_fs_area(d / "nrs_area.fits", pixarea=AREAS)
    pix = write_pixel_area(
        d / "miri_area.fits",
        instrument="MIRI",
        detector="MIRIMAGE",
        shape=(20, 20),
        pixar_sr=3.0e-13,
        pixar_a2=0.0128,
    )
    return {
        k: open_reference(v)
        for k, v in {"miri": miri, "nrs": nrs, "area": area, "pixarea": pix}.items()
    }


# ---------------------------------------------------------------- kernels


def test_response_curve_truncates_sorts_and_converts_metres():
    w, r = response_curve(
        np.array([3e-6, 1e-6, 2e-6, 0.0]), np.array([3.0, 1.0, 2.0, 0.0]), nelem=3
    )
    np.testing.assert_allclose(w, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(r, [1.0, 2.0, 3.0])


def test_conversion_hand_computed():
    wl = np.array([[1.5, 2.5, 3.5, np.nan]])
    factor, no_cal = conversion(wl, np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]), 2.0)
    np.testing.assert_allclose(factor, [[3.0, 6.0, 0.0, 0.0]])
    np.testing.assert_array_equal(no_cal, [[False, False, True, True]])
    # per slit curves, NaN padded
    waves = np.array([[1.0, 2.0, np.nan], [1.0, 2.0, 3.0]])
    resps = np.array([[1.0, 1.0, np.nan], [2.0, 2.0, 2.0]])
    factor, no_cal = conversion(np.array([wl, wl]), waves, resps, np.array([1.0, 10.0]))
    np.testing.assert_allclose(factor[:, 0], [[1.0, 0, 0, 0], [20.0, 20.0, 0, 0]])


def test_grism_conversion_per_micron_one_cutout_at_a_time():
    # one cut-out of 1 x 3 in a padded 2 x 4 plane: 2 per µm / 0.5 µm per pixel
    wl = np.full((1, 2, 4), np.nan, np.float32)
    wl[0, 0, :3] = [1.0, 1.5, 2.0]
    factor, no_cal = grism_conversion(wl, np.array([0.5, 3.0]), np.array([1.0, 1.0]), 2.0, 1, 3, 1)
    np.testing.assert_array_equal(factor, [[[4.0, 4.0, 4.0, 0.0], [0.0, 0.0, 0.0, 0.0]]])
    np.testing.assert_array_equal(no_cal[0], [[False] * 3 + [True], [True] * 4])
    # a group of cut-outs: bit for bit the whole group's conversion over its dispersion
    rng = np.random.default_rng(5)
    wl = rng.uniform(1.0, 4.0, (6, 5, 9)).astype(np.float32)
    wl[:, :, 7:] = np.nan
    wl[2, 1, 3] = np.nan
    ys, xs = np.array([5, 4, 5, 3, 5, 1]), np.array([7, 7, 6, 7, 2, 7])
    waves = np.tile(np.linspace(0.5, 4.5, 8), (6, 1))
    resps = rng.uniform(0.5, 2.0, (6, 8))
    scalars = rng.uniform(1.0, 3.0, 6)
    whole, bad = conversion(wl, waves, resps, scalars)
    with np.errstate(divide="ignore", invalid="ignore"):
        whole = whole / dispersion(wl, ys, xs, 2)
    bad |= np.isnan(whole)
    whole[bad] = 0.0
    factor, no_cal = grism_conversion(wl, waves, resps, scalars, ys, xs, 2)
    np.testing.assert_array_equal(factor, whole)
    np.testing.assert_array_equal(no_cal, bad)
    assert 0 < no_cal.mean() < 1


def test_time_correction_forms():
    lin = {"linear": {"t0": np.array([100.0]), "lossperyear": np.array([0.1])}}
    assert time_correction(465.0, lin, 0) == pytest.approx(0.9)
    exp = {
        "exponential": {
            "t0": np.array([0.0]),
            "amplitude": np.array([0.5]),
            "tau": np.array([10.0]),
            "const": np.array([0.5]),
        }
    }
    assert time_correction(10.0, exp, 0) == pytest.approx(0.5 * np.exp(-1) + 0.5)
    pl = {
        "powerlaw": {
            "t0": np.array([0.0]),
            "year1value": np.array([0.8]),
            "tsoft": np.array([0.0]),
            "alpha": np.array([-0.5]),
        }
    }
    assert time_correction(365.0, pl, 0) == pytest.approx(0.8)


# ---------------------------------------------------------------- the step


def _miri(shape=(10, 4), attrs=None):
    gen = np.random.default_rng(0)
    ds = make_exposure(
        gen.normal(5.0, 1.0, shape),
        var_poisson=np.full(shape, 0.2),
        var_rnoise=np.full(shape, 0.1),
        attrs={**MIRI, **(attrs or {})},
        xstart=3,
        ystart=4,
    )
    wl = np.broadcast_to(np.linspace(2.0, 17.0, shape[-2])[:, None], shape[-2:]).copy()
    return ds.assign_coords(wavelength=(("y", "x"), wl))


def test_miri_lrs_step(refs):
    ds = _miri()
    before = ds.copy(deep=True)
    out = photom(ds, refs["miri"])
    xr.testing.assert_identical(ds, before)
    wl = ds["wavelength"].values
    inside = (wl >= 3.0) & (wl <= 16.0)
    expected = ds["sci"].values * 0.5 * (1.0 + 0.05 * wl)
    np.testing.assert_allclose(out["sci"].values[inside], expected[inside], rtol=1e-6)
    assert np.isnan(out["sci"].values[~inside]).all()
    assert (out["dq"].values[~inside] & DQ.DO_NOT_USE).all()
    assert out["sci"].attrs["units"] == "MJy/sr"
    assert out["var_poisson"].attrs["units"] == "(MJy/sr)^2"
    assert out.attrs["PHOTMJSR"] == pytest.approx(0.5)
    assert out.attrs["PHOTUJA2"] == pytest.approx(0.5 * MJSR_TO_UJA2)
    assert out.attrs["PIXAR_SR"] == pytest.approx(2.84403609523084e-13)
    assert out.attrs["S_PHOTOM"] == "COMPLETE"
    assert out.attrs["R_PHOTOM"] == "miri_photom.fits"
    back = photom(out, refs["miri"], inverse=True)
    np.testing.assert_allclose(back["sci"].values[inside], ds["sci"].values[inside], rtol=1e-6)
    assert back["sci"].attrs["units"] == "DN/s"


def test_area_image_and_pixar_from_the_area_file(refs):
    out = photom(_miri(), refs["miri"], area=refs["pixarea"])
    assert out.attrs["PIXAR_SR"] == pytest.approx(3.0e-13)
    assert out.attrs["PIXAR_A2"] == pytest.approx(0.0128)
    np.testing.assert_array_equal(out["area"].values, refs["pixarea"].content.image[3:13, 2:6])
    assert out.attrs["R_AREA"] == "miri_area.fits"


def test_generic_subarray_row_is_the_fallback(tmp_path):
    path = write_miri_photom(
        tmp_path / "p.fits",
        wavelength_um=[1.0, 20.0],
        relresponse=[1.0, 1.0],
        photmjsr=3.0,
        subarrays=("GENERIC",),
    )
    out = photom(_miri(attrs={"SUBARRAY": "SLITLESSPRISM"}), open_reference(path))
    assert out.attrs["PHOTMJSR"] == pytest.approx(3.0)


def _fs():
    names = list(AREAS)
    gen = np.random.default_rng(1)
    shape = (3, 4, 12)
    ds = make_exposure(
        gen.normal(5.0, 1.0, shape),
        var_poisson=np.full(shape, 0.2),
        attrs={
            "INSTRUME": "NIRSPEC",
            "DETECTOR": "NRS1",
            "EXP_TYPE": "NRS_FIXEDSLIT",
            "FILTER": "CLEAR",
            "GRATING": "PRISM",
        },
    )
    wl = np.broadcast_to(np.linspace(0.7, 5.0, 12), shape).copy()
    return (
        ds.rename({"integration": "slit"})
        .drop_vars("slit")
        .assign_coords(
            slit_name=("slit", names),
            srctype=("slit", ["POINT", "EXTENDED", "POINT"]),
            wavelength=(("slit", "y", "x"), wl),
        )
    )


def test_nirspec_fs_point_and_extended(refs):
    ds = _fs()
    out = photom(ds, refs["nrs"], area=refs["area"])
    assert list(out["bunit_data"].values) == ["MJy", "MJy/sr", "MJy"]
    assert "see bunit_data" in out["sci"].attrs["units"]
    sr = np.array(list(AREAS.values())) * A2_TO_SR
    np.testing.assert_allclose(out["pixar_sr"].values, sr, rtol=1e-6)
    np.testing.assert_allclose(out["photmjsr"].values, [0.002, 0.004 / sr[1], 0.006], rtol=1e-6)
    ext = photom(ds, refs["nrs"], area=refs["area"], source_type="EXTENDED")
    assert set(ext["bunit_data"].values) == {"MJy/sr"}
    assert ext["sci"].attrs["units"] == "MJy/sr"
    np.testing.assert_allclose(ext["sci"].values[0], out["sci"].values[0] / sr[0], rtol=1e-6)
    np.testing.assert_allclose(ext["sci"].values[1], out["sci"].values[1], rtol=1e-6)


def test_point_source_slits_keep_point_and_uniform_conversions(refs):
    ds = _fs()
    shifted = ds["wavelength"].values + 0.01
    ds = ds.assign_coords(wavelength_uncorrected=(ds["wavelength"].dims, shifted))
    out = photom(ds, refs["nrs"], area=refs["area"])
    ratio = out["sci"].values[0] / ds["sci"].values[0]
    np.testing.assert_allclose(out["photom_point"].values[0], ratio, rtol=1e-5)
    sr0 = AREAS["S200A1"] * A2_TO_SR
    rel = 0.9 + 0.2 * (shifted[0] - 0.6) / 4.7
    np.testing.assert_allclose(out["photom_uniform"].values[0], 0.002 / sr0 * rel, rtol=1e-5)
    assert np.isnan(out["photom_point"].values[1]).all()
    assert np.isnan(out["photom_uniform"].values[1]).all()


def test_slits_sharing_one_wavelength_image(refs):
    ds = _fs()
    one = ds.assign_coords(wavelength=(("y", "x"), ds["wavelength"].values[0]))
    a = photom(ds, refs["nrs"], area=refs["area"])
    b = photom(one, refs["nrs"], area=refs["area"])
    np.testing.assert_array_equal(a["sci"].values, b["sci"].values)


def test_no_row_for_the_configuration_names_it(refs):
    ds = _fs().assign_attrs(GRATING="G395H", FILTER="F290LP")
    with pytest.raises(
        MissingReferenceError,
        match=r"FILTER='F290LP', GRATING='G395H', SLIT='S200A1'.*CLEAR/PRISM/S200A1",
    ):
        photom(ds, refs["nrs"], area=refs["area"])
    with pytest.raises(MissingReferenceError, match="FILTER='F1000W'"):
        photom(_miri(attrs={"FILTER": "F1000W"}), refs["miri"])


def test_nirspec_needs_an_area_file(refs):
    with pytest.raises(MissingReferenceError, match="area reference"):
        photom(_fs(), refs["nrs"])


def test_slit_missing_from_the_area_table_gets_unit_area(refs, caplog):
    ds = _fs().assign_coords(slit_name=("slit", ["S200A1", "S200A2", "S200B1"]))
    rows = [
        {
            "filter": "CLEAR",
            "grating": "PRISM",
            "slit": "S200B1",
            "photmj": 0.5,
            "wavelength": [0.5, 6.0],
            "relresponse": [1.0, 1.0],
        }
    ]
    extra = open_reference(
        write_nirspec_fs_photom(refs["nrs"].path.replace("nrs_photom", "b1"), rows=rows)
    )
    out = photom(ds.isel(slit=[2]), extra, area=refs["area"])
    assert "S200B1 not in area table" in caplog.text
    assert out["pixar_sr"].values[0] == 1.0
    assert out["photmjsr"].values[0] == pytest.approx(0.5)


def test_bad_mode_and_order(refs):
    with pytest.raises(UnsupportedModeError, match="NRS_LAMP"):
        photom(_fs().assign_attrs(EXP_TYPE="NRS_LAMP"), refs["nrs"], area=refs["area"])
    with pytest.raises(StepOrderError, match="assign_wcs"):
        photom(_miri().drop_vars("wavelength"), refs["miri"])
    with pytest.raises(StepOrderError, match="slit_name"):
        photom(_fs().drop_vars("slit_name"), refs["nrs"], area=refs["area"])


def test_all_nan_integration_is_flagged_not_fatal(refs):
    ds = _miri((3, 10, 4))
    sci = ds["sci"].values.copy()
    sci[2] = np.nan
    out = photom(ds.assign(sci=(ds["sci"].dims, sci, ds["sci"].attrs)), refs["miri"])
    assert np.isnan(out["sci"].values[2]).all()
    assert (out["dq"].values[2] & DQ.DO_NOT_USE).all()
    assert np.isfinite(out["sci"].values[0]).any()


def test_from_chain(refs):
    ctx = StepContext(
        "photom",
        ReferenceSet({"photom": refs["miri"], "area": "N/A"}),
        params={"inverse": False, "source_type": None, "apply_time_correction": True},
    )
    assert from_chain(_miri(), ctx).attrs["S_PHOTOM"] == "COMPLETE"
    skip = StepContext("photom", ReferenceSet({"photom": "N/A", "area": "N/A"}))
    assert from_chain(_miri(), skip).attrs["S_PHOTOM"] == "SKIPPED"


# ---------------------------------------------------------------- properties


def _check(ds, out):
    assert ((out["dq"].values & ds["dq"].values) == ds["dq"].values).all()
    for name in ("var_poisson", "var_rnoise", "var_flat"):
        v = out[name].values
        assert (v[np.isfinite(v)] >= 0).all()
    total = (out["var_poisson"] + out["var_rnoise"] + out["var_flat"]).values
    np.testing.assert_allclose(out["err"].values ** 2, total, rtol=1e-5, atol=1e-30)
    np.testing.assert_array_equal(
        np.isnan(out["sci"].values), (out["dq"].values & DQ.DO_NOT_USE) != 0
    )


@settings(max_examples=15, deadline=None)
@given(ds=exposures())
def test_exposure_properties(refs, ds):
    before = ds.copy(deep=True)
    out = photom(ds, refs["miri"])
    xr.testing.assert_identical(ds, before)
    _check(ds, out)
    scaled = photom(ds.assign(sci=ds["sci"] * 3), refs["miri"])
    np.testing.assert_allclose(scaled["sci"].values, 3 * out["sci"].values, rtol=1e-6)


@settings(max_examples=15, deadline=None)
@given(ds=slits())
def test_slit_properties(refs, ds):
    before = ds.copy(deep=True)
    out = photom(ds, refs["nrs"], area=refs["area"])
    xr.testing.assert_identical(ds, before)
    _check(ds, out)


def _chunk(ds, dim):
    out = ds.copy()
    for name in ds.data_vars:
        chunks = tuple(1 if d == dim else -1 for d in ds[name].dims)
        out[name] = ds[name].copy(data=da.from_array(ds[name].values, chunks=chunks))
    return out


@settings(max_examples=8, deadline=None)
@given(ds=exposures(integrations=True))
def test_dask_exposure_matches_numpy(refs, ds):
    with raise_if_dask_computes():
        lazy = photom(_chunk(ds, "integration"), refs["miri"])
    assert lazy["sci"].chunks is not None
    xr.testing.assert_identical(lazy.compute(), photom(ds, refs["miri"]))


@settings(max_examples=8, deadline=None)
@given(ds=slits())
def test_dask_slits_match_numpy(refs, ds):
    chunked = _chunk(ds, "slit")
    wl = da.from_array(ds["wavelength"].values, chunks=(1, -1, -1))
    chunked = chunked.assign_coords(wavelength=(ds["wavelength"].dims, wl))
    with raise_if_dask_computes():
        lazy = photom(chunked, refs["nrs"], area=refs["area"])
    expected = photom(ds, refs["nrs"], area=refs["area"])
    xr.testing.assert_identical(
        lazy.compute(), expected.assign_coords(wavelength=expected["wavelength"])
    )
