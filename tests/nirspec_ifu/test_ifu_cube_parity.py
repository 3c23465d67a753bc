"""cube_build on a NIRSpec IFU exposure against jwst 3.0.0's CubeBuildStep (spec2's settings)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_cube_grid_as_jwst
from ifu_cube_helpers import cubepar, jwst_cube, our_cal

from spec2x.io.fits import write_fits
from spec2x.steps.cube_build import cube_build
from spec2x.wcs.store import get_wcs

pytestmark = [pytest.mark.parity, pytest.mark.slow]


@pytest.fixture(scope="module")
def pair():
    """(our PRISM cube, jwst's) from the same exposure with a point source."""
    pytest.importorskip("jwst")
    return cube_build(our_cal("PRISM"), cubepar()), jwst_cube("PRISM")


def test_same_grid_and_wcs(pair):
    ours, theirs = pair
    assert_cube_grid_as_jwst(ours, theirs)
    z, y, x = (np.arange(n, dtype=np.float64) for n in ours["sci"].shape)
    grid = np.meshgrid(x, y, z, indexing="ij")
    for mine, jwst in zip(get_wcs(ours)(*grid), theirs.meta.wcs(*grid), strict=True):
        np.testing.assert_allclose(mine, jwst, rtol=1e-12, atol=1e-9)


def test_same_values(pair):
    ours, theirs = pair
    dq = ours["dq"].values
    np.testing.assert_array_equal(dq, theirs.dq)
    both = dq == 0
    assert both.mean() > 0.3
    for name, jwst in (("sci", theirs.data), ("err", theirs.err)):
        np.testing.assert_allclose(ours[name].values[both], jwst[both], rtol=1e-5, atol=1e-9)
    # a pixel grazing a spaxel's edge counted or not: 1.6e-5 of spaxels
    assert (ours["weightmap"].values != theirs.weightmap).mean() < 1e-4
    assert np.nanmax(ours["sci"].values) > 20  # the source is there


def test_s3d_opens_as_jwst_ifucubemodel(pair, tmp_path):
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    ours, theirs = pair
    path = write_fits(ours, tmp_path / "nrs_prism-clear_s3d.fits")
    with datamodels.IFUCubeModel(str(path)) as model:
        model.validate()
        np.testing.assert_array_equal(model.data, ours["sci"].values)
        assert model.meta.instrument.grating == "PRISM"
        assert model.meta.instrument.filter == "CLEAR"
        assert model.meta.cal_step.cube_build == "COMPLETE"
        np.testing.assert_allclose(model.meta.wcs(3.0, 4.0, 5.0), theirs.meta.wcs(3.0, 4.0, 5.0))


@pytest.mark.parametrize("weighting", ["emsm"])
def test_shepard_weighting_as_jwst(pair, weighting):
    theirs = jwst_cube("PRISM", weighting=weighting)
    ours = cube_build(our_cal("PRISM"), cubepar(), weighting=weighting)
    assert ours.attrs["ROIS"] == pytest.approx(theirs.meta.ifu.roi_spatial)
    dq = ours["dq"].values
    assert (dq != theirs.dq).mean() < 1e-4
    both = (dq == 0) & (theirs.dq == 0)
    np.testing.assert_allclose(ours["sci"].values[both], theirs.data[both], rtol=1e-5, atol=1e-9)


def test_ifualign_as_jwst():
    """``coord_system='ifualign'``: the slices' length along x; grid, rotation and values
    as jwst's."""
    theirs = jwst_cube("PRISM", coord_system="ifualign")
    ours = cube_build(our_cal("PRISM"), cubepar(), coord_system="ifualign")
    assert ours["sci"].shape == theirs.data.shape
    info = theirs.meta.wcsinfo
    for key in ("CRPIX1", "CRPIX2", "CDELT1", "CDELT2", "CDELT3", "CRVAL3"):
        assert ours.attrs[key] == pytest.approx(getattr(info, key.lower()), rel=1e-10), key
    for key in ("PC1_1", "PC1_2", "PC2_1", "PC2_2"):
        assert ours.attrs[key] == pytest.approx(getattr(info, key.lower()), abs=1e-10), key
    assert ours.attrs["S_REGION"] == info.s_region
    dq = ours["dq"].values
    assert (dq != theirs.dq).mean() < 1e-4
    both = (dq == 0) & (theirs.dq == 0)
    assert both.mean() > 0.3
    np.testing.assert_allclose(ours["sci"].values[both], theirs.data[both], rtol=1e-5, atol=1e-9)
