"""FITS layouts of slits, s2d, x1d and cube products (see :mod:`spec2x.io.fits`)."""

from __future__ import annotations

from typing import Any

from ..errors import UnsupportedModeError


def datamodel_name(ds: Any, found: str, given: Any) -> str:
    raise UnsupportedModeError(f"writing {found} products to FITS is not implemented yet")


def product_hdus(ds: Any, model: str, filename: str) -> list[Any]:
    raise UnsupportedModeError(f"writing {model} to FITS is not implemented yet")


def is_multi(hdul: Any, model: str) -> bool:
    return model in ("MultiSlitModel", "SlitModel")


def read_product(path: Any, hdul: Any, model: str, chunks: Any) -> Any:
    raise UnsupportedModeError(f"{path}: reading {model} is not implemented yet")
