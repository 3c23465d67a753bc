"""NIRSpec IFU WCS: parity with jwst 3.0.0's AssignWcsStep on the synthetic IFU exposures.

The references: the CV3 camera, collimator, FPA, OTE, fore optics, PRISM
disperser and ifupost; synthetic ifuslicer, ifufore, chromcorr
(:mod:`spec2x.synthetic.nirspec_ifu_refs`) and G395M disperser.
"""

from __future__ import annotations

import numpy as np
import pytest
from ifu_helpers import jwst_step, ours

from spec2x.instruments.nirspec.ifu import ifu_coordinates
from spec2x.wcs.footprint import spectral_region
from spec2x.wcs.store import get_wcs

pytestmark = [pytest.mark.parity, pytest.mark.slow]


@pytest.fixture(scope="module", params=["PRISM", "G395M"])
def pair(request):
    """(spec2x's exposure after assign_wcs, jwst's result model) for one grating."""
    pytest.importorskip("jwst")
    return ours(request.param), jwst_step(request.param)


@pytest.fixture(scope="module")
def coords():
    return ifu_coordinates(ours())


def _box(bbox) -> tuple:
    return tuple(tuple(float(v) for v in bbox[k]) for k in range(2))


def test_slice_map_identical(pair):
    mine, theirs = pair
    regions = mine["regions"].values
    np.testing.assert_array_equal(regions, theirs.regions)
    assert set(np.unique(regions)) == set(range(31))


def test_slice_boxes_identical(pair):
    from jwst.assign_wcs.nirspec import nrs_wcs_set_input

    ds, theirs = pair
    for s in range(30):
        mine = get_wcs(ds, slit=str(s)).bounding_box.bounding_box(order="F")
        jwst = nrs_wcs_set_input(theirs, s).bounding_box.bounding_box(order="F")
        assert _box(mine) == _box(jwst), s


def test_wavelength_and_sky_on_every_pixel(pair):
    mine, theirs = pair
    y, x = np.indices(theirs.data.shape, dtype=float)
    ra, dec, lam = theirs.meta.wcs(x, y)
    coords = ifu_coordinates(mine)
    np.testing.assert_array_equal(np.isnan(mine["wavelength"].values), np.isnan(lam))
    np.testing.assert_allclose(mine["wavelength"].values, lam, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(coords["wavelength"].values, lam, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(coords["ra"].values, ra, rtol=0, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(coords["dec"].values, dec, rtol=0, atol=1e-12, equal_nan=True)
    assert mine.attrs["S_REGION"] == theirs.meta.wcsinfo.s_region
    # what the written file carries beside S_REGION (jwst's cube_build reads S_REGION only then)
    np.testing.assert_allclose(
        spectral_region(mine), theirs.meta.wcsinfo.spectral_region, rtol=1e-12
    )


def test_slit_frame_on_every_pixel(coords):
    """x_slit, y_slit and lambda of each slice's pixels against jwst's slice-based WCS."""
    pytest.importorskip("jwst")
    from jwst.assign_wcs.nirspec import nrs_wcs_set_input

    model = jwst_step(slice_wcs=True)
    slices = coords["slice"].values
    for s in range(30):
        yi, xi = np.nonzero(slices == s)
        jwst = nrs_wcs_set_input(model, s).get_transform("detector", "slit_frame")(xi, yi)
        for name, theirs_v in zip(("x_slit", "y_slit"), jwst[:2], strict=True):
            np.testing.assert_allclose(coords[name].values[yi, xi], theirs_v, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(coords["wavelength"].values[yi, xi], jwst[2] * 1e6, rtol=1e-12)
    assert np.nanmax(np.abs(coords["y_slit"].values)) <= 0.55
    assert np.nanmax(np.abs(coords["x_slit"].values)) <= 0.5 + 1e-9


def test_keywords(pair):
    ds, theirs = pair
    mine = ds.attrs
    assert mine["SPORDER"] == theirs.meta.wcsinfo.spectral_order
    assert mine["WAVSTART"] == theirs.meta.wcsinfo.waverange_start
    assert mine["WAVEND"] == theirs.meta.wcsinfo.waverange_end
    assert mine["S_WCS"] == "COMPLETE"
