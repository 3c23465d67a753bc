"""NumPy kernels of the NIRSpec wavelength zero-point correction (wavecorr).

A point source off the centre of a slit, along the dispersion direction, is
imaged off the slit centre, so the wavelengths assigned for a centred source
are off by a fraction of a pixel's dispersion.  The reference gives that
offset (pixels) versus wavelength and source position; per slit:

1. column means over y of the wavelength (m) and of the dispersion (m/pixel);
2. corrected column wavelengths ``lam + offset(lam, xpos) * dispersion``;
3. every pixel's wavelength mapped through the piecewise-linear curve
   column-mean -> corrected (extrapolated linearly beyond its ends).

As jwst 3.0.0 ``jwst.wavecorr.wavecorr`` (``calculate_wavelength_correction_transform``);
the offset table is evaluated with ``scipy.interpolate.interpn`` (linear,
extrapolating), as astropy's ``Tabular2D`` does.  No xarray here.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy.interpolate import interpn

__all__ = ["correction_curve", "dispersion_from_wavelength", "zero_point_correction"]

#: (wavelength grid m, position grid, offset table pixels) of one aperture.
OffsetTable = tuple[np.ndarray, np.ndarray, np.ndarray]


def dispersion_from_wavelength(wavelength: np.ndarray) -> np.ndarray:
    """Wavelength step per pixel along x (same units), by finite differences.

    Central difference ``(λ[x+1] - λ[x-1]) / 2`` where both neighbours have a
    wavelength, the one-sided difference where only one has, NaN otherwise.
    jwst evaluates the WCS at ``x ± 0.5``; for a smooth dispersion relation the
    two differ by ``λ''' / 8`` -- far below a part in 10^5 of the dispersion.
    """
    wl = np.asarray(wavelength, np.float64)
    fwd = np.full(wl.shape, np.nan)
    bwd = np.full(wl.shape, np.nan)
    fwd[..., :-1] = wl[..., 1:] - wl[..., :-1]
    bwd[..., 1:] = wl[..., 1:] - wl[..., :-1]
    central = 0.5 * (fwd + bwd)
    out = np.where(np.isnan(central), np.where(np.isnan(fwd), bwd, fwd), central)
    return np.where(np.isnan(wl), np.nan, out)


def correction_curve(
    wavelength_m: np.ndarray, dispersion_m: np.ndarray, xpos: float, table: OffsetTable
) -> tuple[np.ndarray, np.ndarray] | None:
    """Column-mean wavelengths of one slit and their corrected values (both m).

    Parameters
    ----------
    wavelength_m, dispersion_m : (y, x) wavelength and dispersion of one slit (m).
    xpos : source position along the dispersion, in units of the slit width.
    table : the aperture's offset table.

    Returns
    -------
    (lam_mean, lam_corrected) over the columns with a wavelength, or None if
    the corrected wavelengths do not increase monotonically (no correction).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lam_mean = np.nanmean(wavelength_m, axis=0)
        disp_mean = np.nanmean(dispersion_m, axis=0)
    keep = ~(np.isnan(lam_mean) | np.isnan(disp_mean))
    lam_mean, disp_mean = lam_mean[keep], disp_mean[keep]
    if lam_mean.size < 2 or not np.isfinite(xpos):
        return None
    points = np.column_stack([lam_mean, np.full(lam_mean.shape, xpos)])
    offset = interpn(
        (table[0], table[1]), table[2], points, method="linear", bounds_error=False, fill_value=None
    )
    lam_corr = lam_mean + offset * disp_mean
    if not (np.all(np.diff(lam_corr) > 0) and np.all(np.diff(lam_mean) > 0)):
        return None
    return lam_mean, lam_corr


def zero_point_correction(
    wavelength: np.ndarray,
    dispersion: np.ndarray,
    xpos: np.ndarray,
    aperture: np.ndarray,
    *,
    tables: Sequence[OffsetTable],
) -> tuple[np.ndarray, np.ndarray]:
    """Corrected wavelengths of every slit.

    Parameters
    ----------
    wavelength : (slit, y, x) wavelengths (µm), NaN where none.
    dispersion : (slit, y, x) wavelength step per pixel (µm).
    xpos : (slit,) source position (fraction of the slit width, 0 = centre).
    aperture : (slit,) index into ``tables``; -1 leaves the slit unchanged.
    tables : offset table of each aperture.

    Returns
    -------
    wavelength (µm, float64) and a (slit,) bool: which slits were corrected.
    """
    out = np.array(wavelength, dtype=np.float64, copy=True)
    done = np.zeros(out.shape[0], bool)
    for s in range(out.shape[0]):
        if aperture[s] < 0:
            continue
        lam = wavelength[s] * 1e-6
        curve = correction_curve(lam, dispersion[s] * 1e-6, float(xpos[s]), tables[aperture[s]])
        if curve is None:
            continue
        lam_mean, lam_corr = curve
        flat = lam.ravel()
        good = ~np.isnan(flat)
        new = np.full(flat.shape, np.nan)
        new[good] = interpn(
            (lam_mean,), lam_corr, flat[good], method="linear", bounds_error=False, fill_value=None
        )
        out[s] = new.reshape(lam.shape) * 1e6
        done[s] = True
    return out, done
