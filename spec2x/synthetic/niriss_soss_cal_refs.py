"""Synthetic NIRISS SOSS calibration references: ``bkg``, ``flat`` and ``photom``.

Valid for jwst's datamodels (``SossBkgModel``, ``FlatModel``,
``NisSossPhotomModel``), selected by ``EXP_TYPE = NIS_SOSS``:

- ``bkg``: SUBSTRIP256 templates (DN/s), each a gentle slope across the
  detector with the zodiacal step near column 700 (its column drifts by a
  few pixels from row to row), of a different height in each template;
- ``flat``: the SUBSTRIP256 rows of a flat near 1 (``write_flat``);
- ``photom``: one row per order (FILTER CLEAR, PUPIL GR700XD) with a smooth
  relative response over the order's wavelengths and ``photmj`` in
  MJy / (DN/s);
- ``pathloss`` (``PathlossModel``): per aperture (SUBSTRIP256, SUBSTRIP96,
  FULL) a ``PS`` image of (column, pupil position), 0.85-1, smooth in both,
  over columns 5-2044 and pupil positions 245.26-246.26 degrees.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from .base import reference_header, write_reference_fits
from .pixel_refs import _phot_columns, timecoeff_hdu, write_flat

__all__ = [
    "PHOTMJ",
    "relative_response",
    "soss_background_template",
    "soss_pathloss_table",
    "write_soss_cal_references",
    "write_soss_pathloss",
]

#: MJy per DN/s of each order in the synthetic photom file.
PHOTMJ = {1: 2.5e-11, 2: 4.0e-11, 3: 9.0e-11}
_STEPS = (0.6, 1.1)  # height of the step (right/left - 1) in each template
_SOSS = {"EXP_TYPE": "NIS_SOSS", "FILTER": "CLEAR", "PUPIL": "GR700XD"}


def soss_background_template(step: float = _STEPS[0], rows: int = 256) -> np.ndarray:
    """A (rows, 2048) background template (DN/s, about 1 left of the step, 1 + step right)."""
    yy, xx = np.mgrid[0:rows, 0:2048].astype(np.float64)
    edge = 700.0 + 6.0 * np.sin(yy / 40.0)
    level = 1.0 + 0.0002 * (xx - 1024.0) + 0.0005 * (yy - rows / 2)
    right = 0.5 * (1.0 + np.tanh((xx - edge) / 1.5))
    return (level * (1.0 + step * right)).astype(np.float32)


def write_soss_bkg(path: str | os.PathLike[str]) -> Path:
    """Write the ``bkg`` reference: one template per entry of the step heights."""
    data = np.stack([soss_background_template(s) for s in _STEPS])
    header = reference_header("bkg", "NIRISS", DETECTOR="NIS", SUBARRAY="SUBSTRIP256", **_SOSS)
    hdus = [fits.ImageHDU(data, name="SCI")]
    return write_reference_fits(path, header, hdus, datamodel="SossBkgModel")


def relative_response(wavelength: np.ndarray, order: int) -> np.ndarray:
    """The synthetic photom file's relative response of ``order`` at ``wavelength`` (µm)."""
    return 1.0 + 0.1 * np.sin(np.asarray(wavelength) * (2 + order))


def write_soss_photom(
    path: str | os.PathLike[str], *, timecoeff_linear: Mapping[str, Any] | None = None
) -> Path:
    """Write the ``photom`` reference: a PHOTOM row per order, responses over 0.6-2.9 µm.

    ``timecoeff_linear`` (``{"t0": MJD, "lossperyear": fraction}``, scalars or one per
    order) adds the TIMECOEFF_LINEAR table of the throughput loss.
    """
    wave = np.linspace(0.6, 2.9, 231)
    rows = [
        {
            "filter": "CLEAR",
            "pupil": "GR700XD",
            "order": order,
            "photmj": PHOTMJ[order],
            "wavelength": wave,
            "relresponse": relative_response(wave, order),
        }
        for order in (1, 2, 3)
    ]
    cols = _phot_columns(rows, (("filter", "12A"), ("pupil", "15A")))
    cols.insert(2, fits.Column("order", "I", array=[r["order"] for r in rows]))
    header = reference_header("photom", "NIRISS", DETECTOR="NIS", **_SOSS)
    hdus = [fits.BinTableHDU.from_columns(cols, name="PHOTOM")]
    if timecoeff_linear is not None:
        keys = (("filter", "12A"), ("pupil", "15A"))
        hdus.append(timecoeff_hdu(rows, keys, timecoeff_linear, numeric=(("order", "I"),)))
    return write_reference_fits(path, header, hdus, datamodel="NisSossPhotomModel")


#: Pupil positions (first, step, count; degrees) and first column (1-based) of the pathloss.
PATHLOSS_PUPIL = (245.26, 0.025, 41)
PATHLOSS_FIRST_COLUMN = 5
_PATHLOSS_COLUMNS = 2040


def soss_pathloss_table() -> np.ndarray:
    """The float32 (column, pupil position) point-source pathloss of the synthetic file."""
    first, step, count = PATHLOSS_PUPIL
    pupil = first + step * np.arange(count)
    column = np.arange(_PATHLOSS_COLUMNS)[:, None] / _PATHLOSS_COLUMNS
    shift = (pupil[None] - 245.76) / 0.5
    return (0.925 + 0.075 * np.sin(2.5 * column + shift) * np.cos(shift)).astype(np.float32)


def write_soss_pathloss(path: str | os.PathLike[str]) -> Path:
    """Write the ``pathloss`` reference: one ``PS`` image (and ``UNI``) per subarray."""
    first, step, _ = PATHLOSS_PUPIL
    hdus: list[fits.ImageHDU | fits.BinTableHDU] = []
    for ver, aperture in enumerate(("SUBSTRIP256", "SUBSTRIP96", "FULL"), start=1):
        ps = fits.ImageHDU(soss_pathloss_table()[None], name="PS", ver=ver)
        ps.header.update(CRPIX1=1.0, CRVAL1=first, CDELT1=step, APERTURE=aperture)
        ps.header.update(CRPIX2=1.0, CRVAL2=float(PATHLOSS_FIRST_COLUMN), CDELT2=1.0)
        uni = fits.ImageHDU(np.ones(1, np.float32), name="UNI", ver=ver)
        uni.header.update(CRPIX1=1.0, CRVAL1=1.0, CDELT1=1.0, APERTURE=aperture)
        hdus += [ps, uni]
    header = reference_header("pathloss", "NIRISS", DETECTOR="NIS", **_SOSS)
    return write_reference_fits(path, header, hdus, datamodel="PathlossModel")


def write_soss_cal_references(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """Write the SOSS ``bkg``, ``flat``, ``photom`` and ``pathloss`` references into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    flat = write_flat(
        folder / "spec2x_niriss_soss_flat.fits",
        instrument="NIRISS",
        detector="NIS",
        exp_type="NIS_SOSS",
        shape=(256, 2048),
        ystart=1793,
        subarray="SUBSTRIP256",
        FILTER="CLEAR",
        PUPIL="GR700XD",
    )
    return {
        "bkg": write_soss_bkg(folder / "spec2x_niriss_soss_bkg.fits"),
        "flat": flat,
        "photom": write_soss_photom(folder / "spec2x_niriss_soss_photom.fits"),
        "pathloss": write_soss_pathloss(folder / "spec2x_niriss_soss_pathloss.fits"),
    }
