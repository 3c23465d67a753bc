"""NIRSpec IFU instrument model: one gwcs per slice, as jwst 3.0.0 builds it.

The IFU adds three planes between the sky and the spectrograph: the IFU fore
optics image the 3" x 3" field on the slicer, whose 30 slices are re-imaged
by the IFU post optics onto 30 "virtual slits" on the MSA plane.  Sky to
detector: OTE -> fore optics -> ``ifufore`` (MSA entrance -> slicer) ->
``ifuslicer`` (slice geometry) -> ``ifupost`` (slicer -> MSA exit, per slice,
wavelength dependent) -> collimator -> disperser -> camera -> FPA -> detector.
jwst 3.0.0 (``jwst.assign_wcs.nirspec.ifu``) also corrects the OTEIP position
for the chromaticity of the fore optics (``chromcorr``).  Each slice's gwcs
(frames as jwst's slice-based WCS, ``nrs_wcs_set_input`` of slice ``s``)::

    detector -> sca -> gwa -> slit_frame -> slicer -> msa_frame -> oteip
             -> oteip_chromcorr -> v2v3 -> v2v3vacorr -> world

The detector -> slit path inverts the dispersion as for a slit (the slit y
tabulated against the incident angle at the GWA, with ``ifupost`` evaluated at
the band centre); the way back (slit -> detector) uses the actual wavelength.
The exposure-level pieces come from :func:`.slits.build_optics`; the slice
pieces from the references opened by :mod:`.refs_optics`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gwcs
import numpy as np
from astropy.modeling import models as am
from astropy.modeling.models import Identity
from astropy.modeling.models import Mapping as AxisMapping

from ...errors import InputFileError
from ...io.references import Reference
from . import slit_links as sl
from . import slits as ns

__all__ = [
    "IFU_REFTYPES",
    "N_SLICES",
    "IfuOptics",
    "build_ifu_optics",
    "ifupost_transform",
    "slice_wcs",
]

#: Slices of the IFU (jwst's slice ids 0..29).
N_SLICES = 30
#: References the IFU WCS needs (no msa: the IFU slits are virtual).
IFU_REFTYPES = (
    "disperser",
    "wavelengthrange",
    "fpa",
    "camera",
    "collimator",
    "fore",
    "ote",
    "ifufore",
    "ifuslicer",
    "ifupost",
    "chromcorr",
)


def ifupost_transform(part: Mapping[str, Any]) -> Any:
    """One slice of ``ifupost``: (x_slicer, y_slicer, lambda [m]) -> MSA exit (x, y) in m.

    ``linear`` (an affine map with its inverse) then, per axis,
    ``poly(x, y) + poly_distortion(x, y) * lambda``.  The reference's models
    are shared, not copied (nothing here changes them).
    """

    def axis(poly: Any, distortion: Any) -> Any:
        xy = AxisMapping((0, 1), n_inputs=3)
        return (xy | poly) + ((xy | distortion) * (AxisMapping((2,)) | Identity(1)))

    out_map = Identity(2, name="ifupost_outmap")
    out_map.inverse = AxisMapping([0, 1, 2, 0, 1, 2])
    in_map = AxisMapping([0, 1, 2, 0, 1, 2], name="ifupost_inmap")
    in_map.inverse = Identity(2)
    poly = (
        in_map
        | axis(part["xpoly"], part["xpoly_distortion"])
        & axis(part["ypoly"], part["ypoly_distortion"])
        | out_map
    )
    return part["linear"] & Identity(1) | poly


@dataclass(frozen=True)
class IfuOptics:
    """The NIRSpec model of an IFU exposure.

    Attributes
    ----------
    optics : the exposure-level NIRSpec pieces (detector, disperser, fore, OTE).
    slices : (30, 5) rows ``(slice, xcenter, ycenter, xsize, ysize)`` on the slicer (m).
    slicer : the slicer model (slice frame -> slicer plane).
    ifupost : per slice, (x_slicer, y_slicer, lambda) -> MSA exit.
    slicer2msa : (x_slicer, y_slicer, lambda) -> MSA entrance (ifufore), lambda.
    chromcorr : (x_oteip, y_oteip, lambda) -> corrected OTEIP, with its inverse.
    lam_cen : the band centre (m), where the detector -> slit tabulation is made.
    """

    optics: ns.NirspecOptics
    slices: np.ndarray
    slicer: Any
    ifupost: tuple[Any, ...]
    slicer2msa: Any
    chromcorr: Any
    lam_cen: float


def build_ifu_optics(attrs: Mapping[str, Any], refs: Mapping[str, Reference]) -> IfuOptics:
    """The IFU model of an exposure from its optical references (``IFU_REFTYPES``)."""
    grating = str(attrs.get("GRATING", "")).upper()
    filter_name = str(attrs.get("FILTER", "")).upper()
    if str(attrs.get("DETECTOR", "")).upper() == "NRS2" and (
        grating.endswith("M") or (grating == "G140H" and filter_name == "F070LP")
    ):
        raise InputFileError(
            f"no IFU slice falls on NRS2 with GRATING={grating}, FILTER={filter_name}; "
            "only NRS1 holds data for this setting"
        )
    optics = ns.build_optics(attrs, refs, IFU_REFTYPES)
    post = refs["ifupost"].content
    chromcorr = copy.deepcopy(refs["chromcorr"].content["model"])
    # jwst takes the stored inverse as (x, y) -> (x, y) and passes the wavelength by
    chromcorr.inverse = chromcorr.inverse & Identity(1)
    chromcorr.name = "chrom_corr"
    slicer2msa = AxisMapping((0, 1, 2, 2)) | refs["ifufore"].content["model"] & Identity(1)
    slicer2msa.name = "slicer2msa"
    lo, hi = optics.wrange
    return IfuOptics(
        optics=optics,
        slices=np.asarray(refs["ifuslicer"].content["data"], dtype=float),
        slicer=refs["ifuslicer"].content["model"],
        ifupost=tuple(ifupost_transform(post[f"slice_{s}"]) for s in range(N_SLICES)),
        slicer2msa=slicer2msa,
        chromcorr=chromcorr,
        lam_cen=0.5 * (hi - lo) + lo,
    )


def slice_to_slicer(ifu: IfuOptics, s: int) -> Any:
    """Relative slice position (x_slit, y_slit) -> slicer plane (m)."""
    _, xcen, ycen, xsize, ysize = (float(v) for v in ifu.slices[s])
    return am.Scale(xsize) & am.Scale(ysize) | am.Shift(xcen) & am.Shift(ycen) | ifu.slicer


def gwa_to_slice(ifu: IfuOptics, s: int, slit_y_range: tuple[float, float], to_slicer: Any) -> Any:
    """Outgoing GWA direction cosines -> (x_slit, y_slit, lambda [m]) of slice ``s``, and back
    (``to_slicer``: the slice's :func:`slice_to_slicer`)."""
    optics = ifu.optics
    ymin, ymax = slit_y_range
    at_centre = to_slicer & am.Const1D(ifu.lam_cen) | ifu.ifupost[s] | optics.col2gwa
    gwa2ymsa = sl.gwa_to_ymsa(at_centre, ymin, ymax, ifu.lam_cen)
    forward = sl.gwa_to_slit_model(at_centre, gwa2ymsa, optics.lgreq, ymin, ymax, lam_input=True)
    actual = to_slicer & sl.identity(1) | ifu.ifupost[s] | optics.col2gwa
    forward.inverse = (
        sl.axis_mapping((0, 1, 2, 2))
        | actual & sl.identity(1)
        | sl.axis_mapping((3, 0, 1, 2))
        | optics.agreq
    )
    forward.name = "gwa2slit"
    return forward


def slice_wcs(
    ifu: IfuOptics, s: int, slit_y_range: tuple[float, float] = (-0.55, 0.55)
) -> gwcs.WCS:
    """The gwcs of slice ``s`` (0-based subarray pixels in, (ra, dec, µm) out).

    The slices share every transform and frame but their first (``dms2sca``,
    copied: a slice's bounding box is set on it) and their slit links; the
    slice -> slicer model is built once and serves both ``gwa2slit`` and
    ``slit2slicer``.
    """
    optics = ifu.optics
    fr = optics.frames
    to_slicer = slice_to_slicer(ifu, s)
    slit2slicer = to_slicer & sl.identity(1)
    slit2slicer.name = "slit2slicer"
    return gwcs.WCS(
        [
            (fr["detector"], copy.deepcopy(optics.dms2sca)),
            (fr["sca"], optics.det2gwa),
            (fr["gwa"], gwa_to_slice(ifu, s, slit_y_range, to_slicer)),
            (fr["slit_frame"], slit2slicer),
            (fr["slicer"], ifu.slicer2msa),
            (fr["msa_frame"], optics.msa2oteip),
            (fr["oteip"], ifu.chromcorr),
            (fr["oteip_chromcorr"], optics.oteip2v23),
            *ns.telescope_steps(optics),
        ]
    )


def slice_edges_on_slicer(ifu: IfuOptics, ymin: float, ymax: float) -> np.ndarray:
    """Slicer (x, y) of each slice's edges ``(x_slit = 0, y_slit = ymin, ymax)``: (30, 2, 2)."""
    out = np.empty((N_SLICES, 2, 2))
    for s in range(N_SLICES):
        out[s] = np.transpose(slice_to_slicer(ifu, s)(np.zeros(2), np.array([ymin, ymax])))
    return out
