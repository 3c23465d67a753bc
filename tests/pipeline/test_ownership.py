"""``spec2x.ownership``: which arrays the chain may let a step overwrite."""

from __future__ import annotations

import gc

import numpy as np
import pytest
import xarray as xr

from spec2x.ownership import Guard
from spec2x.slits import to_tree


def _group(n: int = 2, seed: int = 0) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    dims = ("slit", "y", "x")
    pixels = {k: (dims, rng.random((n, 3, 4), np.float32)) for k in ("sci", "err", "var_poisson")}
    return xr.Dataset({**pixels, "dq": (dims, np.zeros((n, 3, 4), np.uint32))})


def test_fresh_arrays_are_free_and_guarded_ones_are_not():
    caller = _group()
    made = caller + 0  # a step's new arrays
    guard = Guard(caller)
    assert guard.free(made)
    assert not guard.free(caller)
    assert not guard.free(made, {"cal": made})  # a product held for writing
    assert not guard.free(caller.isel(slit=slice(1, 2), x=slice(1, 3)))  # views of the caller


def test_a_view_keeps_its_memory_guarded_until_everything_on_it_is_gone():
    caller = _group()
    view = caller["sci"].values[:, 1:]
    guard = Guard(caller)
    del caller
    gc.collect()
    assert not guard.free(xr.Dataset({"sci": (("slit", "y", "x"), view)}))  # still the caller's
    del view
    gc.collect()
    assert all(ref() is None for ref in guard._owners.values())
    assert guard.free(_group(seed=5))


def test_read_only_foreign_or_dask_data_are_never_free():
    made = _group()
    read_only = made.copy(deep=True)
    read_only["sci"].values.flags.writeable = False
    assert not Guard().free(read_only)
    buffer = np.frombuffer(bytearray(96), np.float32).reshape(2, 3, 4)
    assert not Guard().free(made.assign(sci=(("slit", "y", "x"), buffer)))
    pytest.importorskip("dask")
    assert not Guard().free(made.chunk({"slit": 1}))
    assert not Guard().free(xr.Dataset({"wavelength": ("x", np.arange(3.0))}))  # no pixels


def test_every_group_of_a_tree_is_checked():
    first, second = _group(seed=1), _group(seed=2)
    tree = to_tree([first, second])
    assert isinstance(tree, xr.DataTree)
    assert Guard().free(tree)
    assert not Guard(second).free(tree)


def test_pixel_arrays_sharing_memory_are_never_free():
    made = _group()
    assert not Guard().free(made.assign(err=made["sci"]))  # one result written over another
    stacked = np.random.default_rng(3).random((2, 2, 3, 4), np.float32)
    halves = made.assign(sci=(made["sci"].dims, stacked[0]), err=(made["err"].dims, stacked[1]))
    assert Guard().free(halves)  # two parts of one allocation that do not overlap
