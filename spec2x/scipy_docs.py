"""scipy's import-time docstring rewriting, left out of the ``spec2x`` program.

scipy (1.15 and later) decorates its public functions with
``scipy._lib._array_api.xp_capabilities``, which, as each module is imported,
parses the function's whole docstring with its numpydoc parser
(``FunctionDoc``) to append a note on Array API support and renders it back.
The scipy modules a MIRI LRS run imports (through gwcs, the spline and the
steps) do this some 240 times: about 0.15-0.25 s of CPU at every start of
``spec2x run``, for docstrings the program never shows.

:func:`install` makes the program's scipy keep each docstring as it is
instead (the decorator's other effect, its table of capabilities, is kept):
it watches for ``scipy._lib._array_api`` being imported and gives it
:class:`KeptDoc` in place of ``FunctionDoc``.  Nothing is imported ahead of
need; a scipy without that module or name is left as it is, and so is one whose
decorator fails or changes a docstring with :class:`KeptDoc` (checked on a probe
function when the module is first imported).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = ["TARGET", "KeptDoc", "install"]

#: The scipy module whose ``FunctionDoc`` is replaced.
TARGET = "scipy._lib._array_api"


class KeptDoc(dict[str, list[str]]):
    """What ``xp_capabilities`` asks of ``FunctionDoc``: a ``Notes`` list to append to,
    and a rendering (a signature line, then the docstring) that here is the docstring
    as it was, the notes left out.

    Parameters
    ----------
    func : callable
        The decorated function (or ufunc).
    """

    def __init__(self, func: Callable[..., Any]) -> None:
        super().__init__(Notes=[])
        self._doc = func.__doc__ or ""

    def __str__(self) -> str:
        return "\n" + self._doc


class _Finder(importlib.abc.MetaPathFinder):
    """Finds :data:`TARGET` with the other finders, and patches it once executed."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        loader = spec.loader if spec is not None else None
        if spec is None or not isinstance(loader, importlib.abc.Loader):
            return spec
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            if hasattr(module, "FunctionDoc") and hasattr(module, "xp_capabilities"):
                _keep_docs(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _probe() -> None:
    """A docstring :func:`_keep_docs` checks the patched decorator keeps."""


def _keep_docs(module: ModuleType) -> None:
    """Give ``module`` :class:`KeptDoc`, unless its decorator then fails or changes a
    docstring (a scipy that uses ``FunctionDoc`` otherwise): then its own is put back."""
    original = module.FunctionDoc
    module.FunctionDoc = KeptDoc  # type: ignore[attr-defined]
    doc = _probe.__doc__
    try:
        module.xp_capabilities(capabilities_table={})(_probe)
        kept = _probe.__doc__ == (doc or "").lstrip(" \n")
    except Exception:
        kept = False
    _probe.__doc__ = doc
    if not kept:
        module.FunctionDoc = original  # type: ignore[attr-defined]


def install() -> None:
    """Have scipy's ``xp_capabilities`` keep docstrings as they are in this process
    (from when :data:`TARGET` is first imported; nothing when it already is)."""
    if TARGET not in sys.modules and not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
