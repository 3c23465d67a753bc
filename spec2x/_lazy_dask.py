"""xarray without ``dask`` until Dask is in use.

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

Likewise xarray's ``is_dask_collection`` (asked of every array a Variable
wraps, through ``is_duck_dask_array``) imports ``dask`` itself (0.1-0.3 s)
whenever Dask is installed; :func:`defer_dask_array` wraps it to answer False
while ``dask`` is not imported: a Dask collection is made by Dask, so none
exists before then.

This relies on xarray's private ``pycompat._cached_duck_array_modules`` and on
``namedarray.utils.is_dask_collection`` being looked up at call time; where a
version of xarray has neither, nothing is changed and xarray imports Dask
itself (slower, never wrong).
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
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


def _until_dask(check: Callable[[object], bool]) -> Callable[[object], bool]:
    """``check`` (xarray's ``is_dask_collection``) answering False, without importing
    ``dask``, while ``dask`` is not imported."""

    @functools.wraps(check)
    def is_dask_collection(x: object) -> bool:
        return "dask" in sys.modules and check(x)

    is_dask_collection.__spec2x_deferred__ = True  # type: ignore[attr-defined]
    return is_dask_collection


def defer_dask_array() -> None:
    """Let xarray build variables without importing ``dask`` or ``dask.array`` (see the
    module's notes).

    Idempotent; leaves alone what xarray has already looked up (the real Dask
    entry stays) or does not have.
    """
    try:
        from xarray.core import utils as core_utils
        from xarray.namedarray import pycompat
        from xarray.namedarray import utils as named_utils
    except ImportError:  # pragma: no cover - xarray is a dependency
        return
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    if isinstance(cache, dict) and "dask" not in cache:
        cache["dask"] = _DeferredDask()
    for module in (named_utils, core_utils):
        check = getattr(module, "is_dask_collection", None)
        if callable(check) and not getattr(check, "__spec2x_deferred__", False):
            module.is_dask_collection = _until_dask(check)  # type: ignore[attr-defined]
