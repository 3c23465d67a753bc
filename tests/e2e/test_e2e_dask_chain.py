"""Dask through the whole chain: a rateints chunked along ``integration`` gives the same
``_calints`` and ``_x1dints`` as the NumPy run (the demo's files)."""

from __future__ import annotations

import dask
import numpy as np
import pytest

from spec2x.io.fits import open_exposure, open_product
from spec2x.pipeline import spec2


@pytest.mark.slow
def test_chunked_tso_chain_equals_numpy(demo_runs):
    manifest = demo_runs("mir_lrs_slitless")
    lazy = open_exposure(manifest["input"], chunks={"integration": 16})
    assert lazy["sci"].chunks is not None
    assert len(lazy["sci"].chunks[0]) > 1
    with dask.config.set(scheduler="threads"):
        products = spec2(lazy, manifest["refs"])
        x1d = products["x1dints"].compute()
        cal = products["calints"].compute()
    numpy_x1d = open_product(manifest["products"]["x1dints"])
    numpy_cal = open_product(manifest["products"]["calints"])
    for var in ("flux", "flux_error", "surf_bright", "background", "npixels", "wavelength"):
        np.testing.assert_allclose(x1d[var].values, numpy_x1d[var].values, rtol=1e-12, err_msg=var)
    np.testing.assert_array_equal(x1d["dq"].values, numpy_x1d["dq"].values)
    for var in ("sci", "err", "var_poisson", "var_rnoise", "var_flat"):
        np.testing.assert_array_equal(cal[var].values, numpy_cal[var].values, err_msg=var)
    np.testing.assert_array_equal(cal["dq"].values, numpy_cal["dq"].values)
