"""resample_spec's pixmap: the output WCS's inverse on a slit's rectangle only equals it
evaluated on every pixel of the detector (NaN outside the slit)."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.modeling import models
from gwcs import coordinate_frames as cf
from gwcs import wcs as gwcs_wcs

from spec2x._kernels.resample_spec import between, output_pixmap


def _out_wcs() -> gwcs_wcs.WCS:
    """A rectified output WCS: pixels to a rotated, scaled and shifted plane."""
    forward = (models.Shift(-3.25) & models.Shift(7.5)) | models.Rotation2D(23.0)
    forward = forward | (models.Scale(0.11) & models.Scale(2.5e-3))
    return gwcs_wcs.WCS([(cf.Frame2D(name="detector"), forward), (cf.Frame2D(name="world"), None)])


def _full(world: tuple[np.ndarray, ...], out_wcs: gwcs_wcs.WCS) -> np.ndarray:
    x, y = between(out_wcs, "world", "detector")(*world)
    return np.dstack([x, y])


@pytest.mark.parametrize("box", [(slice(40, 52), slice(3, 90)), (slice(None), slice(None)), None])
def test_pixmap_on_the_slit_rectangle_equals_the_whole_detector(box):
    rng = np.random.default_rng(7)
    shape = (64, 96)
    world = [rng.uniform(-1, 1, shape), rng.uniform(-0.1, 0.1, shape)]
    outside = np.ones(shape, bool)
    if box is not None:
        outside[box] = False
    for w in world:
        w[outside] = np.nan
    world[1][45, 10] = np.nan  # NaN in one coordinate only, inside the slit
    out_wcs = _out_wcs()
    got = output_pixmap(tuple(world), out_wcs)
    expected = _full(tuple(world), out_wcs)
    assert got.shape == expected.shape == (*shape, 2)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
