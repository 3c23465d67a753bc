"""cube_build on MIRI MRS with spec2x alone: an injected point source comes back; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from cube_helpers import FWHM, inject_point_source, source_position, source_spectrum
from mrs_helpers import real_refs

from spec2x.dq import DQ
from spec2x.errors import InputFileError, ParameterError, UnsupportedModeError
from spec2x.instruments.miri.mrs_cube import mrs_point_cloud
from spec2x.io.fits import open_exposure
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.steps.cube_build import cube_build, cube_build_bands
from spec2x.synthetic.cubepar import write_mrs_cubepar
from spec2x.synthetic.miri_mrs import make_mrs_rate
from spec2x.wcs.footprint import s_region_corners
from spec2x.wcs.store import get_wcs

SKY = 2.0
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cubepar(tmp_path_factory):
    return write_mrs_cubepar(tmp_path_factory.mktemp("cubepar") / "cubepar.fits")


@pytest.fixture(scope="module")
def exposure(tmp_path_factory, mrs_regions):
    """A 1A/2A exposure in MJy/sr with a Gaussian point source near the middle of channel 1."""
    rate = make_mrs_rate(tmp_path_factory.mktemp("mrs") / "mrs_rate.fits", seed=11, sky=SKY)
    ds = assign_wcs(open_exposure(rate), real_refs("12A", mrs_regions["12A"]))
    y, x = np.indices(ds["sci"].shape, dtype=np.float64)
    world = get_wcs(ds)(x, y)
    ra0, dec0 = source_position(world)
    sci = inject_point_source(ds["sci"].values, world, ra0, dec0, centre=5.3)
    ds = ds.assign(sci=(("y", "x"), sci, {"units": "MJy/sr"}))
    ds["err"].attrs["units"] = "MJy/sr"
    return ds, (ra0, dec0)


@pytest.fixture(scope="module")
def cubes(exposure, cubepar):
    """Both bands' cubes, as calwebb_spec2 makes them (the input checked unchanged)."""
    ds, _ = exposure
    before = ds.copy(deep=True)
    cubes = cube_build_bands(ds, cubepar)
    xr.testing.assert_identical(ds, before)
    return cubes


@pytest.fixture(scope="module")
def cube(cubes):
    return cubes["ch1-short"]


def test_cube_layout(cube):
    assert cube["sci"].dims == ("wavelength", "y", "x")
    assert cube["ra"].dims == cube["dec"].dims == ("y", "x")
    assert cube["sci"].attrs["units"] == "MJy/sr"
    assert cube.attrs["S_IFUCUB"] == "COMPLETE"
    assert cube.attrs["R_CUBPAR"] == "cubepar.fits"
    assert cube.attrs["CHANNEL"] == "1"
    assert cube.attrs["BAND"] == "SHORT"
    # the spaxel centres' RA/Dec are the cube WCS's
    ny, nx = cube["ra"].shape
    ra, dec, wave = get_wcs(cube)(np.arange(nx)[None, :], np.arange(ny)[:, None], 0)
    np.testing.assert_allclose(cube["ra"], ra, atol=1e-10)
    np.testing.assert_allclose(cube["dec"], dec, atol=1e-10)
    assert wave == pytest.approx(cube["wavelength"].values[0])
    # NaN exactly where DO_NOT_USE is set; the sky level where data arrived
    unused = (cube["dq"].values & DQ.DO_NOT_USE) != 0
    np.testing.assert_array_equal(np.isnan(cube["sci"].values), unused)
    assert np.nanmedian(cube["sci"].values) == pytest.approx(SKY, abs=0.05)


def test_injected_point_source_recovered(cube, exposure):
    """The source's flux (surface brightness x spaxel solid angle) comes back within 2 %."""
    _, (ra0, dec0) = exposure
    dx = (cube["ra"].values - ra0) * np.cos(np.deg2rad(dec0)) * 3600
    dy = (cube["dec"].values - dec0) * 3600
    r = np.hypot(dx, dy)
    sci = cube["sci"].values
    sky = np.nanmedian(np.where(r > 1.3, sci, np.nan), axis=(1, 2))
    inside = (r < 1.0)[None] & np.isfinite(sci)
    spaxel = cube.attrs["PIXAR_A2"]
    measured = np.where(inside, sci - sky[:, None, None], 0.0).sum(axis=(1, 2)) * spaxel
    sigma = FWHM / 2.3548
    expected = source_spectrum(cube["wavelength"].values, 5.3) * 2 * np.pi * sigma**2
    ratio = measured / expected
    good = inside.sum(axis=(1, 2)) == (r < 1.0).sum()  # planes with the whole aperture
    assert good.mean() > 0.9
    assert np.median(ratio[good]) == pytest.approx(1.0, abs=0.02)
    # and along the band: each tenth of it within 2 %
    for part in np.array_split(ratio[good], 10):
        assert np.mean(part) == pytest.approx(1.0, abs=0.02)


