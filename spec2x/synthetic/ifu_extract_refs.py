"""Synthetic IFU extraction references: ``extract1d`` and the radial ``apcorr`` (ASDF) of
MIRI MRS (``MirMrsApcorrModel``) and NIRSpec IFU (``NrsIfuApcorrModel``).

The radius of the point-source aperture grows with wavelength like twice the
MRS PSF's FWHM (about 0.033 lambda + 0.106 arcsec, lambda in µm), the
background annulus from 1.5 to 2.2 radii, ``exact`` overlap, background
subtracted, as the CRDS MIRI MRS file lays it out.  The aperture corrections
are those of a circular Gaussian PSF (:func:`write_mrs_apcorr`,
:func:`write_nrs_ifu_apcorr`); the two files differ only in their selectors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import asdf
import numpy as np

from .base import asdf_meta

__all__ = ["write_ifu_extract1d", "write_mrs_apcorr", "write_nrs_ifu_apcorr"]


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
    return _write(path, {"meta": meta, "data": data})


def write_mrs_apcorr(
    path: str | os.PathLike[str],
    *,
    fwhm: tuple[float, float] = (0.033, 0.106),
    radii_fwhm: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0),
    wavelength: tuple[float, float] = (4.5, 28.5),
) -> Path:
    """Write a MIRI MRS APCORR reference (ASDF, jwst's ``MirMrsApcorrModel``).

    The table of :func:`_radial_table` (a Gaussian PSF of FWHM
    ``fwhm[0] * lambda + fwhm[1]`` arcsec, radii ``radii_fwhm`` FWHMs, 25
    wavelengths over ``wavelength`` µm), for every channel and band.
    """
    meta = asdf_meta("apcorr", "MIRI", exp_type="MIR_MRS", channel="N/A", band="N/A")
    meta["exposure"]["p_exptype"] = "MIR_MRS|"
    meta["model_type"] = "MirMrsApcorrModel"
    table = {"channel": "ANY", "band": "ANY", **_radial_table(fwhm, radii_fwhm, wavelength)}
    return _write(path, {"meta": meta, "apcorr_table": table})


def write_nrs_ifu_apcorr(
    path: str | os.PathLike[str],
    *,
    grating: str = "PRISM",
    filter_name: str = "CLEAR",
    fwhm: tuple[float, float] = (0.0, 0.22),
    radii_fwhm: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0),
    wavelength: tuple[float, float] = (0.5, 5.5),
) -> Path:
    """Write a NIRSpec IFU APCORR reference (ASDF, jwst's ``NrsIfuApcorrModel``).

    Parameters
    ----------
    path : the ASDF file.
    grating, filter_name : its selectors (CRDS picks the file by them; the
        table names them too).
    fwhm : the PSF's FWHM ``fwhm[0] * lambda + fwhm[1]`` (arcsec, lambda in
        µm); the default is the synthetic scene's 0.2" Gaussian as its cube
        sees it (broadened by the 0.1" pixels and spaxels).
    radii_fwhm : the table's radii, in FWHMs.
    wavelength : the range of its 25 wavelengths (µm).
    """
    meta = asdf_meta(
        "apcorr", "NIRSPEC", exp_type="NRS_IFU", grating=grating.upper(),
        filter=filter_name.upper(),
    )  # fmt: skip
    meta["exposure"]["p_exptype"] = "NRS_IFU|"
    meta["model_type"] = "NrsIfuApcorrModel"
    table = {"grating": grating.upper(), "filter": filter_name.upper(),
             **_radial_table(fwhm, radii_fwhm, wavelength)}  # fmt: skip
    return _write(path, {"meta": meta, "apcorr_table": table})


def _radial_table(
    fwhm: tuple[float, float], radii_fwhm: tuple[float, ...], wavelength: tuple[float, float]
) -> dict[str, Any]:
    """The ``apcorr_table`` arrays of a circular Gaussian PSF of FWHM ``fwhm[0] * lambda +
    fwhm[1]`` arcsec: an aperture of ``f`` FWHMs encloses ``1 - 2**(-4 f**2)`` of the flux,
    the table holds its inverse for the radii ``radii_fwhm`` FWHMs (arcsec) on 25
    wavelengths over ``wavelength`` (µm); ``radius`` and ``apcorr`` are (n_radius, 25)."""
    wave = np.linspace(*wavelength, 25).astype(np.float32)
    width = fwhm[0] * wave.astype(np.float64) + fwhm[1]
    f = np.asarray(radii_fwhm, np.float64)[:, None]
    radius = (f * width[None, :]).astype(np.float32)
    apcorr = (1.0 / (1.0 - 2.0 ** (-4.0 * f**2)) * np.ones_like(width)).astype(np.float32)
    return {
        "wavelength": wave, "wavelength_units": "micron",
        "radius": radius, "radius_units": "arcsec",
        "apcorr": apcorr, "apcorr_err": np.zeros_like(apcorr),
    }  # fmt: skip


def _write(path: str | os.PathLike[str], tree: dict[str, Any]) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    # inline arrays: jwst reads the table after closing the file
    asdf.AsdfFile(tree).write_to(tmp, all_array_storage="inline")
    os.replace(tmp, path)
    return path
