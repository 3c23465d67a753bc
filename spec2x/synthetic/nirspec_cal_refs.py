"""Synthetic NIRSpec slit-calibration references in the CRDS formats.

``fflat``, ``sflat``, ``dflat`` (FITS, jwst ``NirspecFlatModel``), ``wavecorr``
(ASDF, ``WaveCorrModel``) and ``pathloss`` (FITS, ``PathlossModel``) for the
fixed slits (S200A1, S200A2, S400A1, S1600A1, S200B1) with G140M/F100LP,
G395M/F290LP and PRISM/CLEAR.  They are not calibrations, but their content
behaves like one:

- the f-flat is a smooth throughput-like curve with a slit-dependent level and
  a fast ripple in wavelength;
- the s-flat adds a slit-dependent fast curve and a slow 2-D illumination
  pattern (optionally varying with wavelength: 3-D);
- the d-flat is a detector response cube in wavelength with pixel-to-pixel
  scatter that changes with wavelength, a few bad pixels flagged
  ``DO_NOT_USE | NO_FLAT_FIELD``;
- the wavecorr and pathloss files: :mod:`.nirspec_slit_refs`.

Flats are indexed by full-frame detector pixel like the real files; ``shape``
lets tests write a smaller detector corner (slits must then lie inside it).
Every file opens and validates with ``stdatamodels``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from ..dq import DQ
from .base import reference_header, rng, write_reference_fits
from .nirspec_slit_refs import (
    FS_SLITS,
    SLIT_SIZE_ARCSEC,
    p_exptype,
    pathloss_model,
    write_pathloss,
    write_wavecorr,
)

__all__ = [
    "FS_SLITS",
    "MODES",
    "SLIT_SIZE_ARCSEC",
    "pathloss_model",
    "write_dflat",
    "write_fflat",
    "write_nirspec_cal_refs",
    "write_pathloss",
    "write_sflat",
    "write_wavecorr",
]

#: Wavelength range (µm) of each GRATING/FILTER pair.
MODES = {
    ("G140M", "F100LP"): (0.97, 1.89),
    ("G395M", "F290LP"): (2.87, 5.27),
    ("PRISM", "CLEAR"): (0.60, 5.30),
}
_FULL_FRAME = (2048, 2048)


def _mode_range(grating: str, filter_name: str) -> tuple[float, float]:
    key = (grating.upper(), filter_name.upper())
    if key not in MODES:
        raise ValueError(f"no synthetic NIRSpec mode {key}; choose one of {sorted(MODES)}")
    return MODES[key]


def _slit_level(slit: str) -> float:
    """A fixed, slit-dependent level (a few per cent)."""
    return 1.0 + 0.015 * (FS_SLITS.index(slit) - 2) if slit in FS_SLITS else 1.0


def _fast_table(
    rows: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]], pad: int = 8
) -> fits.BinTableHDU:
    """FAST_VARIATION table: one row per slit, arrays padded with NaN beyond ``nelem``."""
    n = max(len(w) for w, _, _ in rows.values()) + pad
    names = list(rows)

    def padded(i: int) -> np.ndarray:
        out = np.full((len(names), n), np.nan, np.float32)
        for r, key in enumerate(names):
            arr = rows[key][i]
            out[r, : len(arr)] = arr
        return out

    cols = [
        fits.Column(name="slit_name", format="15A", array=np.array(names)),
        fits.Column(name="nelem", format="1J", array=np.array([len(rows[k][0]) for k in names])),
        fits.Column(name="wavelength", format=f"{n}E", unit="micrometer", array=padded(0)),
        fits.Column(name="data", format=f"{n}E", array=padded(1)),
        fits.Column(name="error", format=f"{n}E", array=padded(2)),
    ]
    return fits.BinTableHDU.from_columns(cols, name="FAST_VARIATION")


def _wavelength_hdu(wavelengths: np.ndarray) -> fits.BinTableHDU:
    col = fits.Column(
        name="wavelength", format="1E", unit="micrometer", array=np.asarray(wavelengths, np.float32)
    )
    return fits.BinTableHDU.from_columns([col], name="WAVELENGTH")


def _grid(lo: float, hi: float, n: int) -> np.ndarray:
    margin = 0.04 * (hi - lo)
    return np.linspace(lo - margin, hi + margin, n)


def write_fflat(
    path: str | os.PathLike[str],
    *,
    grating: str = "G140M",
    filter_name: str = "F100LP",
    exp_type: str = "NRS_FIXEDSLIT",
    slits: Iterable[str] = FS_SLITS,
    nelem: int = 1500,
    seed: int | np.random.Generator | None = 0,
) -> Path:
    """Fore-optics flat: a FAST_VARIATION row per slit, no image (like the real FS f-flat).

    Parameters
    ----------
    path : output FITS file.
    grating, filter_name : the mode; the table spans its wavelength range plus 4 %.
    exp_type : EXP_TYPE of the file (``NRS_FIXEDSLIT`` or ``NRS_BRIGHTOBJ``).
    slits : one row per slit name (``"ANY"`` makes a row for every slit).
    nelem : number of wavelengths per row.
    seed : random seed of the ripple phase.
    """
    g = rng(seed)
    lo, hi = _mode_range(grating, filter_name)
    wl = _grid(lo, hi, nelem)
    phase = g.uniform(0, 2 * np.pi)
    rows = {}
    for slit in slits:
        x = (wl - lo) / (hi - lo)
        curve = _slit_level(slit) * (0.92 + 0.1 * x - 0.08 * x**2)
        curve = curve * (1 + 0.01 * np.sin(2 * np.pi * wl / (0.03 * (hi - lo)) + phase))
        rows[slit] = (
            wl.astype(np.float32),
            curve.astype(np.float32),
            (0.004 * curve).astype(np.float32),
        )
    hdr = reference_header(
        "fflat",
        "NIRSPEC",
        description=f"synthetic fixed-slit F-flat for {filter_name}",
        EXP_TYPE=exp_type,
        P_EXP_TY=p_exptype(exp_type),
        FILTER=filter_name,
        GRATING="N/A",
    )
    return write_reference_fits(path, hdr, [_fast_table(rows)], datamodel="NirspecFlatModel")


def write_sflat(
    path: str | os.PathLike[str],
    *,
    grating: str = "G140M",
    filter_name: str = "F100LP",
    detector: str = "NRS1",
    exp_type: str = "NRS_FIXEDSLIT",
    slits: Iterable[str] = FS_SLITS,
    shape: tuple[int, int] = _FULL_FRAME,
    nplanes: int = 1,
    nelem: int = 800,
    seed: int | np.random.Generator | None = 0,
) -> Path:
    """Spectrograph flat: slow 2-D illumination pattern (3-D if ``nplanes > 1``) and a row per slit.

    Parameters
    ----------
    shape : (ny, nx) of the image, full-frame pixels from (0, 0).
    nplanes : 1 writes a 2-D SCI; more writes a cube with a WAVELENGTH table,
        the pattern tilting with wavelength.
    Other parameters as :func:`write_fflat`.
    """
    g = rng(seed)
    lo, hi = _mode_range(grating, filter_name)
    ny, nx = shape
    yy, xx = np.mgrid[0:ny, 0:nx].astype(np.float32)
    u, v = xx / 2048.0 - 0.5, yy / 2048.0 - 0.5
    base = 1.0 + 0.04 * u - 0.03 * v - 0.05 * (u**2 + v**2)
    hdus: list[Any] = []
    if nplanes > 1:
        plane_wl = np.linspace(lo, hi, nplanes)
        t = ((plane_wl - lo) / (hi - lo) - 0.5)[:, None, None]
        sci = base[None] * (1.0 + 0.04 * t * u[None])
        sci = sci * (1 + 0.002 * g.standard_normal(sci.shape))
        dq = np.zeros(sci.shape, np.uint32)
        err = np.full(sci.shape, 0.003, np.float32)
    else:
        sci = base * (1 + 0.002 * g.standard_normal(base.shape))
        dq = np.zeros(sci.shape, np.uint32)
        err = np.full(sci.shape, 0.003, np.float32)
    hdus += [
        fits.ImageHDU(sci.astype(np.float32), name="SCI"),
        fits.ImageHDU(dq, name="DQ"),
        fits.ImageHDU(err, name="ERR"),
    ]
    if nplanes > 1:
        hdus.append(_wavelength_hdu(plane_wl))
    wl = _grid(lo, hi, nelem)
    rows = {}
    for slit in slits:
        x = (wl - lo) / (hi - lo)
        curve = (2.0 - _slit_level(slit)) * (0.97 + 0.05 * np.cos(np.pi * x) * (x - 0.3))
        rows[slit] = (
            wl.astype(np.float32),
            curve.astype(np.float32),
            (0.003 * curve).astype(np.float32),
        )
    hdus.append(_fast_table(rows))
    hdr = reference_header(
        "sflat",
        "NIRSPEC",
        description=f"synthetic fixed-slit S-flat for {grating}/{filter_name} {detector}",
        DETECTOR=detector,
        EXP_TYPE=exp_type,
        P_EXP_TY=p_exptype(exp_type),
        FILTER=filter_name,
        GRATING=grating,
    )
    return write_reference_fits(path, hdr, hdus, datamodel="NirspecFlatModel")


def write_dflat(
    path: str | os.PathLike[str],
    *,
    detector: str = "NRS1",
    exp_type: str = "NRS_FIXEDSLIT",
    shape: tuple[int, int] = _FULL_FRAME,
    wavelengths: Iterable[float] = (0.6, 1.2, 2.4, 3.6, 5.3),
    n_bad: int = 40,
    seed: int | np.random.Generator | None = 0,
) -> Path:
    """Detector flat: a response cube over wavelength (µm), 2-D DQ/ERR, a flat ``ANY`` row.

    Parameters
    ----------
    shape : (ny, nx) of each plane, full-frame pixels from (0, 0).
    wavelengths : wavelength of each plane (µm, increasing).
    n_bad : number of pixels flagged ``DO_NOT_USE | NO_FLAT_FIELD``.
    seed : random seed of the pixel-to-pixel scatter and bad pixels.
    """
    g = rng(seed)
    plane_wl = np.asarray(list(wavelengths), np.float64)
    ny, nx = shape
    yy, xx = np.mgrid[0:ny, 0:nx].astype(np.float32)
    u, v = xx / 2048.0 - 0.5, yy / 2048.0 - 0.5
    prnu = 0.012 * g.standard_normal(shape).astype(np.float32)
    colour = 0.006 * g.standard_normal(shape).astype(np.float32)
    t = ((plane_wl - plane_wl.mean()) / np.ptp(plane_wl))[:, None, None].astype(np.float32)
    sci = (1.0 + 0.02 * u + 0.01 * v)[None] * (1.0 + prnu[None] + colour[None] * t * 2.0)
    dq = np.zeros(shape, np.uint32)
    bad = g.integers(0, ny * nx, n_bad)
    dq.flat[bad] = int(DQ.DO_NOT_USE | DQ.NO_FLAT_FIELD)
    err = np.full(shape, 0.008, np.float32)
    wl = np.linspace(0.55, 5.35, 400)
    fast = (1.0 + 0.01 * np.sin(2 * np.pi * wl / 1.7)).astype(np.float32)
    rows = {"ANY": (wl.astype(np.float32), fast, np.full(wl.shape, 0.002, np.float32))}
    hdus = [
        fits.ImageHDU(sci.astype(np.float32), name="SCI"),
        fits.ImageHDU(dq, name="DQ"),
        fits.ImageHDU(err, name="ERR"),
        _wavelength_hdu(plane_wl),
        _fast_table(rows),
    ]
    hdr = reference_header(
        "dflat",
        "NIRSPEC",
        description=f"synthetic D-flat for {detector}",
        DETECTOR=detector,
        EXP_TYPE=exp_type,
        P_EXP_TY=p_exptype(exp_type),
    )
    return write_reference_fits(path, hdr, hdus, datamodel="NirspecFlatModel")


def write_nirspec_cal_refs(
    directory: str | os.PathLike[str],
    *,
    grating: str = "G140M",
    filter_name: str = "F100LP",
    detector: str = "NRS1",
    exp_type: str = "NRS_FIXEDSLIT",
    shape: tuple[int, int] = _FULL_FRAME,
    seed: int = 0,
) -> dict[str, Path]:
    """Write the five references for one mode into ``directory``; reftype -> path."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    tag = f"{grating}_{filter_name}_{detector}".lower()
    return {
        "fflat": write_fflat(
            d / f"spec2x_nirspec_fflat_{filter_name.lower()}.fits",
            grating=grating,
            filter_name=filter_name,
            exp_type=exp_type,
            seed=seed,
        ),
        "sflat": write_sflat(
            d / f"spec2x_nirspec_sflat_{tag}.fits",
            grating=grating,
            filter_name=filter_name,
            detector=detector,
            exp_type=exp_type,
            shape=shape,
            seed=seed,
        ),
        "dflat": write_dflat(
            d / f"spec2x_nirspec_dflat_{detector.lower()}.fits",
            detector=detector,
            exp_type=exp_type,
            shape=shape,
            seed=seed,
        ),
        "wavecorr": write_wavecorr(d / "spec2x_nirspec_wavecorr.asdf", exp_type=exp_type),
        "pathloss": write_pathloss(d / "spec2x_nirspec_pathloss.fits", exp_type=exp_type),
    }
