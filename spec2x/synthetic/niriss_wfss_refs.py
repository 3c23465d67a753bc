"""The synthetic NIRISS WFSS reference set (what jwst 3.0.0's assign_wcs and extract_2d read).

- ``distortion``: an affine map (0.0656 arcsec per pixel) onto the NIS_CEN
  reference point; the real ground file ``niriss_ref_distortion.asdf`` works
  in its place;
- ``filteroffset``: an offset per grism (``filter``) and blocking filter (``pupil``);
- ``specwcs`` (NIRISSGrismModel): five orders (-1 ... 3) whose trace offsets
  are quadratic in t with coefficients depending on the source position
  (the form of the CRDS files; the values of jwst's own unit tests),
  0.75-2.30 µm over t = 0...1, calibrated at ``fwcpos_ref``;
- ``wavelengthrange``: per blocking filter, the range of each order and the
  orders extracted by default.
"""

from __future__ import annotations

import os
from pathlib import Path

from astropy import units as u
from astropy.modeling import models

from .base import asdf_meta
from .miri_lrs_refs import _write_asdf
from .nircam_wfss_refs import affine_distortion

__all__ = ["FWCPOS_REF", "NIS_REFERENCE", "NIS_WAVELENGTH_RANGES", "write_niriss_wfss_references"]

#: V2_REF, V3_REF (arcsec) of NIS_CEN.
NIS_REFERENCE = (-289.966976, -697.723326)
#: Filter-wheel position of the synthetic calibration (deg).
FWCPOS_REF = 354.2111
_ORDERS = (-1, 0, 1, 2, 3)
#: Along-dispersion offset coefficients (C0, C1, C2 as (c0_0, c1_0, c0_1)), per order.
_ALONG = (
    ((59.70176, -3.6e-7, -2.6e-7), (-330.4911, 8.9e-7, 6.4e-7), (4.1831e-4, -5.5e-7, -4e-7)),
    ((-100.4272, -5e-8, -4e-7), (-662.3936, 5e-8, 1.03e-6), (2.5086e-4, 3e-8, -6.6e-7)),
    ((-260.8984, 5.2e-7, 1.3e-6), (-993.5874, -1.34e-6, -3.36e-6), (-1.52898e-3, 8.6e-7, 2.15e-6)),
    ((379.5311, -2.7e-7, -2.5e-7), (330.49, 7.2e-7, 6.6e-7), (2.5935e-4, -4.8e-7, -4.4e-7)),
    ((217.1429, -1e-8, 0.0), (-7.38096, 2e-8, -1e-8), (2.53e-6, -1e-8, 0.0)),
)
_ACROSS = (
    (-0.2846298, -0.08449617, -0.00243989),
    (-0.412634, -0.08853529, 0.0004952),
    (0.09586888, -0.5574736, -0.00080743),
    (0.3766071, 0.3271358, -0.00487867),
    (-0.99, 0.0, 0.0),
)
#: blocking filter -> order -> (low, high) µm.
NIS_WAVELENGTH_RANGES = {
    "F150W": {o: (1.33, 1.67) for o in _ORDERS},
    "F200W": {o: (1.75, 2.23) for o in _ORDERS},
}
#: (grism, blocking filter) -> (column, row) offset in pixels.
_OFFSETS = {("GR150R", "F150W"): (0.2, -0.3), ("GR150R", "F200W"): (0.35, 0.1),
            ("GR150C", "F150W"): (-0.15, 0.25), ("GR150C", "F200W"): (0.05, -0.4)}  # fmt: skip


def _spatial(coeffs: tuple[float, float, float]) -> models.Polynomial2D:
    c0, cx, cy = coeffs
    return models.Polynomial2D(2, c0_0=c0, c1_0=cx, c0_1=cy)


def write_niriss_specwcs(path: str | os.PathLike[str], grism: str = "GR150R") -> Path:
    """A NIRISS grism ``specwcs`` (GR150R disperses along y, GR150C along x)."""
    meta = asdf_meta("specwcs", "NIRISS", filter=grism, pupil="N/A", exp_type="NIS_WFSS")
    meta["input_units"] = u.micron
    meta["output_units"] = u.micron
    meta["model_type"] = "NIRISSGrismModel"
    along = [[_spatial(c) for c in order] for order in _ALONG]
    across = [[_spatial((c, 0.0, 0.0)) for c in order] for order in _ACROSS]
    x, y = (across, along) if grism == "GR150R" else (along, across)
    tree = {
        "meta": meta,
        "orders": list(_ORDERS),
        "displ": [models.Polynomial1D(1, c0=0.75, c1=1.55) for _ in _ORDERS],
        "invdispl": [models.Polynomial1D(1, c0=-0.75 / 1.55, c1=1 / 1.55) for _ in _ORDERS],
        "dispx": x,
        "dispy": y,
        "fwcpos_ref": FWCPOS_REF,
    }
    return _write_asdf(path, tree)


def _meta(reftype: str, model_type: str) -> dict:
    meta = asdf_meta(reftype, "NIRISS", detector="NIS", exp_type="NIS_WFSS")
    meta["exposure"]["p_exptype"] = "NIS_IMAGE|NIS_WFSS|"
    meta["model_type"] = model_type
    return meta


def write_niriss_wfss_references(
    folder: str | os.PathLike[str], grism: str = "GR150R"
) -> dict[str, Path]:
    """Write the four references into ``folder``; reftype -> path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    dist = _meta("distortion", "DistortionModel")
    dist.update(input_units=u.pix, output_units=u.arcsec)
    rows = [
        {"filter": f, "pupil": p, "column_offset": c, "row_offset": r}
        for (f, p), (c, r) in _OFFSETS.items()
    ]
    ranges = _meta("wavelengthrange", "WavelengthrangeModel")
    ranges["wavelength_units"] = u.micron
    waves = {
        "meta": ranges,
        "waverange_selector": list(NIS_WAVELENGTH_RANGES),
        "order": list(_ORDERS),
        "wavelengthrange": [
            [o, f, lo, hi] for f, by in NIS_WAVELENGTH_RANGES.items() for o, (lo, hi) in by.items()
        ],
        "extract_orders": [[f, [0, 1]] for f in NIS_WAVELENGTH_RANGES],
    }
    return {
        "distortion": _write_asdf(
            folder / "niriss_wfss_distortion.asdf",
            {"meta": dist, "model": affine_distortion(NIS_REFERENCE, 0.0656)},
        ),
        "filteroffset": _write_asdf(
            folder / "niriss_wfss_filteroffset.asdf",
            {"meta": _meta("filteroffset", "FilteroffsetModel"), "filters": rows},
        ),
        "specwcs": write_niriss_specwcs(
            folder / f"niriss_wfss_specwcs_{grism.lower()}.asdf", grism
        ),
        "wavelengthrange": _write_asdf(folder / "niriss_wfss_wavelengthrange.asdf", waves),
    }
