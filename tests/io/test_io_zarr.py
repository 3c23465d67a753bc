"""Zarr stores: exact, lazy, chunked along integration/slit, atomic on local disk."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import raise_if_dask_computes

from spec2x.io import open_product, open_zarr, to_zarr, write_fits

sys.path.insert(0, str(Path(__file__).parent))
import products  # noqa: E402


@pytest.mark.parametrize("name", sorted(products.PRODUCTS))
def test_every_product_round_trips_exactly(name):
    ds = products.PRODUCTS[name]()
    ds.attrs.update(NP_FLOAT=np.float32(2.5), NP_BOOL=np.bool_(True), NANATTR=float("nan"))
    store = f"memory://every_{name}.zarr"
    to_zarr(ds, store)
    with raise_if_dask_computes():
        back = open_zarr(store)
    assert all(v.chunks is not None for v in back.data_vars.values())  # lazy
    xr.testing.assert_identical(back, ds)
    assert type(back.attrs["NP_FLOAT"]) is float
    assert back.attrs["NP_BOOL"] is True


def test_default_chunks_follow_integration_and_slit():
    rate = products.rateints(nint=6, ny=8, nx=8)
    to_zarr(rate, "memory://chunks_rate.zarr")
    assert open_zarr("memory://chunks_rate.zarr")["sci"].chunks == ((6,), (8,), (8,))
    to_zarr(rate, "memory://chunks_rate2.zarr", chunks={"integration": 2})
    assert open_zarr("memory://chunks_rate2.zarr")["sci"].chunks == ((2, 2, 2), (8,), (8,))
    slits = products.slits()
    to_zarr(slits, "memory://chunks_slits.zarr")
    assert open_zarr("memory://chunks_slits.zarr")["sci"].chunks[0] == (1, 1, 1)


def test_local_store_atomic_overwrite_and_lazy_source(tmp_path):
    path = write_fits(products.rateints(nint=4, ny=8, nx=16), tmp_path / "r_rateints.fits")
    lazy = open_product(path, chunks={"integration": 1})
    store = tmp_path / "r.zarr"
    to_zarr(lazy, store)  # Dask-backed input is written chunk by chunk
    xr.testing.assert_identical(open_zarr(store), lazy)
    changed = lazy.assign(sci=lazy["sci"] * 2)
    to_zarr(changed, store, overwrite=True)
    xr.testing.assert_identical(open_zarr(store), changed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.zarr", "r_rateints.fits"]


def test_per_slit_wcs_survives(tmp_path):
    ds = products.s2d(nslit=2)
    to_zarr(ds, tmp_path / "s2d.zarr")
    back = open_zarr(tmp_path / "s2d.zarr")
    assert list(back["wcs"].values) == list(ds["wcs"].values)
    from spec2x.wcs.store import get_wcs

    np.testing.assert_allclose(get_wcs(back, slit="SLIT1")(2, 3), get_wcs(ds, slit="SLIT1")(2, 3))


def test_info_describes_fits_and_zarr(tmp_path):
    from spec2x.io.info import describe, format_description

    ds = products.slits().assign_attrs(R_FLAT="crds://jwst_nirspec_fflat_0001.fits")
    path = write_fits(ds, tmp_path / "x_cal.fits")
    info = describe(path)
    assert info["datamodel"] == "MultiSlitModel"
    assert info["kind"] == "slits"
    assert info["mode"]["EXP_TYPE"] == "NRS_FIXEDSLIT"
    assert info["arrays"]["sci"] == {
        "dims": ["slit", "y", "x"],
        "shape": [3, 12, 40],
        "dtype": "float32",
        "units": "MJy",
    }
    assert info["steps"] == {"extract_2d": "COMPLETE"}
    assert info["references"] == {"R_FLAT": "crds://jwst_nirspec_fflat_0001.fits"}
    assert info["slits"] == ["S200A1", "S200A2", "S400A1"]
    text = format_description(info)
    assert "extract_2d=COMPLETE" in text
    assert "EXP_TYPE=NRS_FIXEDSLIT" in text
    to_zarr(ds, tmp_path / "x_cal.zarr")
    zinfo = describe(tmp_path / "x_cal.zarr")
    assert zinfo["format"] == "zarr"
    assert zinfo["arrays"] == info["arrays"]
