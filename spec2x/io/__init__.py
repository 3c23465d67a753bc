"""File input/output: jwst-format FITS, Zarr stores, reference files."""

from .fits import open_exposure, open_product, write_fits
from .zarr_store import open_zarr, to_zarr

__all__ = ["open_exposure", "open_product", "open_zarr", "to_zarr", "write_fits"]
