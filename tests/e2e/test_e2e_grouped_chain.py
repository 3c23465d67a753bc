"""A slits product held in padded groups runs through the whole chain like one stack.

``extract_2d`` holds slits of too different shapes in padded groups (a
DataTree, see ``spec2x.slits``); every later step then runs per group and
extract_1d merges the spectra.  Forcing one group per slit on a full-frame NIRSpec
FS exposure (five slits) must give, slit by slit, the products of the single stack, and
those products must survive FITS and Zarr.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import xarray as xr

import spec2x.steps.extract_2d as extract_2d_step
from spec2x import open_product, open_zarr, spec2, to_zarr, write_fits
from spec2x.slits import groups, iter_slits
from spec2x.synthetic.extract_refs import write_nirspec_fs_extract1d
from spec2x.synthetic.nirspec import make_nirspec_fs


def _by_name(slits) -> dict[str, xr.Dataset]:
    return {str(s["slit_name"].values[0]): s for s in iter_slits(slits)}


def _same_slits(ours, single) -> None:
    """Every slit of ``ours`` equals the same slit of ``single`` (padding dropped)."""
    a, b = _by_name(ours), _by_name(single)
    assert sorted(a) == sorted(b)
    for name, slit in a.items():
        other = b[name]
        for var in ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat"):
            np.testing.assert_array_equal(
                slit[var].values, other[var].values, err_msg=f"{name} {var}"
            )
        np.testing.assert_array_equal(slit["wavelength"].values, other["wavelength"].values)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    truth = make_nirspec_fs(3, subarray="FULL", folder=tmp_path_factory.mktemp("nrs_full"))
    exposure, refs = truth.rate_paths[0], dict(truth.refs, apcorr="N/A")
    refs["extract1d"] = write_nirspec_fs_extract1d(truth.refs_dir, "NRS_FIXEDSLIT")
    single = spec2(exposure, refs)
    forced = functools.partial(extract_2d_step.extract_2d, max_padding=1.0, min_pixels=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(extract_2d_step, "extract_2d", forced)
        grouped = spec2(exposure, refs)
    return single, grouped


@pytest.mark.slow
def test_grouped_cal_and_s2d_equal_the_single_stack(two_runs):
    single, grouped = two_runs
    assert isinstance(grouped["cal"], xr.DataTree)
    assert len(groups(grouped["cal"])) > 1
    assert isinstance(single["cal"], xr.Dataset)
    _same_slits(grouped["cal"], single["cal"])
    _same_slits(grouped["s2d"], single["s2d"])
    status = {k: v for k, v in single["cal"].attrs.items() if k.startswith("S_")}
    assert {k: grouped["cal"].attrs.get(k) for k in status} == status


@pytest.mark.slow
def test_grouped_spectra_are_merged_and_equal(two_runs):
    single, grouped = two_runs
    x1d, ref = grouped["x1d"], single["x1d"]
    assert isinstance(x1d, xr.Dataset)
    order = [list(ref["slit_name"].values).index(n) for n in x1d["slit_name"].values]
    assert sorted(order) == list(range(ref.sizes["slit"]))
    for name in ("flux", "surf_bright", "wavelength"):
        np.testing.assert_array_equal(x1d[name].values, ref[name].values[order], err_msg=name)


@pytest.mark.slow
def test_grouped_products_round_trip_fits_and_zarr(two_runs, tmp_path):
    _, grouped = two_runs
    for suffix in ("cal", "s2d"):
        product = grouped[suffix]
        _same_slits(open_product(write_fits(product, tmp_path / f"g_{suffix}.fits")), product)
        to_zarr(product, tmp_path / f"g_{suffix}.zarr")
        _same_slits(open_zarr(tmp_path / f"g_{suffix}.zarr"), product)
