"""Synthetic NIRSpec MOS calibration references in the CRDS formats.

- ``fflat`` for MOS (FITS, jwst ``NirspecQuadFlatModel``): for each of the
  five MSA quadrants (the fifth holds the fixed slits) a shutter cube
  ``(plane, 171, 365)`` of relative throughput -- a smooth pattern across the
  quadrant, a per-shutter scatter of a few per cent, both changing slowly with
  wavelength -- its error, the planes' wavelengths and a fast-variation row
  ``ANY`` with a quadrant-dependent level and ripple.

The s- and d-flats of MOS have the fixed-slit layout
(:func:`spec2x.synthetic.nirspec_cal_refs.write_sflat`, ``write_dflat`` with
``exp_type="NRS_MSASPEC"``); the wavecorr ``MOS`` aperture comes from
:func:`spec2x.synthetic.nirspec_slit_refs.write_wavecorr` with
``slits=("MOS",)``.  Every file opens and validates with ``stdatamodels``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from .base import reference_header, rng, write_reference_fits
from .nirspec_cal_refs import MODES

__all__ = ["MOS_P_EXPTYPE", "MSA_SHAPE", "write_mos_fflat"]

#: Shutter rows x columns of one MSA quadrant.
MSA_SHAPE = (171, 365)
#: P_EXP_TYPE of the synthetic MOS references.
MOS_P_EXPTYPE = "NRS_MSASPEC|NRS_AUTOFLAT|"


def _fast_row(wl: np.ndarray, level: float, phase: float) -> fits.BinTableHDU:
    x = (wl - wl[0]) / (wl[-1] - wl[0])
    curve = level * (0.95 + 0.04 * x + 0.01 * np.sin(2 * np.pi * (6 * x + phase)))
    n = wl.size
    cols = [
        fits.Column(name="slit_name", format="15A", array=np.array(["ANY"])),
        fits.Column(name="nelem", format="1J", array=np.array([n])),
        fits.Column(name="wavelength", format=f"{n}E", unit="micrometer", array=wl[None]),
        fits.Column(name="data", format=f"{n}E", array=curve[None].astype(np.float32)),
        fits.Column(name="error", format=f"{n}E", array=(0.002 * curve)[None].astype(np.float32)),
    ]
    return fits.BinTableHDU.from_columns(cols, name="FAST_VARIATION")


def write_mos_fflat(
    path: str | os.PathLike[str],
    *,
    grating: str = "PRISM",
    filter_name: str = "CLEAR",
    nplanes: int = 4,
    nelem: int = 600,
    quadrants: int = 5,
    seed: int | np.random.Generator | None = 0,
) -> Path:
    """MOS fore-optics flat: per quadrant a shutter throughput cube and a fast-variation row.

    Parameters
    ----------
    path : output FITS file.
    grating, filter_name : the mode; wavelengths span its range plus 4 %.
    nplanes : planes of each quadrant's cube (>= 2).
    nelem : points of each fast-variation row.
    quadrants : quadrants written (jwst indexes them by the slit's quadrant;
        5 covers the fixed slits of a MOS exposure).
    seed : random seed of the shutter-to-shutter scatter.
    """
    g = rng(seed)
    lo, hi = MODES[(grating.upper(), filter_name.upper())]
    margin = 0.04 * (hi - lo)
    plane_wl = np.linspace(lo - margin, hi + margin, nplanes).astype(np.float32)
    fast_wl = np.linspace(lo - margin, hi + margin, nelem).astype(np.float32)
    rows, cols = np.mgrid[0 : MSA_SHAPE[0], 0 : MSA_SHAPE[1]].astype(np.float32)
    u, v = cols / MSA_SHAPE[1] - 0.5, rows / MSA_SHAPE[0] - 0.5
    t = ((plane_wl - lo) / (hi - lo) - 0.5)[:, None, None]
    hdus: list[Any] = []
    for q in range(1, quadrants + 1):
        pattern = 1.0 + 0.03 * u - 0.02 * v * (1 + 0.3 * (q - 3)) - 0.04 * (u**2 + v**2)
        scatter = 0.02 * g.standard_normal(MSA_SHAPE).astype(np.float32)
        sci = (pattern * (1 + scatter))[None] * (1.0 + 0.05 * t * u[None])
        wave = fits.BinTableHDU.from_columns(
            [fits.Column(name="wavelength", format="1E", unit="micrometer", array=plane_wl)],
            name="WAVELENGTH",
            ver=q,
        )
        hdus += [
            fits.ImageHDU(sci.astype(np.float32), name="SCI", ver=q),
            fits.ImageHDU(np.zeros(sci.shape, np.uint32), name="DQ", ver=q),
            fits.ImageHDU((0.01 * sci).astype(np.float32), name="ERR", ver=q),
            wave,
        ]
        table = _fast_row(fast_wl, 1.0 + 0.02 * (q - 3), 0.1 * q)
        table.ver = q
        hdus.append(table)
    hdr = reference_header(
        "fflat",
        "NIRSPEC",
        description=f"synthetic MOS quadrant F-flat for {grating}/{filter_name}",
        EXP_TYPE="NRS_MSASPEC",
        P_EXP_TY=MOS_P_EXPTYPE,
        FILTER=filter_name,
        GRATING=grating,
    )
    return write_reference_fits(path, hdr, hdus, datamodel="NirspecQuadFlatModel")
