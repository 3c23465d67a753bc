"""Synthetic NIRCam WFSS calibration references: ``flat`` and ``photom`` (per grism order).

Valid for jwst 3.0.0's datamodels (``FlatModel``, ``NrcWfssPhotomModel``),
with the columns of the real ``jwst_nircam_photom_0064.fits``
(:mod:`.wfss_cal_refs` writes them).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..steps._photom_rows import GRISM_PHOT_UNIT
from .nircam_wfss_refs import WAVELENGTH_RANGES
from .wfss_cal_refs import relative_response, write_wfss_flat, write_wfss_photom

__all__ = ["PHOTMJSR", "relative_response", "write_nircam_wfss_flat", "write_nircam_wfss_photom"]

#: order -> PHOTMJSR of the synthetic file.
PHOTMJSR = {1: 600.0, 2: 250.0}
_GRID = np.linspace(2.3, 5.1, 281)
_PHOTOM_HEADER: dict[str, Any] = dict(
    instrument="NIRCAM",
    datamodel="NrcWfssPhotomModel",
    DETECTOR="NRCALONG",
    EXP_TYPE="NRC_WFSS",
    P_EXP_TY="NRC_WFSS|NRC_TSGRISM|",
    PIXAR_SR=9.30711286318865e-14,
    PIXAR_A2=0.0039597270172987,
)


def write_nircam_wfss_photom(
    path: str | os.PathLike[str],
    pupils: Sequence[str] = ("GRISMR", "GRISMC"),
    phot_unit: str | None = GRISM_PHOT_UNIT,
) -> Path:
    """Write a NIRCam WFSS ``photom``: one row per filter of the synthetic
    ``wavelengthrange``, grism and order 1, 2 (PHOTMJSR in ``phot_unit``, the same
    calibration whatever the unit; None: no PHOTUNIT)."""
    rows = [
        (name, pupil, order, *by_order[order])
        for name, by_order in WAVELENGTH_RANGES.items()
        for pupil in pupils
        for order in (1, 2)
    ]
    return write_wfss_photom(path, rows, PHOTMJSR, _GRID, phot_unit=phot_unit, **_PHOTOM_HEADER)


def write_nircam_wfss_flat(
    path: str | os.PathLike[str], *, filter: str = "F356W", pupil: str = "GRISMR", seed: int = 0
) -> Path:
    """Write a full-frame NRCALONG ``flat`` (FlatModel) for a grism exposure."""
    return write_wfss_flat(
        path, instrument="NIRCAM", detector="NRCALONG", exp_type="NRC_WFSS",
        filter=filter, pupil=pupil, seed=seed,
    )  # fmt: skip
