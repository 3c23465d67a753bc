"""MIRI LRS end to end on the synthetic instrument: spec2x's cal -> resample_spec -> extract_1d
against jwst's ResampleSpecStep and Extract1dStep on the same cal file, and the truth recovered."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.io.fits import write_fits
from spec2x.pipeline import spec2
from spec2x.synthetic.miri_lrs import make_lrs_fixedslit, make_lrs_slitless_tso

COLUMNS = [
    ("flux", "flux"),
    ("flux_error", "flux_error"),
    ("surf_bright", "surf_bright"),
    ("npixels", "npixels"),
    ("background", "background"),
    ("wavelength", "wavelength"),
]


@pytest.fixture(scope="module")
def lrs_fs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lrs_fs")
    obs = make_lrs_fixedslit(folder, seed=3)
    refs = {k: str(v) for k, v in obs.references.items()}
    # the nodded pair: nod B is the background of nod A
    products = spec2(obs.association[0], refs)
    return obs, refs, products, folder


@pytest.fixture(scope="module")
def lrs_tso(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lrs_tso")
    obs = make_lrs_slitless_tso(folder, seed=4, nints=10)
    refs = {k: str(v) for k, v in obs.references.items()}
    return obs, refs, spec2(obs.exposures[0], refs), folder


def test_fixed_slit_products(lrs_fs):
    _, _, products, _ = lrs_fs
    s2d, x1d = products["s2d"], products["x1d"]
    assert s2d.attrs["DATAMODL"] == "SlitModel"
    assert x1d["flux"].dims == ("spectral",)
    assert x1d["flux"].attrs["units"] == "Jy"
    assert np.isfinite(x1d["flux"]).mean() > 0.95
    assert str(x1d["source_type"].values) == "POINT"


def test_fixed_slit_recovers_truth(lrs_fs):
    """Nod-subtracted, flat-fielded, path-loss and aperture corrected: the injected F_nu back."""
    obs, _, products, _ = lrs_fs
    x = products["x1d"]
    wl = x["wavelength"].values
    truth = np.interp(wl, obs.wavelength, obs.flux) * 1e6  # MJy -> Jy
    band = (wl > 5) & (wl < 12)
    ratio = x["flux"].values[band] / truth[band]
    assert abs(np.nanmedian(ratio) - 1) < 0.01
    pull = (x["flux"].values[band] - truth[band]) / x["flux_error"].values[band]
    assert np.nanstd(pull) < 2.0


def test_tso_recovers_truth_and_light_curve(lrs_tso):
    obs, _, products, _ = lrs_tso
    x = products["x1dints"]
    assert x["flux"].dims == ("integration", "spectral")
    wl = x["wavelength"].values[0]
    truth = np.interp(wl, obs.wavelength, obs.flux) * 1e6  # MJy -> Jy
    band = (wl > 5) & (wl < 12)
    ratio = x["flux"].values[:, band] / truth[band] / obs.light_curve[:, None]
    assert abs(np.nanmedian(ratio) - 1) < 0.01
    pull = (x["flux"].values[:, band] - truth[band] * obs.light_curve[:, None]) / x[
        "flux_error"
    ].values[:, band]
    assert np.nanstd(pull) < 2.0
    np.testing.assert_allclose(x["mjd_avg"].values, obs.times)


@pytest.mark.parity
def test_fixed_slit_parity_with_jwst(lrs_fs):
    pytest.importorskip("jwst")
    from jwst.extract_1d import Extract1dStep
    from jwst.resample import ResampleSpecStep
    from jwst_offline import jwst_offline_env, run_jwst_step

    _, refs, products, folder = lrs_fs
    cal_path = write_fits(products["cal"], folder / "spec2x_cal.fits")
    with jwst_offline_env():
        s2d = ResampleSpecStep.call(str(cal_path))
    ours = products["s2d"].isel(slit=0)
    assert ours["sci"].shape == s2d.data.shape
    np.testing.assert_allclose(ours["sci"].values, s2d.data, rtol=1e-4, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(ours["err"].values, s2d.err, rtol=1e-4, atol=1e-6, equal_nan=True)
    x1d = run_jwst_step(
        Extract1dStep, s2d, {"extract1d": refs["extract1d"], "apcorr": refs["apcorr"]}, rest="N/A"
    )
    table = x1d.spec[0].spec_table
    mine = products["x1d"]
    for a, b in COLUMNS:
        np.testing.assert_allclose(
            mine[a].values, table[b], rtol=1e-4, atol=1e-12, equal_nan=True, err_msg=a
        )


@pytest.mark.parity
def test_tso_parity_with_jwst(lrs_tso):
    pytest.importorskip("jwst")
    from jwst.extract_1d import Extract1dStep
    from jwst_offline import run_jwst_step

    _, refs, products, folder = lrs_tso
    cal_path = write_fits(products["calints"], folder / "spec2x_calints.fits")
    x1d = run_jwst_step(
        Extract1dStep,
        str(cal_path),
        {"extract1d": refs["extract1d"], "apcorr": refs["apcorr"]},
        rest="N/A",
    )
    table = x1d.spec[0].spec_table
    mine = products["x1dints"]
    for a, b in COLUMNS:
        np.testing.assert_allclose(
            mine[a].values, table[b], rtol=1e-4, atol=1e-12, equal_nan=True, err_msg=a
        )
    np.testing.assert_allclose(mine["mjd_avg"].values, table["MJD-AVG"])
