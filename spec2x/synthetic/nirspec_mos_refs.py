"""Synthetic NIRSpec MOS calibration references in the CRDS formats.

- ``fflat`` for MOS (FITS, jwst ``NirspecQuadFlatModel``): for each of the
  five MSA quadrants (the fifth holds the fixed slits) a shutter cube
  ``(plane, 171, 365)`` of relative throughput -- a smooth pattern across the
  quadrant, a per-shutter scatter of a few per cent, both changing slowly with
  wavelength -- its error, the planes' wavelengths and a fast-variation row
  ``ANY`` with a quadrant-dependent level and ripple.

- ``barshadow`` (FITS, jwst ``BarshadowModel``): the throughput along the
  slit of one open shutter (``DATA1X1``, two shutter heights centred on it)
  and of open shutters in a row (``DATA1X3``), 101 wavelengths 0.6-5.3 µm
  (CRVAL1/CDELT1 in m), 500 rows per shutter height (CDELT2 = 0.002): each
  bar casts a dip whose width grows with wavelength (:func:`bar_profile`).

- ``pathloss`` for MOS (FITS, jwst ``PathlossModel``): apertures ``MOS1X1``
  (``SHUTTERS = 1``, source positions -0.5..0.5 shutter) and ``MOS1X3``
  (``SHUTTERS = 3``, -1.5..1.5 shutters along the slit): the fraction of a
  Gaussian PSF passing the open shutters, and a uniform-source loss slightly
  larger for the lone shutter.

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
from .nirspec_slit_refs import MOS_SHUTTER_ARCSEC, aperture_throughput, pathloss_hdus

__all__ = [
    "MOS_P_EXPTYPE",
    "MSA_SHAPE",
    "bar_profile",
    "write_barshadow",
    "write_mos_fflat",
    "write_mos_pathloss",
]

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
    nplanes: int = 4,
    nelem: int = 600,
    quadrants: int = 5,
    seed: int | np.random.Generator | None = 0,
    grating: str = "PRISM",
    filter_name: str = "CLEAR",
) -> Path:
    """MOS fore-optics flat: per quadrant a shutter throughput cube and a fast-variation row.

    Parameters
    ----------
    path : output FITS file.
    nplanes : planes of each quadrant's cube (>= 2).
    nelem : points of each fast-variation row.
    quadrants : quadrants written (jwst indexes them by the slit's quadrant;
        5 covers the fixed slits of a MOS exposure).
    seed : random seed of the shutter-to-shutter scatter.
    grating, filter_name : the mode; wavelengths span its range plus 4 %.
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


def bar_profile(y: np.ndarray, wavelength_um: np.ndarray, bars: tuple[float, ...]) -> np.ndarray:
    """Throughput at slit positions ``y`` (shutter heights) with bars at ``bars``.

    Each bar removes a Gaussian dip of depth 0.35 and width 0.06 + 0.02 λ/µm
    shutter heights; returns shape ``y.shape + wavelength_um.shape`` (> 0).
    """
    width = 0.06 + 0.02 * np.asarray(wavelength_um)[None, :]
    out = np.ones((np.size(y), np.size(wavelength_um)))
    for bar in bars:
        out -= 0.35 * np.exp(-0.5 * ((np.asarray(y)[:, None] - bar) / width) ** 2)
    return out


def write_barshadow(path: str | os.PathLike[str], *, grating: str = "PRISM") -> Path:
    """Bar shadow reference: ``DATA1X1``, ``DATA1X3`` and their variances (see the module doc)."""
    wl_um = np.linspace(0.6, 5.3, 101)
    y = np.arange(1001) * 0.002
    one = bar_profile(y - 1.0, wl_um, (-0.5, 0.5))
    one[np.abs(y - 1.0) > 0.5] *= 0.05  # the closed neighbours pass little light
    three = bar_profile(y, wl_um, (0.5, 1.5))
    hdus: list[Any] = []
    for name, data in (("DATA1X1", one), ("DATA1X3", three)):
        hdu = fits.ImageHDU(data.astype(np.float32), name=name)
        for key, value in (("CRVAL1", 0.6e-6), ("CDELT1", 0.047e-6), ("CRVAL2", -1.0),
                           ("CDELT2", 0.002)):  # fmt: skip
            hdu.header[key] = value
        hdus += [hdu, fits.ImageHDU(np.full(data.shape, 1e-6, np.float32), name=f"VAR{name[4:]}")]
    hdr = reference_header(
        "barshadow",
        "NIRSPEC",
        description="synthetic MOS bar shadow",
        EXP_TYPE="NRS_MSASPEC",
        P_EXP_TY=MOS_P_EXPTYPE,
        GRATING=grating,
    )
    return write_reference_fits(path, hdr, hdus, datamodel="BarshadowModel")


def write_mos_pathloss(path: str | os.PathLike[str], *, nwave: int = 48, npos: int = 21) -> Path:
    """MOS pathloss reference: PS/PSVAR/UNI/UNIVAR for ``MOS1X1`` and ``MOS1X3`` (see the module doc).

    Both apertures share the wavelength grid (0.6-5.3 µm, m in the file), as
    jwst's two-shutter uniform case needs.
    """
    wl_um = np.linspace(0.6, 5.3, nwave)
    dwl = float(wl_um[1] - wl_um[0]) * 1e-6
    width, height = MOS_SHUTTER_ARCSEC
    hdus: list[Any] = []
    for ver, shutters in enumerate((1, 3), start=1):
        xpos = np.linspace(-0.5, 0.5, npos)
        ypos = np.linspace(-0.5 * shutters, 0.5 * shutters, (npos - 1) * shutters + 1)
        yy, xx = np.meshgrid(ypos / shutters, xpos, indexing="ij")
        cube = aperture_throughput(width, height * shutters, wl_um, xx, yy).astype(np.float32)
        uniform = (1.0 - (0.05 / shutters) * (wl_um / 5.3)).astype(np.float32)
        axes = ((xpos[0], xpos[1] - xpos[0]), (ypos[0], ypos[1] - ypos[0]), (0.6e-6, dwl))
        keywords = {"APERTURE": f"MOS1X{shutters}", "SHUTTERS": shutters}
        hdus += pathloss_hdus(ver, keywords, cube, axes, uniform)
    hdr = reference_header(
        "pathloss",
        "NIRSPEC",
        description="synthetic MOS pathloss",
        EXP_TYPE="NRS_MSASPEC",
        P_EXP_TY=MOS_P_EXPTYPE,
    )
    return write_reference_fits(path, hdr, hdus, datamodel="PathlossModel")
