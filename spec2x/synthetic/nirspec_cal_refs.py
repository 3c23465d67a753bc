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
- the wavecorr offset is the image shift of an off-centre point source,
  ``-x * width`` pixels, softened at long wavelengths where the PSF fills the slit;
- the pathloss is the fraction of a Gaussian PSF (FWHM growing with
  wavelength) passing the slit at each source position, and a slowly falling
  uniform-illumination loss.

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
from scipy.special import erf

from ..dq import DQ
from .base import asdf_meta, reference_header, rng, write_reference_fits

__all__ = [
    "FS_SLITS",
    "MODES",
    "SLIT_SIZE_ARCSEC",
    "write_dflat",
    "write_fflat",
    "write_nirspec_cal_refs",
    "write_pathloss",
    "write_sflat",
    "write_wavecorr",
]

FS_SLITS = ("S200A1", "S200A2", "S400A1", "S1600A1", "S200B1")

#: On-sky width x length (arcsec) of each fixed slit.
SLIT_SIZE_ARCSEC = {
    "S200A1": (0.2, 3.3),
    "S200A2": (0.2, 3.3),
    "S400A1": (0.4, 3.8),
    "S1600A1": (1.6, 1.6),
    "S200B1": (0.2, 3.3),
}
#: Aperture widths (m on the MSA plane), as in the real wavecorr file.
_WIDTH_M = {
    "S200A1": 8.135e-05,
    "S200A2": 8.07e-05,
    "S400A1": 1.5924e-4,
    "S1600A1": 6.3134e-4,
    "S200B1": 7.926e-05,
}
_PIXEL_SCALE = 0.1  # arcsec per detector pixel

#: Wavelength range (µm) of each GRATING/FILTER pair.
MODES = {
    ("G140M", "F100LP"): (0.97, 1.89),
    ("G395M", "F290LP"): (2.87, 5.27),
    ("PRISM", "CLEAR"): (0.60, 5.30),
}
_P_EXPTYPE = "NRS_FIXEDSLIT|NRS_BRIGHTOBJ|"
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
        P_EXP_TY=_P_EXPTYPE,
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
        P_EXP_TY=_P_EXPTYPE,
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
        P_EXP_TY=_P_EXPTYPE,
    )
    return write_reference_fits(path, hdr, hdus, datamodel="NirspecFlatModel")


