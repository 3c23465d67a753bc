"""The NIRSpec IFU point cloud and cube, without jwst: positions as the slice WCS, footprint, errors."""

from __future__ import annotations

import numpy as np
import pytest
from ifu_helpers import folder, ours

from spec2x.errors import ReferenceMismatchError
from spec2x.instruments.nirspec.ifu import ifu_coordinates
from spec2x.instruments.nirspec.ifu_cube import nrs_ifu_point_cloud, s_region_corners
from spec2x.steps.cube_build import cube_build
from spec2x.synthetic.nirspec_cubepar import write_nirspec_cubepar

pytestmark = pytest.mark.slow  # the full-frame IFU WCS and three cubes: about a minute


@pytest.fixture(scope="module")
def exposure():
    ds = ours("PRISM")
    ds["sci"].attrs["units"] = "MJy/sr"
    return ds


def test_cloud_is_every_slice_pixel_at_its_slice_wcs(exposure):
    cloud = nrs_ifu_point_cloud(exposure)
    coords = ifu_coordinates(exposure)
    inside = exposure["regions"].values > 0
    # jwst keeps each slice's pixels with a wavelength: the slice map's pixels
    assert cloud.ra.size == inside.sum()
    np.testing.assert_allclose(cloud.ra, coords["ra"].values[inside], rtol=0, atol=1e-12)
    np.testing.assert_allclose(cloud.wave, coords["wavelength"].values[inside], rtol=1e-12)
    assert (cloud.dwave[np.isfinite(cloud.dwave)] > 0).all()
    good = np.isfinite(cloud.corner_ra).all(1)
    assert good.mean() > 0.9  # only pixels at the slice ends lose a corner
    # each pixel's centre lies within its four corners' span
    for c, v in ((cloud.corner_ra, cloud.ra), (cloud.corner_dec, cloud.dec)):
        assert (c[good].min(1) <= v[good]).all()
        assert (v[good] <= c[good].max(1)).all()


def test_footprint_from_s_region(exposure):
    ra, dec = s_region_corners(exposure)
    assert ra.size == dec.size == 4
    assert s_region_corners(exposure.assign_attrs(TARGTYPE="MOVING")) is None


def test_cube_of_the_exposure_grating(exposure):
    cubepar = write_nirspec_cubepar(folder() / "unit_cubepar.fits")
    cube = cube_build(exposure, cubepar)
    assert cube.attrs["GRATING"] == "PRISM"
    assert "CHANNEL" not in cube.attrs
    assert cube["wavelength"].values[0] == pytest.approx(0.6025, abs=1e-6)
    flat = cube["sci"].values[cube["dq"].values == 0]
    assert np.nanmedian(flat) == pytest.approx(1.0, rel=0.05)  # the flat 1 DN/s scene
    with pytest.raises(ReferenceMismatchError, match="g395m"):
        cube_build(exposure.assign_attrs(GRATING="G395M", FILTER="F290LP"), _without(cubepar))


def _without(path):
    """A cubepar file with no G395M row."""
    from astropy.io import fits

    out = path.with_name("cubepar_no_g395m.fits")
    with fits.open(path) as hdul:
        table = hdul["CUBEPAR"].data
        hdul["CUBEPAR"].data = table[table["DISPERSER"] != "G395M"]
        hdul.writeto(out, overwrite=True)
    return out
