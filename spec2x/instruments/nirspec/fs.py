"""WCS of NIRSpec fixed-slit exposures (NRS_FIXEDSLIT, NRS_BRIGHTOBJ).

Which slits an exposure holds follows jwst 3.0.0: the subarray decides
(``SUBS200A1`` -> S200A1 only, ``SUB2048``/``SUB512``/... -> S1600A1, full
frame or ALLSLITS -> all five), a bright-object (TSO) exposure has S1600A1
only, and slits whose spectrum misses the detector are dropped.  The primary
slit (``FXD_SLIT``) gets source id 1, the others ``10 * primary + n``.

Each slit's gwcs is stored with :func:`spec2x.wcs.store.set_wcs` under the
slit name, with its bounding box (0-based subarray pixels) set; the slit
descriptions go to ``attrs["NRS_SLITS"]`` (JSON text), which extract_2d reads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from stdatamodels.jwst.transforms.models import Slit

from ...errors import InputFileError
from ...io.references import Reference
from ...modes import exp_type_of, lookup, mode_built_by
from ...wcs.store import set_wcs
from . import slits as ns

__all__ = [
    "FIXED_SLIT_NUMS",
    "SLITS_ATTR",
    "assign_fixed_slits",
    "attach_slits",
    "fixed_slit_id",
    "open_fixed_slits",
    "slits_from_attrs",
    "slits_to_attr",
]

log = logging.getLogger(__name__)

#: Fixed-slit numbers (jwst's FIXED_SLIT_NUMS); row in msa quadrant 5 = number - 1.
FIXED_SLIT_NUMS = {"NONE": 0, "S200A1": 1, "S200A2": 2, "S400A1": 3, "S1600A1": 4, "S200B1": 5}
SLITS_ATTR = "NRS_SLITS"

_SUBARRAY_SLITS = {
    "SUBS200A1": ("S200A1",),
    "SUBS200A2": ("S200A2",),
    "SUBS400A1": ("S400A1",),
    "SUBS200B1": ("S200B1",),
    **{name: ("S1600A1",) for name in ("SUB2048", "SUB512", "SUB512S", "SUB1024A", "SUB1024B")},
}


def fixed_slit_id(name: str) -> int:
    """jwst's numeric id of a fixed slit (-101 for S200A1 ... -105 for S200B1)."""
    return -100 - FIXED_SLIT_NUMS.get(name, 0)


def _slit(name: str, source_id: int, ymin: float, ymax: float) -> Slit:
    number = FIXED_SLIT_NUMS[name]
    return Slit(name, number - 1, 0, 0, 0, ymin, ymax, 5, source_id, slit_id=fixed_slit_id(name))


def open_fixed_slits(
    attrs: Mapping[str, Any], slit_y_range: tuple[float, float] = (-0.55, 0.55)
) -> list[Slit]:
    """The fixed slits an exposure holds, before the on-detector check."""
    ymin, ymax = slit_y_range
    mode = lookup(exp_type_of(attrs))
    if mode is not None and mode.tso:  # bright-object time series: S1600A1 only
        return [_slit("S1600A1", 1, ymin, ymax)]
    if attrs.get("SUBARRAY") is None:
        raise InputFileError("the exposure lacks keyword SUBARRAY, which selects the fixed slits")
    primary = str(attrs.get("FXD_SLIT") or "NONE").upper()
    if primary not in FIXED_SLIT_NUMS:
        raise InputFileError(
            f"FXD_SLIT={primary!r} is not a NIRSpec fixed slit ({', '.join(FIXED_SLIT_NUMS)})"
        )
    names = _SUBARRAY_SLITS.get(
        str(attrs["SUBARRAY"]).upper(), ("S200A1", "S200A2", "S400A1", "S1600A1", "S200B1")
    )
    return [
        _slit(
            n,
            1 if n == primary else 10 * FIXED_SLIT_NUMS[primary] + FIXED_SLIT_NUMS[n],
            ymin,
            ymax,
        )
        for n in names
    ]


def _slit_record(slit: Slit) -> dict[str, Any]:
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in slit._asdict().items()}


def slits_to_attr(slits: list[Slit]) -> str:
    """The ``NRS_SLITS`` text (JSON list of the slit descriptions)."""
    return json.dumps([_slit_record(s) for s in slits])


def slits_from_attrs(attrs: Mapping[str, Any]) -> list[Slit]:
    """The slit descriptions assign_wcs recorded (``attrs["NRS_SLITS"]``)."""
    text = attrs.get(SLITS_ATTR)
    if text is None:
        raise InputFileError(f"the exposure has no {SLITS_ATTR} keyword: run assign_wcs first")
    return [Slit(**rec) for rec in json.loads(text)]


