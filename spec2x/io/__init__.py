"""File input/output: jwst-format FITS, Zarr stores, reference files.

The names below are imported on first use, so importing a submodule
(``spec2x.io.references`` ...) does not import the FITS writers, the Zarr
store or specutils.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fits import open_exposure, open_product, write_fits
    from .info import describe, format_description
    from .specutils_bridge import to_specutils
    from .zarr_store import open_zarr, to_zarr

#: Where each public name lives (a submodule of this package).
_LAZY = {
    "describe": ".info",
    "format_description": ".info",
    "open_exposure": ".fits",
    "open_product": ".fits",
    "open_zarr": ".zarr_store",
    "to_specutils": ".specutils_bridge",
    "to_zarr": ".zarr_store",
    "write_fits": ".fits",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'spec2x.io' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "describe",
    "format_description",
    "open_exposure",
    "open_product",
    "open_zarr",
    "to_specutils",
    "to_zarr",
    "write_fits",
]
