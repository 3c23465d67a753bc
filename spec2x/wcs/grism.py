"""The WCS of a slitless grism exposure (NIRCam and NIRISS WFSS), as jwst 3.0.0 builds it.

A dispersed exposure has no wavelength per pixel: the wavelength of a
pixel depends on which source dispersed light onto it.  jwst's grism WCS
therefore takes the source's position in the *direct image* as input:

``grism_detector`` (x, y, x0, y0, order) -> ``detector`` (x0, y0, wavelength,
order) -> ``v2v3`` -> ``v2v3vacorr`` -> ``world`` (RA, Dec deg, wavelength
µm, order).

The first step is the instrument's dispersion model (one of
``stdatamodels.jwst.transforms``' grism dispersion classes, built from the
``specwcs`` polynomials: :mod:`spec2x.instruments.nircam.wfss_wcs`,
:mod:`spec2x.instruments.niriss.wfss_wcs`), scaled to the barycentre by
``VELOSYS``; the rest is the imaging WCS (the ``distortion`` model after the
``filteroffset`` shift, velocity aberration, the pointing) with the
wavelength and order passed through.  The backward direction (RA, Dec,
wavelength, order) -> (x, y, x0, y0, order) places a source's spectrum on
the dispersed image; it takes arrays of many sources in one call
(:mod:`spec2x.wcs.grism_boxes`).  The frames and transforms are jwst's, so
the gwcs reads back in jwst.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import xarray as xr
from astropy import coordinates as coord
from astropy import units as u
from astropy.modeling import Model, bind_bounding_box, models
from gwcs import coordinate_frames as cf
from gwcs import wcs as gwcs_wcs

from ..errors import InputFileError
from ..instruments.miri.lrs_wcs import v2v3_to_sky, velocity_aberration, velocity_correction
from ..io.refs_grism import FilterOffset, ImagingDistortion, grism_reference
from .store import set_wcs

__all__ = [
    "Dispersion",
    "assign_wfss",
    "grism_frames",
    "grism_wcs",
    "imaging_distortion",
    "imaging_from_refs",
    "wfss_wcs",
    "with_velocity",
]


def imaging_distortion(
    attrs: Mapping[str, Any],
    distortion: ImagingDistortion,
    offsets: FilterOffset | None,
    shape: tuple[int, int],
) -> models.Model:
    """Direct-image pixel (x, y) -> V2, V3 arcsec: the filter offset, then the distortion.

    Parameters
    ----------
    attrs : exposure keywords (FILTER, PUPIL select the ``filteroffset`` row).
    distortion : the imaging distortion.
    offsets : the filter offsets, or None (no shift).
    shape : (ny, nx) of the data array, the bounding box when the file has none.
    """
    transform = distortion.model
    if offsets is not None:
        shift = offsets.offset(str(attrs.get("FILTER", "")), str(attrs.get("PUPIL", "")))
        if shift is not None:
            transform = models.Shift(shift[0]) & models.Shift(shift[1]) | transform
    bbox = distortion.bounding_box
    if bbox is None:
        bbox = ((-0.5, shape[1] - 0.5), (-0.5, shape[0] - 0.5))
    bind_bounding_box(transform, bbox, order="F")
    return transform


def with_velocity(det2det: models.Model, velosys: float | None) -> models.Model:
    """Scale the dispersion model's wavelength to the barycentre (``VELOSYS`` m/s; None: as is)."""
    if velosys is None:
        return det2det
    return (
        det2det
        | models.Mapping((0, 1, 2, 3))
        | models.Identity(2) & velocity_correction(float(velosys)) & models.Identity(1)
    )


def grism_frames() -> list[cf.CoordinateFrame]:
    """jwst's grism frames: grism_detector, detector, v2v3, v2v3vacorr, world
    (each after the first a composite of its spatial frame and the wavelength)."""
    spec = cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.micron,), axes_names=("wavelength",)
    )
    grism = cf.Frame2D(
        name="grism_detector",
        axes_order=(0, 1),
        axes_names=("x_grism", "y_grism"),
        unit=(u.pix, u.pix),
    )
    spatial = [
        cf.Frame2D(name="detectorspatial", axes_order=(0, 1), unit=(u.pix, u.pix)),
        cf.Frame2D(
            name="v2v3spatial",
            axes_order=(0, 1),
            axes_names=("v2", "v3"),
            unit=(u.arcsec, u.arcsec),
        ),
        cf.Frame2D(
            name="v2v3vacorrspatial",
            axes_order=(0, 1),
            axes_names=("v2", "v3"),
            unit=(u.arcsec, u.arcsec),
        ),
    ]
    names = ("detector", "v2v3", "v2v3vacorr")
    frames: list[cf.CoordinateFrame] = [grism]
    frames += [cf.CompositeFrame([s, spec], name=n) for s, n in zip(spatial, names, strict=True)]
    sky = cf.CelestialFrame(reference_frame=coord.ICRS(), name="sky")
    frames.append(cf.CompositeFrame([sky, spec], name="world"))
    return frames


