"""NIRCam grism time series (NRC_TSGRISM), whole chain: jwst parity, the spectrum and the transit.

A synthetic SUBGRISM64 ``_rateints`` (F322W2/GRISMR, 3 integrations, a 1 %
transit; :mod:`spec2x.synthetic.nircam_tsgrism`) runs through
``spec2x.spec2`` and jwst's ``Spec2Pipeline`` (offline, every reference
overridden): assign_wcs, flat_field, extract_2d, srctype, photom and
extract_1d; the ``_calints`` (a SlitModel) and the ``_x1dints`` (a
TSOMultiSpecModel) must agree, open in stdatamodels, and give the injected
spectrum back.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from e2e_helpers import max_rel

from spec2x.io.fits import write_fits
from spec2x.pipeline import spec2
from spec2x.registry import calibrated_exp_types
from spec2x.slits import iter_slits
from spec2x.synthetic.nircam_tsgrism import make_nircam_tsgrism

NINTS = 3


@pytest.fixture(scope="module")
def tsgrism(tmp_path_factory):
    truth = make_nircam_tsgrism(7, nints=NINTS, folder=tmp_path_factory.mktemp("nrc_tsgrism"))
    refs = {**{k: str(v) for k, v in truth.refs.items()}, "apcorr": "N/A", "area": "N/A"}
    return truth, refs, spec2(truth.rateints_path, refs)


def _cutout(cal):
    (one,) = list(iter_slits(cal))
    return one.isel(slit=0)


def test_products_recover_the_injected_spectrum(tsgrism, tmp_path):
    truth, _, ours = tsgrism
    assert "NRC_TSGRISM" in calibrated_exp_types()
    assert sorted(ours) == ["calints", "x1dints"]
    cal = _cutout(ours["calints"])
    assert cal.attrs["S_EXTR2D"] == "COMPLETE"
    assert cal.attrs["S_PHOTOM"] == "COMPLETE"
    assert cal["sci"].shape == (NINTS, 64, 2048)
    x1d = ours["x1dints"]
    wave = np.asarray(x1d["wavelength"].values, float)[0]
    flux = np.asarray(x1d["flux"].values, float)
    injected = np.interp(wave, truth.wavelength, truth.flux) * 1e6  # MJy -> Jy
    ratio = flux / (injected * truth.light_curve[:, None])
    inside = (wave > 2.5) & (wave < 3.9)
    assert inside.sum() > 1000
    np.testing.assert_allclose(np.median(ratio[:, inside], axis=1), 1.0, atol=0.002)
    # within 2 % but for the columns of the flagged detector and flat pixels (about 1 %)
    assert np.mean(np.abs(ratio[:, inside] - 1) > 0.02) < 0.02
    white = flux[:, inside].sum(axis=1)
    assert 1 - white.min() / white.max() == pytest.approx(truth.depth, abs=0.002)
    from stdatamodels.jwst import datamodels

    with datamodels.open(write_fits(ours["calints"], tmp_path / "o_calints.fits")) as model:
        assert type(model).__name__ == "SlitModel"
        assert model.data.shape == (NINTS, 64, 2048)
        assert model.meta.wcsinfo.spectral_order == 1
        assert model.source_id == 1
    with datamodels.open(write_fits(x1d, tmp_path / "o_x1dints.fits")) as model:
        assert type(model).__name__ == "TSOMultiSpecModel"
        assert model.spec[0].spec_table["FLUX"].shape == flux.shape


@pytest.mark.parity
@pytest.mark.slow
def test_whole_chain_matches_jwst(tsgrism, tmp_path):
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    truth, refs, ours = tsgrism
    steps = {"assign_wcs": {"sip_approx": False}}
    run = run_jwst_spec2(truth.rateints_path, refs, steps, output_dir=tmp_path)
    assert sorted(run.files) == ["calints", "x1dints"]
    mine = _cutout(ours["calints"])
    with datamodels.open(run.files["calints"]) as theirs:
        assert type(theirs).__name__ == "SlitModel"
        for var, arr in (("sci", theirs.data), ("err", theirs.err),
                         ("var_poisson", theirs.var_poisson), ("var_rnoise", theirs.var_rnoise),
                         ("var_flat", theirs.var_flat)):  # fmt: skip
            values = mine[var].values
            assert values.shape == arr.shape, var
            np.testing.assert_array_equal(np.isnan(values), np.isnan(arr), var)
            assert max_rel(values, arr) < 1e-6, var
        np.testing.assert_array_equal(mine["dq"].values, theirs.dq)
        np.testing.assert_allclose(mine["wavelength"].values, theirs.wavelength, atol=1e-6)
        assert float(mine["source_xpos"]) == pytest.approx(theirs.source_xpos, abs=1e-6)
        assert float(mine["source_ypos"]) == theirs.source_ypos == 34
        assert mine.attrs["XREF_SCI"] == pytest.approx(theirs.meta.wcsinfo.siaf_xref_sci)
        assert (int(mine["ystart"]), int(mine["ysize"])) == (theirs.ystart, theirs.ysize)
    with datamodels.open(run.files["x1dints"]) as model:
        table = model.spec[0].spec_table
        x1d = ours["x1dints"]
        for name in ("wavelength", "flux", "flux_error", "surf_bright", "background", "npixels"):
            values = np.asarray(x1d[name].values, float)
            assert values.shape == table[name.upper()].shape, name
            assert max_rel(values, table[name.upper()]) < 1e-6, name


@pytest.mark.parity
@pytest.mark.slow
def test_real_specwcs_and_photom_match_jwst(tsgrism, tmp_path):
    """The real GRISMR specwcs (0010, a trace with a slope across rows) and the real
    NIRCam grism photom (0064, whose P_EXP_TY includes NRC_TSGRISM) on the same exposure."""
    pytest.importorskip("jwst")
    from helpers import REALDATA
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels

    real = {
        "specwcs": REALDATA / "nircam" / "jwst_nircam_specwcs_0010.asdf",
        "photom": REALDATA / "nircam" / "jwst_nircam_photom_0064.fits",
    }
    if not all(p.is_file() for p in real.values()):  # pragma: no cover - no shared/
        pytest.skip("real NIRCam references not found")
    logging.getLogger("stpipe").setLevel(logging.WARNING)
    truth, refs, _ = tsgrism
    refs = {**refs, **{k: str(v) for k, v in real.items()}}
    ours = spec2(truth.rateints_path, refs)
    steps = {"assign_wcs": {"sip_approx": False}}
    run = run_jwst_spec2(truth.rateints_path, refs, steps, output_dir=tmp_path)
    mine = _cutout(ours["calints"])
    with datamodels.open(run.files["calints"]) as theirs:
        np.testing.assert_allclose(mine["wavelength"].values, theirs.wavelength, atol=1e-6)
        np.testing.assert_array_equal(np.isnan(mine["sci"].values), np.isnan(theirs.data))
        assert max_rel(mine["sci"].values, theirs.data) < 1e-6
        np.testing.assert_array_equal(mine["dq"].values, theirs.dq)
    with datamodels.open(run.files["x1dints"]) as model:
        table = model.spec[0].spec_table
        flux = np.asarray(ours["x1dints"]["flux"].values, float)
        assert flux.shape == table["FLUX"].shape
        assert max_rel(flux, table["FLUX"]) < 1e-6


def test_a_missing_wavelengthrange_is_named_before_any_step(tsgrism):
    from spec2x.errors import MissingReferenceError

    truth, refs, _ = tsgrism
    ran = []
    partial = {k: v for k, v in refs.items() if k != "wavelengthrange"}
    with pytest.raises(MissingReferenceError, match=r"wavelengthrange \(extract_2d\)"):
        spec2(truth.rateints_path, partial, on_step=lambda step, ds: ran.append(step))
    assert ran == []


def test_a_dhs_exposure_without_regions_is_refused_naming_subarray(tsgrism, tmp_path):
    from astropy.io import fits

    from spec2x.errors import MissingReferenceError

    truth, refs, _ = tsgrism
    dhs = tmp_path / "dhs_rateints.fits"
    with fits.open(truth.rateints_path) as hdul:
        hdul[0].header["SUBARRAY"] = "SUB41STRIPE1_DHS"
        hdul.writeto(dhs)
    ran = []
    with pytest.raises(
        MissingReferenceError, match=r"SUBARRAY='SUB41STRIPE1_DHS' is an NRC_TSGRISM DHS"
    ):
        spec2(str(dhs), refs, on_step=lambda step, ds: ran.append(step))
    assert ran == []


@pytest.mark.parity
@pytest.mark.slow
def test_superstripe_stripe_times_left_out_as_jwst(tsgrism, tmp_path):
    """A collated superstripe NRC_TSGRISM ``_rateints`` (``INT_TIMES_STRIPE``): jwst's
    extract_2d makes the SlitModel with INT_TIMES only, so neither product carries the stripe
    times; spec2x's neither, and the numbers are those of the exposure without them."""
    pytest.importorskip("jwst")
    from astropy.io import fits
    from jwst_offline import run_jwst_spec2

    from spec2x.io.fits import open_exposure
    from spec2x.synthetic.superstripe import with_superstripes

    truth, refs, plain = tsgrism
    ds = with_superstripes(open_exposure(truth.rateints_path), 4, subarray=None)
    path = write_fits(ds, tmp_path / "nrc_tsgrism_supstp_rateints.fits")
    with fits.open(path) as hdul:
        assert len(hdul["INT_TIMES_STRIPE"].data) == 4 * NINTS
    logging.getLogger("stpipe").setLevel(logging.WARNING)
    run = run_jwst_spec2(path, refs, {"assign_wcs": {"sip_approx": False}}, tmp_path / "jwst")
    ours = spec2(path, refs)
    for product in ("calints", "x1dints"):
        mine = write_fits(ours[product], tmp_path / f"ours_{product}.fits")
        for written in (mine, run.files[product]):
            with fits.open(written) as hdul:
                names = [h.name for h in hdul]
                assert "INT_TIMES" in names, written
                assert "INT_TIMES_STRIPE" not in names, written
    np.testing.assert_array_equal(
        _cutout(ours["calints"])["sci"].values, _cutout(plain["calints"])["sci"].values
    )
