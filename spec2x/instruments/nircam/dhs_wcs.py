"""The NIRCam DHS time-series WCS (``NRC_TSGRISM``, ``SUBARRAY`` ``*STRIPE<n>_DHS``).

A dispersed-hole time series reads stripes of the detector into one
subarray (:mod:`.stripes`).  jwst 3.0.0 (``assign_wcs.nircam.dhs``) maps each
pixel through the ``regions`` reference's stripe label, read the way the
subarray was read (a label map already of the data's shape is taken as
it is), to that stripe's transform; pixels of label 0 (the reference rows)
have none.  Each transform gives (x0, y0, wavelength, order, stripe); then
the imaging distortion, velocity aberration and sky as the other time series.

- Long wave (NRCALONG): every stripe reads the same detector rows and uses the
  one GRISMR model: subarray (x, y) -> (x, y - 14) (the trace on row 34, as
  the non-DHS time series), the dispersion model with the source at
  (``XREF_SCI`` - 1, ``YREF_SCI`` - 1) and no inverse polynomials; stripes
  1 ... n from SUBARRAY.
- Short wave: the stripes of the regions map with a model in the DHS specwcs
  for the field point of ``PPS_APER``; each stripe's pixels shifted to the
  full frame (its first column, and its first row less the subarray row that
  read it), the dispersion model with the source at (0, 0), the reference
  point written after it.  jwst pairs the field point's models, in the
  file's order, with the stripes in Python's set order (for stripes 7-10:
  8, 9, 10, 7); spec2x pairs each model with its own stripe number
  (docs/parity.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from astropy.modeling import models
from gwcs import selector
from gwcs import wcs as gwcs_wcs

from ...errors import InputFileError, ReferenceMismatchError
from ...io.refs_grism import GrismSpecwcs, grism_reference, keyword
from ...wcs.grism import grism_wcs, imaging_from_refs, with_velocity
from .stripes import FULL, read_lines, slow_dim, stripe_ranges
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

    ``ref`` is the reference (opened or a path) or its map.  A map of the data's
    shape is taken as it is; a larger one is read the way the subarray read
    the detector, along its slow axis (:func:`.stripes.read_lines`: rows, or
    columns for a subarray read along columns).

    Raises
    ------
    ReferenceMismatchError
        The map's size along the fast axis differs from the data's, or it is not 2-D.
    """
    full = ref if isinstance(ref, np.ndarray) else _regions_array(ref)
    if full.shape == tuple(shape):
        return full
    axis = 1 if slow_dim(attrs) == "x" else 0
    if full.ndim != 2 or full.shape[1 - axis] != shape[1 - axis]:
        raise ReferenceMismatchError(
            f"regions of shape {full.shape} do not fit a DHS subarray of shape {shape}"
        )
    lines = read_lines(stripe_ranges(attrs, shape[axis]))
    return full[:, lines] if axis else full[lines]


def _constant(value: float) -> models.Const1D:
    model = models.Const1D(value)
    model.inverse = models.Const1D(value)
    return model


def _stripe_transform(
    det2det: models.Model,
    stripe: int,
    centre: tuple[float, float],
    shift: models.Model | None,
    long_wave: bool,
) -> models.Model:
    """(x, y, order) -> (x0, y0, wavelength, order, stripe) of one stripe (jwst's).

    Long wave: the source at ``centre`` in the dispersion model and after it.
    Short wave: the source at (0, 0) in the model, ``centre`` written after it
    (its inverse 0, as jwst's).
    """
    if long_wave:
        source = (_constant(centre[0]), _constant(centre[1]))
        after = source
    else:
        source = (_constant(0.0), _constant(0.0))  # no model its own inverse: ASDF writes it
        after = tuple(models.Const1D(c) for c in centre)  # type: ignore[assignment]
        for model in after:
            model.inverse = models.Const1D(0.0)
    chain = (
        models.Mapping((0, 1, 0, 1, 2, 2))
        | models.Identity(2) & source[0] & source[1] & models.Identity(2)
        | det2det & _constant(stripe)
        | after[0] & after[1] & models.Identity(3)
    )
    return chain if shift is None else shift & models.Identity(1) | chain


def _long_wave(
    attrs: Mapping[str, Any], spec: GrismSpecwcs
) -> dict[int, tuple[GrismSpecwcs, models.Model | None]]:
    """Stripe -> (dispersion lists, subarray shift) on NRCALONG: one GRISMR model for all
    stripes (1 ... n), rows shifted by :data:`STRIPE_ROW_SHIFT`."""
    shift = models.Identity(1) & models.Shift(STRIPE_ROW_SHIFT)
    one = GrismSpecwcs(spec.orders, spec.displ, spec.dispx, spec.dispy)  # no inverse models
    return {s: (one, shift) for s in range(1, dhs_stripe_count(attrs) + 1)}


