"""Slits of any shape: grouping, select / split / merge / iterate, the per-slit WCS coord."""

import numpy as np
import pytest
import xarray as xr

from spec2x.errors import InputFileError
from spec2x.slits import (
    groups,
    held_pixels,
    iter_slits,
    map_groups,
    merge,
    plan_groups,
    select,
    split,
)
from spec2x.synthetic.slit_layout import cutout_sizes, slit_layout
from spec2x.wcs.store import get_wcs, set_wcs, slit_wcs

YS = np.array([5, 30, 6, 40, 8, 12])
XS = np.array([50, 300, 60, 20, 400, 100])


@pytest.mark.parametrize(("layout", "n"), [("mos", 500), ("wfss", 2000)])
def test_groups_hold_at_most_max_padding_times_the_cutouts(layout, n):
    ys, xs = cutout_sizes(layout, n, seed=3)
    plan = plan_groups(ys, xs, max_padding=1.25)
    assert sorted(np.concatenate(plan)) == list(range(n))  # every slit once
    assert held_pixels(ys, xs, plan) <= 1.25 * (ys * xs).sum()
    assert held_pixels(ys, xs, [np.arange(n)]) > 2.5 * (ys * xs).sum()  # one stack: far more
    assert len(plan) < n / 10


def test_few_slits_or_similar_shapes_stay_one_group():
    assert len(plan_groups(YS, XS)) == 1  # small: below min_pixels
    assert len(plan_groups([30, 31, 29], [400, 410, 390], min_pixels=0)) == 1  # within 1.25
    assert len(plan_groups(YS, XS, min_pixels=0)) > 1
    assert plan_groups([], []) == []


def test_wcs_coord_follows_isel_and_concat():
    ds = merge(slit_layout(YS, XS, min_pixels=0))
    w = ds["wcs"].values
    picked = ds.isel(slit=[4, 1])
    assert list(picked["wcs"].values) == [w[4], w[1]]
    name = str(ds["slit_name"].values[4])
    np.testing.assert_allclose(get_wcs(picked, slit=name)(1, 2), get_wcs(ds, slit=name)(1, 2))
    both = xr.concat([ds.isel(slit=[0]), ds.isel(slit=[3])], dim="slit")
    assert list(both["wcs"].values) == [w[0], w[3]]
    assert set(slit_wcs(ds)) == set(ds["slit_name"].values.astype(str))


def test_set_wcs_on_a_slit_product_writes_the_coord_and_leaves_the_input():
    ds = merge(slit_layout(YS, XS, with_wcs=False))
    name = str(ds["slit_name"].values[2])
    wcs = get_wcs(merge(slit_layout(YS, XS)), slit=name)
    out = set_wcs(ds, wcs, slit=name)
    assert "wcs" not in ds.coords
    assert "wcs" not in out.attrs
    assert [w is not None for w in out["wcs"].values] == [i == 2 for i in range(len(YS))]


def test_split_merge_select_iterate():
    tree = slit_layout(YS, XS, min_pixels=0, orders=2)
    assert isinstance(tree, xr.DataTree)
    one = merge(tree)
    assert one.sizes["y"] == YS.max()
    assert one.sizes["x"] == XS.max()
    again = split(one, min_pixels=0)
    for a, b in zip(groups(again), groups(tree), strict=True):
        xr.testing.assert_identical(a, b)
    cut = list(iter_slits(tree))
    assert sorted((s.sizes["y"], s.sizes["x"]) for s in cut) == sorted(zip(YS, XS, strict=True))
    first_order = select(tree, where=lambda g: g["spectral_order"] == 1)
    assert {int(o) for g in groups(first_order) for o in g["spectral_order"].values} == {1}
    named = select(tree, names=["1_2"])
    assert isinstance(named, xr.Dataset)
    assert list(named["slit_name"].values) == ["1_2"]
    with pytest.raises(InputFileError, match="no slit matches"):
        select(tree, names=["nope"])


def test_map_groups_runs_a_step_on_every_group():
    tree = slit_layout(YS, XS, min_pixels=0)
    out = map_groups(lambda g, k: g.assign(sci=g["sci"] * k).assign_attrs(S_FLAT="DONE"), tree, 2)
    for a, b in zip(groups(out), groups(tree), strict=True):
        np.testing.assert_array_equal(a["sci"].values, 2 * b["sci"].values)
    assert out.attrs["S_FLAT"] == "DONE"
    single = merge(tree)
    assert map_groups(lambda g: g, single) is single
