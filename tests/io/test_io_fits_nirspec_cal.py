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
from nrs_cal_product import nirspec_cal  # noqa: E402

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
