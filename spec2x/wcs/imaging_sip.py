"""The FITS TAN-SIP approximation of a WFSS exposure's direct-image WCS, as jwst 3.0.0 writes it.

jwst's assign_wcs (``sip_approx=True``, its default) builds, beside the grism
WCS of a NIRCam or NIRISS WFSS exposure, the *imaging* WCS of the same
detector (``detector -> v2v3 -> v2v3vacorr -> world``: the ``filteroffset``
shift and ``distortion``, velocity aberration, the pointing), fits a FITS
TAN-SIP approximation of it over the frame (gwcs ``WCS.to_fits_sip``) and
writes the fit's keywords into the exposure's WCS keywords (``meta.wcsinfo``):
``WCSAXES``, ``CRPIX``, ``CRVAL``, ``CTYPE``, ``CUNIT``, ``CD`` (or ``PC`` and
``CDELT``) and the ``A_``/``B_``/``AP_``/``BP_`` coefficients and orders,
after dropping any ``CDELT``, ``PC`` and SIP keywords the exposure had.  The
fit's other keywords (``WCSNAME``, ``LONPOLE``, ``LATPOLE``, ``MJDREF``,
``RADESYS``, ``SIPMXERR``, ``SIPIVERR``) are not FITS keywords of jwst's
products (its ``meta.wcsinfo`` schema has none of them), so they are not kept.

The pieces of the imaging WCS are the grism WCS's own
(:func:`spec2x.wcs.grism.imaging_from_refs`, ``velocity_aberration``,
``v2v3_to_sky``); the fit is gwcs's, so the keywords are jwst's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from astropy import coordinates as coord
from astropy import units as u
from gwcs import coordinate_frames as cf
from gwcs import wcs as gwcs_wcs

from ..instruments.miri.lrs_wcs import v2v3_to_sky, velocity_aberration
from ..io.fits_keywords import image_wcs_keyword, in_sci_header
from .grism import imaging_from_refs

__all__ = ["imaging_wcs", "sip_keywords", "with_sip"]

#: jwst's ``_MAX_SIP_DEGREE``: a degree None tries 1 ... this - 1.
_MAX_SIP_DEGREE = 6
#: A fit keyword of the SCI header that jwst's ``meta.wcsinfo`` does not hold (its RADESYS
#: is ``meta.coordinates``'): the fit's value is not written.
_NOT_WCSINFO = frozenset({"RADESYS"})


def imaging_wcs(
    attrs: Mapping[str, Any], refs: Mapping[str, Any], shape: tuple[int, int]
) -> gwcs_wcs.WCS:
    """The direct-image WCS of a WFSS exposure, bounded by its frame.

    Parameters
    ----------
    attrs : exposure keywords: the pointing (V2_REF, V3_REF arcsec, ROLL_REF,
        RA_REF, DEC_REF deg), FILTER and PUPIL (the filter offset), optionally VA_SCALE.
    refs : ``distortion`` and optionally ``filteroffset`` (opened references or paths).
    shape : (ny, nx) of the data array.

    Returns
    -------
    gwcs.WCS ``detector -> v2v3 -> v2v3vacorr -> world``: 0-based pixel (x, y) ->
    RA, Dec deg, bounded by the pixels' outer edges.
    """
    detector = cf.Frame2D(name="detector", axes_order=(0, 1), unit=(u.pix, u.pix))
    v2v3, v2v3vacorr = (
        cf.Frame2D(name=n, axes_order=(0, 1), axes_names=("v2", "v3"), unit=(u.arcsec, u.arcsec))
        for n in ("v2v3", "v2v3vacorr")
    )
    world = cf.CelestialFrame(reference_frame=coord.ICRS(), name="world")
    wcs = gwcs_wcs.WCS(
        [
            (detector, imaging_from_refs(attrs, refs, shape)),
            (v2v3, velocity_aberration(attrs)),
            (v2v3vacorr, v2v3_to_sky(attrs)),
            (world, None),
        ]
    )
    wcs.bounding_box = ((-0.5, shape[1] - 0.5), (-0.5, shape[0] - 0.5))
    return wcs


def _degrees(degree: int | Iterable[int] | None) -> int | Iterable[int]:
    return range(1, _MAX_SIP_DEGREE) if degree is None else degree


def sip_keywords(
    wcs: gwcs_wcs.WCS,
    attrs: Mapping[str, Any],
    *,
    sip_max_pix_error: float = 0.01,
    sip_degree: int | Iterable[int] | None = None,
    sip_max_inv_pix_error: float = 0.01,
    sip_inv_degree: int | Iterable[int] | None = None,
    sip_npoints: int = 12,
) -> dict[str, Any]:
    """The FITS keywords of the TAN-SIP fit of ``wcs`` that jwst writes in a product.

    Parameters
    ----------
    wcs : a bounded 2-D celestial gwcs (:func:`imaging_wcs`).
    attrs : exposure keywords; CRPIX1, CRPIX2 (1-based pixels) when both are there
        fix the reference pixel, otherwise the centre of the bounding box.
    sip_max_pix_error, sip_max_inv_pix_error : largest forward / inverse error allowed
        (pixels).
    sip_degree, sip_inv_degree : a degree, the degrees to try (the lowest that meets the
        error wins), or None for 1 ... 5.
    sip_npoints : samples along each axis of the fit (>= 8).

    Returns
    -------
    keyword -> value, upper case, only the keywords of jwst's ``meta.wcsinfo`` schema
    (``NAXIS*`` and the fit's diagnostics left out).

    Raises
    ------
    ValueError
        The fit does not meet the errors asked for, or its inputs are not valid (gwcs's
        message, as jwst reports it).
    """
    crpix1, crpix2 = attrs.get("CRPIX1"), attrs.get("CRPIX2")
    crpix = None if crpix1 is None or crpix2 is None else [float(crpix1), float(crpix2)]
    header = wcs.to_fits_sip(
        max_pix_error=sip_max_pix_error,
        degree=_degrees(sip_degree),
        max_inv_pix_error=sip_max_inv_pix_error,
        inv_degree=_degrees(sip_inv_degree),
        npoints=sip_npoints,
        crpix=crpix,
        projection="TAN",
    )
    keys = (k.upper() for k in header)
    return {k: header[k] for k in keys if in_sci_header(k) and k not in _NOT_WCSINFO}


def with_sip(attrs: Mapping[str, Any], keywords: Mapping[str, Any]) -> dict[str, Any]:
    """``attrs`` with the fit's ``keywords`` in place of any previous celestial WCS keywords.

    jwst deletes the previous CDELT, PC and SIP keywords and updates the rest, which the fit
    always gives (WCSAXES, CRPIX, CRVAL, CTYPE, CUNIT, CD): the same keywords remain.
    """
    kept = {k: v for k, v in attrs.items() if not image_wcs_keyword(k)}
    return {**kept, **keywords}
