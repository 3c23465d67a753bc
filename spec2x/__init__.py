"""spec2x: JWST Stage 2 spectroscopic calibration as pure xarray functions.

The names most scripts need are here: :func:`spec2` runs jwst's chain for an
exposure, :func:`chain_for` says which steps that is, :func:`run_step` runs one
step by name, :class:`ReferenceSet` finds reference files, and
:func:`open_exposure` / :func:`write_fits` / :func:`to_zarr` move data in and
out.  The steps themselves live in :mod:`spec2x.steps`, one module each.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import dq, errors
    from .datamodel import make_exposure, validate
    from .io import open_exposure, open_product, open_zarr, to_zarr, write_fits
    from .io.references import ReferenceSet, open_reference
    from .pipeline import chain_for, run_step, spec2

#: Where each public name lives; imported on first use, so ``import spec2x``
#: (and ``spec2x --help``) does not pay for xarray, astropy and asdf up front.
_LAZY = {
    "ReferenceSet": ".io.references",
    "chain_for": ".pipeline",
    "dq": None,
    "errors": None,
    "make_exposure": ".datamodel",
    "open_exposure": ".io",
    "open_product": ".io",
    "open_reference": ".io.references",
    "open_zarr": ".io",
    "run_step": ".pipeline",
    "spec2": ".pipeline",
    "to_zarr": ".io",
    "validate": ".datamodel",
    "write_fits": ".io",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'spec2x' has no attribute {name!r}")
    module = _LAZY[name]
    value = importlib.import_module(f".{name}" if module is None else module, __name__)
    if module is not None:
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "ReferenceSet",
    "chain_for",
    "dq",
    "errors",
    "make_exposure",
    "open_exposure",
    "open_product",
    "open_reference",
    "open_zarr",
    "run_step",
    "spec2",
    "to_zarr",
    "validate",
    "write_fits",
]
__version__ = "0.1.0"
