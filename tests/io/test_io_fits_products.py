"""Every product kind spec2x writes opens in stdatamodels as the official model (and in specutils)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from spec2x.io import open_product, write_fits

sys.path.insert(0, str(Path(__file__).parent))
import products  # noqa: E402

dm = pytest.importorskip("stdatamodels.jwst.datamodels")

MODELS = {
    "rateints": "CubeModel",
    "slits": "MultiSlitModel",
    "s2d": "SlitModel",
    "s2d_multi": "MultiSlitModel",
    "x1d": "MultiSpecModel",
    "x1dints": "TSOMultiSpecModel",
    "cube": "IFUCubeModel",
    "calints_slit": "SlitModel",
    "ifu_cal": "IFUImageModel",
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_exact_and_right_model(name, tmp_path):
    ds = products.PRODUCTS[name]()
    path = write_fits(ds, tmp_path / f"p_{name}.fits")
    back = open_product(path)
    xr.testing.assert_identical(back, ds.assign_attrs(FILENAME=path.name, DATAMODL=MODELS[name]))
    with dm.open(path) as model:
        assert type(model).__name__ == MODELS[name]
    assert not list(tmp_path.glob(".*tmp"))


def test_slits_in_stdatamodels(tmp_path):
    ds = products.slits()
    with dm.open(write_fits(ds, tmp_path / "x_cal.fits")) as model:
        assert [s.name for s in model.slits] == list(ds["slit_name"].values)
        for i, slit in enumerate(model.slits):
            ny, nx = products.SLIT_SIZES[i]
            assert slit.data.shape == (ny, nx)
            np.testing.assert_array_equal(slit.data, ds["sci"].values[i, :ny, :nx])
            np.testing.assert_array_equal(slit.dq, ds["dq"].values[i, :ny, :nx])
            np.testing.assert_allclose(
                slit.wavelength, ds["wavelength"].values[i, :ny, :nx], rtol=1e-7
            )
            assert slit.xstart == ds["xstart"].values[i]
            assert slit.ysize == ny
            assert slit.source_id == ds["source_id"].values[i]
            assert slit.source_type == ds["srctype"].values[i]
            assert slit.source_xpos == ds["source_xpos"].values[i]
            assert slit.meta.wcsinfo.v2_ref == 321.0
        assert model.meta.cal_step.extract_2d == "COMPLETE"


def test_s2d_wcs_in_stdatamodels_and_specutils(tmp_path):
    specutils = pytest.importorskip("specutils")
    from spec2x.wcs.store import get_wcs

    for nslit, fmt in ((1, "JWST s2d"), (2, "JWST s2d multi")):
        ds = products.s2d(nslit=nslit)
        path = write_fits(ds, tmp_path / f"x{nslit}_s2d.fits")
        with dm.open(path) as model:
            slits = [model] if nslit == 1 else list(model.slits)
            for slit, name in zip(slits, ds["slit_name"].values, strict=True):
                ours = get_wcs(ds, slit=str(name))
                np.testing.assert_allclose(slit.meta.wcs(3.0, 4.0), ours(3.0, 4.0))
                np.testing.assert_array_equal(slit.con, 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spectra = specutils.SpectrumList.read(path, format=fmt)
        assert len(spectra) == nslit
        np.testing.assert_allclose(spectra[0].spectral_axis.value, ds["wavelength"].values[0, 0])
        assert spectra[0].flux.unit == "MJy / sr"


def test_x1d_in_stdatamodels_and_specutils(tmp_path):
    specutils = pytest.importorskip("specutils")
    ds = products.x1d()
    path = write_fits(ds, tmp_path / "x_x1d.fits")
    with dm.open(path) as model:
        assert len(model.spec) == 2
        table = model.spec[1].spec_table
        assert len(table) == 40  # trailing NaN-wavelength padding is not written
        np.testing.assert_array_equal(table["FLUX"], ds["flux"].values[1, :40])
        np.testing.assert_array_equal(table["BKGD_ERROR"], ds["bkg_error"].values[1, :40])
        np.testing.assert_array_equal(model.spec[0].spec_table["DQ"], ds["dq"].values[0])
        assert model.spec[1].name == "S200A2"
        assert model.spec[1].source_type == "EXTENDED"
        assert model.spec[0].spec_table.columns["WAVELENGTH"].unit == "um"
        assert model.spec[0].spec_table.columns["FLUX"].unit == "Jy"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spectra = specutils.SpectrumList.read(path, format="JWST x1d multi")
    assert len(spectra) == 2
    np.testing.assert_array_equal(spectra[0].flux.value, ds["flux"].values[0])  # POINT -> FLUX
    np.testing.assert_array_equal(spectra[1].flux.value, ds["surf_bright"].values[1, :40])
    np.testing.assert_array_equal(spectra[0].spectral_axis.value, ds["wavelength"].values[0])


def test_x1dints_in_stdatamodels(tmp_path):
    ds = products.x1dints()
    with dm.open(write_fits(ds, tmp_path / "x_x1dints.fits")) as model:
        assert len(model.spec) == 1
        table = model.spec[0].spec_table
        assert table["FLUX"].shape == (4, 30)  # one row per integration, vector columns
        np.testing.assert_array_equal(table["FLUX"], ds["flux"].values)
        np.testing.assert_array_equal(table["INT_NUM"], [1, 2, 3, 4])
        np.testing.assert_array_equal(table["N_ALONGDISP"], 30)
        np.testing.assert_array_equal(table["MJD-AVG"], ds["mjd_avg"].values)
        assert model.spec[0].spectral_order == 1


def test_cube_in_stdatamodels_and_specutils(tmp_path):
    specutils = pytest.importorskip("specutils")
    ds = products.cube()
    path = write_fits(ds, tmp_path / "x_s3d.fits")
    with dm.open(path) as model:
        np.testing.assert_array_equal(model.weightmap, ds["weightmap"].values)
        assert model.meta.wcsinfo.cdelt3 == 0.01
        np.testing.assert_allclose(model.meta.wcs(1, 1, 1), (10.00001, -4.99999, 1.01))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spectrum = specutils.Spectrum.read(path, format="JWST s3d")
    assert spectrum.flux.shape == ds["sci"].shape
