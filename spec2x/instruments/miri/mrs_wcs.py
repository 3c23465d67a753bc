"""The MIRI medium-resolution spectrometer (MRS) instrument model as a gwcs.

An MRS exposure sees two channels of one band on one detector
(``MIRIFUSHORT``: channels 1 and 2; ``MIRIFULONG``: 3 and 4; ``BAND``
SHORT/MEDIUM/LONG is sub-band A/B/C).  The model, as jwst 3.0.0 builds it
(``jwst.assign_wcs.miri.ifu``):

1. *detector -> alpha_beta*: the ``regions`` label map (80 % throughput
   plane) says which slice a pixel belongs to (label ``100 * channel +
   slice``, 0 for none); the slice's ``distortion`` polynomials give alpha
   (along the slice) and beta (the slice's fixed across-slice position,
   arcsec) and its ``specwcs`` polynomial the wavelength (µm), scaled to the
   barycentre when ``VELOSYS`` is given.  Back: the wavelength picks the
   channel (``wavelengthrange``), beta the slice (``bzero``, ``bdel``), and
   the slice's ``x_model``/``y_model`` the pixel (from the observed
   wavelength: unlike jwst, the barycentric scaling is undone first, so the
   round trip closes when ``VELOSYS`` is set).
2. *alpha_beta -> v2v3*: the channel's ``abv2v3_model`` (the wavelength
   picks the channel).
3. *v2v3 -> v2v3vacorr -> world*: velocity aberration and the telescope
   pointing, shared with MIRI LRS (:mod:`spec2x.instruments.miri.lrs_wcs`).

Pixels outside every slice give NaN; the bounding box is the data array.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from astropy.modeling import bind_bounding_box, models
from gwcs import selector
from gwcs import wcs as gwcs_wcs

from ...errors import InputFileError
from ...wcs.footprint import with_s_region
from ...wcs.store import set_wcs
from .lrs_wcs import miri_frames, v2v3_to_sky, velocity_aberration, velocity_correction
from .mrs_maps import mrs_world
from .mrs_refs import MRS_DETECTORS, MrsDistortion, MrsRegions, MrsSpecwcs, mrs_reference

__all__ = ["BANDS", "assign_from_refs", "assign_mrs", "channel_bands", "mrs_wcs"]

log = logging.getLogger(__name__)

#: ``BAND`` keyword values (sub-bands A, B, C).
BANDS = ("SHORT", "MEDIUM", "LONG")
#: ``CHANNEL`` of each MRS detector.
_CHANNELS = dict(zip(MRS_DETECTORS, ("12", "34"), strict=True))


def channel_bands(attrs: Mapping[str, Any]) -> list[str]:
    """``<channel><band>`` of the two channels an exposure sees (``["1SHORT", "2SHORT"]``).

    Raises
    ------
    InputFileError
        DETECTOR, CHANNEL or BAND is missing or not an MRS value.
    """
    name = attrs.get("FILENAME", "the exposure")
    detector = str(attrs.get("DETECTOR", "")).strip().upper()
    channel = str(attrs.get("CHANNEL", "")).strip()
    band = str(attrs.get("BAND", "")).strip().upper()
    if detector not in _CHANNELS:
        raise InputFileError(
            f"{name} has DETECTOR={detector or 'missing'!r}; MIRI MRS data come from "
            f"{' or '.join(MRS_DETECTORS)}"
        )
    if channel != _CHANNELS[detector]:
        raise InputFileError(
            f"{name} has CHANNEL={channel or 'missing'!r}; {detector} sees channels "
            f"{_CHANNELS[detector]!r}: set CHANNEL to it"
        )
    if band not in BANDS:
        raise InputFileError(
            f"{name} has BAND={band or 'missing'!r}; MIRI MRS bands are {', '.join(BANDS)}"
        )
    return [c + band for c in channel]


def _check_covers(name: str, table: Mapping[str, Any], keys: list[str], what: str) -> None:
    missing = [k for k in keys if k not in table]
    if missing:
        raise InputFileError(f"{name} has no {what} for {missing}; give the file for this band")


def _detector_to_abl(
    dist: MrsDistortion,
    wave: MrsSpecwcs,
    label_map: np.ndarray,
    ranges: Mapping[str, tuple[float, float]],
    chbands: list[str],
    velosys: float | None,
) -> models.Model:
    """(x, y) -> (alpha, beta, lambda) through the slice label map, with its inverse."""
    from stdatamodels.jwst.transforms.models import MIRI_AB2Slice

    lam_of = dict(zip(wave.slices, wave.wavelength, strict=True))
    to_observed = models.Identity(3)
    if velosys is not None:
        correction = velocity_correction(velosys)
        to_observed = models.Identity(2) & correction.inverse
    per_slice = {}
    for i, label in enumerate(dist.slices):
        lam = lam_of[label] if velosys is None else lam_of[label] | correction
        # The slice models take (y, x); beta takes x only (a constant).
        forward = models.Mapping((1, 0, 0, 1, 0)) | dist.alpha[i] & dist.beta[i] & lam
        # x/y models take the observed wavelength: undo the barycentric scaling first
        # (jwst 3.0.0 does not, so its inverse is off by VELOSYS / c in wavelength).
        forward.inverse = to_observed | models.Mapping((2, 0, 2, 0)) | dist.x[i] & dist.y[i]
        per_slice[label] = forward
    by_wave = {}
    for cb in chbands:
        to_slice = MIRI_AB2Slice(dist.beta_zero[cb], dist.beta_delta[cb], int(cb[0]))
        by_wave[tuple(ranges[cb])] = selector.LabelMapper(
            inputs=("alpha", "beta", "lam"),
            mapper=to_slice,
            inputs_mapping=models.Mapping((1,), n_inputs=3),
        )
    labels = selector.LabelMapperArray(label_map)
    labels.inverse = selector.LabelMapperRange(
        ("alpha", "beta", "lam"), by_wave, models.Mapping((2,))
    )
    return selector.RegionsSelector(
        ("x", "y"), ("alpha", "beta", "lam"), label_mapper=labels, selector=per_slice
    )


def _abl_to_v2v3(
    dist: MrsDistortion, ranges: Mapping[str, tuple[float, float]], chbands: list[str]
) -> models.Model:
    """(alpha, beta, lambda) -> (V2, V3, lambda): the wavelength picks the channel."""
    channel_of = {}
    per_channel = {}
    for cb in chbands:
        channel = int(cb[0])
        channel_of[tuple(ranges[cb])] = models.Mapping((2,)) | models.Const1D(channel)
        lam = models.Identity(1)
        lam.inputs = ("lam",)
        per_channel[channel] = dist.v2v3[cb] & lam
    by_wave = selector.LabelMapperRange(
        ("alpha", "beta", "lam"), channel_of, inputs_mapping=models.Mapping((2,))
    )
    by_wave.inverse = by_wave.copy()
    return selector.RegionsSelector(
        ("alpha", "beta", "lam"), ("v2", "v3", "lam"), label_mapper=by_wave, selector=per_channel
    )


def mrs_wcs(
    attrs: Mapping[str, Any],
    distortion_ref: Any,
    specwcs_ref: Any,
    regions_ref: Any,
    wavelengthrange_ref: Any,
    *,
    shape: tuple[int, int] = (1024, 1032),
) -> gwcs_wcs.WCS:
    """Build the gwcs of a MIRI MRS exposure (one detector, one band, two channels).

    Parameters
    ----------
    attrs : exposure keywords: DETECTOR, CHANNEL (``12``/``34``), BAND
        (SHORT/MEDIUM/LONG), V2_REF, V3_REF (arcsec), ROLL_REF, RA_REF,
        DEC_REF (deg), and optionally VA_SCALE and VELOSYS (m/s).
    distortion_ref, specwcs_ref, regions_ref, wavelengthrange_ref : the MRS
        references (opened or paths).
    shape : (ny, nx) of the data array (the bounding box).

    Returns
    -------
    gwcs.WCS with frames ``detector -> alpha_beta -> v2v3 -> v2v3vacorr ->
    world``: 0-based pixel (x, y) -> RA, Dec (deg), wavelength (µm); NaN
    outside the slices.

    Raises
    ------
    InputFileError
        DETECTOR/CHANNEL/BAND are not an MRS setting.
    ReferenceMismatchError
        A reference is not the MRS kind, or is for another detector, channel or band.
    """
    chbands = channel_bands(attrs)
    dist = mrs_reference(distortion_ref, "distortion", MrsDistortion, attrs)
    wave = mrs_reference(specwcs_ref, "specwcs", MrsSpecwcs, attrs)
    regions = mrs_reference(regions_ref, "regions", MrsRegions, attrs)
    ranges = mrs_reference(wavelengthrange_ref, "wavelengthrange", dict)
    _check_covers(_name(distortion_ref), dist.v2v3, chbands, "abv2v3_model")
    _check_covers(_name(distortion_ref), dist.beta_zero, chbands, "bzero")
    _check_covers(_name(wavelengthrange_ref), ranges, chbands, "wavelength range")
    if set(wave.slices) != set(dist.slices):
        raise InputFileError(
            f"specwcs {_name(specwcs_ref)} and distortion {_name(distortion_ref)} have "
            "different slices; give the pair made for the same band"
        )
    label_map = regions.label_map(0.8)
    velosys = attrs.get("VELOSYS")
    det2abl = _detector_to_abl(
        dist, wave, label_map, ranges, chbands, None if velosys is None else float(velosys)
    )
    bind_bounding_box(det2abl, ((-0.5, shape[1] - 0.5), (-0.5, shape[0] - 0.5)), order="F")
    abl2v2v3 = _abl_to_v2v3(dist, ranges, chbands)
    # named in place: both are new here (``rename`` deep-copies the slices' models, ~1 s)
    det2abl.name, abl2v2v3.name = "detector_to_abl", "abl_to_v2v3l"
    transforms = [
        det2abl,
        abl2v2v3,
        velocity_aberration(attrs) & models.Identity(1),
        v2v3_to_sky(attrs) & models.Identity(1),
        None,
    ]
    return gwcs_wcs.WCS(list(zip(miri_frames(), transforms, strict=True)))


def _name(ref: Any) -> str:
    return str(getattr(ref, "name", None) or ref)


def assign_from_refs(ds: xr.Dataset, refs: Mapping[str, Any], **_: Any) -> xr.Dataset:
    """assign_wcs's builder for MIRI MRS: :func:`assign_mrs` with the four references of ``refs``."""
    return assign_mrs(
        ds, refs["distortion"], refs["specwcs"], refs["regions"], refs["wavelengthrange"]
    )


def assign_mrs(
    ds: xr.Dataset,
    distortion_ref: Any,
    specwcs_ref: Any,
    regions_ref: Any,
    wavelengthrange_ref: Any,
) -> xr.Dataset:
    """Return ``ds`` with the MRS WCS, the ``wavelength(y, x)`` coordinate (µm, NaN between
    slices) and ``S_REGION``.

    ``S_REGION`` is the RA/Dec box of every pixel's sky position, as jwst's
    ``update_s_region_mrs`` writes it.  The input is not modified.
    """
    shape = (ds.sizes["y"], ds.sizes["x"])
    wcs = mrs_wcs(
        ds.attrs, distortion_ref, specwcs_ref, regions_ref, wavelengthrange_ref, shape=shape
    )
    ra, dec, wavelength = mrs_world(wcs, shape)
    out = set_wcs(ds, wcs).assign_coords(
        wavelength=(("y", "x"), wavelength, {"units": "um", "long_name": "wavelength"})
    )
    return with_s_region(out, ra, dec)
