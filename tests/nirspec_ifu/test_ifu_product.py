"""An IFU exposure after assign_wcs written to FITS: jwst's IFUImageModel with its REGIONS map."""

from __future__ import annotations

import numpy as np
import pytest
from ifu_helpers import ours

from spec2x.io.fits import open_product, write_fits
from spec2x.wcs.store import get_wcs


@pytest.mark.slow
def test_assigned_exposure_round_trips(tmp_path):
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    ds = ours()
    path = write_fits(ds, tmp_path / "ifu_assign_wcs.fits")
    with datamodels.open(path) as model:
        assert isinstance(model, datamodels.IFUImageModel)
        np.testing.assert_array_equal(model.regions, ds["regions"].values)
    back = open_product(path)
    np.testing.assert_array_equal(back["regions"].values, ds["regions"].values)
    np.testing.assert_array_equal(back["wavelength"].values, ds["wavelength"].values)
    box = get_wcs(back, slit="29").bounding_box.bounding_box(order="F")
    assert box == get_wcs(ds, slit="29").bounding_box.bounding_box(order="F")
