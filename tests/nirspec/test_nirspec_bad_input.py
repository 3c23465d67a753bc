"""NIRSpec fixed slit, bad input: one clear error naming what is wrong."""

from __future__ import annotations

import numpy as np
import pytest
from nrs_helpers import BASE_ATTRS, shared_paths

from spec2x.datamodel import make_exposure
from spec2x.errors import InputFileError, MissingReferenceError
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.steps.extract_2d import extract_2d


def _subarray(ystart: int) -> object:
    attrs = dict(BASE_ATTRS, SUBARRAY="SUBS200A1", SUBSTRT2=ystart, SUBSIZE2=64)
    return make_exposure(np.zeros((64, 2048), np.float32), attrs=attrs, ystart=ystart)


def test_missing_disperser_reference_is_named():
    paths = {k: v for k, v in shared_paths().items() if k != "disperser"}
    with pytest.raises(MissingReferenceError, match="disperser"):
        assign_wcs(_subarray(1041), paths)


def test_subarray_that_covers_no_slit():
    """jwst keeps a slit that lands anywhere on the 2048-pixel detector, even off the
    subarray; so does assign_wcs (no wavelength on any pixel), and extract_2d stops."""
    ds = _subarray(1)  # rows 0-63; S200A1 falls near row 1060
    assigned = assign_wcs(ds, shared_paths())
    assert list(assigned.attrs["wcs"]) == ["S200A1"]
    assert not np.isfinite(assigned["wavelength"].values).any()
    with pytest.raises(InputFileError, match="slit S200A1 .* not on the 64 x 2048 SUBS200A1"):
        extract_2d(assigned)
    assert "wcs" not in ds.attrs
