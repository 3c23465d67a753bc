"""The NIRCam wide-field slitless (``NRC_WFSS``) grism WCS.

NIRCam's two grisms disperse along rows (``PUPIL=GRISMR``) or columns
(``GRISMC``).  The ``specwcs`` reference gives, per order, the trace
parameter t -> wavelength (``displ``) and the offsets of the trace from the
source's direct-image position (``dispx``, ``dispy``) with their inverses.
The forward model takes a dispersed pixel and the source position, finds t
from the offset along the dispersion (``invdispx`` for rows, ``invdispy``
for columns) and the wavelength from ``displ``; the backward model places a
wavelength of a source on the detector.  Both are
``stdatamodels.jwst.transforms`` classes, as jwst 3.0.0's
``assign_wcs.nircam.wfss`` uses; the rest of the WCS is the imaging one
(:mod:`spec2x.wcs.grism`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr
from astropy.modeling import models
from gwcs import wcs as gwcs_wcs

from ...errors import InputFileError
from ...io.refs_grism import GrismSpecwcs, grism_reference, keyword
from ...wcs.grism import assign_wfss, wfss_wcs

__all__ = [
    "GRISMS",
    "RANGE_KEYWORD",
    "assign_from_refs",
    "nircam_det2det",
    "nircam_dispersion",
    "nircam_wfss_wcs",
]

#: NIRCam WFSS grisms (``PUPIL``) and the axis each disperses along.
GRISMS = {"GRISMR": "row", "GRISMC": "column"}
#: The keyword whose value selects the ``wavelengthrange`` rows: the filter.
RANGE_KEYWORD = "FILTER"


def nircam_det2det(spec: GrismSpecwcs, pupil: str) -> models.Model:
    """(x, y, x0, y0, order) -> (x0, y0, wavelength µm, order) of a NIRCam grism, with its inverse.

    Raises
    ------
    InputFileError
        ``pupil`` is not a NIRCam grism.
    """
    from stdatamodels.jwst.transforms.models import (
        NIRCAMBackwardGrismDispersion,
        NIRCAMForwardColumnGrismDispersion,
        NIRCAMForwardRowGrismDispersion,
    )

    if pupil not in GRISMS:
        raise InputFileError(
            f"PUPIL={pupil!r} is not a NIRCam grism; NRC_WFSS needs {' or '.join(GRISMS)}"
        )
    forward = (
        NIRCAMForwardRowGrismDispersion
        if GRISMS[pupil] == "row"
        else NIRCAMForwardColumnGrismDispersion
    )
    lists = dict(lmodels=spec.displ, xmodels=spec.dispx, ymodels=spec.dispy)
    inverse = dict(inv_lmodels=spec.invdispl, inv_xmodels=spec.invdispx)
    det2det = forward(list(spec.orders), **lists, **inverse, inv_ymodels=spec.invdispy)
    det2det.inverse = NIRCAMBackwardGrismDispersion(
        list(spec.orders), **lists, **inverse, inv_ymodels=spec.invdispy
    )
    return det2det


def nircam_dispersion(attrs: Mapping[str, Any], specwcs_ref: Any) -> tuple[models.Model, bool]:
    """The dispersion model of the exposure's grism (``PUPIL``) and whether it disperses along rows.

    Raises
    ------
    InputFileError
        PUPIL is missing or not a NIRCam grism.
    ReferenceMismatchError
        The specwcs is not a grism one or is for the other grism.
    """
    pupil = str(keyword(attrs, "PUPIL", "the NIRCam grism WCS")).strip().upper()
    spec = grism_reference(specwcs_ref, "specwcs", GrismSpecwcs, attrs, ("INSTRUME", "PUPIL"))
    return nircam_det2det(spec, pupil), GRISMS[pupil] == "row"


def nircam_wfss_wcs(
    attrs: Mapping[str, Any], refs: Mapping[str, Any], *, shape: tuple[int, int] = (2048, 2048)
) -> gwcs_wcs.WCS:
    """The gwcs of a NIRCam WFSS exposure (:func:`spec2x.wcs.grism.wfss_wcs`; PUPIL is the grism)."""
    return wfss_wcs(attrs, refs, nircam_dispersion, shape=shape)


def assign_from_refs(ds: xr.Dataset, refs: Mapping[str, Any], **_: Any) -> xr.Dataset:
    """assign_wcs's builder for NRC_WFSS: ``ds`` with the grism WCS and the grism's ``DISPAXIS``."""
    return assign_wfss(ds, refs, nircam_dispersion)
