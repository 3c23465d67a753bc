"""Which intermediate products of the chain a step may overwrite.

The chain runner hands each step the previous step's output.  When nothing
but the runner holds that output's pixel arrays (not the caller's input, not
a product kept for writing, not an association member, no ``on_step``
callback; an exposure the runner read from a file is its own), a step that
says it can (``may_overwrite_input`` on its chain adapter: flat_field,
pathloss, barshadow, fringe, photom) writes its results into them instead of
beside them, which saves one copy of the pixel arrays at the step's peak;
one that consumes its input (``consumes_input``: extract_1d) has each group of
slits dropped by the runner once it is done with it.
Steps called directly are never told they own their input, so they stay pure
for every caller.
"""

from __future__ import annotations

import gc
import logging
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import xarray as xr

from .slits import groups, take_groups

__all__ = ["PIXEL_NAMES", "Guard", "each_group", "owns_input"]

log = logging.getLogger(__name__)

#: The variables a step may overwrite.
PIXEL_NAMES = ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat")


def _datasets(obj: Any) -> Iterator[xr.Dataset]:
    """Every Dataset of a product: itself, a DataTree's nodes, lists and mappings of them."""
    if isinstance(obj, xr.Dataset):
        yield obj
    elif isinstance(obj, xr.DataTree):
        for node in obj.subtree:
            yield node.to_dataset(inherit=False)
    elif isinstance(obj, Mapping):
        for value in obj.values():
            yield from _datasets(value)
    elif isinstance(obj, list | tuple):
        for value in obj:
            yield from _datasets(value)


def _owner(array: np.ndarray) -> np.ndarray:
    """The ndarray at the end of ``array``'s chain of bases (``array`` when it has none)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


class Guard:
    """Weak references to the memory of arrays that must stay unchanged.

    The arrays are not kept alive: once every array on a piece of memory is
    gone the memory cannot be shared any more.
    """

    def __init__(self, *products: Any) -> None:
        self._owners: dict[int, weakref.ref[np.ndarray]] = {}
        for product in products:
            self.add(product)

    def add(self, product: Any) -> None:
        """Guard every NumPy array (variables and coordinates) of ``product``."""
        for ds in _datasets(product):
            for var in ds.variables.values():
                data = var._data if isinstance(var._data, np.ndarray) else None
                if data is not None:
                    owner = _owner(data)
                    self._owners[id(owner)] = weakref.ref(owner)

    def _guarded(self, owner: np.ndarray) -> bool:
        ref = self._owners.get(id(owner))
        return ref is not None and ref() is owner

    def free(self, product: Any, *others: Any) -> bool:
        """Whether every pixel array of ``product`` may be overwritten.

        Parameters
        ----------
        product : a Dataset or DataTree of slit groups (the next step's input).
        others : products also to be kept unchanged (guarded for this call only).

        Returns
        -------
        True when each of :data:`PIXEL_NAMES` present is a writeable NumPy
        array on memory NumPy allocated itself, shared with nothing guarded
        nor with another of a group's pixel arrays; False for Dask-backed or
        read-only data.
        """
        guard = Guard(*others)
        guard._owners.update(self._owners)
        found = False
        for ds in _datasets(product):
            seen: list[np.ndarray] = []
            for name in PIXEL_NAMES:
                if name not in ds.data_vars:
                    continue
                data = ds[name].variable._data
                if not isinstance(data, np.ndarray) or not data.flags.writeable:
                    return False
                owner = _owner(data)
                if owner.base is not None or not owner.flags.owndata or guard._guarded(owner):
                    return False
                if any(np.may_share_memory(data, other) for other in seen):
                    return False  # one result would be written over another
                seen.append(data)
                found = True
        return found


def owns_input(step: str, function: Any, current: Any, guard: Guard, *held: Any) -> bool:
    """Whether the chain may let ``step`` write into the pixel arrays of ``current``, or let
    them go group by group: it says it can (``may_overwrite_input``, ``consumes_input``)
    and nothing ``guard`` guards or ``held`` shares them."""
    says = any(getattr(function, a, False) for a in ("may_overwrite_input", "consumes_input"))
    owns = says and guard.free(current, *held)
    if owns:
        what = "write into" if getattr(function, "may_overwrite_input", False) else "let go of"
        log.debug("  %s may %s its input's arrays (held by nothing else)", step, what)
    return owns


def each_group(current: xr.DataTree, owned: bool) -> Iterator[xr.Dataset]:
    """The groups of ``current`` in order; ``owned`` (the chain alone holds them, the
    ``_cal`` already written): taken out of the tree first, so each group's cut-outs go
    once the step is done with it and extract_1d's spectra take their place.

    The products made from ``current`` before (the ``_cal``, the tree the default
    variances were added to) are DataTrees, whose nodes refer to each other: they are
    collected now, else those copies would keep every group's arrays until Python's
    next full collection.
    """
    if not owned:
        yield from groups(current)
        return
    parts = take_groups(current)
    gc.collect()
    while parts:
        yield parts.pop(0)
