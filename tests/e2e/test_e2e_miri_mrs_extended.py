"""MIRI MRS, an extended source and a 4-point dither: the scene's surface brightness (MJy/sr)
comes back from the chain's cubes and spectra, and from one cube of the four dithered ``_cal``.

The scene (:func:`spec2x.synthetic.miri_mrs_scene.make_mrs_scene` with
``source="extended", dither=4``): a Gaussian of 6" FWHM, wider than channel 1's
field, on the uniform sky, SRCTYAPT=EXTENDED, four MIRIFUSHORT SHORT exposures
at the dither pointings.  calwebb_spec2 calibrates each exposure (the first
through the whole chain, the others to ``_cal``); the combined cube is
calwebb_spec3's (``build_cube``).  Against jwst, the exposures after the first
go to ``_cal`` without straylight on both sides: jwst's, a 40 s C loop per
exposure, would triple the jwst side's time here (straylight is compared step
by step in tests/miri_mrs).
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
LOG = logging.getLogger(__name__)
#: The steps the exposures after the first skip against jwst (see the module's docstring).
_NOT_FIRST = ("straylight", "cube_build", "extract_1d")


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


@pytest.fixture(scope="module")
def jwst_cals(dithered, tmp_path_factory):
    """jwst's Spec2Pipeline on the four exposures (the first through the whole chain, the
    others to ``_cal`` without straylight): the first's products by suffix and the four
    ``_cal`` files."""
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    scene = dithered[0]
    refs = {**scene.refs, "area": "N/A"}
    folder = tmp_path_factory.mktemp("mrs_extended_jwst")
    run_jwst_spec2(scene.rate, refs, output_dir=folder)
    for rate in scene.rates[1:]:
        run_jwst_spec2(rate, refs, {s: {"skip": True} for s in _NOT_FIRST}, output_dir=folder)
    stems = [r.name.removesuffix("_rate.fits") for r in scene.rates]
    first = {s: folder / f"{stems[0]}_{s}.fits" for s in ("cal", "s3d", "0_x1d", "1_x1d")}
    return first, [folder / f"{stem}_cal.fits" for stem in stems]


@pytest.mark.parity
def test_first_exposure_matches_jwst(dithered, jwst_cals):
    """jwst's Spec2Pipeline on the first exposure: cal to 1e-6, the 1A cube and both bands'
    spectra to 1e-4 (the 2A spectrum holds a slice-edge pixel whose corner dips 1e-7" into a
    spaxel: an overlap both count, docs/parity.md)."""
    _, products, _, _ = dithered
    seen = assert_spec2_as_jwst(products, jwst_cals[0], cal=1e-6, s3d=1e-4, x1d=1e-4)
    LOG.info("first exposure against jwst: %s", seen)


@pytest.mark.parity
def test_dithered_cube_matches_jwst(dithered, jwst_cals):
    """jwst's CubeBuildStep on jwst's four ``_cal`` against spec2x's cube of its own four (the
    three after the first without straylight on both sides): the same grid, SCI and ERR to
    1e-2 where both have data, DQ and weight maps (nearly) equal."""
    from e2e_ifu import cube_max_rel
    from jwst.cube_build import CubeBuildStep
    from jwst.datamodels import ModelContainer
    from jwst_offline import run_jwst_step
    from stdatamodels.jwst.datamodels import IFUImageModel

    scene, products, _, _ = dithered
    refs = {**scene.refs, "area": "N/A"}
    cals = [products["cal"]]
    cals += [spec2(rate, refs, skip=_NOT_FIRST)["cal"] for rate in scene.rates[1:]]
    ours = build_cube(cals, scene.refs["cubepar"], band=("1", "short"))
    with ModelContainer([IFUImageModel(str(p)) for p in jwst_cals[1]]) as models:
        (theirs,) = run_jwst_step(
            CubeBuildStep, models, {"cubepar": str(scene.refs["cubepar"])},
            skip_dqflagging=True, channel="1", band="short",
        )  # fmt: skip
    info = theirs.meta.wcsinfo
    for key in ("CRPIX1", "CRPIX2", "CDELT1", "CDELT3", "CRVAL3"):
        assert ours.attrs[key] == pytest.approx(getattr(info, key.lower()), rel=1e-12), key
    assert ours.attrs["CRVAL1"] == pytest.approx(info.crval1, abs=1e-9)
    assert ours.attrs["CRVAL2"] == pytest.approx(info.crval2, abs=1e-9)
    worst = cube_max_rel(ours, theirs)
    LOG.info("dithered cube against jwst's: %s", worst)
    assert max(worst.values()) < 1e-2, worst
    assert (ours["weightmap"].values != theirs.weightmap).mean() < 1e-4
