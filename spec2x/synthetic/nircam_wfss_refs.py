"""The synthetic NIRCam WFSS reference set: the files jwst 3.0.0's assign_wcs and extract_2d read.

- ``distortion`` (DistortionModel): the long-wave module A detector
  (NRCALONG) as an affine map about the detector centre, 0.063 arcsec per
  pixel, rotated by :data:`ROTATION_DEG`, onto the ``NRCA5_FULL`` reference
  point (an exact inverse, so sky -> pixel closes);
- ``filteroffset`` (FilteroffsetModel): a sub-pixel offset per filter and grism;
- ``specwcs`` (NIRCAMGrismModel): linear dispersion polynomials of the
  form of the real ground files ``jwst_nircam_specwcs_0010/0011``
  (orders 1 and 2, 2.4-5.0 µm over t = 0...1); the real files work in their place;
- ``wavelengthrange`` (WavelengthrangeModel, WFSS layout): per filter, the
  range of orders 1 and 2 and the orders extracted by default.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.modeling import models

from .base import asdf_meta
from .miri_lrs_refs import _write_asdf

__all__ = [
    "FILTER_OFFSETS",
    "NRCA5_REFERENCE",
    "ROTATION_DEG",
    "WAVELENGTH_RANGES",
    "affine_distortion",
    "write_nircam_wfss_references",
]

#: V2_REF, V3_REF (arcsec) of NRCA5_FULL.
NRCA5_REFERENCE = (86.103, -493.227)
#: Detector x axis to V2 rotation of the synthetic distortion (deg).
ROTATION_DEG = 0.4
_SCALE = 0.063  # arcsec / pixel
_CENTRE = 1023.5
#: (filter, pupil) -> (column, row) offset in pixels.
FILTER_OFFSETS = {
    ("F322W2", "GRISMR"): (0.31, -0.12),
    ("F356W", "GRISMR"): (0.25, -0.18),
    ("F444W", "GRISMR"): (-0.4, 0.22),
    ("F356W", "GRISMC"): (0.11, 0.29),
    ("F444W", "GRISMC"): (-0.27, 0.35),
}
#: filter -> order -> (low, high) µm.
WAVELENGTH_RANGES = {
    "F322W2": {1: (2.40, 4.01), 2: (2.40, 4.01)},
    "F356W": {1: (3.10, 4.00), 2: (3.10, 4.00)},
    "F444W": {1: (3.80, 5.00), 2: (3.80, 5.00)},
}
#: NIRCam grism polynomials (as the real 0010/0011 files): t -> wavelength, along, across.
_DISPL = ((2.4, 2.6), (2.4, 2.6))
_ALONG = ((-1530.876494, 2589.64143426), (859.56175297, 5179.28286853))
_ACROSS = ((0.0, 0.0), (0.0, 0.0))


def affine_distortion(
    reference: tuple[float, float] = NRCA5_REFERENCE, scale: float = _SCALE
) -> models.Model:
    """Pixel -> V2, V3 arcsec: ``scale`` arcsec per pixel rotated by :data:`ROTATION_DEG` about
    the detector centre onto ``reference``, with its exact inverse."""
    theta = np.deg2rad(ROTATION_DEG)
    matrix = scale * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    to_centre = models.Shift(-_CENTRE) & models.Shift(-_CENTRE)
    affine = models.AffineTransformation2D(matrix=matrix, translation=reference)
    model = to_centre | affine
    model.inverse = affine.inverse | (models.Shift(_CENTRE) & models.Shift(_CENTRE))
    return model


def _polys(coeffs: tuple[tuple[float, float], ...]) -> list[models.Polynomial1D]:
    return [models.Polynomial1D(1, c0=c0, c1=c1) for c0, c1 in coeffs]


def _inverse(coeffs: tuple[tuple[float, float], ...]) -> list[models.Polynomial1D]:
    """The inverse of each linear polynomial (a zero slope inverts to zero)."""
    out = []
    for c0, c1 in coeffs:
        out.append(models.Polynomial1D(1, c0=-c0 / c1 if c1 else 0.0, c1=1 / c1 if c1 else 0.0))
    return out


def write_specwcs(path: str | os.PathLike[str], pupil: str = "GRISMR") -> Path:
    """A NIRCam grism ``specwcs`` for ``pupil`` (GRISMR disperses along x, GRISMC along y)."""
    meta = asdf_meta("specwcs", "NIRCAM", pupil=pupil, exp_type="NRC_WFSS")
    meta["instrument"]["module"] = "A"
    meta["exposure"]["p_exptype"] = "NRC_WFSS|NRC_TSGRISM|"
    meta["input_units"] = u.micron
    meta["output_units"] = u.micron
    meta["model_type"] = "NIRCAMGrismModel"
    row = pupil == "GRISMR"
    x, y = (_ALONG, _ACROSS) if row else (_ACROSS, _ALONG)
    tree = {
        "meta": meta,
        "orders": [1, 2],
        "displ": _polys(_DISPL),
        "dispx": _polys(x),
        "dispy": _polys(y),
        "invdispl": _inverse(_DISPL),
        "invdispx": _inverse(x),
        "invdispy": _inverse(y),
    }
    return _write_asdf(path, tree)


def write_distortion(path: str | os.PathLike[str]) -> Path:
    """NRCALONG imaging ``distortion`` (DistortionModel)."""
    meta = asdf_meta("distortion", "NIRCAM", detector="NRCALONG", exp_type="NRC_IMAGE")
    meta["instrument"].update(channel="LONG", module="A", filter="N/A", pupil="N/A")
    meta["exposure"]["p_exptype"] = "NRC_IMAGE|NRC_WFSS|NRC_TSGRISM|NRC_TSIMAGE|"
    meta["input_units"] = u.pix
    meta["output_units"] = u.arcsec
    meta["model_type"] = "DistortionModel"
    return _write_asdf(path, {"meta": meta, "model": affine_distortion()})


def write_filteroffset(path: str | os.PathLike[str]) -> Path:
    """NRCALONG ``filteroffset`` (FilteroffsetModel) with :data:`FILTER_OFFSETS`."""
    meta = asdf_meta("filteroffset", "NIRCAM", detector="NRCALONG", exp_type="NRC_IMAGE")
    meta["instrument"]["channel"] = "LONG"
    meta["exposure"]["p_exptype"] = "NRC_IMAGE|NRC_WFSS|NRC_TSGRISM|NRC_TSIMAGE|"
    meta["model_type"] = "FilteroffsetModel"
    rows = [
        {"filter": f, "pupil": p, "column_offset": col, "row_offset": row}
        for (f, p), (col, row) in FILTER_OFFSETS.items()
    ]
    return _write_asdf(path, {"meta": meta, "filters": rows})


def write_wavelengthrange(path: str | os.PathLike[str], *, time_series: bool = False) -> Path:
    """NIRCam WFSS ``wavelengthrange`` (WavelengthrangeModel) with :data:`WAVELENGTH_RANGES`.

    ``time_series``: the NRC_TSGRISM file instead, rows ``[order, pupil, filter, low,
    high]`` (the layout jwst 3.0.0's time-series extract_2d unpacks), order 1 extracted.
    """
    exp_type = "NRC_TSGRISM" if time_series else "NRC_WFSS"
    meta = asdf_meta("wavelengthrange", "NIRCAM", exp_type=exp_type)
    meta["exposure"]["p_exptype"] = "NRC_TSGRISM|" if time_series else "NRC_WFSS|NRC_TSGRISM|"
    meta["model_type"] = "WavelengthrangeModel"
    meta["wavelength_units"] = u.micron
    pupil = ["GRISMR"] if time_series else []
    rows = [
        [order, *pupil, name, lo, hi]
        for name, by_order in WAVELENGTH_RANGES.items()
        for order, (lo, hi) in by_order.items()
    ]
    tree = {
        "meta": meta,
        "waverange_selector": list(WAVELENGTH_RANGES),
        "order": [1, 2],
        "wavelengthrange": rows,
        "extract_orders": [[name, [1] if time_series else [1, 2]] for name in WAVELENGTH_RANGES],
    }
    return _write_asdf(path, tree)


def write_nircam_wfss_references(
    folder: str | os.PathLike[str], pupil: str = "GRISMR"
) -> dict[str, Path]:
    """Write the four references into ``folder``; reftype -> path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "distortion": write_distortion(folder / "nircam_wfss_distortion.asdf"),
        "filteroffset": write_filteroffset(folder / "nircam_wfss_filteroffset.asdf"),
        "specwcs": write_specwcs(folder / f"nircam_wfss_specwcs_{pupil.lower()}.asdf", pupil),
        "wavelengthrange": write_wavelengthrange(folder / "nircam_wfss_wavelengthrange.asdf"),
    }