def assign_fixed_slits(
    ds: xr.Dataset,
    refs: Mapping[str, Reference | None],
    *,
    slit_y_low: float = -0.55,
    slit_y_high: float = 0.55,
    **_: Any,
) -> xr.Dataset:
    """Attach one gwcs per open fixed slit and the ``wavelength`` coordinate.

    Parameters
    ----------
    ds : NIRSpec FS or BOTS exposure (``y, x`` or ``integration, y, x``).
    refs : reftype -> opened reference for disperser, wavelengthrange, fpa,
        camera, collimator, msa, fore, ote.
    slit_y_low, slit_y_high : slit extent kept, in slit units (centre 0, edges ±0.5).

    Returns
    -------
    Dataset with ``attrs["wcs"]`` = {slit name: stored gwcs}, ``NRS_SLITS``,
    ``SPORDER``, ``WAVSTART``/``WAVEND`` (m) and ``wavelength`` (y, x) in µm
    where exactly one slit covers a pixel (NaN elsewhere).
    """
    mode_built_by(ds, f"{__name__}:assign_fixed_slits", what="assign_fixed_slits")
    optics = ns.build_optics(ds.attrs, {k: v for k, v in refs.items() if v is not None})
    candidates = open_fixed_slits(ds.attrs, (slit_y_low, slit_y_high))
    slits, boxes, _off = ns.select_on_detector(optics, candidates)
    if not slits:
        raise InputFileError(
            f"no open fixed slit ({', '.join(s.name for s in candidates)}) falls on detector "
            f"{ds.attrs.get('DETECTOR')} with SUBARRAY={ds.attrs.get('SUBARRAY')}, "
            f"GRATING={ds.attrs.get('GRATING')}; nothing to calibrate"
        )
    return attach_slits(ds, optics, slits, boxes)


def attach_slits(
    ds: xr.Dataset, optics: ns.NirspecOptics, slits: list[Slit], boxes: np.ndarray | None = None
) -> xr.Dataset:
    """Attach the gwcs of each aperture (fixed slit or MSA slitlet) and the ``wavelength``.

    Each WCS is stored under the slit name with its bounding box (refined from
    ``boxes``, the traced boxes of :func:`.slits.traced_boxes`, computed when
    None); ``NRS_SLITS`` records the apertures; ``wavelength`` (y, x) in µm is
    set where exactly one aperture covers a pixel (NaN elsewhere).
    """
    ny, nx = ds.sizes["y"], ds.sizes["x"]
    wavelength = np.full((ny, nx), np.nan)
    hits = np.zeros((ny, nx), np.int16)
    out = ds
    if boxes is None:
        boxes = ns.traced_boxes(optics, slits)
    for slit, initial in zip(slits, boxes, strict=True):
        wcs, bbox, evaluated = ns.slit_wcs_and_box(optics, slit, initial)
        wcs.bounding_box = bbox
        out = set_wcs(out, wcs, slit=str(slit.name))
        if evaluated is not None:
            _paint_wavelength(evaluated, bbox, wavelength, hits)
    wavelength[hits > 1] = np.nan
    attrs = dict(out.attrs)
    attrs[SLITS_ATTR] = slits_to_attr(slits)
    attrs.update(SPORDER=optics.order, WAVSTART=optics.wrange[0], WAVEND=optics.wrange[1])
    out = out.copy(deep=False)
    out.attrs = attrs
    log.info("NIRSpec WCS for %d apertures: %s", len(slits), ", ".join(str(s.name) for s in slits))
    return out.assign_coords(
        wavelength=(("y", "x"), wavelength, {"units": "um", "long_name": "wavelength"})
    )


def _paint_wavelength(
    evaluated: ns.Wavelengths, bbox: Any, wavelength: np.ndarray, hits: np.ndarray
) -> None:
    """Write the slit's wavelengths (µm) into the pixels of its bounding box that have one
    (``evaluated``: the wavelengths (m) :func:`.slits.refined_box` evaluated around it)."""
    ny, nx = wavelength.shape
    (x0, x1), (y0, y1) = bbox
    xs = np.arange(max(0, int(np.floor(x0 + 0.5))), min(nx, int(np.floor(x1 + 0.5)) + 1))
    ys = np.arange(max(0, int(np.floor(y0 + 0.5))), min(ny, int(np.floor(y1 + 0.5)) + 1))
    if xs.size == 0 or ys.size == 0:
        return
    grid_x, grid_y, lam_m = evaluated
    i0, j0 = int(ys[0] - grid_y[0]), int(xs[0] - grid_x[0])
    lam = lam_m[i0 : i0 + ys.size, j0 : j0 + xs.size] * 1e6
    good = np.isfinite(lam)
    block = (slice(ys[0], ys[-1] + 1), slice(xs[0], xs[-1] + 1))
    wavelength[block] = np.where(good, lam, wavelength[block])
    hits[block] += good
