"""File input/output: jwst-format FITS, Zarr stores, reference files."""

from .fits import open_exposure, open_product, write_fits

__all__ = ["open_exposure", "open_product", "write_fits"]