def _zero_point(slit: str, wl_m: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Offset (pixels) of an off-centre point source: shape (len(wl_m), len(pos))."""
    width_pix = SLIT_SIZE_ARCSEC[slit][0] / _PIXEL_SCALE
    soften = 1.0 - 0.15 * (wl_m[:, None] / 5.3e-6)
    return -pos[None, :] * width_pix * soften


def write_wavecorr(
    path: str | os.PathLike[str],
    *,
    exp_type: str = "NRS_FIXEDSLIT",
    slits: Iterable[str] = FS_SLITS,
    npoints: int = 21,
) -> Path:
    """Wavelength zero-point reference (ASDF): a Tabular2D offset model per aperture.

    The offset (pixels) on a grid of wavelength 0.6-5.3 µm (stored in m) and
    source position -0.5..0.5 (fraction of the slit width) is the shift of the
    source image, ``-x * width_pixels``, reduced by up to 15 % at 5.3 µm.
    """
    import asdf
    from astropy.modeling.tabular import Tabular2D

    wl = np.linspace(0.6e-6, 5.3e-6, npoints)
    pos = np.linspace(-0.5, 0.5, npoints)
    apertures = []
    for slit in slits:
        table = _zero_point(slit, wl, pos)
        model = Tabular2D(points=(wl, pos), lookup_table=table, bounds_error=False, fill_value=None)
        apertures.append(
            {
                "aperture_name": slit,
                "width": _WIDTH_M[slit],
                "zero_point_offset": model,
                "variance": np.full(table.shape, 0.01, np.float32),
            }
        )
    meta = asdf_meta("wavecorr", "NIRSPEC", exp_type=exp_type)
    meta["model_type"] = "WaveCorrModel"
    meta["exposure"]["p_exptype"] = _P_EXPTYPE
    meta["instrument"]["p_detector"] = "NRS1|NRS2|"
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    asdf.AsdfFile({"meta": meta, "apertures": apertures}).write_to(tmp)
    os.replace(tmp, path)
    return path


def pathloss_model(
    slit: str, wavelength_um: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Point-source pathloss: fraction of a Gaussian PSF passing the slit.

    ``x``, ``y`` are source positions in units of the slit width and length
    (-0.5..0.5); the PSF FWHM is the diffraction FWHM of a 6.5 m aperture
    (1.03 λ/D) added in quadrature to 0.08" of instrument blur.
    Returns an array of shape ``wavelength_um.shape + x.shape``.
    """
    width, length = SLIT_SIZE_ARCSEC[slit]
    fwhm = np.hypot(1.03 * wavelength_um * 1e-6 / 6.5 * 206265.0, 0.08)
    sigma = (fwhm / 2.3548)[(...,) + (None,) * np.ndim(x)]
    s2 = np.sqrt(2.0) * sigma

    def through(offset: np.ndarray, size: float) -> np.ndarray:
        return 0.5 * (erf((size / 2 - offset * size) / s2) + erf((size / 2 + offset * size) / s2))

    return through(np.asarray(x), width) * through(np.asarray(y), length)


def write_pathloss(
    path: str | os.PathLike[str],
    *,
    exp_type: str = "NRS_FIXEDSLIT",
    slits: Iterable[str] = FS_SLITS,
    nwave: int = 48,
    npos: int = 21,
) -> Path:
    """Pathloss reference (FITS, PathlossModel): PS/PSVAR/UNI/UNIVAR per aperture.

    Point-source cube (wavelength, y, x) from :func:`pathloss_model` on a
    ``npos`` x ``npos`` grid of positions -0.5..0.5 and ``nwave`` wavelengths
    0.6-5.3 µm (m in the file); uniform loss ``1 - a (λ / 5.3 µm)`` with ``a``
    larger for narrow slits (diffraction out of the grating pupil).
    """
    wl_um = np.linspace(0.6, 5.3, nwave)
    pos = np.linspace(-0.5, 0.5, npos)
    step = float(pos[1] - pos[0])
    dwl = float(wl_um[1] - wl_um[0]) * 1e-6
    hdus: list[Any] = []
    for ver, slit in enumerate(slits, start=1):
        yy, xx = np.meshgrid(pos, pos, indexing="ij")
        cube = pathloss_model(slit, wl_um, xx, yy).astype(np.float32)
        width = SLIT_SIZE_ARCSEC[slit][0]
        uniform = (1.0 - (0.02 / width) * 0.2 * (wl_um / 5.3)).astype(np.float32)
        ps = fits.ImageHDU(cube, name="PS", ver=ver)
        ps.header["APERTURE"] = slit
        for axis, (crval, cdelt) in enumerate(((-0.5, step), (-0.5, step), (0.6e-6, dwl)), start=1):
            ps.header[f"CRPIX{axis}"] = 1.0
            ps.header[f"CRVAL{axis}"] = crval
            ps.header[f"CDELT{axis}"] = cdelt
        uni = fits.ImageHDU(uniform, name="UNI", ver=ver)
        uni.header["CRPIX1"], uni.header["CRVAL1"], uni.header["CDELT1"] = 1.0, 0.6e-6, dwl
        hdus += [
            ps,
            fits.ImageHDU(np.full(cube.shape, 1e-4, np.float32), name="PSVAR", ver=ver),
            uni,
            fits.ImageHDU(np.full(uniform.shape, 1e-4, np.float32), name="UNIVAR", ver=ver),
        ]
    hdr = reference_header(
        "pathloss",
        "NIRSPEC",
        description="synthetic fixed-slit pathloss",
        EXP_TYPE=exp_type,
        P_EXP_TY=_P_EXPTYPE,
    )
    return write_reference_fits(path, hdr, hdus, datamodel="PathlossModel")


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
