"""Synthetic NIRSpec optical references in the CRDS formats (ASDF).

The camera, collimator, FPA, OTE, CLEAR fore optics and PRISM disperser are the
ground (CV3) deliveries kept in ``nirspec_data/`` (public CRDS files; their
numbers are the real instrument model).  What CRDS does not give us offline is
written here:

- ``msa``: the five quadrants (shutter grid in Q1-Q4; the fixed slits in Q5,
  rows 0..4 = S200A1, S200A2, S400A1, S1600A1, S200B1, with their on-sky sizes),
- ``disperser`` for G140M and G395M (grating equation; groove density from the
  nominal dispersion, the tilt chosen so the band centre lands mid-detector),
- ``fore`` for F100LP and F290LP (the CLEAR model relabelled),
- ``wavelengthrange`` with F100LP_G140M, F290LP_G395M and CLEAR_PRISM.

Every file opens with the ``stdatamodels`` reference models (MSAModel,
DisperserModel, FOREModel, WavelengthrangeModel ...), so jwst reads them too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, TypedDict

import asdf
import numpy as np
from astropy.modeling import models as am

from .._asdf import spec2x_asdf
from .base import asdf_meta

__all__ = [
    "FIXED_SLIT_GEOMETRY",
    "GRATINGS",
    "TEMPLATE_DIR",
    "write_disperser",
    "write_fore",
    "write_msa",
    "write_nirspec_optical_refs",
    "write_wavelengthrange",
]

TEMPLATE_DIR = Path(__file__).with_name("nirspec_data")

#: Real (CV3) files reused as they are.
_TEMPLATES = {
    "camera": "jwst_nirspec_camera_0004.asdf",
    "collimator": "jwst_nirspec_collimator_0004.asdf",
    "fpa": "jwst_nirspec_fpa_0005.asdf",
    "ote": "jwst_nirspec_ote_0005.asdf",
}
_CLEAR_FORE = "jwst_nirspec_fore_0028.asdf"
_PRISM_DISPERSER = "jwst_nirspec_disperser_0034.asdf"

_P_EXPTYPE = "NRS_FIXEDSLIT|NRS_BRIGHTOBJ|NRS_MSASPEC|NRS_IFU|NRS_LAMP|NRS_AUTOWAVE|NRS_AUTOFLAT|"

#: Fixed slits on the MSA plane (m): row, x centre, y centre, x size, y size.
#: Sizes from the on-sky apertures (0.2" x 3.2", 0.4" x 3.65", 1.6" x 1.6") at
#: ~0.39 mm/arcsec; S200A1 sits where the ESA functional model puts it.
FIXED_SLIT_GEOMETRY = {
    "S200A1": (0, 0.0269724, -0.0027167, 7.9e-5, 0.0012712),
    "S200A2": (1, 0.0266, -0.0009, 7.9e-5, 0.0012712),
    "S400A1": (2, 0.0262, 0.0011, 1.56e-4, 0.00143),
    "S1600A1": (3, 0.0258, 0.0030, 6.2e-4, 6.2e-4),
    "S200B1": (4, 0.0254, 0.0045, 7.9e-5, 0.0012712),
}


class GratingDesign(TypedDict):
    """One synthetic grating: FILTER, range (m), order, dispersion (m/pixel), design."""

    filter: str
    range: tuple[float, float]
    order: int
    dispersion: float
    groovedensity: float
    tilt_y: float


#: Alignment angles (deg) of the synthetic gratings (the CV3 prism's, rounded).
THETA = {"theta_x": 0.0333, "theta_y": -0.2755, "theta_z": -0.142}
#: Grating parameters: wavelength range (m) of FILTER_GRATING, order, the
#: nominal dispersion (m per pixel), and the design found by
#: :func:`spec2x.synthetic._nirspec_grating.solve_grating` (groove density 1/m,
#: tilt_y deg: the band centre through S200A1 lands mid-NRS1).
GRATINGS: dict[str, GratingDesign] = {
    "G140M": {
        "filter": "F100LP",
        "range": (0.97e-6, 1.89e-6),
        "order": -1,
        "dispersion": 6.36e-10,
        "groovedensity": 95473.62173565458,
        "tilt_y": -4.596819367775547,
    },
    "G395M": {
        "filter": "F290LP",
        "range": (2.87e-6, 5.27e-6),
        "order": -1,
        "dispersion": 1.79e-9,
        "groovedensity": 33922.47118652308,
        "tilt_y": -4.642962374553327,
    },
}

#: Shutter pitch and open area (m) of the MSA quadrants, and the grid size.
_PITCH = (1.05e-4, 2.04e-4)
_OPEN = (7.8e-5, 1.78e-4)
_GRID = (365, 171)
_QUADRANT_ORIGIN = {
    1: (-0.0395, 0.0062),
    2: (-0.0395, -0.0418),
    3: (0.0012, 0.0062),
    4: (0.0012, -0.0418),
}


def _write_asdf(path: str | os.PathLike[str], tree: dict[str, Any]) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with spec2x_asdf():  # asdf's own plugin list would import every installed extension
        asdf.AsdfFile(tree).write_to(tmp, all_array_storage="internal")
    os.replace(tmp, path)
    return path


def _meta(reftype: str, model_type: str, **selectors: Any) -> dict[str, Any]:
    meta = asdf_meta(reftype, "NIRSPEC", exp_type="N/A", **selectors)
    meta["model_type"] = model_type
    meta["exposure"]["p_exptype"] = _P_EXPTYPE
    meta["instrument"]["p_detector"] = "NRS1|NRS2|"
    return meta


def _msa_table(rows: Any) -> np.ndarray:
    """Rows ``(id, xcenter, ycenter, xsize, ysize)`` as the msa reference's table."""
    table = np.zeros(len(rows), dtype=[(n, "f8") for n in ("NO", "XC", "YC", "SIZEX", "SIZEY")])
    for name, column in zip(table.dtype.names or (), np.asarray(rows, float).T, strict=True):
        table[name] = column
    return table


