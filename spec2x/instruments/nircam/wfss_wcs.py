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
from ...wcs.grism import assign_grism, grism_wcs_from_refs

__all__ = ["GRISMS", "RANGE_KEYWORD", "assign_from_refs", "nircam_det2det", "nircam_wfss_wcs"]

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


def nircam_wfss_wcs(
    attrs: Mapping[str, Any],
    distortion_ref: Any,
    filteroffset_ref: Any,
    specwcs_ref: Any,
    *,
    shape: tuple[int, int] = (2048, 2048),
) -> gwcs_wcs.WCS:
    """Build the gwcs of a NIRCam WFSS exposure.

    Parameters
    ----------
    attrs : exposure keywords: PUPIL (GRISMR/GRISMC), FILTER, the pointing
        (V2_REF, V3_REF arcsec, ROLL_REF, RA_REF, DEC_REF deg), optionally
        VA_SCALE and VELOSYS (m/s).
    distortion_ref, filteroffset_ref, specwcs_ref : the references (opened
        or paths); ``filteroffset_ref`` may be None.
    shape : (ny, nx) of the data array.

    Returns
    -------
    gwcs.WCS ``grism_detector -> detector -> v2v3 -> v2v3vacorr -> world``:
    (x, y, x0, y0, order) -> (RA, Dec deg, wavelength µm, order).

    Raises
    ------
    InputFileError
        PUPIL is missing or not a grism; the exposure is a subarray.
    ReferenceMismatchError
        A reference is of another layout, instrument or grism.
    """
    pupil = str(keyword(attrs, "PUPIL", "the NIRCam grism WCS")).strip().upper()
    spec = grism_reference(specwcs_ref, "specwcs", GrismSpecwcs, attrs, ("INSTRUME", "PUPIL"))
    det2det = nircam_det2det(spec, pupil)
    return grism_wcs_from_refs(attrs, det2det, distortion_ref, filteroffset_ref, shape)


def assign_from_refs(ds: xr.Dataset, refs: Mapping[str, Any], **_: Any) -> xr.Dataset:
    """assign_wcs's builder for NRC_WFSS: ``ds`` with the grism WCS and the grism's ``DISPAXIS``."""
    shape = (ds.sizes["y"], ds.sizes["x"])
    wcs = nircam_wfss_wcs(
        ds.attrs, refs["distortion"], refs.get("filteroffset"), refs["specwcs"], shape=shape
    )
    pupil = str(ds.attrs["PUPIL"]).strip().upper()
    return assign_grism(ds, wcs, rows=GRISMS[pupil] == "row")
