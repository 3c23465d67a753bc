"""File input/output: jwst-format FITS, Zarr stores, reference files."""

from .fits import open_exposure, open_product, write_fits
from .info import describe, format_description
from .specutils_bridge import to_specutils
from .zarr_store import open_zarr, to_zarr

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
