"""Garbage collection set for a process that imports much, then calibrates.

Importing xarray, pandas, astropy and the steps makes objects that live as
long as the process and no garbage worth a pass, yet the collector walks
them again and again; and xarray's many small objects set off collections
of the youngest generation that free nothing.  Used by ``spec2x run``'s own
process and by each ``--workers`` worker process.
"""

from __future__ import annotations

import gc

__all__ = ["GEN0_THRESHOLD", "settle"]

#: Allocations between two collections of the youngest objects (Python's default 700).
GEN0_THRESHOLD = 10_000


def settle() -> None:
    """Leave every object alive now out of later collections (``gc.freeze``) and collect
    the youngest objects every :data:`GEN0_THRESHOLD` allocations."""
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, *gc.get_threshold()[1:])
