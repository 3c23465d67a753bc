"""extract_1d in the chain lets go of each group of slits once its spectra are made, when
the chain alone holds them (``consumes_input``, :mod:`spec2x.ownership`); the spectra are
the same as when the groups are kept."""

from __future__ import annotations

import weakref

import numpy as np
import xarray as xr

from spec2x.io.references import ReferenceSet
from spec2x.ownership import Guard, owns_input
from spec2x.pipeline import _run
from spec2x.slits import GROUP_PREFIX, groups, take_groups, to_tree
from spec2x.steps import StepContext


def _tree(n_groups: int = 3) -> xr.DataTree:
    rng = np.random.default_rng(7)
    parts = [
        xr.Dataset(
            {"sci": (("slit", "y", "x"), rng.random((2, 3, 4 + g), dtype=np.float32))},
            coords={"source_id": ("slit", np.arange(2) + 10 * g)},
            attrs={"EXP_TYPE": "NRC_WFSS"},
        )
        for g in range(n_groups)
    ]
    tree = to_tree(parts)
    assert isinstance(tree, xr.DataTree)
    return tree


def _spectra_of(seen: list[weakref.ref[np.ndarray]], alive: list[bool]) -> object:
    """A stand-in extract_1d: one spectrum per slit (the column sums); records whether the
    previous group's pixels are still held when the next group comes."""

    def extract(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
        if seen:
            alive.append(seen[-1]() is not None)
        seen.append(weakref.ref(ds["sci"].variable._data))
        flux = ds["sci"].sum("y").rename(x="spectral")
        return xr.Dataset({"flux": flux.astype(np.float64)}, attrs=dict(ds.attrs))

    extract.consumes_input = True  # type: ignore[attr-defined]
    return extract


def _ctx(owned: bool) -> StepContext:
    return StepContext("extract_1d", ReferenceSet(None), owns_input=owned)


def test_take_groups_detaches_them():
    tree = _tree()
    expected = groups(tree)
    taken = take_groups(tree)
    assert [p.identical(e) for p, e in zip(taken, expected, strict=True)] == [True] * 3
    assert not any(name.startswith(GROUP_PREFIX) for name in tree.children)
    assert tree.attrs["EXP_TYPE"] == "NRC_WFSS"


def test_owned_groups_go_one_by_one_same_spectra():
    seen: list[weakref.ref[np.ndarray]] = []
    alive: list[bool] = []
    kept = _run(_spectra_of(seen, alive), _tree(), _ctx(owned=False))
    assert alive == [True, True]  # the tree holds every group
    seen.clear()
    alive.clear()
    tree = _tree()
    consumed = _run(_spectra_of(seen, alive), tree, _ctx(owned=True))
    assert alive == [False, False]  # each group gone before the next is extracted
    assert not tree.children
    xr.testing.assert_identical(consumed, kept)


def test_extract_1d_consumes_only_what_nothing_else_holds():
    extract = _spectra_of([], [])
    tree = _tree()
    assert owns_input("extract_1d", extract, tree, Guard())
    assert not owns_input("extract_1d", extract, tree, Guard(), {"cal": tree})  # a product kept
    assert not owns_input(
        "extract_1d", lambda ds, ctx: ds, tree, Guard()
    )  # a step that does not say
