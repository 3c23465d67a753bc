"""A synthetic MIRI MRS exposure: a ``_rate`` file of one detector and band.

Flat sky with seeded noise on the full 1024 x 1032 frame, with the keywords
jwst's ``assign_wcs`` needs for ``MIR_MRS`` (DETECTOR, CHANNEL, BAND, the
pointing V2_REF/V3_REF/ROLL_REF/RA_REF/DEC_REF, VA_SCALE, VELOSYS, dates).
The references come from :mod:`spec2x.synthetic.miri_mrs_regions` (regions)
and real or CRDS distortion/specwcs/wavelengthrange files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..modes import MODES
from .base import flat_rate

__all__ = ["MRS_POINTING", "make_mrs_rate"]

#: Channel 1A reference point of the MRS (V2, V3 arcsec) and a sky position (deg).
MRS_POINTING = {"V2_REF": -503.654, "V3_REF": -318.742, "RA_REF": 80.4875, "DEC_REF": -69.4989}
_CHANNELS = {"MIRIFUSHORT": "12", "MIRIFULONG": "34"}
#: Keywords of every synthetic MRS exposure (observation date, attitude, velocities).
_FIXED: dict[str, Any] = {
    "DATAMODL": "IFUImageModel", "TELESCOP": "JWST", "INSTRUME": "MIRI", "SUBARRAY": "FULL",
    "READPATT": "FASTR1",
    "DITHOPFR": "POINT-SOURCE", "DATE-OBS": "2023-06-01", "TIME-OBS": "12:00:00",
    "EXPSTART": 60096.5, "ROLL_REF": 254.3, "PA_V3": 254.3, "V3I_YANG": -4.45, "VPARITY": -1,
    "VA_SCALE": 1.0000123, "VELOSYS": -12345.6,
}  # fmt: skip


def make_mrs_rate(
    path: str | os.PathLike[str],
    *,
    detector: str = "MIRIFUSHORT",
    band: str = "SHORT",
    seed: int = 0,
    sky: float = 2.0,
    **keywords: Any,
) -> Path:
    """Write a full-frame MRS ``_rate`` file (DN/s) and return its path.

    Parameters
    ----------
    path : the FITS file to write.
    detector : MIRIFUSHORT (channels 1, 2) or MIRIFULONG (3, 4).
    band : SHORT, MEDIUM or LONG.
    seed : of the noise.
    sky : the flat level (DN/s).
    keywords : more or other header keywords.
    """
    attrs = {
        **_FIXED,
        **MRS_POINTING,
        "DETECTOR": detector,
        "CHANNEL": _CHANNELS[detector],
        "BAND": band,
        "EXP_TYPE": MODES["MIR_MRS"].exp_type,
        **keywords,
    }
    return flat_rate(path, (1024, 1032), attrs, seed=seed, level=sky)
