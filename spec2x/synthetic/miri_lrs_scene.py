"""The noiseless MIRI LRS scene of :mod:`.miri_lrs`: source, background, trace and count rates.

The source spectrum in MJy, spread across the slit by a pixel-integrated
Gaussian centred where the WCS puts the target, divided by the slit
throughput (fixed slit), the pixel area and the photometric conversion, times
the flat; the background likewise, only where the slit lets it in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from scipy.special import erf

from ..instruments.miri.lrs_wcs import lrs_wcs, pixel_wavelength
from .miri_lrs_optics import LrsOptics

__all__ = ["Scene", "conversion", "pathloss_at_centre", "render", "source_spectrum"]


def source_spectrum(wavelength: Any, flux_10um: float = 5e-9) -> np.ndarray:
    """Truth F_nu (MJy): a Rayleigh-Jeans slope with a 9.7 µm silicate absorption band."""
    wl = np.asarray(wavelength, dtype=np.float64)
    return flux_10um * (wl / 10.0) ** -2 * (1.0 - 0.2 * np.exp(-0.5 * ((wl - 9.7) / 0.8) ** 2))


def _profile(x: np.ndarray, centre: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Pixel-integrated unit Gaussian: (rows, cols) fraction of each row's light in each pixel."""
    s = np.sqrt(2.0) * sigma[:, None]
    return 0.5 * (
        erf((x[None, :] + 0.5 - centre[:, None]) / s)
        - erf((x[None, :] - 0.5 - centre[:, None]) / s)
    )


def _table_interp(wavelength: np.ndarray, grid: np.ndarray, values: np.ndarray) -> np.ndarray:
    order = np.argsort(grid)
    return np.interp(wavelength, grid[order], values[order], left=np.nan, right=np.nan)


@dataclass
class Scene:
    rate: np.ndarray  # DN/s, (ny, nx), noiseless, source part
    background: np.ndarray  # DN/s, (ny, nx)
    rows: np.ndarray
    source_x: np.ndarray


def render(
    attrs: dict[str, Any], refs: dict[str, Path], optics: LrsOptics, flux_10um: float
) -> Scene:
    exp_type = attrs["EXP_TYPE"]
    ny, nx = attrs["SUBSIZE2"], attrs["SUBSIZE1"]
    wcs = lrs_wcs(attrs, refs["distortion"], refs["specwcs"])
    y = np.arange(ny, dtype=np.float64)
    x = np.arange(nx, dtype=np.float64)
    (xlo, xhi), _ = wcs.bounding_box.bounding_box(order="F")
    wl_row = pixel_wavelength(wcs, y, 0.5 * (xlo + xhi))
    on = np.isfinite(wl_row)
    rows = y[on]
    wl = wl_row[on]
    xs, _ = wcs.invert(
        np.full(wl.shape, attrs["TARG_RA"]), np.full(wl.shape, attrs["TARG_DEC"]), wl
    )
    sigma = optics.psf_sigma(wl)
    throughput = np.ones_like(wl)
    if exp_type == "MIR_LRS-FIXEDSLIT":
        throughput = 1.0 / pathloss_at_centre(refs["pathloss"], wl)
    conv = conversion(refs["photom"], attrs["SUBARRAY"], wl)
    flat = fits.getdata(refs["flat"], "SCI").astype(np.float64)
    flat = np.where(np.isfinite(flat) & (flat > 0), flat, 1.0)
    source_sb = source_spectrum(wl, flux_10um) * throughput / optics.pixar_sr  # MJy/sr per row
    source = np.zeros((ny, nx))
    source[on] = source_sb[:, None] * _profile(x, xs, sigma) / conv[:, None]
    background = np.zeros((ny, nx))
    sky = optics.background(wl) / conv
    if exp_type == "MIR_LRS-FIXEDSLIT":
        # light enters only through the slit: |alpha| <= half the slit length
        yy, xx = np.meshgrid(rows, x, indexing="ij")
        alpha = wcs.get_transform("detector", "alpha_beta")(xx, yy, with_bounding_box=False)[0]
        background[on] = sky[:, None] * (np.abs(alpha) <= optics.slit_length / 2)
    else:
        background[on] = sky[:, None]
    source_x = np.full(ny, np.nan)
    source_x[on] = xs
    return Scene(source * flat, background * flat, y, source_x)


def pathloss_at_centre(path: Path, wavelength: np.ndarray) -> np.ndarray:
    """Pathloss correction for a source centred across the slit, interpolated like jwst."""
    with fits.open(path) as hdul:
        hdu = hdul["PATHLOSS"]
        centre = int(
            round((0.0 - hdu.header["CRVAL2"]) / hdu.header["CDELT2"] + hdu.header["CRPIX2"] - 1)
        )
        grid = np.asarray(hdu.data["WAVELENGTH"], np.float64)
        corr = np.asarray(hdu.data["PATHLOSS"][:, centre, 0], np.float64)
    return _table_interp(wavelength, grid, corr)


def conversion(path: Path, subarray: str, wavelength: np.ndarray) -> np.ndarray:
    """PHOTMJSR x relative response at ``wavelength`` for the photom row of ``subarray``."""
    with fits.open(path) as hdul:
        phot = hdul["PHOTOM"].data
        row = [i for i, s in enumerate(phot["subarray"]) if s.strip() == subarray][0]
        nelem = (
            int(phot["nelem"][row]) if "nelem" in phot.names and phot["nelem"][row] > 0 else None
        )
        waves = np.asarray(phot["wavelength"][row][:nelem], np.float64)
        resp = np.asarray(phot["relresponse"][row][:nelem], np.float64)
        return float(phot["photmjsr"][row]) * _table_interp(wavelength, waves, resp)
