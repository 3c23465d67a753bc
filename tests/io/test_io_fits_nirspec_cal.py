"""A NIRSpec fixed-slit cal product written by spec2x: what jwst reads from it, and its round trip."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import asdf
import numpy as np
import pytest
import xarray as xr
from astropy.io import fits

from spec2x.io import open_product, write_fits

sys.path.insert(0, str(Path(__file__).parent))
from nrs_cal_product import CAL_ARRAYS, nirspec_cal  # noqa: E402

dm = pytest.importorskip("stdatamodels.jwst.datamodels")

#: Keywords of a real rate file jwst needs in ResampleSpecStep (times, dispersion axis).
LEVEL1_KEYWORDS = {
    "DISPAXIS": 1,
    "DATE-OBS": "2026-01-02",
    "TIME-OBS": "03:04:05.678",
    "EXPSTART": 61042.128,
    "EXPMID": 61042.129,
    "EXPEND": 61042.13,
    "EFFEXPTM": 100.0,
    "DURATION": 100.0,
}


@pytest.fixture(scope="module")
def cal():
    ds = nirspec_cal()
    ds.attrs.update(LEVEL1_KEYWORDS)
    return ds


@pytest.fixture(scope="module")
def cal_path(cal, tmp_path_factory):
    return write_fits(cal, tmp_path_factory.mktemp("nrs_cal") / "nrs_fs_cal.fits")


def _asdf_tree(path):
    with fits.open(path) as hdul:
        raw = hdul["ASDF"].data["ASDF_METADATA"][0].tobytes()
    with asdf.open(io.BytesIO(raw), lazy_load=False, memmap=False) as af:
        return af.tree


def test_slit_meta_is_written_as_jwst_does(cal, cal_path):
    """Each slit of the ASDF tree carries model_type SlitModel and the date, as jwst saves it."""
    tree = _asdf_tree(cal_path)
    meta = tree["slits"][0]["meta"]
    assert meta["model_type"] == "SlitModel"
    assert meta["date"] == cal.attrs["DATE"]
    assert "wcs" in meta
    with dm.open(cal_path) as model:
        assert isinstance(model, dm.MultiSlitModel)
        assert [s.meta.model_type for s in model.slits] == ["SlitModel"]
        assert model.slits[0].name == "S200A1"


@pytest.mark.parity
def test_jwst_resample_spec_and_extract_1d_run_on_our_cal(cal, cal_path):
    """jwst's ResampleSpecStep then Extract1dStep on our cal give spec2x's own s2d numbers."""
    pytest.importorskip("jwst")
    from jwst.extract_1d import Extract1dStep
    from jwst.resample import ResampleSpecStep
    from jwst_offline import jwst_offline_env, run_jwst_step

    from spec2x.steps.resample_spec import resample_spec
    from spec2x.synthetic.extract_refs import NIRSPEC_FS_APERTURES, write_extract1d

    folder = Path(cal_path).parent
    with jwst_offline_env(folder):
        s2d = ResampleSpecStep.call(str(cal_path))
    assert isinstance(s2d, dm.MultiSlitModel)
    theirs = s2d.slits[0]
    ours = resample_spec(cal).isel(slit=0)
    h, w = theirs.data.shape
    one = ours.isel(y=slice(0, h), x=slice(0, w))
    assert (int(one["ysize"]), int(one["xsize"])) == (h, w)
    for name, ref in (("sci", theirs.data), ("err", theirs.err), ("var_rnoise", theirs.var_rnoise)):
        np.testing.assert_allclose(
            one[name].values, ref, rtol=1e-5, atol=1e-7, equal_nan=True, err_msg=name
        )
    assert np.isfinite(theirs.data).sum() > 0.5 * theirs.data.size

    ref = write_extract1d(
        folder / "x1d.json", NIRSPEC_FS_APERTURES, instrument="NIRSPEC", exp_type="NRS_FIXEDSLIT"
    )
    x1d = run_jwst_step(Extract1dStep, s2d, {"extract1d": str(ref), "apcorr": "N/A"}, rest="N/A")
    table = x1d.spec[0].spec_table
    good = np.isfinite(table["FLUX"])
    assert good.sum() > 0.5 * len(table)
    # a point source in MJy: FLUX (Jy) is the sum over the 6-pixel aperture of sci ~ 5 MJy
    assert 20e6 < np.nanmedian(table["FLUX"][good]) < 40e6


def test_rounded_keywords_reach_jwst_and_the_round_trip_stays_exact(cal, cal_path):
    """YOFFSET needs 22 characters: the header holds it rounded, the spec2x node exactly."""
    with fits.open(cal_path) as hdul:
        assert hdul[0].header["YOFFSET"] == pytest.approx(cal.attrs["YOFFSET"], rel=1e-14, abs=0)
    with dm.open(cal_path) as model:
        assert model.meta.dither.y_offset == pytest.approx(cal.attrs["YOFFSET"], rel=1e-14, abs=0)
    back = open_product(cal_path)
    xr.testing.assert_identical(back, cal.assign_attrs(FILENAME=Path(cal_path).name))


def test_calibration_arrays_and_slit_keywords_reach_stdatamodels(cal, cal_path):
    """flat/pathloss/photom arrays and per-slit keywords land where jwst's SlitModel has them."""
    with dm.open(cal_path) as model:
        slit = model.slits[0]
        ny, nx = slit.data.shape
        assert (ny, nx) == (int(cal["ysize"][0]), int(cal["xsize"][0]))
        for name in CAL_ARRAYS:
            np.testing.assert_array_equal(getattr(slit, name), cal[name].values[0, :ny, :nx])
        np.testing.assert_array_equal(
            slit.wavelength, cal["wavelength"].values[0, :ny, :nx].astype(np.float32)
        )
        assert slit.source_type == "POINT"
        assert slit.pathloss_correction_type == "POINT"
        assert slit.wavelength_corrected is True
        assert slit.slit_ymin == float(cal["slit_ymin"][0])
        assert slit.slit_ymax == float(cal["slit_ymax"][0])
        assert slit.meta.bunit_data == slit.meta.bunit_err == "MJy"
        photometry = slit.meta.photometry
        assert photometry.conversion_megajanskys == float(cal["photmjsr"][0])
        assert photometry.conversion_microjanskys == float(cal["photuja2"][0])
        for attr, coord in (
            ("pixelarea_steradians", "pixar_sr"),
            ("pixelarea_arcsecsq", "pixar_a2"),
        ):
            assert getattr(photometry, attr) == pytest.approx(float(cal[coord][0]), rel=1e-14)


