"""xarray without ``dask.array`` until Dask arrays exist.

Every ``xarray.Variable`` xarray builds asks whether its data is a Dask array
with ``isinstance(data, xarray.namedarray.pycompat.array_type("dask"))``, and
the first such question imports ``dask.array`` (with scipy.sparse, scipy.fft
and numpy.f2py behind it): 0.3-0.5 s of every ``spec2x`` process, NumPy input
or not.  No object can be an instance of ``dask.array.Array`` before
``dask.array`` is imported, so the answer "no Dask array type" is exact until
then; :func:`defer_dask_array` gives xarray an entry for ``"dask"`` in its
duck-array cache that answers so, and the real type as soon as anything
(spec2x's chunked readers, the user, Dask itself) has imported ``dask.array``.
Anything else xarray asks the entry (the module, its version, whether it is
installed) imports Dask as xarray would.

This relies on xarray's private ``pycompat._cached_duck_array_modules``; where a
version of xarray has no such cache, nothing is changed and xarray imports
``dask.array`` itself (slower, never wrong).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

__all__ = ["defer_dask_array"]


class _DeferredDask:
    """xarray's duck-array entry for Dask (``DuckArrayModule``'s attributes), importing
    Dask only when asked for more than the array type of a Dask already imported."""

    @property
    def type(self) -> tuple[type[Any], ...]:
        array = getattr(sys.modules.get("dask.array"), "Array", None)
        return () if array is None else (array,)

    @property
    def module(self) -> ModuleType | None:
        try:
            return importlib.import_module("dask")
        except ImportError:
            return None

    @property
    def available(self) -> bool:
        return self.module is not None

    @property
    def version(self) -> Any:
        from packaging.version import Version

        module = self.module
        return Version("0.0.0" if module is None else module.__version__)


def defer_dask_array() -> None:
    """Let xarray build variables without importing ``dask.array`` (see the module's notes).

    Idempotent; does nothing where xarray has already looked Dask up (the real
    entry stays) or keeps no such cache.
    """
    try:
        from xarray.namedarray import pycompat
    except ImportError:  # pragma: no cover - xarray is a dependency
        return
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    if isinstance(cache, dict) and "dask" not in cache:
        cache["dask"] = _DeferredDask()
