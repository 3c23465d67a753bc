"""A synthetic MIRI MRS ``cubepar`` reference valid for jwst's ``MiriIFUCubeParsModel``.

The sampling follows the flight file's (spaxel 0.13" in channel 1 to 0.35"
in channel 4, spectral steps 0.8 to 6 nm, each band's wavelength range); the
weighting parameters are of the same size.  Synthetic, not a calibration.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from astropy.io import fits

from .base import reference_header, write_reference_fits

__all__ = ["MRS_CUBEPARS", "cubepar_table", "write_mrs_cubepar"]

_BANDS = ("SHORT", "MEDIUM", "LONG")
#: channel -> spaxel (arcsec), spectral step (µm), and each band's (wavemin, wavemax) µm.
MRS_CUBEPARS = {
    "1": (0.13, 0.0008, ((4.90, 5.74), (5.66, 6.63), (6.53, 7.65))),
    "2": (0.17, 0.0013, ((7.51, 8.77), (8.67, 10.13), (10.01, 11.70))),
    "3": (0.20, 0.0025, ((11.55, 13.47), (13.34, 15.57), (15.41, 17.98))),
    "4": (0.35, 0.0060, ((17.70, 20.95), (20.69, 24.48), (24.19, 27.90))),
}


def cubepar_table(name: str, columns: dict[str, np.ndarray]) -> fits.BinTableHDU:
    """A binary table extension ``name``: text columns 12A, numbers float32 (E)."""
    cols = []
    for key, values in columns.items():
        fmt = "12A" if values.dtype.kind == "U" else "E"
        cols.append(fits.Column(name=key, format=fmt, array=values))
    return fits.BinTableHDU.from_columns(cols, name=name)


def write_mrs_cubepar(path: str | os.PathLike[str]) -> Path:
    """Write the synthetic MRS ``cubepar`` file (every channel and band) and return its path."""
    rows = [(ch, band, *pars[:2], *pars[2][i]) for ch, pars in MRS_CUBEPARS.items()
            for i, band in enumerate(_BANDS)]  # fmt: skip
    channel = np.array([r[0] for r in rows])
    band = np.array([r[1] for r in rows])
    spaxel = np.array([r[2] for r in rows], np.float32)
    step = np.array([r[3] for r in rows], np.float32)
    wave = np.linspace(4.9, 27.9, 200).astype(np.float32)
    wave_spaxel = np.interp(wave, [4.9, 8.0, 12.0, 18.0, 27.9], [0.13, 0.17, 0.2, 0.35, 0.35])
    wave_step = wave / 3500.0
    hdus = [
        cubepar_table("CUBEPAR", {"CHANNEL": channel, "BAND": band, "SPAXELSIZE": spaxel,
                           "SPECTRALSTEP": step, "WAVEMIN": np.array([r[4] for r in rows], np.float32),
                           "WAVEMAX": np.array([r[5] for r in rows], np.float32)}),
        cubepar_table("CUBEPAR_MSM", {"CHANNEL": channel, "BAND": band, "ROISPATIAL": spaxel,
                               "ROISPECTRAL": 2 * step, "POWER": np.full(len(rows), 2, np.float32),
                               "SOFTRAD": np.full(len(rows), 0.01, np.float32)}),
        cubepar_table("MULTICHANNEL_MSM", {"WAVELENGTH": wave, "ROISPATIAL": wave_spaxel.astype(np.float32),
                                    "ROISPECTRAL": (2 * wave_step).astype(np.float32),
                                    "POWER": np.full(wave.size, 2, np.float32),
                                    "SOFTRAD": np.full(wave.size, 0.01, np.float32)}),
        cubepar_table("CUBEPAR_EMSM", {"CHANNEL": channel, "BAND": band, "ROISPATIAL": spaxel,
                                "ROISPECTRAL": 2 * step, "SCALERAD": spaxel}),
        cubepar_table("MULTICHANNEL_EMSM", {"WAVELENGTH": wave, "ROISPATIAL": wave_spaxel.astype(np.float32),
                                     "ROISPECTRAL": (2 * wave_step).astype(np.float32),
                                     "SCALERAD": wave_spaxel.astype(np.float32)}),
        cubepar_table("MULTICHANNEL_DRIZ", {"WAVELENGTH": wave}),
    ]  # fmt: skip
    header = reference_header(
        "cubepar", "MIRI", description="synthetic MIRI MRS cube parameters",
        DETECTOR="N/A", EXP_TYPE="MIR_MRS",
    )  # fmt: skip
    return write_reference_fits(path, header, hdus, datamodel="MiriIFUCubeParsModel")
