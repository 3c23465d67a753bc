"""Synthetic NIRCam WFSS calibration references: ``flat`` and ``photom`` (per grism order).

Valid for jwst 3.0.0's datamodels (``FlatModel``, ``NrcWfssPhotomModel``),
with the columns of the real ``jwst_nircam_photom_0064.fits``: ``filter``,
``pupil``, ``order``, ``photmjsr`` ((MJy/sr) per DN/s, over the response
per µm: photom divides by the dispersion), ``uncertainty``, ``nelem``,
``wavelength`` (µm), ``relresponse``, ``reluncertainty``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from astropy.io import fits

from .base import reference_header, write_reference_fits
from .nircam_wfss_refs import WAVELENGTH_RANGES
from .pixel_refs import _phot_columns, write_flat

__all__ = ["PHOTMJSR", "relative_response", "write_nircam_wfss_flat", "write_nircam_wfss_photom"]

#: order -> PHOTMJSR of the synthetic file.
PHOTMJSR = {1: 600.0, 2: 250.0}
_GRID = np.linspace(2.3, 5.1, 281)


def relative_response(wavelength: np.ndarray, low: float, high: float) -> np.ndarray:
    """A smooth filter-like response: 1 in the middle of [low, high], tapering to 0.2 at the ends."""
    mid, half = (low + high) / 2, (high - low) / 2
    u = np.clip((np.asarray(wavelength) - mid) / (1.2 * half), -1.0, 1.0)
    return 0.2 + 0.8 * np.cos(0.5 * np.pi * u) ** 2


def write_nircam_wfss_photom(
    path: str | os.PathLike[str], pupils: Sequence[str] = ("GRISMR", "GRISMC")
) -> Path:
    """Write a NIRCam WFSS ``photom``: one row per filter of the synthetic
    ``wavelengthrange``, grism and order 1, 2."""
    rows = [
        {
            "filter": name,
            "pupil": pupil,
            "order": order,
            "photmjsr": PHOTMJSR[order],
            "uncertainty": 0.01 * PHOTMJSR[order],
            "wavelength": _GRID,
            "relresponse": relative_response(_GRID, *by_order[order]),
        }
        for name, by_order in WAVELENGTH_RANGES.items()
        for pupil in pupils
        for order in (1, 2)
    ]
    columns = _phot_columns(rows, (("filter", "12A"), ("pupil", "15A")))
    columns.insert(2, fits.Column("order", "I", array=[r["order"] for r in rows]))
    hdr = reference_header(
        "photom",
        "NIRCAM",
        DETECTOR="NRCALONG",
        EXP_TYPE="NRC_WFSS",
        P_EXP_TY="NRC_WFSS|NRC_TSGRISM|",
        PIXAR_SR=9.30711286318865e-14,
        PIXAR_A2=0.0039597270172987,
    )
    hdus = [fits.BinTableHDU.from_columns(columns, name="PHOTOM")]
    return write_reference_fits(path, hdr, hdus, datamodel="NrcWfssPhotomModel")


def write_nircam_wfss_flat(
    path: str | os.PathLike[str], *, filter: str = "F356W", pupil: str = "GRISMR", seed: int = 0
) -> Path:
    """Write a full-frame NRCALONG ``flat`` (FlatModel) for a grism exposure."""
    return write_flat(
        path,
        instrument="NIRCAM",
        detector="NRCALONG",
        exp_type="NRC_WFSS",
        shape=(2048, 2048),
        seed=seed,
        FILTER=filter,
        PUPIL=pupil,
    )
