"""``merge_spectra`` concatenates a variable at a time: the product of one concatenation;
with ``consume`` each part's column goes once merged (the same product)."""

from __future__ import annotations

import weakref

import numpy as np
import products
import xarray as xr

from spec2x.slits import _alike, _pad, merge_spectra


def _part(seed: int, nspec: int, nslit: int, extra: bool) -> xr.Dataset:
    ds = products.x1d(seed=seed, nspec=nspec).isel(slit=slice(0, nslit))
    ds = ds.assign_coords(source_id=("slit", [seed * 10 + k for k in range(nslit)]))
    ds = ds.assign_coords(spectral_order=("slit", [1] * nslit), exptype="NRC_WFSS")
    ds = ds.assign_coords(trace=(("slit", "spectral"), np.full((nslit, nspec), float(seed))))
    return ds.assign_coords(pthlss=("slit", [0.5] * nslit)) if extra else ds


def test_merged_spectra_equal_one_concatenation_of_the_padded_groups():
    parts = [_part(2, 50, 2, True), _part(3, 30, 1, False), _part(4, 40, 2, True)]
    merged = merge_spectra(parts)
    padded = [_pad(p, {"spectral": 50}) for p in _alike(parts)]
    once = xr.concat(
        padded, dim="slit", data_vars="all", coords="different", compat="equals", join="exact"
    )
    xr.testing.assert_identical(merged, once.assign_attrs(merged.attrs))
    assert list(merged.data_vars) == list(once.data_vars)


def test_consumed_parts_give_the_same_product_and_their_columns_go():
    def parts() -> list[xr.Dataset]:
        return [_part(2, 50, 2, True), _part(3, 30, 1, False), _part(4, 40, 2, True)]

    expected = merge_spectra(parts())
    given = parts()
    flux = weakref.ref(given[1]["flux"].values)
    merged = merge_spectra(given, consume=True)
    assert given == []
    assert flux() is None  # the part's column is held by nothing any more
    xr.testing.assert_identical(merged, expected)