def test_point_cloud_as_the_gwcs_maps_each_position(exposure):
    """The point cloud (each pixel's slice and channel found once for its centre and corners)
    equals the exposure's gwcs called on every position, as jwst's ``cube_build`` maps them."""
    ds, _ = exposure
    wcs = get_wcs(ds)
    cloud = mrs_point_cloud(ds, "1", wcs)
    y, x = (v.ravel().astype(np.float64) for v in np.mgrid[: ds.sizes["y"], :512])
    ra, dec, wave = wcs(x, y, with_bounding_box=False)
    on = ~np.isnan(ra)
    x, y, wave = x[on], y[on], wave[on]
    half = 0.4999
    to_abl = wcs.get_transform("detector", "alpha_beta")
    to_sky = wcs.get_transform("alpha_beta", "world")
    alpha1, beta, _ = to_abl(x - half, y)
    alpha2 = to_abl(x + half, y)[0]
    betas = np.unique(beta)
    dbeta = (betas[1] - betas[0]) / 2
    corners = [to_sky(a, beta + s * dbeta, wave)[:2] for a, s in
               ((alpha1, -1), (alpha1, 1), (alpha2, 1), (alpha2, -1))]  # fmt: skip
    dwave = np.abs(to_abl(x, y - half)[2] - to_abl(x, y + half)[2])
    np.testing.assert_array_equal(cloud.ra, ra[on])
    np.testing.assert_array_equal(cloud.dec, dec[on])
    np.testing.assert_array_equal(cloud.wave, wave)
    np.testing.assert_allclose(cloud.dwave, dwave, rtol=1e-14)
    np.testing.assert_allclose(cloud.corner_ra, np.stack([c[0] for c in corners], 1), rtol=1e-14)
    np.testing.assert_allclose(cloud.corner_dec, np.stack([c[1] for c in corners], 1), rtol=1e-14)
    np.testing.assert_array_equal(cloud.flux, ds["sci"].values[y.astype(int), x.astype(int)])


def test_one_cube_per_band(cubes):
    assert list(cubes) == ["ch1-short", "ch2-short"]
    assert cubes["ch2-short"].attrs["CDELT1"] == pytest.approx(0.17 / 3600)
    assert cubes["ch2-short"]["wavelength"].values[0] == pytest.approx(7.51 + 0.0013 / 2, rel=1e-6)


def test_channel_2_grid_centred_on_s_region_as_jwst(cubes, exposure):
    """jwst centres a channel 2 (or 4) band cube on the exposure's ``S_REGION`` (9 decimals:
    1e-10 deg from the pixels' box, which moved spaxel edges and, at a slice edge, emptied a
    spaxel jwst fills); channel 1 (or 3), the smaller field, on its pixels."""
    ra, dec = s_region_corners(exposure[0])
    centre = ((ra.min() + ra.max()) / 2, (dec.min() + dec.max()) / 2)
    ch2, ch1 = cubes["ch2-short"].attrs, cubes["ch1-short"].attrs
    assert (ch2["CRVAL1"], ch2["CRVAL2"]) == pytest.approx(centre, abs=1e-13, rel=0)
    assert abs(ch1["CRVAL2"] - centre[1]) > 1e-6


def test_no_usable_pixel_is_one_clear_error(exposure, cubepar):
    ds, _ = exposure
    flagged = ds.assign(dq=ds["dq"] | np.uint32(DQ.DO_NOT_USE))
    with pytest.raises(InputFileError, match=r"cube_build: .*no usable pixel between 4.9 and 5.74"):
        cube_build(flagged, cubepar, band=("1", "short"))


def test_bad_band_weighting_or_mode(exposure, cubepar):
    ds, _ = exposure
    with pytest.raises(ParameterError, match=r"band \('3', 'short'\) is not in"):
        cube_build(ds, cubepar, band=("3", "short"))
    with pytest.raises(ParameterError, match="weighting='shepard'"):
        cube_build(ds, cubepar, weighting="shepard")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="coord_system='world'"):
        cube_build(ds, cubepar, coord_system="world")  # type: ignore[arg-type]
    lrs = ds.assign_attrs(EXP_TYPE="MIR_LRS-FIXEDSLIT")
    with pytest.raises(UnsupportedModeError, match="builds no cube for EXP_TYPE=MIR_LRS-FIXEDSLIT"):
        cube_build(lrs, cubepar)


def test_s3d_round_trip_and_readers(cube, tmp_path):
    """The _s3d file reads back identical, and as jwst's IFUCubeModel and a specutils Spectrum."""
    from spec2x.io.fits import open_product, write_fits

    path = write_fits(cube, tmp_path / "mrs_ch1-short_s3d.fits")
    back = open_product(path)
    for name in ("sci", "err", "dq", "weightmap", "ra", "dec", "wavelength"):
        xr.testing.assert_identical(back[name], cube[name])
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    with datamodels.IFUCubeModel(str(path)) as model:
        model.validate()
        np.testing.assert_array_equal(
            model.wavetable["wavelength"].ravel(), cube["wavelength"].values.astype(np.float32)
        )
        np.testing.assert_allclose(model.meta.wcs(2.0, 3.0, 4.0), get_wcs(cube)(2.0, 3.0, 4.0))
    specutils = pytest.importorskip("specutils")
    spectrum = specutils.Spectrum.read(path, format="JWST s3d")
    assert spectrum.shape == cube["sci"].shape
    np.testing.assert_allclose(spectrum.spectral_axis.value, cube["wavelength"].values)


def test_chain_step_builds_the_first_band(exposure, cubepar, cube):
    """In the chain (run_step): the first band's cube, the one calwebb_spec2 saves as ``_s3d``;
    jwst's ``world`` is ``skyalign``; parameters spec2x lacks are refused in one line."""
    from spec2x.pipeline import run_step

    ds, _ = exposure
    chained = run_step(ds, "cube_build", {"cubepar": cubepar}, coord_system="world")
    xr.testing.assert_identical(chained.drop_attrs(), cube.drop_attrs())
    assert chained.attrs["CHANNEL"] == "1"
    assert chained.attrs["S_IFUCUB"] == "COMPLETE"
    with pytest.raises(ParameterError, match="output_type='multi' is not supported"):
        run_step(ds, "cube_build", {"cubepar": cubepar}, output_type="multi")