def grism_wcs(
    attrs: Mapping[str, Any],
    det2det: models.Model,
    distortion: models.Model,
    frames: list[cf.CoordinateFrame] | None = None,
    *,
    passthrough: int = 2,
) -> gwcs_wcs.WCS:
    """Assemble the grism gwcs from the dispersion model and the imaging distortion.

    Parameters
    ----------
    attrs : exposure keywords: V2_REF, V3_REF (arcsec), ROLL_REF, RA_REF,
        DEC_REF (deg), optionally VA_SCALE.
    det2det : grism pixel (and source position) -> (x0, y0, wavelength µm,
        order), with its inverse.
    distortion : direct-image pixel -> V2, V3 arcsec (:func:`imaging_distortion`).
    frames : the five frames (default :func:`grism_frames`, WFSS).
    passthrough : outputs of ``det2det`` after x0, y0 carried to the sky unchanged
        (2: wavelength, order; 3 for the DHS stripe number).

    Returns
    -------
    gwcs.WCS ``grism_detector -> detector -> v2v3 -> v2v3vacorr -> world``
    (or the names of ``frames``).
    """
    carried = models.Identity(passthrough)
    transforms = [
        det2det,
        distortion & carried,
        velocity_aberration(attrs) & carried,
        v2v3_to_sky(attrs) & carried,
        None,
    ]
    frames = grism_frames() if frames is None else frames
    return gwcs_wcs.WCS(list(zip(frames, transforms, strict=True)))


#: ``dispersion(attrs, specwcs_ref) -> (det2det, rows)``: an instrument's dispersion model
#: (before the barycentric scaling) and whether its grism disperses along rows.
Dispersion = Callable[[Mapping[str, Any], Any], tuple[Model, bool]]


def wfss_wcs(
    attrs: Mapping[str, Any],
    refs: Mapping[str, Any],
    dispersion: Dispersion,
    *,
    shape: tuple[int, int] = (2048, 2048),
) -> gwcs_wcs.WCS:
    """Build the grism gwcs of a WFSS exposure.

    Parameters
    ----------
    attrs : exposure keywords: the pointing (V2_REF, V3_REF arcsec,
        ROLL_REF, RA_REF, DEC_REF deg), FILTER and PUPIL (the filter
        offset), those the instrument's ``dispersion`` reads, optionally
        VA_SCALE and VELOSYS (m/s).
    refs : ``distortion``, ``specwcs`` and optionally ``filteroffset``
        (opened references or paths; a missing or None filter offset is no shift).
    dispersion : the instrument's dispersion model
        (:func:`spec2x.instruments.nircam.wfss_wcs.nircam_dispersion` ...).
    shape : (ny, nx) of the data array.

    Returns
    -------
    gwcs.WCS ``grism_detector -> detector -> v2v3 -> v2v3vacorr -> world``:
    (x, y, x0, y0, order) -> (RA, Dec deg, wavelength µm, order).

    Raises
    ------
    InputFileError
        A keyword is missing or not a grism setting; the exposure is a subarray.
    ReferenceMismatchError
        A reference is of another layout, instrument or grism.
    """
    for key in ("SUBSTRT1", "SUBSTRT2"):
        if int(attrs.get(key) or 1) != 1:
            raise InputFileError(
                f"{attrs.get('FILENAME', 'the exposure')} has {key}={attrs[key]}: the grism "
                "WCS of a WFSS exposure needs full-frame data (SUBSTRT1 = SUBSTRT2 = 1)"
            )
    det2det, _ = dispersion(attrs, refs["specwcs"])
    det2det = with_velocity(det2det, attrs.get("VELOSYS"))
    return grism_wcs(attrs, det2det, imaging_from_refs(attrs, refs, shape))


def imaging_from_refs(
    attrs: Mapping[str, Any], refs: Mapping[str, Any], shape: tuple[int, int]
) -> models.Model:
    """:func:`imaging_distortion` from the ``distortion`` and optional ``filteroffset`` of ``refs``.

    Raises
    ------
    ReferenceMismatchError
        A reference is of another layout or instrument.
    """
    dist = grism_reference(refs["distortion"], "distortion", ImagingDistortion, attrs)
    offsets = None
    if refs.get("filteroffset") is not None:
        offsets = grism_reference(refs["filteroffset"], "filteroffset", FilterOffset, attrs)
    return imaging_distortion(attrs, dist, offsets, shape)


def assign_wfss(ds: xr.Dataset, refs: Mapping[str, Any], dispersion: Dispersion) -> xr.Dataset:
    """``ds`` with the grism WCS (:func:`wfss_wcs`) and ``DISPAXIS`` (1: along rows, 2: columns).

    A dispersed image has no wavelength per pixel (it depends on the source),
    so no ``wavelength`` coordinate is added: extract_2d gives each cut-out its
    own.  The input is not modified.
    """
    wcs = wfss_wcs(ds.attrs, refs, dispersion, shape=(ds.sizes["y"], ds.sizes["x"]))
    _, rows = dispersion(ds.attrs, refs["specwcs"])
    return set_wcs(ds, wcs).assign_attrs(DISPAXIS=1 if rows else 2)
