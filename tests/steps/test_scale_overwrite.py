"""``scale`` / ``scale_by`` writing into their inputs (``overwrite``): the same numbers."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from spec2x._kernels.scale import scale
from spec2x.steps._scale import scale_by

_DIMS = ("slit", "y", "x")


def _exposure(seed: int = 3) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    shape = (2, 5, 6)
    pixels = {k: (_DIMS, rng.random(shape, np.float32)) for k in ("sci", "err", "var_poisson",
                                                                  "var_rnoise", "var_flat")}  # fmt: skip
    pixels["sci"][1][0, 0, 0] = np.nan
    dq = np.zeros(shape, np.uint32)
    dq[1, 2, 3] = 1
    return xr.Dataset({**pixels, "dq": (_DIMS, dq)})


@pytest.mark.parametrize("operation", ["multiply", "divide"])
def test_scale_by_overwrite_gives_the_same_numbers_in_the_input_arrays(operation):
    ds = _exposure()
    factor = xr.DataArray(np.random.default_rng(4).uniform(0.5, 2.0, (2, 5, 6)), dims=_DIMS)
    flags = (factor > 1.8).astype(np.uint32) * np.uint32(4)
    expected = scale_by(ds, factor, operation=operation, factor_dq=flags)
    before = {k: ds[k].values.copy() for k in ds.data_vars}
    assert all(np.array_equal(ds[k].values, v, equal_nan=True) for k, v in before.items())
    arrays = {k: ds[k].values for k in ds.data_vars}
    out = scale_by(ds, factor, operation=operation, factor_dq=flags, overwrite=True)
    for name, array in arrays.items():
        np.testing.assert_array_equal(out[name].values, expected[name].values)
        assert np.shares_memory(out[name].values, array)  # written in place


def test_kernel_overwrite_with_a_flat_error_and_its_limits():
    ds = _exposure()
    args = [ds[k].values for k in ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat")]
    factor, var = np.full((5, 6), 2.0, np.float32), np.full((5, 6), 0.01, np.float32)
    expected = scale(*[a.copy() for a in args], factor, operation="divide", factor_var=var)
    got = scale(*args, factor, operation="divide", factor_var=var, overwrite=True)
    for a, b, given in zip(got, expected, args, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a is given
    with pytest.raises(ValueError, match="where"):
        scale(*args, factor, where=np.ones((5, 6), bool), overwrite=True)
    small = [a[:, :1] for a in args]  # cannot hold the broadcast result: new arrays
    wide = scale(*small, np.ones((2, 5, 6)), overwrite=True)
    assert wide[0].shape == (2, 5, 6)
    assert not np.shares_memory(wide[0], small[0])
