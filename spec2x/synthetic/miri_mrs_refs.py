"""Synthetic MIRI MRS calibration references: ``flat``, ``photom``, ``fringe``, ``mrsxartcorr``.

Full-frame (1024 x 1032) files of one detector and band in the CRDS
formats; they open in ``stdatamodels`` as ``FlatModel``,
``MirMrsPhotomModel`` (with its ``TIMECOEFF_POWERLAW_CH1`` ... ``CH4``
throughput-loss tables), ``FringeModel`` and ``MirMrsXArtCorrModel``, and in
:func:`spec2x.open_reference`.  The values are plausible, not calibrations.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from astropy.io import fits

from ..dq import DQ
from ..modes import MODES
from .base import reference_header, rng, write_reference_fits
from .pixel_refs import A2_TO_SR, _dq_def_hdu, write_flat

__all__ = [
    "CHANNEL_RANGES",
    "MRS_SHAPE",
    "write_mrs_flat",
    "write_mrs_fringe",
    "write_mrs_photom",
    "write_mrsxartcorr",
]

MRS_SHAPE = (1024, 1032)
#: Wavelength range (µm) of each channel, all three bands.
CHANNEL_RANGES = {"1": (4.8, 7.7), "2": (7.4, 11.9), "3": (11.4, 18.1), "4": (17.6, 28.8)}
_CHANNEL = {"MIRIFUSHORT": "12", "MIRIFULONG": "34"}
_EXP_TYPE = MODES["MIR_MRS"].exp_type
#: MRS pixel size (arcsec^2) written as PIXAR_A2.
_PIXAR_A2 = 0.196 * 0.196


def _selectors(detector: str, band: str) -> dict[str, str]:
    return {"DETECTOR": detector, "CHANNEL": _CHANNEL[detector], "BAND": band}


def write_mrs_flat(
    path: str | os.PathLike[str],
    *,
    detector: str = "MIRIFUSHORT",
    band: str = "SHORT",
    seed: int | np.random.Generator | None = 0,
) -> Path:
    """Write an MRS ``flat`` (FlatModel): SCI near 1, ERR, DQ with a few bad pixels."""
    return write_flat(
        path,
        instrument="MIRI",
        detector=detector,
        exp_type=_EXP_TYPE,
        shape=MRS_SHAPE,
        seed=seed,
        CHANNEL=_CHANNEL[detector],
        BAND=band,
    )


def _image_hdus(sci: np.ndarray, err: np.ndarray, dq: np.ndarray) -> list:
    return [
        fits.ImageHDU(sci.astype(np.float32), name="SCI"),
        fits.ImageHDU(err.astype(np.float32), name="ERR"),
        fits.ImageHDU(dq.astype(np.uint32), name="DQ"),
        _dq_def_hdu(["DO_NOT_USE", "NON_SCIENCE", "UNRELIABLE_FLAT"]),
    ]


def _powerlaw_table(channel: str, t0: float) -> fits.BinTableHDU:
    low, high = CHANNEL_RANGES[channel]
    binwave = np.linspace(low, high, 25, dtype=np.float32)
    frac = (binwave - low) / (high - low)
    depth = int(channel) / 4.0  # the loss grows with wavelength
    cols = [
        fits.Column("binwave", "E", array=binwave),
        fits.Column("alpha", "E", array=(-0.1 - 0.9 * depth * frac).astype(np.float32)),
        fits.Column("year1value", "E", array=(0.99 - 0.2 * depth * frac).astype(np.float32)),
        fits.Column("tsoft", "E", array=np.full(binwave.shape, 50.0, np.float32)),
        fits.Column("t0", "E", array=np.full(binwave.shape, t0, np.float32)),
    ]
    return fits.BinTableHDU.from_columns(cols, name=f"TIMECOEFF_POWERLAW_CH{channel}")


def write_mrs_photom(
    path: str | os.PathLike[str],
    *,
    detector: str = "MIRIFUSHORT",
    band: str = "SHORT",
    seed: int | np.random.Generator | None = 0,
    conversion: float = 0.05,
    time_dependence: bool = True,
    t0: float = 59720.0,
) -> Path:
    """Write an MRS ``photom`` (MirMrsPhotomModel).

    Parameters
    ----------
    path : output file.
    detector, band : selectors (CHANNEL follows the detector).
    seed : of the pixel-to-pixel structure.
    conversion : typical (MJy/sr) per (DN/s) of SCI; a few pixels are NaN
        (DO_NOT_USE) or flagged NON_SCIENCE.
    time_dependence : add the TIMECOEFF_POWERLAW_CH1 ... CH4 tables
        (throughput lost since MJD ``t0``, more at longer wavelengths).
    """
    gen = rng(seed)
    sci = conversion * (1.0 + 0.05 * gen.standard_normal(MRS_SHAPE))
    dq = np.zeros(MRS_SHAPE, np.uint32)
    bad = gen.random(MRS_SHAPE) < 0.002
    sci[bad] = np.nan
    dq[bad] = DQ.DO_NOT_USE
    dq[gen.random(MRS_SHAPE) < 0.002] |= np.uint32(DQ.NON_SCIENCE)
    pixsiz = np.full(MRS_SHAPE, _PIXAR_A2 * A2_TO_SR, np.float32)
    hdr = reference_header(
        "photom",
        "MIRI",
        EXP_TYPE=_EXP_TYPE,
        PHOTMJSR=conversion,
        PIXAR_SR=_PIXAR_A2 * A2_TO_SR,
        PIXAR_A2=_PIXAR_A2,
        **_selectors(detector, band),
    )
    hdus = [*_image_hdus(sci, 0.01 * np.abs(sci), dq), fits.ImageHDU(pixsiz, name="PIXSIZ")]
    if time_dependence:
        hdus += [_powerlaw_table(ch, t0) for ch in "1234"]
    return write_reference_fits(path, hdr, hdus, datamodel="MirMrsPhotomModel")


def write_mrs_fringe(
    path: str | os.PathLike[str],
    *,
    detector: str = "MIRIFUSHORT",
    band: str = "SHORT",
    amplitude: float = 0.1,
) -> Path:
    """Write an MRS ``fringe`` flat (FringeModel): fringes along the dispersion (rows) of
    relative ``amplitude``, NaN on every 997th pixel."""
    y = np.arange(MRS_SHAPE[0])[:, None]
    x = np.arange(MRS_SHAPE[1])[None, :]
    period = 20.0 + 10.0 * (x >= MRS_SHAPE[1] // 2)
    sci = 1.0 + amplitude * np.sin(2 * np.pi * y / period) * np.ones(MRS_SHAPE)
    sci.ravel()[::997] = np.nan
    dq = np.where(np.isnan(sci), np.uint32(DQ.DO_NOT_USE), np.uint32(0))
    hdr = reference_header("fringe", "MIRI", EXP_TYPE=_EXP_TYPE, **_selectors(detector, band))
    hdus = _image_hdus(sci, np.full(MRS_SHAPE, 0.01), dq)
    return write_reference_fits(path, hdr, hdus, datamodel="FringeModel")


def write_mrsxartcorr(
    path: str | os.PathLike[str], *, seed: int | np.random.Generator | None = 0
) -> Path:
    """Write an MRS ``mrsxartcorr`` (MirMrsXArtCorrModel): tables CH1A ... CH4C, one row per
    detector row (a broad Lorentzian of a few per cent and two Gaussian pairs)."""
    gen = rng(seed)
    rows = np.arange(MRS_SHAPE[0])
    hdus = []
    for ch in "1234":
        for i, sub in enumerate("ABC"):
            scale = 1.0 + 0.1 * (int(ch) - 1) + 0.05 * i
            ripple = 1.0 + 0.05 * np.sin(rows / 97.0 + gen.uniform(0, 6))
            cols = {
                "yrow": ("I", rows.astype(np.int16)),
                "lor_fwhm": ("E", 60.0 * scale * ripple),
                "lor_scale": ("E", 0.0004 * ripple),
                "gau_fwhm": ("E", np.full(rows.shape, 8.0 * scale)),
                "gau_xoff": ("E", np.full(rows.shape, 25.0 * scale)),
                "gau_scale1": ("E", 0.002 * ripple),
                "gau_scale2": ("E", 0.0008 * ripple),
            }
            hdus.append(
                fits.BinTableHDU.from_columns(
                    [fits.Column(k, f, array=v) for k, (f, v) in cols.items()], name=f"CH{ch}{sub}"
                )
            )
    hdr = reference_header("mrsxartcorr", "MIRI", EXP_TYPE=_EXP_TYPE, DETECTOR="N/A", BAND="N/A")
    return write_reference_fits(path, hdr, hdus, datamodel="MirMrsXArtCorrModel")
