"""The radial aperture correction of IFU point-source spectra (jwst's ``ApCorrRadial``).

The APCORR reference of the IFU modes (MIRI MRS ``MirMrsApcorrModel``,
NIRSpec IFU ``NrsIfuApcorrModel``, ASDF) tabulates, on a wavelength grid,
the correction for a few aperture radii: ``radius`` and ``apcorr`` are
``(n_radius, n_wavelength)``.  For each cube plane the table is
interpolated to the plane's wavelength (linearly, extrapolated beyond the
table), then to the plane's extraction radius along the radius axis (also
extrapolated).  NumPy only.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import interp1d

__all__ = ["radial_correction"]


def radial_correction(
    table_wavelength: np.ndarray,
    table_radius: np.ndarray,
    table_apcorr: np.ndarray,
    wavelength: np.ndarray,
    radius: np.ndarray,
    *,
    scale: float = 1.0,
) -> np.ndarray:
    """The aperture correction of each cube plane.

    Parameters
    ----------
    table_wavelength : ``(n_wavelength,)`` µm.
    table_radius : ``(n_radius, n_wavelength)`` aperture radii, in the
        table's unit (arcsec for the CRDS files).
    table_apcorr : ``(n_radius, n_wavelength)`` correction factors.
    wavelength : ``(n_planes,)`` the cube's plane wavelengths (µm).
    radius : ``(n_planes,)`` the extraction radius of each plane (spaxels).
    scale : table radius units per spaxel (the cube's spaxel size in arcsec
        for a table in arcsec; 1 for a table in spaxels).

    Returns
    -------
    ``(n_planes,)`` float64 factors (multiply the flux by them).

    Notes
    -----
    As jwst, the table radii are divided by ``scale`` in their own precision
    (float32 in the CRDS files) before any interpolation.
    """
    radii = np.asarray(table_radius)
    radii = (radii / np.asarray(scale, radii.dtype)).astype(radii.dtype, copy=False)
    wave = np.asarray(table_wavelength).ravel()

    def along_wavelength(values: np.ndarray) -> np.ndarray:
        f = interp1d(wave, values, bounds_error=False, fill_value="extrapolate")
        return np.asarray(f(wavelength), np.float64)

    size = np.stack([along_wavelength(r) for r in radii])  # (n_radius, n_planes)
    corr = np.stack([along_wavelength(a) for a in np.asarray(table_apcorr)])
    return _linear_extrapolated(size, corr, np.asarray(radius, np.float64))


def _linear_extrapolated(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Per column ``k``: ``y[:, k]`` as a function of ``x[:, k]`` at ``at[k]``, linear, the end
    segments extended (scipy's ``interp1d(..., fill_value="extrapolate")``, column by column)."""
    order = np.argsort(x, axis=0, kind="stable")
    xs = np.take_along_axis(x, order, axis=0)
    ys = np.take_along_axis(y, order, axis=0)
    n = xs.shape[0]
    hi = np.clip((xs < at[None, :]).sum(axis=0), 1, n - 1)  # searchsorted(side="left")
    cols = np.arange(xs.shape[1])
    x_lo, x_hi = xs[hi - 1, cols], xs[hi, cols]
    y_lo, y_hi = ys[hi - 1, cols], ys[hi, cols]
    slope = (y_hi - y_lo) / (x_hi - x_lo)
    return np.asarray(slope * (at - x_lo) + y_lo, np.float64)
