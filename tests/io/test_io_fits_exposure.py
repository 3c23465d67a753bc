"""Exposure FITS I/O: jwst-written files open in spec2x, spec2x files open in stdatamodels."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from helpers import raise_if_dask_computes

from spec2x.datamodel import make_exposure
from spec2x.io import open_exposure, write_fits

dm = pytest.importorskip("stdatamodels.jwst.datamodels")

ATTRS = {
    "INSTRUME": "NIRSPEC",
    "DETECTOR": "NRS1",
    "EXP_TYPE": "NRS_BRIGHTOBJ",
    "SUBARRAY": "SUB2048",
    "FILTER": "CLEAR",
    "GRATING": "PRISM",
    "V2_REF": 378.563202,
    "V3_REF": -428.402832,
    "ROLL_REF": 138.4,
    "RA_REF": 10.25,
    "DEC_REF": -5.5,
    "VPARITY": -1,
    "V3I_YANG": 138.5,
    "S_REGION": "POLYGON ICRS 1.0 2.0 3.0 4.0",
    "WCSAXES": 2,
    "CRPIX1": 1.5,
    "TSOVISIT": True,
    "S_FLAT": "COMPLETE",
    "R_FLAT": "crds://jwst_nirspec_flat_0001.fits",
}


def _rateints(nint: int = 3, seed: int = 0) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    shape = (nint, 72, 416)
    sci = rng.normal(size=shape).astype(np.float32)
    sci[0, 0, :3] = np.nan
    dq = rng.integers(0, 2**32, size=shape, dtype=np.uint64).astype(np.uint32)
    var = rng.uniform(0, 1, size=(3, *shape)).astype(np.float32)
    int_times = {
        "integration_number": np.arange(1, nint + 1, dtype=np.int32),
        "int_mid_MJD_UTC": np.linspace(60000.0, 60000.1, nint),
    }
    return make_exposure(
        sci,
        dq=dq,
        var_poisson=var[0],
        var_rnoise=var[1],
        var_flat=var[2],
        attrs=ATTRS,
        xstart=1,
        ystart=529,
        int_times=int_times,
    )


def test_spec2x_rateints_opens_in_stdatamodels(tmp_path):
    ds = _rateints()
    path = write_fits(ds, tmp_path / "x_rateints.fits")
    with dm.open(path) as model:
        assert type(model).__name__ == "CubeModel"
        np.testing.assert_array_equal(model.data, ds["sci"].values)
        np.testing.assert_array_equal(model.dq, ds["dq"].values)
        np.testing.assert_array_equal(model.var_rnoise, ds["var_rnoise"].values)
        assert model.meta.instrument.name == "NIRSPEC"
        assert model.meta.exposure.type == "NRS_BRIGHTOBJ"
        assert model.meta.subarray.xstart == 1
        assert model.meta.subarray.ystart == 529
        assert model.meta.subarray.xsize == 416
        assert model.meta.subarray.ysize == 72
        assert model.meta.wcsinfo.v2_ref == ATTRS["V2_REF"]
        assert model.meta.wcsinfo.roll_ref == ATTRS["ROLL_REF"]
        assert model.meta.wcsinfo.vparity == -1
        assert model.meta.wcsinfo.s_region == ATTRS["S_REGION"]
        assert model.meta.cal_step.flat_field == "COMPLETE"
        assert model.meta.visit.tsovisit is True
        np.testing.assert_array_equal(
            model.int_times["int_mid_MJD_UTC"], ds["int_times_int_mid_MJD_UTC"].values
        )


def test_fits_round_trip_exact(tmp_path):
    ds = _rateints()
    path = write_fits(ds, tmp_path / "x_rateints.fits")
    back = open_exposure(path)
    expected = ds.assign_attrs(FILENAME="x_rateints.fits", DATAMODL="CubeModel")
    xr.testing.assert_identical(back, expected)


def test_lazy_open_matches_eager_and_does_not_compute(tmp_path):
    path = write_fits(_rateints(nint=4), tmp_path / "x_rateints.fits")
    eager = open_exposure(path)
    with raise_if_dask_computes():
        lazy = open_exposure(path, chunks={"integration": 1})
    assert lazy["sci"].chunks[0] == (1, 1, 1, 1)
    xr.testing.assert_identical(lazy.compute(), eager)
    auto = open_exposure(path, chunks="auto")
    xr.testing.assert_identical(auto.compute(), eager)