def write_msa(path: str | os.PathLike[str], *, grid: tuple[int, int] = _GRID) -> Path:
    """MSA reference: quadrants 1-4 as shutter grids, quadrant 5 the fixed slits.

    Each row of ``Qn.data`` (columns ``NO, XC, YC, SIZEX, SIZEY``) gives a
    shutter's number and its centre and open size in the quadrant's frame, where
    shutter 1 sits at (0, 0); ``Qn.model`` maps that frame onto the MSA plane (m).
    Shutter ``row + (column - 1) * 365`` is at row ``row`` (along x, the
    dispersion) and column ``column`` (along the slit).  ``grid`` = (shutters along
    x, along y): the full 365 x 171 for MOS, a small one keeps fixed-slit test
    files small (the MOS shutter numbering needs the full 365 along x).
    """
    tree: dict[str, Any] = {"meta": _meta("msa", "MSAModel")}
    tree["meta"]["output_units"] = "m"
    tree["meta"]["input_units"] = "m"
    nx, ny = grid
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="xy")
    shutters = _msa_table(
        np.column_stack(
            [
                (iy * nx + ix).ravel() + 1.0,
                ix.ravel() * _PITCH[0],
                iy.ravel() * _PITCH[1],
                np.full(nx * ny, _OPEN[0]),
                np.full(nx * ny, _OPEN[1]),
            ]
        )
    )
    for q, (x0, y0) in _QUADRANT_ORIGIN.items():
        model = am.Shift(x0 + 0.5 * _PITCH[0]) & am.Shift(y0 + 0.5 * _PITCH[1])
        tree[f"Q{q}"] = {"data": shutters.copy(), "model": model}
    rows = sorted(FIXED_SLIT_GEOMETRY.values())
    tree["Q5"] = {"data": _msa_table(rows), "model": am.Shift(0.0) & am.Shift(0.0)}
    return _write_asdf(path, tree)


