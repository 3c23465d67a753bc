"""spec2x: JWST Stage 2 spectroscopic calibration as pure xarray functions."""

from __future__ import annotations

from . import dq, errors
from .datamodel import make_exposure, validate
from .io.references import ReferenceSet, open_reference

__all__ = ["ReferenceSet", "dq", "errors", "make_exposure", "open_reference", "validate"]
__version__ = "0.1.0"
