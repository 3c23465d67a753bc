"""MIRI MRS, whole chain: ``spec2x run`` on the synthetic scene, the injected point source
recovered, jwst parity of ``_cal``, ``_s3d`` and ``_x1d``, and the ifu_rfcorr hook.

The scene (:mod:`spec2x.synthetic.miri_mrs_scene`) is one MIRIFUSHORT SHORT
exposure (bands 1A and 2A) with a Gaussian point source of known spectrum at
TARG_RA/TARG_DEC, made through spec2x's straylight, flat, fringe and photom
backwards; the chain is that of jwst 3.0.0, and so are the products: ``_s3d`` is
channel 1A's cube (the first band's, the one calwebb_spec2 saves), ``_0_x1d`` and
``_1_x1d`` the spectra of the 1A and 2A cubes (stpipe's names for extract_1d's
container of two spectra).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from e2e_helpers import max_rel

from spec2x.cli import main
from spec2x.io.fits import open_product
from spec2x.registry import calibrated_exp_types
from spec2x.synthetic.miri_mrs_scene import make_mrs_scene

BASE = "jw01523003001_03102_00001_mirifushort"


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mrs_scene")
    truth = make_mrs_scene(folder, seed=1)
    out = folder / "products"
    args = ["run", str(truth.rate), "--refs", str(truth.refs_dir), "--ref", "area=N/A",
            "--strict-refs", "--output-dir", str(out), "--save-steps", "-q"]  # fmt: skip
    assert main(args) == 0
    return truth, {s: out / f"{BASE}_{s}.fits" for s in PRODUCTS}


#: What jwst 3.0.0's Spec2Pipeline writes for a MIRIFUSHORT exposure (bands 1A and 2A).
PRODUCTS = ("cal", "s3d", "0_x1d", "1_x1d")
#: What ``--save-steps`` adds: each 2-D step's output but photom's (``_cal``) and the 2A cube
#: (``_s3d`` is the 1A cube), under stpipe's name for the second member of a container.
INTERMEDIATE = ("assign_wcs", "srctype", "straylight", "flat_field", "fringe", "1_cube_build")


def test_mrs_is_calibrated_and_spec2x_run_writes_its_products(scene):
    from stdatamodels.jwst import datamodels

    assert "MIR_MRS" in calibrated_exp_types()
    _, files = scene
    written = sorted(p.name for p in files["cal"].parent.iterdir())
    assert written == sorted(f"{BASE}_{s}.fits" for s in PRODUCTS + INTERMEDIATE)
    kinds = {"cal": "IFUImageModel", "s3d": "IFUCubeModel", "0_x1d": "MRSMultiSpecModel",
             "1_x1d": "MRSMultiSpecModel"}  # fmt: skip
    for suffix, model_type in kinds.items():
        with datamodels.open(files[suffix]) as model:
            assert type(model).__name__ == model_type, suffix
    for suffix, channel in (("0_x1d", "1"), ("1_x1d", "2")):
        x1d = open_product(files[suffix])
        assert x1d.attrs["S_EXTR1D"] == "COMPLETE"
        assert x1d.attrs["R_APCORR"] == "spec2x_miri_mrs_apcorr.asdf"
        assert (x1d.attrs["CHANNEL"], x1d.attrs["BAND"]) == (channel, "SHORT"), suffix
    cube = open_product(files["s3d"])
    assert (cube.attrs["CHANNEL"], cube.attrs["BAND"]) == ("1", "SHORT")


def test_save_steps_writes_the_second_band_cube(scene):
    """``--save-steps``: the 2A cube, whose spectrum is ``_1_x1d``, as ``_1_cube_build``."""
    from stdatamodels.jwst import datamodels

    _, files = scene
    path = files["cal"].parent / f"{BASE}_1_cube_build.fits"
    with datamodels.open(path) as model:
        assert type(model).__name__ == "IFUCubeModel"
        assert (model.meta.instrument.channel, model.meta.instrument.band) == ("2", "SHORT")
    cube = open_product(path)
    x1d = open_product(files["1_x1d"])
    assert cube.sizes["wavelength"] == x1d.sizes[x1d["flux"].dims[0]]
    np.testing.assert_allclose(cube["wavelength"].values, x1d["wavelength"].values, rtol=1e-6)


@pytest.mark.parametrize(
    ("suffix", "lo", "hi", "close"), [("0_x1d", 4.95, 5.7, 0.95), ("1_x1d", 7.55, 8.7, 0.8)]
)
def test_injected_point_source_is_recovered(scene, suffix, lo, hi, close):
    """Within 2 % on every 25-plane running mean of channels 1A and 2A, 0.5 % in the median.

    Single planes scatter by up to ~13 %: where a DO_NOT_USE pixel of the synthetic flat,
    photom or fringe (0.2-0.4 % of the pixels) falls in the undersampled PSF core, drizzle
    renormalises the spaxels that pixel would have covered; the noise is 0.1 % of the flux
    (95 % of the 1A planes and 80 % of the 2A planes, whose spaxels are coarser, within 2 %).
    The 2-FWHM aperture holds all but 2e-5 of the Gaussian (the apcorr file says so too).
    """
    truth, files = scene
    x1d = open_product(files[suffix])
    wave = np.asarray(x1d["wavelength"].values, float)
    ratio = np.asarray(x1d["flux"].values, float) / truth.truth(wave)
    assert np.isfinite(ratio).all()
    assert wave.min() < lo
    assert wave.max() > hi
    assert np.median(ratio) == pytest.approx(1.0, abs=0.005)
    running = np.convolve(ratio, np.ones(25) / 25, mode="valid")
    assert np.abs(running - 1.0).max() < 0.02
    assert np.mean(np.abs(ratio - 1.0) < 0.02) > close


def test_ifu_rfcorr_hook_is_applied_in_extraction(scene, monkeypatch):
    """ifu_rfcorr (jwst's default) fills rf_* through RF_CORRECTION; off, they are NaN."""
    from spec2x.pipeline import run_step
    from spec2x.steps import _extract_ifu

    truth, files = scene
    refs = {**truth.refs, "area": "N/A"}
    cube = open_product(files["s3d"])
    x1d = open_product(files["0_x1d"])
    assert np.isfinite(x1d["rf_flux"].values).all()
    off = run_step(cube, "extract_1d", refs, ifu_rfcorr=False)
    assert np.isnan(off["rf_flux"].values).all()
    np.testing.assert_allclose(off["flux"], x1d["flux"], rtol=1e-12)
    monkeypatch.setattr(_extract_ifu, "RF_CORRECTION", f"{__name__}:_doubled")
    twice = run_step(cube, "extract_1d", refs)
    np.testing.assert_allclose(twice["rf_flux"], 2 * twice["flux"], rtol=1e-12)


def _doubled(wavelength, flux, channel):
    """A stand-in 1-D correction: twice the flux (channel 1)."""
    assert channel == 1
    return 2.0 * np.asarray(flux)


@pytest.mark.parity
@pytest.mark.slow
def test_whole_chain_matches_jwst(scene, tmp_path):
    """jwst's Spec2Pipeline on the same rate file and references writes the same files; cal
    to 1e-6, the channel 1A cube to 1e-5, the 1A and 2A spectra to 1e-5 (1A: 1.2e-7,
    2A: 2.4e-6 in flux_error, 5e-7 in flux)."""
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    truth, files = scene
    run_jwst_spec2(truth.rate, {**truth.refs, "area": "N/A"}, output_dir=tmp_path)
    cal = open_product(files["cal"])
    with datamodels.open(tmp_path / f"{BASE}_cal.fits") as model:
        for var, arr in (("sci", model.data), ("err", model.err), ("var_poisson", model.var_poisson),
                         ("var_rnoise", model.var_rnoise), ("var_flat", model.var_flat)):  # fmt: skip
            np.testing.assert_array_equal(np.isnan(cal[var].values), np.isnan(arr), var)
            assert max_rel(cal[var].values, arr) < 1e-6, var
        np.testing.assert_array_equal(cal["dq"].values, model.dq)
    cube = open_product(files["s3d"])
    with datamodels.open(tmp_path / f"{BASE}_s3d.fits") as model:
        assert cube["sci"].shape == model.data.shape
        assert max_rel(cube["sci"].values, model.data) < 1e-5
        assert max_rel(cube["err"].values, model.err) < 1e-5
        np.testing.assert_array_equal(cube["dq"].values, model.dq)
        assert (cube["weightmap"].values != model.weightmap).mean() < 1e-4
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"{BASE}_{s}.fits" for s in PRODUCTS)
    for suffix in ("0_x1d", "1_x1d"):  # the 1A and the 2A cube's spectra
        x1d = open_product(files[suffix])
        with datamodels.open(tmp_path / f"{BASE}_{suffix}.fits") as model:
            assert (x1d.attrs["CHANNEL"], x1d.attrs["BAND"]) == (model.meta.instrument.channel,
                                                                 model.meta.instrument.band)  # fmt: skip
            table = model.spec[0].spec_table
            np.testing.assert_array_equal(x1d["wavelength"].values, table["wavelength"])
            for name in ("flux", "flux_error", "surf_bright", "background", "rf_flux"):
                assert max_rel(x1d[name].values, table[name]) < 1e-5, (suffix, name)
