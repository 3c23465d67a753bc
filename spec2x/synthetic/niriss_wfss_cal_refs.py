"""Synthetic NIRISS WFSS calibration references: ``flat`` and ``photom`` (per grism order).

Valid for jwst 3.0.0's datamodels (``FlatModel``, ``NisWfssPhotomModel``):
one photom row per grism (FILTER), blocking filter (PUPIL) and order of the
synthetic ``wavelengthrange`` (:data:`~.niriss_wfss_refs.NIS_WAVELENGTH_RANGES`),
the columns of the NIRCam file (:mod:`.wfss_cal_refs` writes both).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .niriss_wfss_refs import NIS_WAVELENGTH_RANGES
from .wfss_cal_refs import write_wfss_flat, write_wfss_photom

__all__ = ["NIS_PHOTMJSR", "write_niriss_wfss_flat", "write_niriss_wfss_photom"]

#: order -> PHOTMJSR of the synthetic file.
NIS_PHOTMJSR = {-1: 90.0, 0: 40.0, 1: 300.0, 2: 120.0, 3: 60.0}
_GRID = np.linspace(1.2, 2.4, 241)
_PHOTOM_HEADER: dict[str, Any] = dict(
    instrument="NIRISS",
    datamodel="NisWfssPhotomModel",
    DETECTOR="NIS",
    EXP_TYPE="NIS_WFSS",
    PIXAR_SR=4.88e-14,
    PIXAR_A2=0.00425,
)


def write_niriss_wfss_photom(
    path: str | os.PathLike[str], grisms: Sequence[str] = ("GR150R", "GR150C")
) -> Path:
    """Write a NIRISS WFSS ``photom``: a row per grism, blocking filter and order."""
    rows = [
        (grism, pupil, order, low, high)
        for pupil, by_order in NIS_WAVELENGTH_RANGES.items()
        for grism in grisms
        for order, (low, high) in by_order.items()
    ]
    return write_wfss_photom(path, rows, NIS_PHOTMJSR, _GRID, **_PHOTOM_HEADER)


def write_niriss_wfss_flat(
    path: str | os.PathLike[str], *, filter: str = "GR150R", pupil: str = "F200W", seed: int = 0
) -> Path:
    """Write a full-frame NIS ``flat`` (FlatModel) for a grism exposure."""
    return write_wfss_flat(
        path, instrument="NIRISS", detector="NIS", exp_type="NIS_WFSS",
        filter=filter, pupil=pupil, seed=seed,
    )  # fmt: skip
