"""A synthetic MIRI MRS ``fringefreq`` reference (jwst's ``FringeFreqModel``).

Tables ``RFC_FREQ_SHORT``, ``RFC_FREQ_MEDIUM``, ``RFC_FREQ_LONG`` (one row per
slice of all four channels, slice number ``100 * channel + n``; the
per-component columns are 2-vectors: the detector fringe, then the dichroic
fringe, a 0 placeholder in channels 1 and 2, as in the CRDS files) and
``MAX_AMP`` (the largest fringe amplitude allowed, by wavelength).  The
values are of the flight file's order, not a calibration.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from astropy.io import fits

from ..modes import MODES
from .base import reference_header, write_reference_fits

__all__ = ["MRS_SLICES", "write_mrs_fringefreq"]

#: Slices per MRS channel.
MRS_SLICES = {1: 21, 2: 17, 3: 16, 4: 12}


def _freq_table(name: str, min_snr: float) -> fits.BinTableHDU:
    slices = np.array(
        [100 * ch + n for ch, count in MRS_SLICES.items() for n in range(1, count + 1)]
    )
    dichroic = slices >= 300
    two = np.ones((slices.size, 2))
    cols = [
        fits.Column("slice", "D", array=slices.astype(np.float64)),
        fits.Column("ffreq", "2D", array=two * [2.9, 0.4] * np.c_[np.ones(slices.size), dichroic]),
        fits.Column("dffreq", "2D", array=two * [0.5, 0.05]),
        fits.Column("min_nfringes", "2K", array=(two * [1, 1]).astype(np.int64)),
        fits.Column("max_nfringes", "2K", array=(two * [6, 4]).astype(np.int64)),
        fits.Column("min_snr", "2D", array=two * [min_snr, 2 * min_snr]),
        fits.Column("pgram_res", "2D", array=two * [0.005, 0.002]),
    ]
    return fits.BinTableHDU.from_columns(cols, name=name)


def write_mrs_fringefreq(
    path: str | os.PathLike[str], *, detector: str = "MIRIFUSHORT", min_snr: float = 5.0
) -> Path:
    """Write an MRS ``fringefreq`` reference for ``detector`` (all bands) and return its path.

    Parameters
    ----------
    path : the FITS file to write.
    detector : MIRIFUSHORT or MIRIFULONG (the CRDS selector).
    min_snr : DER_SNR below which a column is left uncorrected (the
        dichroic fringe asks for twice as much).
    """
    hdr = reference_header(
        "fringefreq", "MIRI", EXP_TYPE=MODES["MIR_MRS"].exp_type, DETECTOR=detector, BAND="N/A"
    )
    wave = np.linspace(4.8, 28.8, 25)
    max_amp = fits.BinTableHDU.from_columns(
        [
            fits.Column("wavelength", "D", array=wave),
            fits.Column("amplitude", "D", array=0.05 + 0.1 * (wave - 4.8) / 24.0),
        ],
        name="MAX_AMP",
    )
    hdus = [_freq_table(f"RFC_FREQ_{b}", min_snr) for b in ("SHORT", "MEDIUM", "LONG")]
    return write_reference_fits(path, hdr, [*hdus, max_amp], datamodel="FringeFreqModel")
