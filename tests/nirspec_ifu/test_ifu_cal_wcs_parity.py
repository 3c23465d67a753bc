"""The ``meta.wcs`` of a NIRSpec IFU file spec2x writes, as jwst reads it: stdatamodels opens
it and jwst's ``nrs_wcs_set_input`` gives each slice's WCS, equal to that of jwst 3.0.0's
AssignWcsStep (its default coordinate-based WCS) on the same exposure."""

from __future__ import annotations

import numpy as np
import pytest
from gwcs.wcstools import grid_from_bounding_box
from ifu_helpers import folder, jwst_step, ours

from spec2x.io.fits import open_product, write_fits
from spec2x.wcs.store import get_wcs, slit_wcs

pytestmark = [pytest.mark.parity, pytest.mark.slow]

#: Slices compared one by one (the ends and the middle of the slicer, in jwst's numbering).
SLICES = (0, 1, 7, 14, 15, 22, 29)


@pytest.fixture(scope="module")
def written():
    """spec2x's PRISM exposure after assign_wcs, written as an IFU ``_cal`` file."""
    return write_fits(ours(), folder() / "ifu_meta_wcs_cal.fits")


@pytest.fixture(scope="module")
def pair(written):
    """(the written file opened by stdatamodels, jwst's AssignWcsStep result)."""
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    pytest.importorskip("jwst")
    with datamodels.open(written) as model:
        yield model, jwst_step()


def test_frames_and_slice_map_as_jwst(pair):
    mine, theirs = pair
    assert type(mine).__name__ == "IFUImageModel"
    assert mine.meta.wcs.available_frames == theirs.meta.wcs.available_frames
    np.testing.assert_array_equal(mine.regions, theirs.regions)
    selector = mine.meta.wcs.pipeline[1].transform
    np.testing.assert_array_equal(selector.label_mapper.mapper, theirs.regions)
    theirs_selector = theirs.meta.wcs.pipeline[1].transform
    labels = [selector.label_mapper.inverse.mapper, theirs_selector.label_mapper.inverse.mapper]
    assert [float(k) for k in labels[0]] == [float(k) for k in labels[1]]


def test_slice_wcs_as_jwst(pair):
    """jwst's slice WCS of spec2x's file: the same box and coordinates (bit for bit measured)."""
    from jwst.assign_wcs.nirspec import nrs_wcs_set_input

    mine, theirs = pair
    for s in SLICES:
        ours_wcs, jwst_wcs = nrs_wcs_set_input(mine, s), nrs_wcs_set_input(theirs, s)
        box = jwst_wcs.bounding_box.bounding_box(order="F")
        assert ours_wcs.bounding_box.bounding_box(order="F") == box, s
        x, y = grid_from_bounding_box(jwst_wcs.bounding_box)
        world, expected = np.array(ours_wcs(x, y)), np.array(jwst_wcs(x, y))
        np.testing.assert_array_equal(np.isnan(world), np.isnan(expected))
        np.testing.assert_allclose(world, expected, rtol=1e-12, equal_nan=True)
        # what cube_build maps: detector -> slicer, slicer -> world
        to_slicer = ours_wcs.get_transform("coordinates", "slicer")(x, y)
        expected = jwst_wcs.get_transform("coordinates", "slicer")(x, y)
        np.testing.assert_allclose(to_slicer, expected, rtol=1e-12, atol=1e-15, equal_nan=True)


def test_whole_frame_as_jwst(pair):
    """``meta.wcs`` itself (the slice map picks the slice) on every 8th row of the detector."""
    mine, theirs = pair
    y, x = np.indices(theirs.data.shape, dtype=float)
    y, x = y[::8], x[::8]
    np.testing.assert_allclose(
        np.array(mine.meta.wcs(x, y)), np.array(theirs.meta.wcs(x, y)), rtol=1e-12, equal_nan=True
    )


def test_spec2x_reads_its_slices_back(written):
    ds = ours()
    back = open_product(written)
    assert all(v._wcs is None for v in slit_wcs(back).values())  # nothing decoded on open
    for s in (0, 29):
        x, y = grid_from_bounding_box(get_wcs(ds, slit=str(s)).bounding_box)
        np.testing.assert_array_equal(
            np.array(get_wcs(back, slit=str(s))(x, y)), np.array(get_wcs(ds, slit=str(s))(x, y))
        )
    assert back.attrs["wcs"]["3"] == ds.attrs["wcs"]["3"]
