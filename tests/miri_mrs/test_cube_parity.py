"""cube_build on a MIRI MRS exposure against jwst 3.0.0's CubeBuildStep (spec2 settings)."""

from __future__ import annotations

import numpy as np
import pytest
from cube_helpers import assert_cube_as_jwst, cal_and_exposure, jwst_cubes
from helpers import assert_cube_grid_as_jwst

from spec2x.io.fits import write_fits
from spec2x.steps.cube_build import cube_build
from spec2x.synthetic.cubepar import write_mrs_cubepar
from spec2x.wcs.store import get_wcs

pytestmark = [pytest.mark.parity, pytest.mark.slow]


@pytest.fixture(scope="module")
def pair(tmp_path_factory, mrs_regions):
    """(our channel 1A cube, jwst's) from the same exposure with a point source, and the folder."""
    pytest.importorskip("jwst")
    folder = tmp_path_factory.mktemp("mrs_cube")
    cal, ds, _ = cal_and_exposure(folder, mrs_regions["12A"], seed=3)
    cubepar = write_mrs_cubepar(folder / "cubepar.fits")
    (theirs,) = jwst_cubes(cal, cubepar, channel="1")
    return cube_build(ds, cubepar, band=("1", "short")), theirs, folder, ds, cal, cubepar


def test_same_grid_and_wcs(pair):
    ours, theirs = pair[:2]
    assert_cube_grid_as_jwst(ours, theirs, crval_atol=1e-9)
    z, y, x = (np.arange(n, dtype=np.float64) for n in ours["sci"].shape)
    grid = np.meshgrid(x, y, z, indexing="ij")
    # the transforms themselves, on every spaxel
    mine_all = get_wcs(ours)(*grid, with_bounding_box=False)
    jwst_all = theirs.meta.wcs(*grid, with_bounding_box=False)
    for mine, jwst in zip(mine_all, jwst_all, strict=True):
        np.testing.assert_allclose(mine, jwst, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(
        ours["wavelength"], theirs.wavetable["wavelength"].ravel(), rtol=1e-7
    )


def test_same_values(pair):
    ours, theirs = pair[:2]
    assert_cube_as_jwst(ours, theirs, dq_differ=1e-5)
    # the source is there: its peak plane is brighter than the sky (2) by its 50 MJy/sr scale
    assert np.nanmax(ours["sci"].values) > 20


def test_s3d_opens_as_jwst_ifucubemodel(pair):
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    ours, theirs, folder = pair[:3]
    path = write_fits(ours, folder / "mrs_ch1-short_s3d.fits")
    with datamodels.IFUCubeModel(str(path)) as model:
        model.validate()
        np.testing.assert_array_equal(model.data, ours["sci"].values)
        assert model.meta.bunit_data == "MJy/sr"
        assert model.meta.instrument.channel == "1"
        assert model.meta.cal_step.cube_build == "COMPLETE"
        for key in ("crval1", "crval2", "crpix1", "cdelt1", "cdelt3", "pc1_1", "pc2_2"):
            mine, jwst = getattr(model.meta.wcsinfo, key), getattr(theirs.meta.wcsinfo, key)
            assert mine == pytest.approx(jwst, abs=1e-9), key
        for key in ("ctype1", "ctype2", "ctype3", "cunit3"):
            assert getattr(model.meta.wcsinfo, key) == getattr(theirs.meta.wcsinfo, key)
        np.testing.assert_allclose(model.meta.wcs(3.0, 4.0, 5.0), theirs.meta.wcs(3.0, 4.0, 5.0))


@pytest.mark.parametrize("weighting", ["emsm", "msm"])
def test_shepard_weightings_as_jwst(pair, weighting):
    """The point-cloud weightings: the same regions of interest, the same cube."""
    *_, ds, cal, cubepar = pair
    (theirs,) = jwst_cubes(cal, cubepar, channel="1", weighting=weighting)
    ours = cube_build(ds, cubepar, band=("1", "short"), weighting=weighting)
    assert ours.attrs["ROIS"] == pytest.approx(theirs.meta.ifu.roi_spatial)
    assert ours.attrs["ROIW"] == pytest.approx(theirs.meta.ifu.roi_wave)
    assert ours.attrs["WTYPE"] == theirs.meta.ifu.weighting == weighting
    assert (ours["dq"].values != theirs.dq).mean() < 1e-5
    both = np.isfinite(ours["sci"].values) & np.isfinite(theirs.data)
    assert both.mean() > 0.5
    for name, jwst in (("sci", theirs.data), ("err", theirs.err)):
        np.testing.assert_allclose(ours[name].values[both], jwst[both], rtol=1e-2, atol=1e-6)


def test_ifu_aligned_as_jwst(pair):
    """coord_system='ifualign': the grid turned to the slices' direction, as jwst turns it."""
    *_, ds, cal, cubepar = pair
    (theirs,) = jwst_cubes(cal, cubepar, channel="1", coord_system="ifualign")
    ours = cube_build(ds, cubepar, band=("1", "short"), coord_system="ifualign")
    assert ours["sci"].shape == theirs.data.shape
    info = theirs.meta.wcsinfo
    for key in ("CRPIX1", "CRPIX2", "PC1_1", "PC1_2", "PC2_1", "PC2_2"):
        assert ours.attrs[key] == pytest.approx(getattr(info, key.lower()), rel=1e-12, abs=1e-15)
    assert abs(ours.attrs["PC1_2"]) > 0.1  # really turned
    assert ours.attrs["S_REGION"] == info.s_region
    np.testing.assert_allclose(get_wcs(ours)(3.0, 5.0, 7.0), theirs.meta.wcs(3.0, 5.0, 7.0))
    both = (ours["dq"].values == 0) & (theirs.dq == 0)
    assert both.mean() > 0.5
    np.testing.assert_allclose(ours["sci"].values[both], theirs.data[both], rtol=1e-2, atol=1e-6)
    # the spaxel centres' coordinates are the turned grid's
    ny, nx = ours["ra"].shape
    ra, dec, _ = get_wcs(ours)(np.arange(nx)[None, :], np.arange(ny)[:, None], 0)
    np.testing.assert_allclose(ours["ra"], ra, atol=1e-10)
    np.testing.assert_allclose(ours["dec"], dec, atol=1e-10)
