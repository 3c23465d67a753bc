"""A superstripe time series' ``INT_TIMES_STRIPE`` table: read, and written back unchanged in
jwst's column order (``spec2x.io.fits_stripe_times``), NumPy or Dask."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from spec2x.io.fits import open_exposure, write_fits
from spec2x.io.fits_stripe_times import COLUMNS, stripe_times_hdu
from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.superstripe import BJD_OFFSET, with_superstripes


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    ds = with_superstripes(make_soss_rateints(nints=2, seed=4), stripes=3)
    return write_fits(ds, tmp_path_factory.mktemp("supstp") / "soss_rateints.fits")


def test_table_as_jwst_writes_it(written):
    with fits.open(written) as hdul:
        table = hdul["INT_TIMES_STRIPE"].data
        assert table.dtype.names == COLUMNS
        assert list(table["integration_number"]) == [1, 1, 1, 2, 2, 2]
        assert list(table["stripe_number"]) == [1, 2, 3, 1, 2, 3]
        np.testing.assert_allclose(
            table["int_mid_BJD_TDB"] - table["int_mid_MJD_UTC"], BJD_OFFSET, rtol=1e-6
        )
        times = hdul["INT_TIMES"].data  # an integration: its first stripe's start ...
        np.testing.assert_array_equal(table["int_start_MJD_UTC"][::3], times["int_start_MJD_UTC"])
        ends = table["int_end_MJD_UTC"][2::3]  # ... to its last stripe's end
        np.testing.assert_allclose(ends, times["int_end_MJD_UTC"], rtol=0, atol=1e-9)
        assert hdul[0].header["SUBARRAY"] == "SUB680STRIPE_SOSS"


@pytest.mark.parametrize("chunks", [None, {"integration": 1}])
def test_read_and_written_back_in_jwst_order(written, tmp_path, chunks):
    ds = open_exposure(written, chunks=chunks)
    names = [str(n) for n in ds.coords if str(n).startswith("stripe_times_")]
    assert sorted(names) == sorted(f"stripe_times_{c}" for c in COLUMNS)
    shuffled = ds.drop_vars(names).assign_coords({n: ds.coords[n] for n in reversed(names)})
    again = write_fits(shuffled, tmp_path / "again_rateints.fits")
    with fits.open(written) as a, fits.open(again) as b:
        first, second = a["INT_TIMES_STRIPE"].data, b["INT_TIMES_STRIPE"].data
        assert second.dtype == first.dtype
        for name in COLUMNS:
            np.testing.assert_array_equal(second[name], first[name])


def test_no_table_without_stripe_times():
    assert stripe_times_hdu(make_soss_rateints(nints=1)) is None
