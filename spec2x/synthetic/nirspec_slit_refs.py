"""Synthetic NIRSpec fixed-slit ``wavecorr`` and ``pathloss`` references, and the slits' sizes.

``wavecorr`` (ASDF, ``WaveCorrModel``) and ``pathloss`` (FITS,
``PathlossModel``) for the fixed slits (S200A1, S200A2, S400A1, S1600A1,
S200B1); the flats are in :mod:`.nirspec_cal_refs`.  Their content behaves
like a calibration's:

- the wavecorr offset is the image shift of an off-centre point source,
  ``-x * width`` pixels, softened at long wavelengths where the PSF fills the slit;
- the pathloss is the fraction of a Gaussian PSF (FWHM growing with
  wavelength) passing the slit at each source position, and a slowly falling
  uniform-illumination loss.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from scipy.special import erf

from .base import asdf_meta, reference_header, write_reference_fits

__all__ = [
    "FS_P_EXPTYPE",
    "FS_SLITS",
    "SLIT_SIZE_ARCSEC",
    "aperture_throughput",
    "p_exptype",
    "pathloss_hdus",
    "pathloss_model",
    "write_pathloss",
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
    "MOS": 7.8e-05,
}
#: Width (arcsec) of the MSA shutter opening: the ``MOS`` aperture of wavecorr and pathloss.
MOS_SHUTTER_ARCSEC = (0.2, 0.46)
_PIXEL_SCALE = 0.1  # arcsec per detector pixel
#: P_EXP_TYPE of every synthetic fixed-slit reference.
FS_P_EXPTYPE = "NRS_FIXEDSLIT|NRS_BRIGHTOBJ|"


def p_exptype(exp_type: str) -> str:
    """P_EXP_TYPE of a synthetic NIRSpec reference for ``exp_type`` (FS and BOTS share theirs)."""
    return FS_P_EXPTYPE if exp_type in ("NRS_FIXEDSLIT", "NRS_BRIGHTOBJ") else f"{exp_type}|"


def _zero_point(slit: str, wl_m: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Offset (pixels) of an off-centre point source: shape (len(wl_m), len(pos))."""
    width_pix = SLIT_SIZE_ARCSEC.get(slit, MOS_SHUTTER_ARCSEC)[0] / _PIXEL_SCALE
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

    ``slits`` may include ``"MOS"`` (the MSA shutters, 0.2" wide).

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
    meta["exposure"]["p_exptype"] = p_exptype(exp_type)
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
    return aperture_throughput(*SLIT_SIZE_ARCSEC[slit], wavelength_um, x, y)


def aperture_throughput(
    width: float, length: float, wavelength_um: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """:func:`pathloss_model` for an aperture of ``width`` x ``length`` arcsec."""
    fwhm = np.hypot(1.03 * wavelength_um * 1e-6 / 6.5 * 206265.0, 0.08)
    sigma = (fwhm / 2.3548)[(...,) + (None,) * np.ndim(x)]
    s2 = np.sqrt(2.0) * sigma

    def through(offset: np.ndarray, size: float) -> np.ndarray:
        return 0.5 * (erf((size / 2 - offset * size) / s2) + erf((size / 2 + offset * size) / s2))

    return through(np.asarray(x), width) * through(np.asarray(y), length)


def pathloss_hdus(
    ver: int,
    keywords: dict[str, Any],
    cube: np.ndarray,
    axes: tuple[tuple[float, float], ...],
    uniform: np.ndarray,
) -> list[Any]:
    """PS, PSVAR, UNI, UNIVAR extensions (EXTVER ``ver``) of one pathloss aperture.

    ``axes`` are (CRVAL, CDELT) of the cube's x position, y position and
    wavelength (m; the uniform vector shares the wavelength axis); CRPIX = 1.
    """
    ps = fits.ImageHDU(cube, name="PS", ver=ver)
    ps.header.update(keywords)
    for axis, (crval, cdelt) in enumerate(axes, start=1):
        ps.header[f"CRPIX{axis}"] = 1.0
        ps.header[f"CRVAL{axis}"] = float(crval)
        ps.header[f"CDELT{axis}"] = float(cdelt)
    uni = fits.ImageHDU(uniform, name="UNI", ver=ver)
    uni.header["CRPIX1"], uni.header["CRVAL1"], uni.header["CDELT1"] = 1.0, *axes[2]
    return [
        ps,
        fits.ImageHDU(np.full(cube.shape, 1e-4, np.float32), name="PSVAR", ver=ver),
        uni,
        fits.ImageHDU(np.full(uniform.shape, 1e-4, np.float32), name="UNIVAR", ver=ver),
    ]


def write_pathloss(
    path: str | os.PathLike[str],
    *,
    exp_type: str = "NRS_FIXEDSLIT",
    slits: Iterable[str] = FS_SLITS,
    nwave: int = 48,
    npos: int = 21,
    sizes: Mapping[str, tuple[float, float]] | None = None,
) -> Path:
    """Pathloss reference (FITS, PathlossModel): PS/PSVAR/UNI/UNIVAR per aperture.

    Point-source cube (wavelength, y, x) from :func:`aperture_throughput` on a
    ``npos`` x ``npos`` grid of positions -0.5..0.5 and ``nwave`` wavelengths
    0.6-5.3 µm (m in the file); uniform loss ``1 - a (λ / 5.3 µm)`` with ``a``
    larger for narrow slits (diffraction out of the grating pupil).  ``sizes``
    gives (width, length) in arcsec of apertures that are not fixed slits
    (an IFU slice).
    """
    wl_um = np.linspace(0.6, 5.3, nwave)
    pos = np.linspace(-0.5, 0.5, npos)
    step = float(pos[1] - pos[0])
    dwl = float(wl_um[1] - wl_um[0]) * 1e-6
    hdus: list[Any] = []
    for ver, slit in enumerate(slits, start=1):
        yy, xx = np.meshgrid(pos, pos, indexing="ij")
        size = (sizes or SLIT_SIZE_ARCSEC)[slit]
        cube = aperture_throughput(*size, wl_um, xx, yy).astype(np.float32)
        width = size[0]
        uniform = (1.0 - (0.02 / width) * 0.2 * (wl_um / 5.3)).astype(np.float32)
        axes = ((-0.5, step), (-0.5, step), (0.6e-6, dwl))
        hdus += pathloss_hdus(ver, {"APERTURE": slit}, cube, axes, uniform)
    hdr = reference_header(
        "pathloss",
        "NIRSPEC",
        description="synthetic fixed-slit pathloss",
        EXP_TYPE=exp_type,
        P_EXP_TY=p_exptype(exp_type),
    )
    return write_reference_fits(path, hdr, hdus, datamodel="PathlossModel")
