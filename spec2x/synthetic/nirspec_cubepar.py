"""A synthetic NIRSpec IFU ``cubepar`` reference valid for jwst's ``NirspecIFUCubeParsModel``.

One row per grating/filter pair NIRSpec's IFU takes (PRISM/CLEAR, the
medium and high resolution gratings with their filters), with the
sampling of the flight file's kind: 0.1" spaxels, spectral steps of about
half a resolution element (5 nm for the prism; 0.6, 1.0, 1.8 nm for the M
gratings; a third of that for H), and each setting's wavelength range.
The Shepard weightings' regions of interest are of the same size; the
``MULTICHAN_*`` wavelength tables (non-linear cubes, which spec2 never
builds) are filled so the file validates.  Synthetic, not a calibration.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .base import reference_header, write_reference_fits
from .cubepar import cubepar_table

__all__ = ["NRS_CUBEPARS", "write_nirspec_cubepar"]

#: (grating, filter) -> spectral step (µm), wavemin, wavemax (µm).
NRS_CUBEPARS: dict[tuple[str, str], tuple[float, float, float]] = {
    ("PRISM", "CLEAR"): (0.005, 0.60, 5.30),
    ("G140M", "F070LP"): (0.0006, 0.70, 1.27),
    ("G140M", "F100LP"): (0.0006, 0.97, 1.89),
    ("G235M", "F170LP"): (0.001, 1.66, 3.17),
    ("G395M", "F290LP"): (0.0018, 2.87, 5.27),
    ("G140H", "F070LP"): (0.0002, 0.70, 1.27),
    ("G140H", "F100LP"): (0.0002, 0.97, 1.89),
    ("G235H", "F170LP"): (0.0004, 1.66, 3.17),
    ("G395H", "F290LP"): (0.0006, 2.87, 5.27),
}
#: Spaxel size (arcsec) of every setting.
SPAXEL = 0.1


def _wavetables(name: str, step: float, lo: float, hi: float) -> list:
    wave = np.linspace(lo, hi, 100).astype(np.float32)
    n = wave.size
    roi = {"ROISPATIAL": np.full(n, SPAXEL, np.float32),
           "ROISPECTRAL": np.full(n, 2 * step, np.float32)}  # fmt: skip
    return [
        cubepar_table(f"MULTICHAN_{name}_MSM", {"WAVELENGTH": wave, **roi,
                      "POWER": np.full(n, 2, np.float32), "SOFTRAD": np.full(n, 0.01, np.float32)}),
        cubepar_table(f"MULTICHAN_{name}_EMSM", {"WAVELENGTH": wave, **roi,
                      "SCALERAD": np.full(n, SPAXEL, np.float32)}),
        cubepar_table(f"MULTICHAN_{name}_DRIZZLE", {"WAVELENGTH": wave}),
    ]  # fmt: skip


def write_nirspec_cubepar(path: str | os.PathLike[str]) -> Path:
    """Write the synthetic NIRSpec IFU ``cubepar`` file (every setting) and return its path."""
    keys = list(NRS_CUBEPARS)
    disperser = np.array([g for g, _ in keys])
    filt = np.array([f for _, f in keys])
    step, wmin, wmax = (np.array([NRS_CUBEPARS[k][i] for k in keys], np.float32) for i in range(3))
    spaxel = np.full(len(keys), SPAXEL, np.float32)
    ones = np.ones(len(keys), np.float32)
    hdus = [
        cubepar_table("CUBEPAR", {"DISPERSER": disperser, "FILTER": filt, "WAVEMIN": wmin,
                                  "WAVEMAX": wmax, "SPAXELSIZE": spaxel, "SPECTRALSTEP": step}),
        cubepar_table("CUBEPAR_MSM", {"DISPERSER": disperser, "FILTER": filt, "ROISPATIAL": spaxel,
                                      "ROISPECTRAL": 2 * step, "POWER": 2 * ones,
                                      "SOFTRAD": 0.01 * ones}),
        cubepar_table("CUBEPAR_EMSM", {"DISPERSER": disperser, "FILTER": filt,
                                       "ROISPATIAL": spaxel, "ROISPECTRAL": 2 * step,
                                       "SCALERAD": spaxel}),
        *_wavetables("PRISM", 0.005, 0.6, 5.3),
        *_wavetables("MED", 0.001, 0.7, 5.27),
        *_wavetables("HIGH", 0.0004, 0.7, 5.27),
    ]  # fmt: skip
    header = reference_header(
        "cubepar", "NIRSPEC", description="synthetic NIRSpec IFU cube parameters",
        DETECTOR="N/A", EXP_TYPE="NRS_IFU",
    )  # fmt: skip
    return write_reference_fits(path, header, hdus, datamodel="NirspecIFUCubeParsModel")
