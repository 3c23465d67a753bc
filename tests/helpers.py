"""Small helpers shared by test folders (``tests/`` is on ``sys.path``)."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import dask


class _CountingScheduler:
    """A Dask scheduler that fails when asked to compute more than ``max_computes`` times."""

    def __init__(self, max_computes: int = 0) -> None:
        self.total_computes = 0
        self.max_computes = max_computes

    def __call__(self, dsk: Any, keys: Any, **kwargs: Any) -> Any:
        self.total_computes += 1
        if self.total_computes > self.max_computes:
            raise RuntimeError(
                f"Too many computes. Total: {self.total_computes} > max: {self.max_computes}."
            )
        return dask.get(dsk, keys, **kwargs)


def raise_if_dask_computes(max_computes: int = 0) -> AbstractContextManager[Any]:
    """Context manager in which a Dask compute raises (as in xarray's own tests)."""
    return dask.config.set(scheduler=_CountingScheduler(max_computes))


def _find_realdata() -> Path:
    """``shared/realdata``: $SPEC2X_REALDATA, beside the checkout (as CI lays it), or /work/shared."""
    candidates = [
        os.environ.get("SPEC2X_REALDATA", ""),
        Path(__file__).resolve().parents[2] / "shared" / "realdata",
        "/work/shared/realdata",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return Path(candidates[1])


#: The real CRDS reference files shipped beside the repository (read-only).
REALDATA = _find_realdata()
