"""The NIRCam DHS time-series WCS (``NRC_TSGRISM``, ``SUBARRAY`` ``*STRIPE<n>_DHS``), long wave.

A dispersed-hole time series reads ``n`` stripes of the detector into one
subarray (:mod:`.stripes`).  jwst 3.0.0 (``assign_wcs.nircam.dhs``) maps each
pixel through the ``regions`` reference's stripe label, read the way the
subarray was read (a label map already of the data's shape is taken as
it is), to that stripe's transform; pixels of label 0 (the reference rows)
have none.  On the long-wave detector (NRCALONG) every stripe reads the same
detector rows and uses the one GRISMR model: subarray (x, y) -> (x, y - 14)
(the trace on row 34, as the non-DHS time series), the dispersion model
with the source at (``XREF_SCI`` - 1, ``YREF_SCI`` - 1) and no inverse
polynomials, the stripe number carried as a fifth output.  Then the imaging
distortion, velocity aberration and sky as the other time series.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from astropy.modeling import models
from gwcs import selector
from gwcs import wcs as gwcs_wcs

from ...errors import InputFileError, ReferenceMismatchError, UnsupportedModeError
from ...io.refs_grism import GrismSpecwcs, grism_reference, keyword
from ...wcs.grism import grism_wcs, imaging_from_refs, with_velocity
from .stripes import read_rows, stripe_ranges
from .tso_frames import tsgrism_frames
from .wfss_wcs import nircam_det2det

__all__ = ["STRIPE_ROW_SHIFT", "dhs_regions", "dhs_stripe_count", "dhs_wcs", "is_dhs"]

#: Row shift of NRCALONG DHS pixels before the dispersion model (jwst's).
STRIPE_ROW_SHIFT = -14.0


def is_dhs(attrs: Mapping[str, Any]) -> bool:
    """Whether the exposure is a DHS (multistripe) time series (``DHS`` in SUBARRAY)."""
    return "DHS" in str(attrs.get("SUBARRAY", "")).upper()


def dhs_stripe_count(attrs: Mapping[str, Any]) -> int:
    """The number of stripes, the digit after ``STRIPE`` in SUBARRAY (``SUB164STRIPE4_DHS``: 4).

    Raises
    ------
    InputFileError
        SUBARRAY names no stripe count.
    """
    name = str(attrs.get("SUBARRAY", "")).upper()
    tail = name.split("STRIPE", 1)[1] if "STRIPE" in name else ""
    if not tail[:1].isdigit():
        raise InputFileError(f"SUBARRAY={name!r} gives no stripe count (…STRIPE<n>…_DHS)")
    return int(tail[0])


def _regions_array(ref: Any) -> np.ndarray:
    from ...io.ref_open import Reference, open_reference

    opened = ref if isinstance(ref, Reference) else open_reference(ref, "regions")
    tree = opened.content
    if not isinstance(tree, Mapping) or "regions" not in tree:
        raise ReferenceMismatchError(f"{opened.name}: a regions reference has a 'regions' array")
    return np.asarray(tree["regions"])


def dhs_regions(attrs: Mapping[str, Any], ref: Any, shape: tuple[int, int]) -> np.ndarray:
    """The ``regions`` stripe labels on the data's pixels, (ny, nx).

    A map of the data's shape is taken as it is; a taller one is read the way
    the subarray read the detector (:func:`.stripes.read_rows`).

    Raises
    ------
    ReferenceMismatchError
        The map's width differs from the data's, or it is not 2-D.
    """
    full = _regions_array(ref)
    if full.shape == tuple(shape):
        return full
    if full.ndim != 2 or full.shape[1] != shape[1]:
        raise ReferenceMismatchError(
            f"regions of shape {full.shape} do not fit a DHS subarray of shape {shape}"
        )
    return full[read_rows(stripe_ranges(attrs, shape[0]))]


def _constant(value: float) -> models.Const1D:
    model = models.Const1D(value)
    model.inverse = models.Const1D(value)
    return model


def _stripe_transform(det2det: models.Model, stripe: int, xc: float, yc: float) -> models.Model:
    """(x, y, order) -> (x0, y0, wavelength, order, stripe) of one NRCALONG stripe."""
    return (
        models.Identity(1) & models.Shift(STRIPE_ROW_SHIFT) & models.Identity(1)
        | models.Mapping((0, 1, 0, 1, 2, 2))
        | models.Identity(2) & _constant(xc) & _constant(yc) & models.Identity(2)
        | det2det & _constant(stripe)
        | _constant(xc) & _constant(yc) & models.Identity(3)
    )


def dhs_wcs(
    attrs: Mapping[str, Any], refs: Mapping[str, Any], *, shape: tuple[int, int]
) -> gwcs_wcs.WCS:
    """Build the gwcs of a NIRCam long-wave DHS time series.

    Parameters
    ----------
    attrs : exposure keywords: DETECTOR (NRCALONG), SUBARRAY, the ``MSTR_*``
        multistripe keywords and SLOWAXIS (when ``regions`` is full frame),
        XREF_SCI/YREF_SCI (1-based), the pointing, optionally VA_SCALE, VELOSYS.
    refs : ``distortion``, ``specwcs`` (GRISMR), ``regions`` and optionally ``filteroffset``.
    shape : (ny, nx) of one integration.

    Returns
    -------
    gwcs.WCS: (x, y, order) -> (RA, Dec deg, wavelength µm, order, stripe).

    Raises
    ------
    UnsupportedModeError
        A short-wave detector (per-stripe models and shifts: not built).
    InputFileError
        No ``regions`` reference, or a keyword missing.
    """
    if "LONG" not in str(attrs.get("DETECTOR", "")).upper():
        raise UnsupportedModeError(
            f"DETECTOR={attrs.get('DETECTOR')!r}: spec2x builds the DHS WCS of the long-wave "
            "detector only (NRCALONG); the short-wave stripes are not built"
        )
    if refs.get("regions") is None:
        raise InputFileError("a DHS time series needs the 'regions' reference (stripe map)")
    regions = dhs_regions(attrs, refs["regions"], shape)
    x0, y0 = (float(keyword(attrs, k, "the DHS WCS")) - 1 for k in ("XREF_SCI", "YREF_SCI"))
    spec = grism_reference(refs["specwcs"], "specwcs", GrismSpecwcs, attrs, ("INSTRUME",))
    spec = GrismSpecwcs(spec.orders, spec.displ, spec.dispx, spec.dispy)  # no inverse models
    det2det = with_velocity(nircam_det2det(spec, "GRISMR"), attrs.get("VELOSYS"))
    stripes = range(1, dhs_stripe_count(attrs) + 1)
    mapper = selector.LabelMapperArray(
        regions, inputs_mapping=models.Mapping((0, 1), n_inputs=3), inputs=("x", "y", "order")
    )
    mapper.inverse = selector.LabelMapper(
        inputs=("x0", "y0", "lam", "order", "stripe"),
        mapper=models.Identity(1),
        inputs_mapping=models.Mapping((4,)),
    )
    to_direct = selector.RegionsSelector(
        inputs=["x", "y", "order"],
        outputs=["x0", "y0", "lam", "order", "stripe"],
        label_mapper=mapper,
        selector={s: _stripe_transform(det2det, s, x0, y0) for s in stripes},
    )
    imaging = imaging_from_refs(attrs, refs, shape)
    return grism_wcs(attrs, to_direct, imaging, tsgrism_frames(), passthrough=3)
