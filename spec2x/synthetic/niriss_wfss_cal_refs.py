"""Synthetic NIRISS WFSS calibration references: ``flat`` and ``photom`` (per grism order).

Valid for jwst 3.0.0's datamodels (``FlatModel``, ``NisWfssPhotomModel``):
one photom row per grism (FILTER), blocking filter (PUPIL) and order of the
synthetic ``wavelengthrange`` (:data:`~.niriss_wfss_refs.NIS_WAVELENGTH_RANGES`),
the columns of the NIRCam file (:mod:`.nircam_wfss_cal_refs`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from astropy.io import fits

from .base import reference_header, write_reference_fits
from .nircam_wfss_cal_refs import relative_response
from .niriss_wfss_refs import NIS_WAVELENGTH_RANGES
from .pixel_refs import _phot_columns, write_flat

__all__ = ["NIS_PHOTMJSR", "write_niriss_wfss_flat", "write_niriss_wfss_photom"]

#: order -> PHOTMJSR of the synthetic file.
NIS_PHOTMJSR = {-1: 90.0, 0: 40.0, 1: 300.0, 2: 120.0, 3: 60.0}
_GRID = np.linspace(1.2, 2.4, 241)


def write_niriss_wfss_photom(
    path: str | os.PathLike[str], grisms: Sequence[str] = ("GR150R", "GR150C")
) -> Path:
    """Write a NIRISS WFSS ``photom``: a row per grism, blocking filter and order."""
    rows = [
        {
            "filter": grism,
            "pupil": pupil,
            "order": order,
            "photmjsr": NIS_PHOTMJSR[order],
            "uncertainty": 0.01 * NIS_PHOTMJSR[order],
            "wavelength": _GRID,
            "relresponse": relative_response(_GRID, low, high),
        }
        for pupil, by_order in NIS_WAVELENGTH_RANGES.items()
        for grism in grisms
        for order, (low, high) in by_order.items()
    ]
    columns = _phot_columns(rows, (("filter", "12A"), ("pupil", "15A")))
    columns.insert(2, fits.Column("order", "I", array=[r["order"] for r in rows]))
    hdr = reference_header(
        "photom",
        "NIRISS",
        DETECTOR="NIS",
        EXP_TYPE="NIS_WFSS",
        PIXAR_SR=4.88e-14,
        PIXAR_A2=0.00425,
    )
    hdus = [fits.BinTableHDU.from_columns(columns, name="PHOTOM")]
    return write_reference_fits(path, hdr, hdus, datamodel="NisWfssPhotomModel")


def write_niriss_wfss_flat(
    path: str | os.PathLike[str], *, filter: str = "GR150R", pupil: str = "F200W", seed: int = 0
) -> Path:
    """Write a full-frame NIS ``flat`` (FlatModel) for a grism exposure."""
    return write_flat(
        path,
        instrument="NIRISS",
        detector="NIS",
        exp_type="NIS_WFSS",
        shape=(2048, 2048),
        seed=seed,
        FILTER=filter,
        PUPIL=pupil,
    )
