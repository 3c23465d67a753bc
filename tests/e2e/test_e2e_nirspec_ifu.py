"""NIRSpec IFU end to end: rate -> _cal, _s3d, _x1d through spec2x's chain and `spec2x run`,
the point source's spectrum recovered, and the whole chain against jwst 3.0.0's Spec2Pipeline."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from e2e_helpers import binned_ratio
from e2e_ifu import assert_spec2_as_jwst

import spec2x
from spec2x.cli import main
from spec2x.registry import calibrated_exp_types
from spec2x.synthetic.nirspec_ifu_scene import make_nirspec_ifu_scene

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nrs_ifu_chain")
    made = make_nirspec_ifu_scene(folder, seed=1)
    return made, spec2x.spec2(made.rate, made.refs)


def test_nrs_ifu_is_calibrated():
    assert "NRS_IFU" in calibrated_exp_types()


def test_products(scene):
    _, out = scene
    assert sorted(out) == ["cal", "s3d", "x1d"]
    assert out["cal"]["sci"].attrs["units"] == "MJy/sr"
    assert out["s3d"]["sci"].dims == ("wavelength", "y", "x")
    assert out["s3d"].attrs["S_IFUCUB"] == "COMPLETE"
    assert str(out["x1d"]["source_type"].values) == "POINT"


def test_point_source_recovers_its_injected_spectrum(scene):
    made, out = scene
    x1d = out["x1d"]
    wave, flux = x1d["wavelength"].values, x1d["flux"].values
    expected = made.flux_jy(wave)
    # the aperture (2 x (0.033 lambda + 0.106)") holds 97 % of the source at 0.8 um and all
    # of it from 1.2 um on; the scene's apcorr (its Gaussian as the cube sees it) restores it
    assert out["x1d"].attrs["R_APCORR"].startswith("spec2x_nrs_ifu_apcorr")
    ratios = binned_ratio(wave, flux, expected, 0.6, 5.3)
    assert np.all(np.abs(ratios - 1) < 0.02), ratios
    assert abs(np.nanmedian(flux / expected) - 1) < 0.01


def test_spec2x_run_writes_the_three_products(scene, tmp_path):
    made, out = scene
    args = ["run", str(made.rate), "--output-dir", str(tmp_path), "--strict-refs", "-q"]
    for reftype, path in made.refs.items():
        args += ["--ref", f"{reftype}={path}"]
    assert main(args) == 0
    names = sorted(p.name for p in tmp_path.glob("*.fits"))
    stem = made.rate.name.removesuffix("_rate.fits")
    assert names == [f"{stem}_cal.fits", f"{stem}_s3d.fits", f"{stem}_x1d.fits"]
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    with datamodels.IFUCubeModel(str(tmp_path / f"{stem}_s3d.fits")) as cube:
        np.testing.assert_array_equal(cube.data, out["s3d"]["sci"].values)


@pytest.mark.parity
def test_whole_chain_matches_jwst(scene, tmp_path):
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    made, ours = scene
    run = run_jwst_spec2(made.rate, made.refs, output_dir=tmp_path)
    assert sorted(run.files) == ["cal", "s3d", "x1d"]
    assert_spec2_as_jwst(ours, run.files, cal=1e-5, s3d=1e-4, x1d=1e-4)
