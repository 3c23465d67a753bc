"""NumPy kernels of ``photom``: response curves, per-pixel conversion, scaling.

As in jwst 3.0.0 (``DataSet.photom_io`` / ``create_2d_conversion``): the
relative response is interpolated linearly at each pixel's wavelength
(NaN wavelengths count as -1 µm), the scalar conversion multiplies it, and
pixels whose wavelength lies outside the tabulated range get a factor of 0 and
``DO_NOT_USE``.  Scaling the data by the factor is
:func:`spec2x._kernels.scale.scale` (float64 factor: computed in float64).
"""

from __future__ import annotations

import numpy as np

__all__ = ["conversion", "dispersion", "grism_conversion", "response_curve", "time_correction"]

#: Wavelengths below this are taken to be in metres (jwst's "100 microns").
_MICRONS_100 = 1.0e-4


def response_curve(
    wavelength: np.ndarray, relresponse: np.ndarray, nelem: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The usable part of one table row's response curve, in increasing µm.

    Keeps the first ``nelem`` elements, sorts by wavelength when not already
    strictly increasing, and converts metres to µm when the largest
    wavelength is below 1e-4.
    """
    waves = np.asarray(wavelength)
    resp = np.asarray(relresponse)
    if nelem is not None:
        waves, resp = waves[:nelem], resp[:nelem]
    if not np.all(np.diff(waves) > 0):
        order = np.argsort(waves)
        waves, resp = waves[order], resp[order]
    waves = waves.copy()
    if 0.0 < waves.max() < _MICRONS_100:
        waves *= 1.0e6
    return waves, resp


def conversion(
    wavelength: np.ndarray, waves: np.ndarray, relresps: np.ndarray, scalar: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel conversion factor and its "no calibration" mask.

    Parameters
    ----------
    wavelength : (..., ny, nx) µm, NaN where a pixel has none.
    waves, relresps : (..., n) response curves, one per leading index (NaN
        padding at the end is ignored), or (n,) for all pixels.
    scalar : (...) scalar conversion per leading index, or a scalar.

    Returns
    -------
    factor (float64, 0 where uncalibrated) and the bool mask of uncalibrated pixels.
    """
    wl = np.array(wavelength, np.float64)  # a copy: filled in place
    np.copyto(wl, -1.0, where=np.isnan(wl))
    waves = np.asarray(waves)
    relresps = np.asarray(relresps)
    lead = wl.shape[:-2]
    if waves.ndim == 1:
        rel = np.interp(wl, waves, relresps, left=np.nan, right=np.nan)
    else:
        waves = np.broadcast_to(waves, lead + waves.shape[-1:])
        relresps = np.broadcast_to(relresps, lead + relresps.shape[-1:])
        rel = np.empty(wl.shape, np.float64)
        for idx in np.ndindex(*lead):
            good = ~np.isnan(waves[idx])
            rel[idx] = np.interp(
                wl[idx], waves[idx][good], relresps[idx][good], left=np.nan, right=np.nan
            )
    scalar = np.asarray(scalar)
    factor = scalar.reshape(scalar.shape + (1, 1)) * rel
    no_cal = np.isnan(rel)
    factor[no_cal] = 0.0
    return factor, no_cal


def time_correction(
    mid_time: float, coefficients: dict[str, dict[str, np.ndarray]], row: int
) -> float:
    """Multiplicative throughput-loss correction of one table row at MJD ``mid_time``.

    ``coefficients`` holds the TIMECOEFF_LINEAR / _EXPONENTIAL / _POWERLAW
    tables (keys ``linear``, ``exponential``, ``powerlaw``); present ones multiply.
    """
    corr = 1.0
    if "linear" in coefficients:
        c = coefficients["linear"]
        corr *= 1.0 - c["lossperyear"][row] * (mid_time - c["t0"][row]) / 365.0
    if "exponential" in coefficients:
        c = coefficients["exponential"]
        corr *= (
            c["amplitude"][row] * np.exp(-(mid_time - c["t0"][row]) / c["tau"][row])
            + c["const"][row]
        )
    if "powerlaw" in coefficients:
        c = coefficients["powerlaw"]
        norm = ((365.0 + c["tsoft"][row]) ** c["alpha"][row]) / c["year1value"][row]
        corr *= ((mid_time - c["t0"][row] + c["tsoft"][row]) ** c["alpha"][row]) / norm
    return float(corr)


def dispersion(
    wavelength: np.ndarray, ysize: np.ndarray, xsize: np.ndarray, dispaxis: int
) -> np.ndarray:
    """|dλ/dpixel| (µm per pixel) along the dispersion axis of each cut-out, as jwst's photom.

    Parameters
    ----------
    wavelength : (..., ny, nx) µm, NaN where a pixel has none (counted as -1
        µm, as jwst does), each cut-out in the corner of a padded plane.
    ysize, xsize : (...) each cut-out's own size (the gradient's edges are its edges).
    dispaxis : 1 (along x) or 2 (along y).

    Returns
    -------
    (..., ny, nx) of the dtype of ``wavelength`` (jwst takes the gradient of
    its float32 wavelengths); NaN in the padding.
    """
    wl = np.where(np.isnan(wavelength), np.asarray(-1.0, wavelength.dtype), wavelength)
    out = np.full(wl.shape, np.nan, wl.dtype)
    lead = wl.shape[:-2]
    ys = np.broadcast_to(ysize, lead)
    xs = np.broadcast_to(xsize, lead)
    axis = 1 if dispaxis == 1 else 0
    for idx in np.ndindex(*lead):
        ny, nx = int(ys[idx]), int(xs[idx])
        plane = wl[idx][:ny, :nx]
        if plane.shape[axis] > 1:
            out[idx][:ny, :nx] = np.abs(np.gradient(plane, axis=axis))
    return out


def grism_conversion(
    wavelength: np.ndarray,
    waves: np.ndarray,
    relresps: np.ndarray,
    scalar: np.ndarray,
    ysize: np.ndarray,
    xsize: np.ndarray,
    dispaxis: int,
) -> tuple[np.ndarray, np.ndarray]:
    """A grism's conversion per pixel: :func:`conversion` over :func:`dispersion` (jwst's
    ``include_dispersion``: the response is per µm, a pixel spans |dλ/dpixel| µm).

    Parameters are those of :func:`conversion` and :func:`dispersion`; each cut-out
    (leading index) is computed on its own, so the temporaries are one cut-out's
    however many a group holds.

    Returns
    -------
    factor (float64; 0 where uncalibrated or where the quotient is NaN, as in the
    padding) and the bool mask of those pixels.
    """
    wavelength = np.asarray(wavelength)
    lead = wavelength.shape[:-2]
    waves, relresps = np.asarray(waves), np.asarray(relresps)
    per_slit = waves.ndim > 1
    if per_slit:
        waves = np.broadcast_to(waves, lead + waves.shape[-1:])
        relresps = np.broadcast_to(relresps, lead + relresps.shape[-1:])
    scalars = np.broadcast_to(np.asarray(scalar), lead)
    ys, xs = np.broadcast_to(ysize, lead), np.broadcast_to(xsize, lead)
    factor = np.empty(wavelength.shape, np.float64)
    no_cal = np.empty(wavelength.shape, bool)
    for idx in np.ndindex(*lead):
        wl = wavelength[idx][None]
        curve = (waves[idx][None], relresps[idx][None]) if per_slit else (waves, relresps)
        plane, bad = conversion(wl, *curve, scalars[idx][None])
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(plane, dispersion(wl, ys[idx][None], xs[idx][None], dispaxis), out=plane)
        np.logical_or(bad, np.isnan(plane), out=bad)
        plane[bad] = 0.0
        factor[idx], no_cal[idx] = plane[0], bad[0]
    return factor, no_cal
