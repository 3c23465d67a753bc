"""MIRI MRS, an extended source and a 4-point dither: the scene's surface brightness (MJy/sr)
comes back from the chain's cubes and spectra, and from one cube of the four dithered ``_cal``.

The scene (:func:`spec2x.synthetic.miri_mrs_scene.make_mrs_scene` with
``source="extended", dither=4``): a Gaussian of 6" FWHM, wider than channel 1's
field, on the uniform sky, SRCTYAPT=EXTENDED, four MIRIFUSHORT SHORT exposures
at the dither pointings.  calwebb_spec2 calibrates each exposure (the first
through the whole chain, the others to ``_cal``); the combined cube is
calwebb_spec3's (``build_cube``).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from e2e_ifu import assert_spec2_as_jwst, cube_ratio

from spec2x.pipeline import spec2
from spec2x.steps.cube_build import build_cube, cube_build
from spec2x.synthetic.miri_mrs_scene import make_mrs_scene

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dithered(tmp_path_factory):
    scene = make_mrs_scene(tmp_path_factory.mktemp("mrs_extended"), source="extended", dither=4)
    refs = {**scene.refs, "area": "N/A"}
    products = spec2(scene.rate, refs)
    cals = [products["cal"]]
    cals += [spec2(rate, refs, skip=("cube_build",))["cal"] for rate in scene.rates[1:]]
    return scene, products, cals, build_cube(cals, scene.refs["cubepar"], band=("1", "short"))


def test_the_scene_has_four_extended_exposures(dithered):
    from spec2x.io.fits import open_exposure

    scene, products, cals, _ = dithered
    assert len(scene.rates) == 4
    assert len({r.name for r in scene.rates}) == 4
    pointings = {(open_exposure(r).attrs["RA_REF"], open_exposure(r).attrs["DEC_REF"])
                 for r in scene.rates}  # fmt: skip
    assert len(pointings) == 4
    assert {c.attrs["SRCTYPE"] for c in cals} == {"EXTENDED"}
    assert set(products) == {"cal", "s3d", "0_x1d", "1_x1d"}


def test_extended_source_recovered_in_the_band_cube(dithered):
    """Channel 1A's cube of the first exposure: median within 0.5 %, 90 % of the spaxels within
    2 %, 99 % within 5 % (the rest: drizzle at the field's edges and the bad pixels)."""
    scene, products, _, _ = dithered
    _assert_recovered(cube_ratio(products["s3d"], scene.surface_brightness))


def _assert_recovered(ratio):
    assert ratio.size > 10_000
    assert np.median(ratio) == pytest.approx(1.0, abs=0.005)
    assert np.mean(np.abs(ratio - 1.0) < 0.02) > 0.9
    assert np.mean(np.abs(ratio - 1.0) < 0.05) > 0.99


@pytest.mark.parametrize(("suffix", "band"), [("0_x1d", ("1", "short")), ("1_x1d", ("2", "short"))])
def test_extended_spectrum_is_the_mean_surface_brightness(dithered, suffix, band):
    """The whole-field extraction of each band's cube: surf_bright (MJy/sr) is the scene's mean
    over the spaxels data reached, to 1 % in every 25-plane running mean (0.3-0.4 % seen)."""
    scene, products, _, _ = dithered
    x1d = products[suffix]
    assert str(x1d["source_type"].values) == "EXTENDED"
    cube = cube_build(products["cal"], scene.refs["cubepar"], band=band)
    sci = np.asarray(cube["sci"].values, np.float64)
    used = (np.asarray(cube["weightmap"].values) > 0) & np.isfinite(sci)
    np.testing.assert_array_equal(x1d["npixels"].values, used.sum(axis=(1, 2)))
    wave = np.asarray(cube["wavelength"].values, np.float64)[:, None, None]
    ra, dec = (np.asarray(cube[c].values, np.float64)[None] for c in ("ra", "dec"))
    truth = np.broadcast_to(scene.surface_brightness(ra, dec, wave), sci.shape)
    expected = np.where(used, truth, 0.0).sum(axis=(1, 2)) / used.sum(axis=(1, 2))
    ratio = np.asarray(x1d["surf_bright"].values, np.float64) / expected
    running = np.convolve(ratio, np.ones(25) / 25, mode="valid")
    assert np.abs(running - 1.0).max() < 0.01


def test_dithered_cube_recovers_the_scene(dithered):
    """One channel 1A cube of the four ``_cal`` (calwebb_spec3's job): it covers more sky than
    one exposure's, and the scene comes back as in a single exposure's cube."""
    scene, products, _, cube = dithered
    single = products["s3d"]
    assert cube.sizes["y"] * cube.sizes["x"] > single.sizes["y"] * single.sizes["x"]
    assert (cube["weightmap"].values > 0).sum() > 1.2 * (single["weightmap"].values > 0).sum()
    _assert_recovered(cube_ratio(cube, scene.surface_brightness))


@pytest.mark.parity
def test_first_exposure_matches_jwst(dithered, tmp_path):
    """jwst's Spec2Pipeline on the first exposure: cal to 1e-6, the 1A cube and its spectrum
    to 1e-4.  The 2A spectrum (``_1_x1d``) of this extended scene differs from jwst's by 1e-3
    in flux, 1.7e-4 in surf_bright, at one plane: a slice-edge pixel whose corner dips 1e-7"
    into a spaxel, an overlap jwst counts and spec2x's drizzle takes for rounding noise
    (docs/parity.md), so not compared here."""
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    scene, products, _, _ = dithered
    run_jwst_spec2(scene.rate, {**scene.refs, "area": "N/A"}, output_dir=tmp_path)
    stem = scene.rate.name.removesuffix("_rate.fits")
    files = {s: tmp_path / f"{stem}_{s}.fits" for s in ("cal", "s3d", "0_x1d")}
    assert_spec2_as_jwst(products, files, cal=1e-6, s3d=1e-4, x1d=1e-4)
