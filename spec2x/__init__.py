"""spec2x: JWST Stage 2 spectroscopic calibration as pure xarray functions.

The names most scripts need are here: :func:`spec2` runs jwst's chain for an
exposure, :func:`chain_for` says which steps that is, :func:`run_step` runs one
step by name, :class:`ReferenceSet` finds reference files, and
:func:`open_exposure` / :func:`write_fits` / :func:`to_zarr` move data in and
out.  The steps themselves live in :mod:`spec2x.steps`, one module each.
"""

from __future__ import annotations

from . import dq, errors
from .datamodel import make_exposure, validate
from .io import open_exposure, open_product, open_zarr, to_zarr, write_fits
from .io.references import ReferenceSet, open_reference
from .pipeline import chain_for, run_step, spec2

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
