"""NIRSpec slit WCS: one gwcs per aperture (fixed slit, MSA slitlet), from the optical model.

An aperture is a :class:`stdatamodels.jwst.transforms.models.Slit` (name,
shutter id, quadrant, y extent in slit units, source id ...); its position on
the MSA plane is a row ``(id, xcenter, ycenter, xsize, ysize)`` of the msa
reference (quadrant 5 holds the fixed slits, rows 0..4).  For each aperture
:func:`slit_wcs` assembles

    detector -> sca -> gwa -> slit_frame -> msa_frame -> oteip -> v2v3 -> v2v3vacorr -> world

with the links of :mod:`spec2x.instruments.nirspec.wcs`, numerically the same chain jwst
builds (``nrs_wcs_set_input`` of a ``slits_wcs`` pipeline), and
:func:`slit_bounding_box` finds where the slit falls on the detector the way
jwst does, so cut-outs agree pixel for pixel.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gwcs
import numpy as np
from astropy.modeling import models as am
from astropy.modeling.models import Identity
from stdatamodels.jwst.transforms.models import Slit

from ...errors import InputFileError, MissingReferenceError
from ...io.references import Reference
from . import wcs as nm
from .slit_links import axis_mapping, gwa_to_slit_model, gwa_to_ymsa, identity

__all__ = [
    "Box",
    "NIRSPEC_OPTICAL_REFTYPES",
    "NirspecOptics",
    "build_optics",
    "box_on_detector",
    "boxes_from_trace",
    "Wavelengths",
    "refined_box",
    "slit_bounding_box",
    "telescope_steps",
    "traced_boxes",
    "slit_wcs",
    "slit_wcs_and_box",
]

#: A bounding box in pixel edges, ((x0, x1), (y0, y1)).
Box = tuple[tuple[float, float], tuple[float, float]]

#: Reference types the slit WCS needs.
NIRSPEC_OPTICAL_REFTYPES = (
    "disperser",
    "wavelengthrange",
    "fpa",
    "camera",
    "collimator",
    "msa",
    "fore",
    "ote",
)


@dataclass(frozen=True)
class NirspecOptics:
    """The exposure-level pieces of the NIRSpec model, shared by every aperture.

    Attributes
    ----------
    refs : the optical references by type.
    disperser : disperser parameters after the GWA tilt correction.
    order : spectral order; wrange : wavelength range (m) of FILTER/GRATING.
    det2gwa, col2gwa, agreq, lgreq : the detector->GWA, MSA->GWA,
        (lambda, incident)->outgoing and (incident, outgoing)->lambda links.
    msa2oteip, oteip2v23 : the fore and OTE links.
    attrs : the exposure keywords used.
    frames : the coordinate frames by name (:func:`.wcs.frames`).

    The apertures' WCS share these transforms and frames (never change one in
    place), so a product file writes each once (a YAML anchor, aliases in the
    other apertures' WCS); only ``dms2sca`` is copied per aperture, as its
    bounding box is the slit's.
    """

    refs: Mapping[str, Reference]
    disperser: Mapping[str, Any]
    order: int
    wrange: tuple[float, float]
    dms2sca: Any
    det2gwa: Any
    col2gwa: Any
    agreq: Any
    lgreq: Any
    msa2oteip: Any
    oteip2v23: Any
    attrs: Mapping[str, Any]
    frames: Mapping[str, Any]

    @functools.cached_property
    def telescope(self) -> tuple[tuple[Any, Any], ...]:
        """The last WCS steps, v2v3 -> v2v3vacorr -> world, built on first use (they need
        the pointing keywords, which a WCS stopping at the MSA does not) and then shared."""
        return _telescope(self.frames, self.attrs)


def build_optics(
    attrs: Mapping[str, Any],
    refs: Mapping[str, Reference],
    reftypes: tuple[str, ...] = NIRSPEC_OPTICAL_REFTYPES,
) -> NirspecOptics:
    """Build the aperture-independent part of the NIRSpec model for an exposure
    (``reftypes``: the references the mode needs, all of them checked here)."""
    missing = [t for t in reftypes if refs.get(t) is None]
    if missing:
        raise MissingReferenceError(
            f"the NIRSpec WCS needs {', '.join(missing)} reference(s); "
            "give them with --ref TYPE=PATH"
        )
    for key in ("DETECTOR", "FILTER", "GRATING"):
        if not attrs.get(key):
            raise InputFileError(f"the exposure lacks keyword {key}, which the NIRSpec WCS needs")
    grating = str(attrs["GRATING"]).upper()
    disp = nm.corrected_disperser(refs["disperser"], attrs.get("GWA_XTIL"), attrs.get("GWA_YTIL"))
    if grating != "PRISM" and "groovedensity" not in disp:
        raise InputFileError(
            f"disperser reference {refs['disperser'].name} has no groovedensity but "
            f"GRATING={grating}; give the disperser file of {grating}"
        )
    order, wrange = nm.spectral_order_range(refs["wavelengthrange"], attrs["FILTER"], grating)
    temperature = attrs.get("GWA_TILT")
    agreq = nm.angle_from_disperser(disp, grating, order, temperature)
    lgreq = nm.wavelength_from_disperser(disp, grating, order, temperature)
    velosys = attrs.get("VELOSYS")
    if velosys is not None:
        corr = nm.velocity_correction(float(velosys))
        lgreq = lgreq | corr
        agreq = corr.inverse & Identity(3) | agreq
    detector = str(attrs["DETECTOR"])
    return NirspecOptics(
        refs=refs,
        disperser=disp,
        order=order,
        wrange=wrange,
        dms2sca=nm.dms_to_sca(
            detector, int(attrs.get("SUBSTRT1", 1)), int(attrs.get("SUBSTRT2", 1))
        ),
        det2gwa=nm.detector_to_gwa(refs["fpa"], refs["camera"], detector, disp),
        col2gwa=nm.collimator_to_gwa(refs["collimator"], disp),
        agreq=agreq,
        lgreq=lgreq,
        msa2oteip=nm.msa_to_oteip(refs["fore"]),
        oteip2v23=nm.oteip_to_v23(refs["ote"]),
        attrs=dict(attrs),
        frames=nm.frames(),
    )


def _msa_row(optics: NirspecOptics, slit: Slit) -> tuple[Any, Any]:
    """(row of the msa table, quadrant model) of an aperture (the model is the reference's,
    shared by the apertures of the quadrant)."""
    quadrant = optics.refs["msa"].content[f"Q{slit.quadrant}"]
    # Shutters are numbered from 1; the fixed slits (quadrant 5) from 0.
    index = slit.shutter_id if slit.quadrant == 5 else slit.shutter_id - 1
    data = quadrant["data"]
    if not 0 <= index < len(data):
        raise InputFileError(
            f"msa reference {optics.refs['msa'].name} has no entry {index} in quadrant "
            f"{slit.quadrant} for slit {slit.name}"
        )
    return data[index], quadrant["model"]


def slit_to_msa(optics: NirspecOptics, slit: Slit) -> Any:
    """Relative slit position (x_slit, y_slit) -> MSA plane (m)."""
    row, quadrant_model = _msa_row(optics, slit)
    _, xcen, ycen, xsize, ysize = (float(v) for v in row)
    return am.Scale(xsize) & am.Scale(ysize) | am.Shift(xcen) & am.Shift(ycen) | quadrant_model


def gwa_to_slit(optics: NirspecOptics, slit: Slit, to_msa: Any = None) -> Any:
    """Outgoing GWA direction cosines -> (x_slit, y_slit, lambda [m]), and back
    (``to_msa``: the slit's :func:`slit_to_msa`, built here when None)."""
    msa2gwa = (slit_to_msa(optics, slit) if to_msa is None else to_msa) | optics.col2gwa
    gwa2ymsa = gwa_to_ymsa(msa2gwa, slit.ymin, slit.ymax)
    forward = gwa_to_slit_model(msa2gwa, gwa2ymsa, optics.lgreq, slit.ymin, slit.ymax)
    forward.inverse = msa2gwa & identity(1) | axis_mapping((3, 0, 1, 2)) | optics.agreq
    forward.name = "gwa2slit"
    return forward


def slit_wcs(optics: NirspecOptics, slit: Slit, *, to_sky: bool = True) -> gwcs.WCS:
    """The gwcs of one aperture (0-based subarray pixels in, (ra, dec, µm) out).

    ``to_sky=False`` stops at ``msa_frame`` (lamp exposures, OPAQUE filter).
    The frames and the telescope steps are those of ``optics`` (shared by its
    apertures, as the optical transforms are).  The slit -> MSA model is built
    once and serves both ``gwa2slit`` and ``slit2msa``.
    """
    fr = optics.frames
    to_msa = slit_to_msa(optics, slit)
    slit2msa = to_msa & identity(1)
    slit2msa.name = "slit2msa"
    steps: list[tuple[Any, Any]] = [
        (fr["detector"], copy.deepcopy(optics.dms2sca)),
        (fr["sca"], optics.det2gwa),
        (fr["gwa"], gwa_to_slit(optics, slit, to_msa)),
        (fr["slit_frame"], slit2msa),
    ]
    if not to_sky:
        return gwcs.WCS([*steps, (fr["msa_frame"], None)])
    steps += [
        (fr["msa_frame"], optics.msa2oteip),
        (fr["oteip"], optics.oteip2v23),
        *telescope_steps(optics),
    ]
    return gwcs.WCS(steps)


def telescope_steps(optics: NirspecOptics) -> list[tuple[Any, Any]]:
    """The last WCS steps, shared by every NIRSpec mode: v2v3 -> v2v3vacorr -> world
    (the same frames and transforms for every aperture of ``optics``)."""
    return list(optics.telescope)


def _telescope(fr: Mapping[str, Any], attrs: Mapping[str, Any]) -> tuple[tuple[Any, Any], ...]:
    """The steps of :func:`telescope_steps` from the exposure's keywords."""
    va_corr = nm.dva_correction(attrs) & Identity(1)
    va_corr.name = "va_corr"
    tel2sky = nm.v23_to_sky(attrs) & Identity(1)
    tel2sky.name = "v2v3_to_sky"
    return ((fr["v2v3"], va_corr), (fr["v2v3vacorr"], tel2sky), (fr["world"], None))


def _bbox_from_range(
    x: np.ndarray, y: np.ndarray
) -> tuple[tuple[float, float], tuple[float, float]]:
    # The model's pixel outputs are taken as 1-based here (hence the -1), as jwst
    # does; 10 pixels of margin along x, 2 along y, clipped to the full frame.
    return (
        (max(0, np.nanmin(x) - 1 - 10) - 0.5, min(2047, np.nanmax(x) - 1 + 10) + 0.5),
        (max(0, np.nanmin(y) - 1 - 2) - 0.5, min(2047, np.nanmax(y) - 1 + 2) + 0.5),
    )


def _wavelength_grid(wrange: tuple[float, float]) -> np.ndarray:
    lam_min, lam_max = wrange
    return np.linspace(lam_min, lam_max, int((lam_max - lam_min) / 1e-10))


def slit_bounding_box(
    detector_to_slit: Any,
    wrange: tuple[float, float],
    ymin: float,
    ymax: float,
    *,
    refine: bool = True,
    initial: Box | None = None,
) -> Box:
    """Where an aperture falls on the detector: ((x0, x1), (y0, y1)) in pixel edges.

    The slit edges ``y_slit = ymin, ymax`` are traced through the inverse
    transform on a 0.1 nm wavelength grid (or ``initial`` is that box, from
    :func:`traced_boxes`); with ``refine`` the y range is narrowed to the
    pixels of that box that have a wavelength.
    """
    if detector_to_slit.has_inverse():
        slit_to_detector = detector_to_slit.inverse
    else:
        slit_to_detector, detector_to_slit = detector_to_slit, None
    if initial is None:
        lam = _wavelength_grid(wrange)
        zeros = np.zeros(lam.size)
        x_lo, y_lo = slit_to_detector(zeros, zeros + ymin, lam)[:2]
        x_hi, y_hi = slit_to_detector(zeros, zeros + ymax, lam)[:2]
        initial = _bbox_from_range(np.hstack((x_lo, x_hi)), np.hstack((y_lo, y_hi)))
    if refine and detector_to_slit is not None:
        return refined_box(detector_to_slit, initial)[0]
    return initial


#: A wavelength image (m) and the pixel columns and rows it covers.
Wavelengths = tuple[np.ndarray, np.ndarray, np.ndarray]


def refined_box(detector_to_slit: Any, initial: Box) -> tuple[Box, Wavelengths | None]:
    """``initial`` with its y range narrowed to the pixels that have a wavelength, and the
    wavelengths (m) evaluated for it on a grid reaching 3 pixels beyond the box in y and 1
    in x, which holds every pixel :func:`spec2x.instruments.nirspec.fs.attach_slits`
    paints from the refined box (None for an empty box)."""
    if not (initial[0][0] <= initial[0][1] and initial[1][0] <= initial[1][1]):
        return initial, None
    (x0, x1), (y0, y1) = (
        (np.floor(lo + 0.5), np.ceil(hi - 0.5)) for lo, hi in initial
    )  # the pixels of gwcs's grid_from_bounding_box
    xs, ys = np.arange(x0, x1 + 2), np.arange(y0 - 3, y1 + 4)
    x, y = np.meshgrid(xs, ys)
    wavelength = detector_to_slit(x, y)[2]
    inner = (slice(3, 3 + int(y1 - y0) + 1), slice(0, int(x1 - x0) + 1))
    valid = np.isfinite(wavelength[inner])
    box = initial
    if valid.any():
        # the x range is the traced one: only y is narrowed
        box = (initial[0], _bbox_from_range(np.zeros(1), y[inner][valid])[1])
    return box, (xs, ys, wavelength)


def slit_wcs_and_box(
    optics: NirspecOptics,
    slit: Slit,
    traced: Any,
) -> tuple[gwcs.WCS, Box, Wavelengths | None]:
    """An aperture's gwcs, its refined bounding box, from its traced box (a row of
    :func:`traced_boxes`), and the wavelengths of :func:`refined_box`; the box is not set
    on the WCS."""
    wcs = slit_wcs(optics, slit)
    box, wavelengths = refined_box(
        wcs.get_transform("detector", "slit_frame"), (tuple(traced[0]), tuple(traced[1]))
    )
    return wcs, box, wavelengths


def _extremes(trace: Any, lam: np.ndarray, step: int = 64) -> tuple[np.ndarray, ...]:
    """Min and max of the traced x and y over the fine grid ``lam``, per row.

    The trace is smooth: it is evaluated every ``step`` points, then on the fine
    grid within one coarse step of each coarse extreme (and at the ends), so the
    extremes are those of the full grid (same points, same numbers) at a
    fraction of the cost.  Returns (x min, x max, y min, y max) candidates, each
    (rows, k): reduce them with ``fmin``/``fmax``.
    """
    coarse = np.unique(np.r_[np.arange(0, lam.size, step), lam.size - 1])
    xc, yc = trace(lam[coarse])
    window = np.arange(-step, step + 1)
    picks = []
    for values, lowest in ((xc, True), (xc, False), (yc, True), (yc, False)):
        filled = np.where(np.isnan(values), np.inf if lowest else -np.inf, values)
        k = np.argmin(filled, axis=1) if lowest else np.argmax(filled, axis=1)
        picks.append(np.clip(coarse[k][:, None] + window, 0, lam.size - 1))
    index = np.concatenate(picks, axis=1)
    xf, yf = trace(lam[index])
    w = window.size
    return (
        np.hstack([xc, xf[:, :w]]),
        np.hstack([xc, xf[:, w : 2 * w]]),
        np.hstack([yc, yf[:, 2 * w : 3 * w]]),
        np.hstack([yc, yf[:, 3 * w :]]),
    )


def traced_boxes(optics: NirspecOptics, slits: list[Slit]) -> np.ndarray:
    """The unrefined bounding boxes of many apertures at once, shape (n, 2, 2).

    Each slit's edges (``x_slit = 0``, ``y_slit = ymin, ymax``) are placed on the
    MSA, sent to the GWA once (that does not depend on wavelength), then traced
    to the detector over the wavelength grid of :func:`slit_bounding_box` in one
    evaluation for all apertures; the numbers are those of the per-slit trace.
    """
    n = len(slits)
    x_msa, y_msa = np.empty((n, 2)), np.empty((n, 2))
    for q in sorted({s.quadrant for s in slits}):
        rows = [i for i, s in enumerate(slits) if s.quadrant == q]
        geo = np.array([[float(v) for v in _msa_row(optics, slits[i])[0]] for i in rows])
        edges = np.array([[slits[i].ymin, slits[i].ymax] for i in rows])
        xq = 0.0 * geo[:, 3:4] + geo[:, 1:2] + np.zeros((1, 2))
        yq = edges * geo[:, 4:5] + geo[:, 2:3]
        x_msa[rows], y_msa[rows] = _msa_row(optics, slits[rows[0]])[1](xq, yq)
    cosines = optics.col2gwa(x_msa.ravel(), y_msa.ravel())
    gwa2det = optics.det2gwa.inverse | optics.dms2sca.inverse

    def trace(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Detector (x, y) of each slit edge at wavelengths ``lam`` (one row per edge)."""
        shape = (2 * n, lam.shape[-1])
        args = (np.broadcast_to(c[:, None], shape) for c in cosines)
        x, y = gwa2det(*optics.agreq(np.broadcast_to(lam, shape), *args))
        return x, y

    return boxes_from_trace(trace, n, optics.wrange)


def boxes_from_trace(trace: Any, n: int, wrange: tuple[float, float]) -> np.ndarray:
    """The unrefined bounding boxes (n, 2, 2) of ``n`` apertures from ``trace``.

    ``trace(lam)`` gives the detector (x, y) of the two edges of every aperture
    (rows ``2 i``, ``2 i + 1`` for aperture ``i``) at wavelengths ``lam`` (m):
    1-D, or one row of wavelengths per edge.  The boxes are those of jwst's
    ``compute_bounding_box`` on the 0.1 nm grid of ``wrange``.
    """
    x_lo, x_hi, y_lo, y_hi = (v.reshape(n, -1) for v in _extremes(trace, _wavelength_grid(wrange)))

    def pad(lo: np.ndarray, hi: np.ndarray, margin: int) -> np.ndarray:
        # Python's max(0, v) / min(2047, v) (a NaN gives the bound), as in _bbox_from_range
        lo, hi = lo - 1 - margin, hi - 1 + margin
        return np.stack([np.where(lo > 0, lo, 0) - 0.5, np.where(hi < 2047, hi, 2047) + 0.5], -1)

    return np.stack(
        [
            pad(np.fmin.reduce(x_lo, axis=1), np.fmax.reduce(x_hi, axis=1), 10),
            pad(np.fmin.reduce(y_lo, axis=1), np.fmax.reduce(y_hi, axis=1), 2),
        ],
        axis=1,
    )


def box_on_detector(box: Any) -> bool:
    """jwst's validity test of an (unrefined) bounding box: does any of it fall on the detector."""
    (xlow, xhigh), (ylow, yhigh) = box
    return not (
        xlow >= 2048
        or ylow >= 2048
        or xhigh <= 0
        or yhigh <= 0
        or xhigh - xlow < 2
        or yhigh - ylow < 1
    )


def select_on_detector(
    optics: NirspecOptics, candidates: list[Slit]
) -> tuple[list[Slit], np.ndarray, list[Slit]]:
    """(apertures whose spectrum falls on the detector, their traced boxes, the others)."""
    boxes = traced_boxes(optics, candidates)
    on = np.array([box_on_detector(b) for b in boxes], bool)
    kept = [s for s, ok in zip(candidates, on, strict=True) if ok]
    return kept, boxes[on], [s for s, ok in zip(candidates, on, strict=True) if not ok]