def write_fore(path: str | os.PathLike[str], filter_name: str) -> Path:
    """Fore-optics reference for ``filter_name`` (the CLEAR CV3 model, relabelled)."""
    with asdf.open(TEMPLATE_DIR / _CLEAR_FORE, lazy_load=False, memmap=False) as af:
        model = af.tree["model"]
    meta = _meta("fore", "FOREModel", filter=filter_name.upper())
    return _write_asdf(path, {"meta": meta, "model": model})


def write_wavelengthrange(path: str | os.PathLike[str]) -> Path:
    """Wavelengthrange reference covering F100LP_G140M, F290LP_G395M and CLEAR_PRISM."""
    selectors = [f"{g['filter']}_{name}" for name, g in GRATINGS.items()] + ["CLEAR_PRISM"]
    ranges = [list(g["range"]) for g in GRATINGS.values()] + [[6.0e-7, 5.3e-6]]
    orders = [g["order"] for g in GRATINGS.values()] + [0]
    meta = _meta("wavelengthrange", "WavelengthrangeModel")
    meta["wavelength_units"] = "m"
    tree = {
        "meta": meta,
        "waverange_selector": selectors,
        "wavelengthrange": ranges,
        "order": orders,
    }
    return _write_asdf(path, tree)


def grating_parameters(grating: str) -> dict[str, float]:
    """The stored design of a synthetic grating (what
    :func:`spec2x.synthetic._nirspec_grating.solve_grating` finds)."""
    spec = GRATINGS[grating.upper()]
    return {"groovedensity": spec["groovedensity"], "tilt_y": spec["tilt_y"], **THETA}


def write_disperser(path: str | os.PathLike[str], grating: str) -> Path:
    """Disperser reference for ``grating`` (PRISM: the CV3 file; G140M/G395M: synthetic)."""
    grating = grating.upper()
    if grating == "PRISM":
        shutil.copyfile(TEMPLATE_DIR / _PRISM_DISPERSER, path)
        return Path(path)
    params = grating_parameters(grating)
    with asdf.open(TEMPLATE_DIR / _PRISM_DISPERSER, lazy_load=False, memmap=False) as af:
        tiltx = dict(af.tree["gwa_tiltx"])
        tilty = dict(af.tree["gwa_tilty"])
    meta = _meta("disperser", "DisperserModel", grating=grating)
    meta["groove_density_units"] = "1/m"
    tree = {
        "meta": meta,
        "groovedensity": params["groovedensity"],
        "theta_x": params["theta_x"],
        "theta_y": params["theta_y"],
        "theta_z": params["theta_z"],
        "tilt_x": 0.0,
        "tilt_y": params["tilt_y"],
        "gwa_tiltx": tiltx,
        "gwa_tilty": tilty,
    }
    return _write_asdf(path, tree)


def write_nirspec_optical_refs(
    folder: str | os.PathLike[str],
    *,
    gratings: tuple[str, ...] = ("G140M", "G395M", "PRISM"),
    msa_grid: tuple[int, int] = (20, 10),
) -> dict[str, Path | dict[str, Path]]:
    """Write a complete set of NIRSpec optical references into ``folder``.

    Returns reftype -> path; ``disperser`` and ``fore`` map to dicts by
    grating / filter.  ``msa_grid`` is small by default (the fixed slits do
    not need the full 365 x 171 shutter grid).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {}
    for reftype, name in _TEMPLATES.items():
        out[reftype] = Path(shutil.copyfile(TEMPLATE_DIR / name, folder / name))
    out["msa"] = write_msa(folder / "spec2x_nirspec_msa.asdf", grid=msa_grid)
    out["wavelengthrange"] = write_wavelengthrange(folder / "spec2x_nirspec_wavelengthrange.asdf")
    out["disperser"] = {
        g: write_disperser(folder / f"spec2x_nirspec_disperser_{g.lower()}.asdf", g)
        for g in gratings
    }
    filters = {GRATINGS[g]["filter"] if g in GRATINGS else "CLEAR" for g in gratings}
    out["fore"] = {
        f: write_fore(folder / f"spec2x_nirspec_fore_{f.lower()}.asdf", f) for f in sorted(filters)
    }
    return out
