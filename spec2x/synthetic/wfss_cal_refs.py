"""Synthetic WFSS calibration references of any grism instrument: ``flat`` and ``photom``.

One writer each, served by :mod:`.nircam_wfss_cal_refs` and
:mod:`.niriss_wfss_cal_refs` with their own tables. The photom file has the
columns of the real ``jwst_nircam_photom_0064.fits`` (jwst 3.0.0's
``NrcWfssPhotomModel`` / ``NisWfssPhotomModel``): ``filter``, ``pupil``,
``order``, ``photmjsr`` ((MJy/sr) per DN/s, over the response per µm: photom
divides by the dispersion), ``uncertainty``, ``nelem``, ``wavelength`` (µm),
``relresponse``, ``reluncertainty``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.io import fits

from ..steps._photom_rows import GRISM_PHOT_UNIT
from .base import reference_header, write_reference_fits
from .pixel_refs import _phot_columns, write_flat

__all__ = ["relative_response", "write_wfss_flat", "write_wfss_photom"]


def relative_response(wavelength: np.ndarray, low: float, high: float) -> np.ndarray:
    """A smooth filter-like response: 1 in the middle of [low, high], tapering to 0.2 at the ends."""
    mid, half = (low + high) / 2, (high - low) / 2
    u = np.clip((np.asarray(wavelength) - mid) / (1.2 * half), -1.0, 1.0)
    return 0.2 + 0.8 * np.cos(0.5 * np.pi * u) ** 2


def write_wfss_photom(
    path: str | os.PathLike[str],
    rows: Iterable[tuple[str, str, int, float, float]],
    photmjsr: Mapping[int, float],
    grid: np.ndarray,
    *,
    instrument: str,
    datamodel: str,
    phot_unit: str | None = GRISM_PHOT_UNIT,
    **keywords: Any,
) -> Path:
    """Write a WFSS ``photom`` table.

    Parameters
    ----------
    path : output file.
    rows : ``(filter, pupil, order, low, high)`` of each row: its selectors and the
        wavelength range (µm) of its :func:`relative_response`.
    photmjsr : order -> PHOTMJSR ((MJy/sr) per DN/s); the uncertainty is 1 % of it.
    grid : wavelengths (µm) of every row's response.
    instrument, datamodel : INSTRUME and DATAMODL of the file.
    phot_unit : PHOTUNIT of the PHOTOM extension; ``photmjsr`` (given per µm) is written in
        it, so the calibration is the same (None: no PHOTUNIT, values per µm).
    **keywords : further primary-header keywords (DETECTOR, EXP_TYPE, PIXAR_SR ...).
    """
    scale = 1.0 if phot_unit is None else u.Unit(GRISM_PHOT_UNIT).to(u.Unit(phot_unit))
    table = [
        {
            "filter": filt,
            "pupil": pupil,
            "order": order,
            "photmjsr": scale * photmjsr[order],
            "uncertainty": 0.01 * scale * photmjsr[order],
            "wavelength": grid,
            "relresponse": relative_response(grid, low, high),
        }
        for filt, pupil, order, low, high in rows
    ]
    columns = _phot_columns(table, (("filter", "12A"), ("pupil", "15A")))
    columns.insert(2, fits.Column("order", "I", array=[r["order"] for r in table]))
    hdr = reference_header("photom", instrument, **keywords)
    hdus = [fits.BinTableHDU.from_columns(columns, name="PHOTOM")]
    if phot_unit is not None:
        hdus[0].header["PHOTUNIT"] = phot_unit
    return write_reference_fits(path, hdr, hdus, datamodel=datamodel)


def write_wfss_flat(
    path: str | os.PathLike[str],
    *,
    instrument: str,
    detector: str,
    exp_type: str,
    filter: str,
    pupil: str,
    seed: int = 0,
) -> Path:
    """Write a full-frame (2048 x 2048) ``flat`` (FlatModel) for a grism exposure."""
    return write_flat(
        path,
        instrument=instrument,
        detector=detector,
        exp_type=exp_type,
        shape=(2048, 2048),
        seed=seed,
        FILTER=filter,
        PUPIL=pupil,
    )
