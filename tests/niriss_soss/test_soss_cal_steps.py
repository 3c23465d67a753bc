"""SOSS background, photom on the spectra and extract_1d's layout, one by one."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.errors import ReferenceMismatchError
from spec2x.instruments.niriss.soss_background import read_soss_bkg, subtract_soss_background
from spec2x.instruments.niriss.soss_extract import soss_extract_1d
from spec2x.io.references import open_reference
from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.niriss_soss_cal_refs import (
    PHOTMJ,
    relative_response,
    soss_background_template,
    write_soss_cal_references,
)


@pytest.fixture(scope="module")
def cal_refs(tmp_path_factory):
    return write_soss_cal_references(tmp_path_factory.mktemp("soss_cal"))


def test_background_template_and_scales_recovered(cal_refs):
    """2 x the first template (left and right of its step) comes off to ~1 % (jwst's scales
    are medians of the 25-50th percentile ratios, a little pulled by the traces' wings)."""
    ds = make_soss_rateints(nints=2, background=2.0 * soss_background_template())
    bkg = read_soss_bkg(str(cal_refs["bkg"]), {})
    out, done = subtract_soss_background(ds, bkg)
    assert done
    clean = make_soss_rateints(nints=2, background=0.0)
    residual = out["sci"].values - clean["sci"].values
    assert abs(np.median(residual[:, :, :600])) < 0.05  # left of the step (level 2)
    assert abs(np.median(residual[:, :, 800:])) < 0.05  # right of it (level 3.2)
    assert ds["sci"].values.mean() > out["sci"].values.mean()  # the input is unchanged


def test_background_of_another_height_is_skipped(cal_refs):
    ds = make_soss_rateints(nints=1, subarray="FULL")
    bkg = read_soss_bkg(str(cal_refs["bkg"]), {})
    out, done = subtract_soss_background(ds, bkg)
    assert not done
    assert out is ds


@pytest.mark.parity
def test_background_as_jwst(tmp_path, cal_refs):
    """jwst's BackgroundStep on the same file: equal to float32 rounding."""
    pytest.importorskip("jwst")
    from jwst.background import BackgroundStep
    from jwst_offline import run_jwst_step

    from spec2x.io.fits import write_fits

    ds = make_soss_rateints(nints=3, background=1.7 * soss_background_template(1.1))
    path = write_fits(ds, tmp_path / "soss_rateints.fits")
    theirs = run_jwst_step(
        BackgroundStep, str(path), {"bkg": str(cal_refs["bkg"])}, rest="N/A", tmp_path=tmp_path
    )
    ours, _ = subtract_soss_background(ds, read_soss_bkg(str(cal_refs["bkg"]), {}))
    np.testing.assert_allclose(ours["sci"].values, theirs.data, rtol=1e-6, atol=1e-6)


def test_photom_converts_each_order_to_mjy(soss_refs, cal_refs):
    ds = make_soss_rateints(nints=2)
    x1d = soss_extract_1d(ds, {"pastasoss": soss_refs["pastasoss"]}, soss_atoca=False)
    from spec2x.steps.photom import photom

    out = photom(x1d, open_reference(cal_refs["photom"]))
    assert out["flux"].attrs["units"] == "MJy"
    assert out.attrs["S_PHOTOM"] == "COMPLETE"
    order1 = out["flux"].isel(order=0, integration=0).values
    wave = x1d["wavelength"].isel(order=0).values
    expected = x1d["flux"].isel(order=0, integration=0).values * PHOTMJ[1]
    expected = expected * relative_response(wave, 1)
    ok = np.isfinite(order1) & (wave > 0.9)
    np.testing.assert_allclose(order1[ok], expected[ok], rtol=1e-4)  # the table's sampling
    assert x1d["flux"].attrs["units"] == "DN/s"  # the input is unchanged


def test_extract_layout_and_default_atoca_error(soss_refs):
    ds = make_soss_rateints(nints=2)
    x1d = soss_extract_1d(ds, {"pastasoss": soss_refs["pastasoss"]}, soss_atoca=False)
    assert x1d["flux"].dims == ("order", "integration", "spectral")
    assert list(x1d["spectral_order"].values) == [1, 2, 3]
    assert not x1d["dq"].values.any()
    assert not x1d["background"].values.any()
    rate = soss_extract_1d(ds.isel(integration=0), {"pastasoss": soss_refs["pastasoss"]},
                           soss_atoca=False)  # fmt: skip
    assert rate["flux"].dims == ("order", "spectral")


def test_a_subarray_the_flat_does_not_cover_is_one_clear_error(soss_refs, cal_refs):
    from spec2x.pipeline import spec2

    refs = {**soss_refs, **cal_refs, "pathloss": "N/A"}
    full = make_soss_rateints(nints=1, subarray="FULL")
    with pytest.raises(ReferenceMismatchError, match=r"flat .*SUBARRAY='FULL'"):
        spec2(full, refs, {"extract_1d": {"soss_atoca": False}})
