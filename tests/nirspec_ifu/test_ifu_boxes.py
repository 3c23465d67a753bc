"""The IFU slice boxes' wavelengths from assign_wcs's maps equal the slices' WCS on every box pixel."""

from __future__ import annotations

import numpy as np
from ifu_helpers import ours

from spec2x.instruments.nirspec.ifu_boxes import slice_boxes


def _by_wcs():
    """Every box pixel through its slice's WCS (no slice map: nothing taken from the maps)."""
    return slice_boxes(ours("PRISM").drop_vars("regions")).wavelength


def test_boxes_from_the_maps_equal_the_wcs():
    assert np.array_equal(slice_boxes(ours("PRISM")).wavelength, _by_wcs(), equal_nan=True)


def test_a_pixel_a_later_slice_took_goes_through_the_wcs():
    ds = ours("PRISM")
    regions, wavelength = ds["regions"].values.copy(), ds["wavelength"].values.copy()
    yi, xi = np.nonzero(regions == 4)  # slice 3
    row = yi == yi.min()
    regions[yi[row], xi[row]] = 30  # as if slice 29 had them, with its wavelengths
    wavelength[yi[row], xi[row]] = -1.0
    taken = ds.assign_coords(regions=(("y", "x"), regions), wavelength=(("y", "x"), wavelength))
    boxes = slice_boxes(taken)
    assert np.array_equal(boxes.wavelength[3], _by_wcs()[3], equal_nan=True)
    assert np.isfinite(boxes.wavelength[3, yi[row] - boxes.y0[3], xi[row] - boxes.x0[3]]).all()


def test_a_float32_map_is_not_used():
    ds = ours("PRISM")
    rounded = ds.assign_coords(wavelength=ds["wavelength"].astype(np.float32))
    assert np.array_equal(slice_boxes(rounded).wavelength, _by_wcs(), equal_nan=True)
