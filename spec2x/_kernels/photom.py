"""NumPy kernels of ``photom``: response curves, per-pixel conversion, scaling.

As in jwst 3.0.0 (``DataSet.photom_io`` / ``create_2d_conversion``): the
relative response is interpolated linearly at each pixel's wavelength
(NaN wavelengths count as -1 µm), the scalar conversion multiplies it, and
pixels whose wavelength lies outside the tabulated range get a factor of 0 and
``DO_NOT_USE``.  Data and error scale by the factor, variances by its square,
all in float64 and stored as float32.
"""

from __future__ import annotations

import numpy as np

from ..dq import DQ, DQ_DTYPE

__all__ = ["apply_conversion", "conversion", "response_curve", "time_correction"]

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
    wl = np.asarray(wavelength, np.float64)
    wl = np.where(np.isnan(wl), -1.0, wl)
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


def apply_conversion(
    sci: np.ndarray,
    err: np.ndarray,
    dq: np.ndarray,
    var_poisson: np.ndarray,
    var_rnoise: np.ndarray,
    var_flat: np.ndarray,
    factor: np.ndarray,
    no_cal: np.ndarray,
    *,
    inverse: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Multiply (or divide) data and error by ``factor``, variances by ``factor**2``.

    ``factor`` and ``no_cal`` broadcast against the science arrays; where
    ``no_cal`` is set, ``DO_NOT_USE`` is OR-ed into the DQ.

    Returns
    -------
    sci, err, dq, var_poisson, var_rnoise, var_flat.
    """
    factor = np.asarray(factor, np.float64)
    factor2 = factor * factor
    flags = np.where(no_cal, DQ_DTYPE(DQ.DO_NOT_USE), DQ_DTYPE(0))
    out_dq = np.bitwise_or(np.asarray(dq, DQ_DTYPE), flags)
    shape = out_dq.shape
    op = np.divide if inverse else np.multiply
    # One float32 output per array; NumPy does the float64 product in small
    # buffers, so no full-size float64 temporaries are made.
    scaled = []
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for a, f in ((sci, factor), (err, factor)) + tuple(
            (v, factor2) for v in (var_poisson, var_rnoise, var_flat)
        ):
            out = np.empty(shape, np.float32)
            op(np.asarray(a), f, out=out, casting="unsafe", dtype=np.float64)
            scaled.append(out)
    s, e, vp, vr, vf = scaled
    return s, e, out_dq, vp, vr, vf


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
