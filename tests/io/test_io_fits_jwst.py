"""Files written by jwst's own datamodels open in spec2x; spec2x files work in jwst steps."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from astropy.io import fits
from helpers import REALDATA

from spec2x.datamodel import make_exposure
from spec2x.io import open_exposure, open_product, write_fits
from spec2x.io.info import describe_dataset
from spec2x.io.info_headers import describe_headers
from spec2x.wcs.store import wcs_object

dm = pytest.importorskip("stdatamodels.jwst.datamodels")

INT_TIMES_DTYPE = [
    ("integration_number", "i4"),
    ("int_start_MJD_UTC", "f8"),
    ("int_mid_MJD_UTC", "f8"),
    ("int_end_MJD_UTC", "f8"),
    ("int_start_BJD_TDB", "f8"),
    ("int_mid_BJD_TDB", "f8"),
    ("int_end_BJD_TDB", "f8"),
]


def _fill(model, rng, shape):
    model.data = rng.normal(size=shape).astype(np.float32)
    model.data.flat[::97] = np.nan
    model.dq = rng.integers(0, 2**32, size=shape, dtype=np.uint64).astype(np.uint32)
    model.err = rng.uniform(0, 1, shape).astype(np.float32)
    model.var_poisson = rng.uniform(0, 1, shape).astype(np.float32)
    model.var_rnoise = rng.uniform(0, 1, shape).astype(np.float32)
    model.var_flat = rng.uniform(0, 1, shape).astype(np.float32)


def _meta(model, exp_type="MIR_LRS-SLITLESS"):
    meta = model.meta
    meta.instrument.name = "MIRI"
    meta.instrument.detector = "MIRIMAGE"
    meta.instrument.filter = "P750L"
    meta.exposure.type = exp_type
    meta.subarray.name = "SLITLESSPRISM"
    meta.subarray.xstart, meta.subarray.ystart = 1, 529
    meta.subarray.xsize, meta.subarray.ysize = 72, 416
    meta.wcsinfo.v2_ref, meta.wcsinfo.v3_ref = -378.63, -344.895
    meta.wcsinfo.roll_ref, meta.wcsinfo.v3yangle, meta.wcsinfo.vparity = 254.3, 4.83, -1
    meta.wcsinfo.ra_ref, meta.wcsinfo.dec_ref = 80.4875, -69.4989
    meta.wcsinfo.s_region = "POLYGON ICRS 80.0 -69.0 80.1 -69.0 80.1 -69.1"
    meta.guidestar.fgs_v2_ref = 12.5
    meta.bunit_data = meta.bunit_err = "DN/s"
    meta.cal_step.flat_field = "COMPLETE"
    meta.exposure.effective_exposure_time = 123.4
    meta.visit.tsovisit = True


def test_jwst_rateints_opens_in_spec2x(tmp_path):
    rng = np.random.default_rng(10)
    shape = (3, 416, 72)
    model = dm.CubeModel(shape)
    _fill(model, rng, shape)
    _meta(model)
    times = np.zeros(3, dtype=INT_TIMES_DTYPE)
    times["integration_number"] = [1, 2, 3]
    times["int_mid_MJD_UTC"] = [60000.0, 60000.1, 60000.2]
    model.int_times = times
    path = tmp_path / "jw_rateints.fits"
    model.save(path)

    ds = open_exposure(path)
    assert ds["sci"].dims == ("integration", "y", "x")
    assert describe_headers(path) == describe_dataset(ds)  # spec2x info from the headers
    for name, arr in [("sci", model.data), ("dq", model.dq), ("err", model.err)]:
        np.testing.assert_array_equal(ds[name].values, arr)
        assert ds[name].dtype == arr.dtype
    np.testing.assert_array_equal(ds["var_flat"].values, model.var_flat)
    np.testing.assert_array_equal(ds["y"].values, np.arange(528, 528 + 416))
    np.testing.assert_array_equal(ds["x"].values, np.arange(72))
    np.testing.assert_array_equal(ds["int_times_int_mid_MJD_UTC"].values, times["int_mid_MJD_UTC"])
    a = ds.attrs
    assert (a["INSTRUME"], a["EXP_TYPE"], a["SUBSTRT2"], a["SUBSIZE1"]) == (
        "MIRI",
        "MIR_LRS-SLITLESS",
        529,
        72,
    )
    assert a["V2_REF"] == -378.63
    assert a["VPARITY"] == -1
    assert a["ROLL_REF"] == 254.3
    assert a["PRIMARY_DUPLICATES"] == {"V2_REF": 12.5}
    assert a["S_FLAT"] == "COMPLETE"
    assert a["XPOSURE"] == 123.4
    assert a["TSOVISIT"] is True
    assert a["DATAMODL"] == "CubeModel"
    assert a["FILENAME"] == "jw_rateints.fits"
    assert ds["sci"].attrs["units"] == "DN/s"
    assert "NAXIS" not in a
    assert "EXTNAME" not in a
    assert "BITPIX" not in a

    # and back through spec2x: stdatamodels sees the same model
    again = dm.open(write_fits(ds, tmp_path / "sx_rateints.fits"))
    assert type(again) is dm.CubeModel
    ours, theirs = again.to_flat_dict(), model.to_flat_dict()
    for key in ("wcsinfo", "subarray", "instrument", "exposure", "guidestar", "cal_step", "visit"):
        prefix = f"meta.{key}."
        mine = {k: v for k, v in ours.items() if k.startswith(prefix)}
        assert mine == {k: v for k, v in theirs.items() if k.startswith(prefix)}, key
        assert mine
    np.testing.assert_array_equal(again.int_times, model.int_times)
    np.testing.assert_array_equal(again.dq, model.dq)


def test_jwst_cal_multislit_opens_in_spec2x(tmp_path):
    rng = np.random.default_rng(11)
    model = dm.MultiSlitModel()
    model.meta.instrument.name = "NIRSPEC"
    model.meta.exposure.type = "NRS_FIXEDSLIT"
    sizes = [(30, 400), (20, 380)]
    for i, (ny, nx) in enumerate(sizes):
        slit = dm.SlitModel((ny, nx))
        _fill(slit, rng, (ny, nx))
        slit.wavelength = rng.uniform(1, 5, (ny, nx)).astype(np.float32)
        slit.name = f"S200A{i + 1}"
        slit.source_id = i + 1
        slit.xstart, slit.ystart, slit.xsize, slit.ysize = 10 * i + 1, 5 * i + 1, nx, ny
        slit.source_type = "POINT"
        slit.source_xpos, slit.source_ypos = 0.1 * i, -0.05
        slit.meta.wcsinfo.s_region = f"POLYGON ICRS {i} 0 1 1"
        model.slits.append(slit)
    path = tmp_path / "jw_cal.fits"
    model.save(path)

    ds = open_product(path)
    assert ds["sci"].dims == ("slit", "y", "x")
    assert ds.sizes == {"slit": 2, "y": 30, "x": 400}
    assert list(ds["slit_name"].values) == ["S200A1", "S200A2"]
    assert list(ds["xstart"].values) == [1, 11]
    assert list(ds["ysize"].values) == [30, 20]
    assert list(ds["srctype"].values) == ["POINT", "POINT"]
    assert list(ds["s_region"].values) == ["POLYGON ICRS 0 0 1 1", "POLYGON ICRS 1 0 1 1"]
    np.testing.assert_array_equal(ds["sci"].values[1, :20, :380], model.slits[1].data)
    np.testing.assert_array_equal(ds["dq"].values[1, :20, :380], model.slits[1].dq)
    assert np.isnan(ds["sci"].values[1, 20:]).all()
    assert (ds["dq"].values[1, :, 380:] == 1 | 2**9).all()  # DO_NOT_USE | NON_SCIENCE
    np.testing.assert_array_equal(ds["wavelength"].values[0], model.slits[0].wavelength)
    assert describe_headers(path) == describe_dataset(ds)  # spec2x info from the headers

    again = dm.open(write_fits(ds, tmp_path / "sx_cal.fits"))
    assert type(again) is dm.MultiSlitModel
    for ours, theirs in zip(again.slits, model.slits, strict=True):
        for attr in ("name", "source_id", "xstart", "ystart", "xsize", "ysize", "source_xpos"):
            assert getattr(ours, attr) == getattr(theirs, attr)
        assert ours.meta.wcsinfo.s_region == theirs.meta.wcsinfo.s_region
        np.testing.assert_array_equal(ours.data, theirs.data)
        np.testing.assert_array_equal(ours.var_rnoise, theirs.var_rnoise)


def test_jwst_x1d_opens_in_spec2x(tmp_path):
    rng = np.random.default_rng(12)
    model = dm.MultiSpecModel()
    model.meta.instrument.name = "NIRSPEC"
    for i, n in enumerate((40, 25)):
        dtype = dm.SpecModel().get_dtype("spec_table")
        table = np.zeros(n, dtype=dtype)
        for name in dtype.names:
            table[name] = rng.uniform(1, 2, n) if name != "DQ" else rng.integers(0, 9, n)
        table["WAVELENGTH"] = np.linspace(1, 5, n)
        spec = dm.SpecModel(spec_table=table)
        spec.spec_table.columns["wavelength"].unit = "um"
        spec.spec_table.columns["flux"].unit = "Jy"
        spec.name = f"S{i}"
        spec.source_type = "POINT"
        spec.spectral_order = 1
        model.spec.append(spec)
    path = tmp_path / "jw_x1d.fits"
    model.save(path)
    ds = open_product(path)
    assert ds["flux"].dims == ("slit", "spectral")
    assert ds.sizes["spectral"] == 40
    assert list(ds["slit_name"].values) == ["S0", "S1"]
    np.testing.assert_array_equal(
        ds["bkg_error"].values[1, :25], model.spec[1].spec_table["BKGD_ERROR"]
    )
    np.testing.assert_array_equal(
        ds["wavelength"].values[0], model.spec[0].spec_table["WAVELENGTH"]
    )
    assert np.isnan(ds["wavelength"].values[1, 25:]).all()
    assert ds["flux"].attrs["units"] == "Jy"
    assert ds["wavelength"].attrs["units"] == "um"
    assert ds["dq"].dtype == np.uint32


@pytest.mark.parity
def test_jwst_assign_wcs_accepts_spec2x_rate_and_spec2x_reads_the_wcs(tmp_path):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst_offline import run_jwst_step

    real = str(REALDATA / "miri") + "/"
    attrs = {
        "INSTRUME": "MIRI",
        "DETECTOR": "MIRIMAGE",
        "FILTER": "P750L",
        "EXP_TYPE": "MIR_LRS-SLITLESS",
        "SUBARRAY": "SLITLESSPRISM",
        "V2_REF": -378.63,
        "V3_REF": -344.895,
        "ROLL_REF": 254.3,
        "RA_REF": 80.4875,
        "DEC_REF": -69.4989,
        "V3I_YANG": 4.83,
        "VPARITY": -1,
        "DATE-OBS": "2023-01-01",
        "TIME-OBS": "00:00:00",
    }
    ds = make_exposure(np.ones((416, 72), np.float32), attrs=attrs, xstart=1, ystart=529)
    path = write_fits(ds, tmp_path / "sx_rate.fits")
    refs = {
        "distortion": real + "jwst_miri_imager_distortion_flt9.asdf",
        "specwcs": real + "jwst_miri_specwcs_0006.fits",
    }
    with dm.open(path) as model:
        result = run_jwst_step(AssignWcsStep, model, refs, rest="N/A", tmp_path=tmp_path)
    assert result.meta.cal_step.assign_wcs == "COMPLETE"
    saved = tmp_path / "jw_assign_wcs.fits"
    result.save(saved)
    back = open_exposure(saved)
    ours = wcs_object(back.attrs["wcs"])
    x, y = np.array([36.0, 38.0]), np.array([300.0, 350.0])
    np.testing.assert_allclose(ours(x, y), result.meta.wcs(x, y), rtol=1e-12, equal_nan=True)
    # and our file with that WCS goes back into jwst with it
    again = dm.open(write_fits(back, tmp_path / "sx_assign_wcs.fits"))
    np.testing.assert_allclose(again.meta.wcs(x, y), result.meta.wcs(x, y), rtol=1e-12)
    xr.testing.assert_identical(
        open_exposure(tmp_path / "sx_assign_wcs.fits"),
        back.assign_attrs(FILENAME="sx_assign_wcs.fits"),
    )


def test_jwst_rate_and_image_cal_open_in_spec2x(tmp_path):
    rng = np.random.default_rng(13)
    shape = (416, 72)
    model = dm.ImageModel(shape)
    _fill(model, rng, shape)
    _meta(model, exp_type="MIR_LRS-FIXEDSLIT")
    model.wavelength = rng.uniform(5, 12, shape).astype(np.float32)
    model.meta.photometry.conversion_megajanskys = 12.5
    path = tmp_path / "jw_cal.fits"
    model.save(path)
    ds = open_exposure(path)
    assert ds["sci"].dims == ("y", "x")
    assert describe_headers(path) == describe_dataset(ds)  # spec2x info from the headers
    np.testing.assert_array_equal(ds["sci"].values, model.data)
    np.testing.assert_array_equal(ds["var_poisson"].values, model.var_poisson)
    np.testing.assert_array_equal(ds["wavelength"].values, model.wavelength)
    assert "wavelength" in ds.coords
    assert ds.attrs["PHOTMJSR"] == 12.5
    assert ds.attrs["EXP_TYPE"] == "MIR_LRS-FIXEDSLIT"
    np.testing.assert_array_equal(ds["y"].values, np.arange(528, 944))
    lazy = open_exposure(path, chunks={"y": 100})
    xr.testing.assert_identical(lazy.compute(), ds)
    again = dm.open(write_fits(ds, tmp_path / "sx_cal.fits"))
    assert type(again) is dm.ImageModel
    np.testing.assert_array_equal(again.wavelength, model.wavelength)
    assert again.meta.photometry.conversion_megajanskys == 12.5
    ours, theirs = again.to_flat_dict(), model.to_flat_dict()
    wcsinfo = {k: v for k, v in theirs.items() if k.startswith("meta.wcsinfo.")}
    assert wcsinfo
    assert {k: v for k, v in ours.items() if k.startswith("meta.wcsinfo.")} == wcsinfo


@pytest.mark.parity
def test_jwst_x1dints_opens_in_spec2x(tmp_path):
    pytest.importorskip("jwst")
    from jwst.datamodels.utils.tso_multispec import make_tso_specmodel

    specs = []
    for i in range(3):
        table = np.zeros(20, dtype=dm.SpecModel().get_dtype("spec_table"))
        table["WAVELENGTH"] = np.linspace(5, 12, 20)
        table["FLUX"] = i + np.arange(20)
        spec = dm.SpecModel(spec_table=table)
        spec.spec_table.columns["flux"].unit = "Jy"
        spec.source_type = "POINT"
        spec.spectral_order = 1
        specs.append(spec)
    model = dm.TSOMultiSpecModel()
    model.spec.append(make_tso_specmodel(specs))
    model.save(tmp_path / "jw_x1dints.fits")
    ds = open_product(tmp_path / "jw_x1dints.fits")
    assert ds["flux"].dims == ("integration", "spectral")
    np.testing.assert_array_equal(ds["flux"].values, [i + np.arange(20) for i in range(3)])
    np.testing.assert_array_equal(ds["int_num"].values, [1, 2, 3])
    assert ds["flux"].attrs["units"] == "Jy"
    assert ds["spectral_order"].item() == 1
    assert ds.attrs["DATAMODL"] == "TSOMultiSpecModel"


def test_keywords_a_header_rounds_are_still_written(tmp_path):
    """A float needing more than 20 characters, or BUNIT in attrs, reaches jwst; spec2x stays exact."""
    attrs = {
        "INSTRUME": "NIRSPEC",
        "DETECTOR": "NRS1",
        "EXP_TYPE": "NRS_FIXEDSLIT",
        "XOFFSET": 0.05,
        "YOFFSET": -0.0036489096916468983,  # repr needs 22 characters
        "V2_REF": 321.87000000000000455,
        "RA_REF": 53.123456789012345678,  # SCI header
        "BUNIT": "DN/s",
        "TITLE": "a long title " * 12 + "end",  # CONTINUE cards
        "TRAILING": "spaces  ",  # a FITS header strips them
    }
    ds = make_exposure(np.ones((8, 10), np.float32), attrs=attrs)
    path = write_fits(ds, tmp_path / "sx_rate.fits")
    with fits.open(path) as hdul:
        primary, sci = hdul[0].header, hdul["SCI"].header
        assert primary["YOFFSET"] == pytest.approx(attrs["YOFFSET"], rel=1e-14, abs=0)
        assert primary["BUNIT"] == "DN/s"
        assert primary["TITLE"] == attrs["TITLE"]
        assert primary["TRAILING"] == "spaces"
        assert sci["RA_REF"] == pytest.approx(attrs["RA_REF"], rel=1e-14)
        assert sci["BUNIT"] == "DN/s"
    with dm.open(path) as model:
        assert model.meta.dither.y_offset == pytest.approx(attrs["YOFFSET"], rel=1e-14, abs=0)
        assert model.meta.dither.x_offset == 0.05
        assert model.meta.wcsinfo.ra_ref == pytest.approx(attrs["RA_REF"], rel=1e-14)
        assert model.meta.bunit_data == "DN/s"
    back = open_exposure(path)
    xr.testing.assert_identical(
        back, ds.assign_attrs(FILENAME="sx_rate.fits", DATAMODL="ImageModel")
    )
    assert back.attrs["YOFFSET"] == attrs["YOFFSET"]
    assert back.attrs["TRAILING"] == "spaces  "


@pytest.mark.parametrize(
    ("instrument", "exp_type", "keeps"),
    [("NIRSPEC", "NRS_IFU", True), ("MIRI", "MIR_MRS", True), ("NIRSPEC", "NRS_FIXEDSLIT", False)],
)
def test_ifu_file_keeps_the_spectral_region_beside_s_region(tmp_path, instrument, exp_type, keeps):
    """jwst's cube_build takes its footprint from S_REGION only beside
    ``meta.wcsinfo.spectral_region`` (assign_wcs records both for the IFU types): an IFU
    exposure's file carries the range of its finite wavelengths there, others none."""
    wave = np.linspace(0.6, 5.3, 80).reshape(8, 10)
    wave[0, :3] = np.nan
    region = "POLYGON ICRS  53.099480004 -27.800514134 53.100519009 -27.800514134"
    attrs = {"INSTRUME": instrument, "EXP_TYPE": exp_type, "S_REGION": region}
    ds = make_exposure(np.ones((8, 10), np.float32), attrs=attrs)
    ds = ds.assign_coords(wavelength=(("y", "x"), wave))
    with dm.open(write_fits(ds, tmp_path / "sx_cal.fits")) as model:
        assert model.meta.wcsinfo.s_region == region
        found = getattr(model.meta.wcsinfo, "spectral_region", None)
        assert found == ([float(wave[0, 3]), 5.3] if keeps else None)