def _stripe_start(
    attrs: Mapping[str, Any], full: np.ndarray, shape: tuple[int, int], stripe: int
) -> tuple[int, int, int | None]:
    """(x0, y0, the subarray row that read y0 or None) of a short-wave stripe, jwst's.

    Read along rows: x0, y0 the stripe's first column and row in ``regions``.  Read
    along columns jwst 3.0.0 (``substripe_subarray_transforms``) takes x0 from the
    stripe's first row and y0 from its first column, and finds the subarray row that
    read y0 among rows that are not striped: y0 itself when the subarray has it.
    """
    ys, xs = np.nonzero(full == stripe)
    if slow_dim(attrs) == "x":
        x0, y0 = int(ys.min()), int(xs.min())
        return x0, y0, y0 if y0 < shape[0] else None
    x0, y0 = int(xs.min()), int(ys.min())
    read = np.flatnonzero(read_lines(stripe_ranges(attrs, shape[0])) == y0)
    return x0, y0, int(read[0]) if read.size else None


def _short_wave(
    attrs: Mapping[str, Any], spec: GrismSpecwcs, full: np.ndarray, labels: np.ndarray
) -> dict[int, tuple[GrismSpecwcs, models.Model | None]]:
    """Stripe -> (dispersion lists, subarray shift) on a short-wave detector.

    The specwcs entries of the field point named in ``PPS_APER``, each paired with
    its own stripe number, for the stripes the subarray holds; each stripe's pixels
    shifted to the full frame: columns by the stripe's first column in ``regions``,
    rows by its first row less the subarray row that read it.

    Raises
    ------
    ReferenceMismatchError
        The specwcs has no stripes, or none of them is in the subarray's regions.
    """
    pps = str(keyword(attrs, "PPS_APER", "the short-wave DHS WCS (the field point)"))
    if not spec.stripes or len(spec.fieldpoints) != len(spec.stripes):
        raise ReferenceMismatchError("the short-wave DHS WCS needs a specwcs with stripes")
    entries = {
        spec.stripes[i]: GrismSpecwcs(spec.orders, spec.displ[i], spec.dispx[i], spec.dispy[i])
        for i, point in enumerate(spec.fieldpoints)
        if point in pps
    }
    present = sorted(set(entries) & {int(v) for v in np.unique(labels)})
    if not present:
        raise ReferenceMismatchError("no stripe is in both the regions and specwcs references")
    if full.shape[0] != FULL:
        raise ReferenceMismatchError(
            f"a short-wave DHS regions map is full frame, not {full.shape}"
        )
    out: dict[int, tuple[GrismSpecwcs, models.Model | None]] = {}
    for stripe in present:
        x0, y0, read = _stripe_start(attrs, full, labels.shape, stripe)
        tx = models.Shift(x0) if x0 > 0 else None
        ty = models.Shift(y0 - read) if y0 > 0 and read is not None else None
        shift = None
        if tx is not None or ty is not None:
            shift = (tx or models.Identity(1)) & (ty or models.Identity(1))
        out[stripe] = (entries[stripe], shift)
    return out


def dhs_wcs(
    attrs: Mapping[str, Any], refs: Mapping[str, Any], *, shape: tuple[int, int]
) -> gwcs_wcs.WCS:
    """Build the gwcs of a NIRCam DHS time series.

    Parameters
    ----------
    attrs : exposure keywords: DETECTOR, SUBARRAY, the ``MSTR_*`` multistripe
        keywords and SLOWAXIS, XREF_SCI/YREF_SCI (1-based), PPS_APER (short
        wave), the pointing, optionally VA_SCALE, VELOSYS.
    refs : ``distortion``, ``specwcs`` (GRISMR; short wave: the DHS file with
        stripes and field points), ``regions`` and optionally ``filteroffset``.
    shape : (ny, nx) of one integration.

    Returns
    -------
    gwcs.WCS: (x, y, order) -> (RA, Dec deg, wavelength µm, order, stripe).

    Raises
    ------
    InputFileError
        No ``regions`` reference, or a keyword missing.
    ReferenceMismatchError
        The references do not describe the exposure's stripes.
    """
    if refs.get("regions") is None:
        raise InputFileError("a DHS time series needs the 'regions' reference (stripe map)")
    full = _regions_array(refs["regions"])
    labels = dhs_regions(attrs, full, shape)
    centre = tuple(float(keyword(attrs, k, "the DHS WCS")) - 1 for k in ("XREF_SCI", "YREF_SCI"))
    spec = grism_reference(refs["specwcs"], "specwcs", GrismSpecwcs, attrs, ("INSTRUME",))
    long_wave = "LONG" in str(attrs.get("DETECTOR", "")).upper()
    per_stripe = _long_wave(attrs, spec) if long_wave else _short_wave(attrs, spec, full, labels)
    transforms = {}
    for stripe, (models_, shift) in per_stripe.items():
        det2det = with_velocity(nircam_det2det(models_, "GRISMR"), attrs.get("VELOSYS"))
        transforms[stripe] = _stripe_transform(
            det2det, stripe, (centre[0], centre[1]), shift, long_wave
        )
    mapper = selector.LabelMapperArray(
        labels, inputs_mapping=models.Mapping((0, 1), n_inputs=3), inputs=("x", "y", "order")
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
        selector=transforms,
    )
    imaging = imaging_from_refs(attrs, refs, shape)
    return grism_wcs(attrs, to_direct, imaging, tsgrism_frames(), passthrough=3)
