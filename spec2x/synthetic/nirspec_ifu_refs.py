"""Synthetic NIRSpec IFU optical references (ASDF): ifuslicer, ifufore, chromcorr, ifupost.

``ifupost`` is the real ground (CV3) delivery ``jwst_nirspec_ifupost_0004``
kept in ``nirspec_data/``.  CRDS's ``ifuslicer`` and ``ifufore`` are not
available offline, so they are built here to agree with that file, with the
real fore optics and with the ESA IFU functional model
(``ifu_{prism,grating}_functional_ESA_v1_20180619.txt``, slice 0):

- *slicer*: the ESA points of slice 0 (``x_slit = 0``, ``y_slit = -0.5 ...
  0.5``), sent back through the real ``ifupost`` slice 0, land on the slicer at
  ``x = 0.0004`` m, ``y = 0.012 y_slit`` m (residual < 1e-13 m).  The real
  ``ifupost`` input centres of the 30 slices step by 0.0008 m, alternating
  sides (slice 0 at +0.0004, 1 at -0.0004, 2 at +0.0012 ...): the slices are
  0.0008 m wide and 0.012 m long on the slicer, and the slicer model is the
  identity.
- *fore*: the ESA OTEIP positions, sent back through the real CLEAR fore
  optics, give the IFU aperture on the MSA (``x = 0.0413`` m, independent of
  wavelength); ``ifufore`` is the cubic polynomial fit to them (residual
  < 1e-9 m), with the across-slice scale half the along-slice one (the IFU
  fore optics magnify the 0.1" slice width twice as much as its 3" length).
- *chromcorr*: a small chromatic shift of the OTEIP position, ``+ k (lambda -
  2.5 µm)`` (``k`` = 2e-6 and -1e-6 per µm, about 7 mas per µm); its inverse
  (jwst takes it without the wavelength) is the identity.  The real correction
  (a 2026 delivery) is not public offline.

Every file opens with the ``stdatamodels`` reference models (IFUSlicerModel,
IFUFOREModel, IFUPostModel, ChromCorrModel), so jwst reads them too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from astropy.modeling import models as am

from .base import asdf_meta
from .nirspec_refs import TEMPLATE_DIR, _write_asdf

__all__ = [
    "IFUFORE_X",
    "IFUFORE_Y",
    "IFUPOST_FILE",
    "SLICE_LENGTH",
    "SLICE_WIDTH",
    "slicer_table",
    "write_chromcorr",
    "write_ifufore",
    "write_ifupost",
    "write_ifuslicer",
    "write_nirspec_ifu_refs",
]

IFUPOST_FILE = "jwst_nirspec_ifupost_0004.asdf"
#: Slice size on the slicer (m): across (x_slit) and along (y_slit).
SLICE_WIDTH = 0.0008
SLICE_LENGTH = 0.012
#: ifufore coefficients, slicer (x, y) [m] -> MSA entrance: x_msa = c0 + cx x + cyy y^2,
#: y_msa = d0 + d1 y + d2 y^2 + d3 y^3 (fit to the ESA model through the real fore optics).
IFUFORE_X = {"c0_0": 0.04131053 - 0.051374 * 0.0004, "c1_0": 0.051374, "c0_2": 0.03049101}
IFUFORE_Y = {
    "c0_0": 3.26875372e-09,
    "c0_1": 1.02748365e-01,
    "c0_2": 3.73127843e-05,
    "c0_3": -1.71146872,
}
#: chromcorr: OTEIP shift per µm of wavelength from 2.5 µm (x, y).
_CHROM_SLOPE = (2e-6, -1e-6)


def _meta(reftype: str, model_type: str, **selectors: Any) -> dict[str, Any]:
    meta = asdf_meta(reftype, "NIRSPEC", exp_type="NRS_IFU", **selectors)
    meta["model_type"] = model_type
    meta["exposure"]["p_exptype"] = "NRS_IFU|"
    meta["instrument"]["p_detector"] = "NRS1|NRS2|"
    meta["input_units"] = "m"
    meta["output_units"] = "m"
    return meta


def slicer_table() -> np.ndarray:
    """Rows ``(slice, xcenter, ycenter, xsize, ysize)`` (m) of the 30 slices on the slicer.

    Slice ``2k`` is centred at ``+(k + 1/2) w``, slice ``2k + 1`` at ``-(k + 1/2) w``
    (``w`` the slice width), as the real ifupost input centres place them.
    """
    k = np.arange(30)
    x = (k // 2 + 0.5) * SLICE_WIDTH * np.where(k % 2 == 0, 1.0, -1.0)
    return np.column_stack(
        [k, x, np.zeros(30), np.full(30, SLICE_WIDTH), np.full(30, SLICE_LENGTH)]
    ).astype(float)


def write_ifuslicer(path: str | os.PathLike[str]) -> Path:
    """ifuslicer reference: the 30 slices (``data``) and the slicer model (identity)."""
    tree = {
        "meta": _meta("ifuslicer", "IFUSlicerModel"),
        "data": slicer_table(),
        "model": am.Identity(2, name="ifuslicer_model"),
    }
    return _write_asdf(path, tree)


def ifufore_model() -> Any:
    """(x_slicer, y_slicer, lambda) -> MSA entrance (x, y) in m."""
    px = am.Polynomial2D(3, name="ifufore_x", **IFUFORE_X)
    py = am.Polynomial2D(3, name="ifufore_y", **IFUFORE_Y)
    return am.Mapping((0, 1, 0, 1), n_inputs=3) | px & py


def write_ifufore(path: str | os.PathLike[str]) -> Path:
    """ifufore reference: slicer -> MSA entrance (wavelength independent)."""
    return _write_asdf(path, {"meta": _meta("ifufore", "IFUFOREModel"), "model": ifufore_model()})


def chromcorr_model() -> Any:
    """(x_oteip, y_oteip, lambda [m]) -> the same with the chromatic shift; inverse (x, y) -> (x, y)."""
    shifts = [
        am.Mapping((0,), n_inputs=2)
        + (am.Mapping((1,), n_inputs=2) | am.Scale(1e6) | am.Polynomial1D(1, c0=-2.5 * k, c1=k))
        for k in _CHROM_SLOPE
    ]
    return am.Mapping((0, 2, 1, 2, 2)) | shifts[0] & shifts[1] & am.Identity(1)


def write_chromcorr(path: str | os.PathLike[str], filter_name: str = "CLEAR") -> Path:
    """chromcorr reference for ``filter_name``."""
    model = chromcorr_model()
    model.inverse = am.Identity(2)
    meta = _meta("chromcorr", "ChromCorrModel", filter=filter_name.upper())
    return _write_asdf(path, {"meta": meta, "model": model})


def write_ifupost(path: str | os.PathLike[str]) -> Path:
    """ifupost reference: the CV3 delivery, as it is."""
    return Path(shutil.copyfile(TEMPLATE_DIR / IFUPOST_FILE, path))


def write_nirspec_ifu_refs(
    folder: str | os.PathLike[str], *, filters: tuple[str, ...] = ("CLEAR",)
) -> dict[str, Any]:
    """Write ifuslicer, ifufore, ifupost and chromcorr (one per filter) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "ifuslicer": write_ifuslicer(folder / "spec2x_nirspec_ifuslicer.asdf"),
        "ifufore": write_ifufore(folder / "spec2x_nirspec_ifufore.asdf"),
        "ifupost": write_ifupost(folder / IFUPOST_FILE),
        "chromcorr": {
            f: write_chromcorr(folder / f"spec2x_nirspec_chromcorr_{f.lower()}.asdf", f)
            for f in filters
        },
    }
