"""The NIRCam grism time-series (``NRC_TSGRISM``) WCS, GRISMR on module A.

A time series puts its one source at the aperture's reference point
(``XREF_SCI``, ``YREF_SCI``, 1-based full-frame pixels), so the WCS needs no
source position: subarray pixel (x, y) and order -> full-frame (x, y), then
the GRISMR dispersion model with the source fixed at the reference point
(x, y, order) -> (x0, y0, wavelength, order), then the imaging WCS. The
frames are jwst 3.0.0's (``assign_wcs.nircam.tsgrism``: ``grism_detector``,
``direct_image``, ``v2v3``, ``v2v3vacorr``, ``world``). The dispersed-hole
(DHS) subarrays (several stripes per exposure) are built by :mod:`.dhs_wcs`
(long wave, with a ``regions`` reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr
from astropy.modeling import models
from gwcs import wcs as gwcs_wcs

from ...errors import InputFileError, MissingReferenceError
from ...io.refs_grism import GrismSpecwcs, grism_reference, keyword
from ...wcs.grism import grism_wcs, imaging_from_refs, with_velocity
from ...wcs.store import set_wcs
from ..miri.lrs_wcs import subarray_to_full
from .dhs_wcs import dhs_wcs
from .tso_frames import tsgrism_frames
from .wfss_wcs import nircam_det2det

__all__ = ["assign_from_refs", "tsgrism_wcs"]


def _constant(value: float) -> models.Const1D:
    model = models.Const1D(value)
    model.inverse = models.Const1D(value)
    return model


def tsgrism_wcs(
    attrs: Mapping[str, Any], refs: Mapping[str, Any], *, shape: tuple[int, int]
) -> gwcs_wcs.WCS:
    """Build the gwcs of a NIRCam GRISMR time series.

    Parameters
    ----------
    attrs : exposure keywords: MODULE (A), PUPIL (GRISMR), SUBARRAY,
        SUBSTRT1/SUBSTRT2, XREF_SCI/YREF_SCI (the source, 1-based full-frame
        pixels as jwst reads them), the pointing, optionally VA_SCALE, VELOSYS.
    refs : ``distortion``, ``specwcs`` and optionally ``filteroffset`` (opened or paths).
    shape : (ny, nx) of one integration.

    Returns
    -------
    gwcs.WCS: (x, y, order) -> (RA, Dec deg, wavelength µm, order).

    Raises
    ------
    InputFileError
        A keyword is missing; MODULE is not A or PUPIL not GRISMR.
    MissingReferenceError
        A DHS subarray without a ``regions`` reference (with one: :func:`.dhs_wcs.dhs_wcs`).
    """
    name = attrs.get("FILENAME", "the exposure")
    if str(attrs.get("MODULE", "")).strip().upper() != "A":
        raise InputFileError(f"{name}: NRC_TSGRISM is only calibrated for MODULE=A")
    subarray = str(attrs.get("SUBARRAY", ""))
    if "DHS" in subarray.upper():
        if refs.get("regions") is None:
            raise MissingReferenceError(
                f"{name}: SUBARRAY={subarray!r} is an NRC_TSGRISM DHS subarray (several "
                "stripes); its WCS needs the 'regions' reference (the stripe map): give one "
                "(--ref regions=PATH)"
            )
        return dhs_wcs(attrs, refs, shape=shape)
    pupil = str(keyword(attrs, "PUPIL", "the NIRCam time-series grism WCS")).strip().upper()
    if pupil != "GRISMR":
        raise InputFileError(f"{name} has PUPIL={pupil!r}; NRC_TSGRISM uses GRISMR")
    x0, y0 = (float(keyword(attrs, k, "the NRC_TSGRISM WCS")) for k in ("XREF_SCI", "YREF_SCI"))
    spec = grism_reference(refs["specwcs"], "specwcs", GrismSpecwcs, attrs, ("INSTRUME", "PUPIL"))
    # jwst's time-series model takes no inverse across the dispersion (invdispy)
    spec = GrismSpecwcs(
        spec.orders, spec.displ, spec.dispx, spec.dispy, spec.invdispl, spec.invdispx
    )
    det2det = with_velocity(nircam_det2det(spec, pupil), attrs.get("VELOSYS"))
    to_source = models.Mapping((0, 1, 0, 1, 2)) | (
        models.Identity(2) & _constant(x0) & _constant(y0) & models.Identity(1)
    )
    sub2full = subarray_to_full(attrs)
    if sub2full is not None:
        to_source = sub2full & models.Identity(1) | to_source
    return grism_wcs(
        attrs, to_source | det2det, imaging_from_refs(attrs, refs, shape), tsgrism_frames()
    )


def assign_from_refs(ds: xr.Dataset, refs: Mapping[str, Any], **_: Any) -> xr.Dataset:
    """assign_wcs's builder for NRC_TSGRISM: ``ds`` with the time-series grism WCS."""
    return set_wcs(ds, tsgrism_wcs(ds.attrs, refs, shape=(ds.sizes["y"], ds.sizes["x"])))
