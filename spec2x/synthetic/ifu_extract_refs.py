"""Synthetic IFU extraction references: ``extract1d`` and the MIRI MRS ``apcorr`` (ASDF).

The radius of the point-source aperture grows with wavelength like twice the
MRS PSF's FWHM (about 0.033 lambda + 0.106 arcsec, lambda in µm), the
background annulus from 1.5 to 2.2 radii, ``exact`` overlap, background
subtracted, as the CRDS MIRI MRS file lays it out.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import asdf
import numpy as np

from .base import asdf_meta

__all__ = ["write_ifu_extract1d", "write_mrs_apcorr"]


def write_ifu_extract1d(
    path: str | os.PathLike[str],
    *,
    instrument: str = "MIRI",
    exp_type: str = "MIR_MRS",
    subtract_background: bool = True,
    method: str = "exact",
    wavelength: tuple[float, float] = (4.5, 28.5),
) -> Path:
    """Write the IFU extract1d reference and return its path.

    Parameters
    ----------
    path : the ASDF file.
    instrument, exp_type : its selectors.
    subtract_background : the file's default for point sources.
    method : photutils' overlap (``exact``, ``subpixel``, ``center``).
    wavelength : the range of its table (µm).
    """
    wave = np.linspace(*wavelength, 25).astype(np.float32)
    radius = (2.0 * (0.033 * wave + 0.106)).astype(np.float32)
    meta = asdf_meta("extract1d", instrument, exp_type=exp_type)
    meta["exposure"]["p_exptype"] = f"{exp_type}|"
    meta.update(region_type="target", subtract_background=subtract_background, method=method,
                subpixels=10, model_type="Extract1dIFUModel")  # fmt: skip
    data: dict[str, Any] = {
        "wavelength": wave, "wavelength_units": "micron",
        "radius": radius, "radius_units": "arcsec",
        "inner_bkg": (1.5 * radius).astype(np.float32), "inner_bkg_units": "arcsec",
        "outer_bkg": (2.2 * radius).astype(np.float32), "outer_bkg_units": "arcsec",
        "axis_ratio": np.ones_like(wave), "axis_pa": np.zeros_like(wave), "axis_pa_units": "deg",
    }  # fmt: skip
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    # inline arrays: jwst reads the table after closing the file
    asdf.AsdfFile({"meta": meta, "data": data}).write_to(tmp, all_array_storage="inline")
    os.replace(tmp, path)
    return path


def write_mrs_apcorr(
    path: str | os.PathLike[str],
    *,
    fwhm: tuple[float, float] = (0.033, 0.106),
    radii_fwhm: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0),
    wavelength: tuple[float, float] = (4.5, 28.5),
) -> Path:
    """Write a MIRI MRS APCORR reference (ASDF, jwst's ``MirMrsApcorrModel``).

    The correction is that of a circular Gaussian PSF of FWHM
    ``fwhm[0] * lambda + fwhm[1]`` arcsec (lambda in µm; the synthetic
    scene's): for an aperture of ``f`` FWHMs it encloses ``1 - 2**(-4 f**2)``
    of the flux, and the table holds the inverse, for the radii
    ``radii_fwhm`` FWHMs (arcsec) on 25 wavelengths over ``wavelength``.
    """
    wave = np.linspace(*wavelength, 25).astype(np.float32)
    width = fwhm[0] * wave.astype(np.float64) + fwhm[1]
    f = np.asarray(radii_fwhm, np.float64)[:, None]
    radius = (f * width[None, :]).astype(np.float32)
    apcorr = (1.0 / (1.0 - 2.0 ** (-4.0 * f**2)) * np.ones_like(width)).astype(np.float32)
    meta = asdf_meta("apcorr", "MIRI", exp_type="MIR_MRS", channel="N/A", band="N/A")
    meta["exposure"]["p_exptype"] = "MIR_MRS|"
    meta["model_type"] = "MirMrsApcorrModel"
    table: dict[str, Any] = {
        "channel": "ANY", "band": "ANY",
        "wavelength": wave, "wavelength_units": "micron",
        "radius": radius, "radius_units": "arcsec",
        "apcorr": apcorr, "apcorr_err": np.zeros_like(apcorr),
    }  # fmt: skip
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    asdf.AsdfFile({"meta": meta, "apcorr_table": table}).write_to(tmp, all_array_storage="inline")
    os.replace(tmp, path)
    return path
