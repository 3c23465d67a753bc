"""The NIRISS wide-field slitless (``NIS_WFSS``) grism WCS.

NIRISS's two grisms sit in the filter wheel (``FILTER``): GR150C disperses
along rows and GR150R along columns (in the DMS orientation); the blocking
filter is in the pupil wheel (``PUPIL``, it selects the wavelength range).
The ``specwcs`` reference gives, per order, t -> wavelength (``displ``),
wavelength -> t (``invdispl``) and the trace offsets ``dispx``, ``dispy`` as
polynomials in t whose coefficients depend on the source's direct-image
position.  The trace is rotated by the filter wheel's offset from its
calibrated position, ``FWCPOS - fwcpos_ref``.  The models are
``stdatamodels.jwst.transforms``' NIRISS grism classes, as jwst 3.0.0's
``assign_wcs.niriss.wfss`` uses; the rest of the WCS is the imaging one
(:mod:`spec2x.wcs.grism`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr
from astropy.modeling import models
from gwcs import wcs as gwcs_wcs

from ...errors import InputFileError, ReferenceMismatchError
from ...io.refs_grism import GrismSpecwcs, grism_reference, keyword
from ...wcs.grism import assign_wfss, wfss_wcs

__all__ = [
    "GRISMS",
    "RANGE_KEYWORD",
    "assign_from_refs",
    "niriss_det2det",
    "niriss_dispersion",
    "niriss_wfss_wcs",
]

#: NIRISS WFSS grisms (``FILTER``) and the axis each disperses along.
GRISMS = {"GR150C": "row", "GR150R": "column"}
#: The keyword selecting the ``wavelengthrange`` rows: the blocking filter (pupil wheel).
RANGE_KEYWORD = "PUPIL"


def niriss_det2det(spec: GrismSpecwcs, grism: str, fwcpos: float) -> models.Model:
    """(x, y, x0, y0, order) -> (x0, y0, wavelength µm, order) of a NIRISS grism, with its inverse.

    Raises
    ------
    InputFileError
        ``grism`` is not a NIRISS grism.
    ReferenceMismatchError
        The specwcs has no ``invdispl`` or ``fwcpos_ref``.
    """
    from stdatamodels.jwst.transforms.models import (
        NIRISSBackwardGrismDispersion,
        NIRISSForwardColumnGrismDispersion,
        NIRISSForwardRowGrismDispersion,
    )

    if grism not in GRISMS:
        raise InputFileError(
            f"FILTER={grism!r} is not a NIRISS grism; NIS_WFSS needs {' or '.join(GRISMS)}"
        )
    if spec.invdispl is None or spec.fwcpos_ref is None:
        raise ReferenceMismatchError(
            "the NIRISS specwcs lacks invdispl or fwcpos_ref; give a NIRISS WFSS specwcs"
        )
    theta = fwcpos - spec.fwcpos_ref
    forward = (
        NIRISSForwardRowGrismDispersion
        if GRISMS[grism] == "row"
        else NIRISSForwardColumnGrismDispersion
    )
    orders = list(spec.orders)
    det2det = forward(
        orders, lmodels=spec.displ, xmodels=spec.dispx, ymodels=spec.dispy, theta=theta
    )
    det2det.inverse = NIRISSBackwardGrismDispersion(
        orders, lmodels=spec.invdispl, xmodels=spec.dispx, ymodels=spec.dispy, theta=-theta
    )
    return det2det


def niriss_dispersion(attrs: Mapping[str, Any], specwcs_ref: Any) -> tuple[models.Model, bool]:
    """The dispersion model of the exposure's grism (``FILTER``, rotated by ``FWCPOS``) and
    whether it disperses along rows.

    Raises
    ------
    InputFileError
        FILTER or FWCPOS is missing, or FILTER is not a NIRISS grism.
    ReferenceMismatchError
        The specwcs is not a NIRISS grism one or is for another grism or blocking filter.
    """
    grism = str(keyword(attrs, "FILTER", "the NIRISS grism WCS")).strip().upper()
    fwcpos = float(keyword(attrs, "FWCPOS", "the NIRISS grism WCS"))
    keys = ("INSTRUME", "FILTER", "PUPIL")
    spec = grism_reference(specwcs_ref, "specwcs", GrismSpecwcs, attrs, keys)
    return niriss_det2det(spec, grism, fwcpos), GRISMS[grism] == "row"


def niriss_wfss_wcs(
    attrs: Mapping[str, Any], refs: Mapping[str, Any], *, shape: tuple[int, int] = (2048, 2048)
) -> gwcs_wcs.WCS:
    """The gwcs of a NIRISS WFSS exposure (:func:`spec2x.wcs.grism.wfss_wcs`; FILTER is the
    grism, PUPIL the blocking filter, FWCPOS the filter-wheel position in deg)."""
    return wfss_wcs(attrs, refs, niriss_dispersion, shape=shape)


def assign_from_refs(ds: xr.Dataset, refs: Mapping[str, Any], **_: Any) -> xr.Dataset:
    """assign_wcs's builder for NIS_WFSS: ``ds`` with the grism WCS and the grism's ``DISPAXIS``."""
    return assign_wfss(ds, refs, niriss_dispersion)