def test_mixed_slit_units_and_values_jwst_refuses(tmp_path):
    """Per-slit BUNIT (MJy/MJy/sr); PTHLOSS NONE and SRCTYPE '' stay out of the headers, exactly kept."""
    import warnings

    import products
    from stdatamodels.validate import ValidationWarning

    ds = products.slits()
    for name in ("sci", "err"):
        ds[name].attrs["units"] = "MJy/sr or MJy (see bunit_data)"
    ds = ds.assign_coords(
        bunit_data=("slit", np.array(["MJy", "MJy/sr", "MJy"])),
        pathloss_correction_type=("slit", np.array(["POINT", "UNIFORM", "NONE"])),
        srctype=("slit", np.array(["POINT", "EXTENDED", ""], dtype="U8")),
        pixar_sr=("slit", np.array([2.345678901234567e-13, np.nan, 1e-13])),
    )
    path = write_fits(ds, tmp_path / "mixed_cal.fits")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ValidationWarning)
        with dm.open(path) as model:
            slits = model.slits
            assert [s.meta.bunit_data for s in slits] == ["MJy", "MJy/sr", "MJy"]
            assert [s.meta.bunit_err for s in slits] == ["MJy", "MJy/sr", "MJy"]
            assert [s.pathloss_correction_type for s in slits] == ["POINT", "UNIFORM", None]
            assert [s.source_type for s in slits] == ["POINT", "EXTENDED", None]
            areas = [s.meta.photometry.pixelarea_steradians for s in slits]
    assert areas[0] == pytest.approx(2.345678901234567e-13, rel=1e-14)
    assert areas[1] is None
    assert areas[2] == 1e-13
    back = open_product(path)
    xr.testing.assert_identical(back, ds.assign_attrs(FILENAME="mixed_cal.fits"))
