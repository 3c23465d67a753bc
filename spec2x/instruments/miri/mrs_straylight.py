"""MIRI MRS straylight: the detector cross-artifact and residual cosmic-ray showers (NumPy).

As jwst 3.0.0 (``jwst.straylight.straylight``):

*Cross-artifact* (:func:`correct_xartifact`).  Light scattered inside the
detector substrate spreads each pixel's signal along its row with a profile
of one Lorentzian and two pairs of Gaussians whose widths and amplitudes
(``mrsxartcorr``, one row of the channel's table per detector row) differ
from row to row.  The model of row :math:`j` at column :math:`k` is

.. math::

    M_{jk} = \\sum_{i} f_{ji}\\, K_j(k - i), \\quad
    K_j(d) = \\frac{A_j \\gamma_j^2}{\\gamma_j^2 + d^2}
      + g_{1j} \\sum_\\pm e^{-(d \\mp \\delta_j)^2 / 2\\sigma_j^2}
      + g_{2j} \\sum_\\pm e^{-(d \\mp 2\\delta_j)^2 / 8\\sigma_j^2}

summed over the source columns of the left channel (0-515) with its
table, and of the right channel (516-1023) with its own; :math:`f` is the
data less a first pedestal (sigma-clipped mean of the dark columns between
the channels), 0 where NaN, flagged (DO_NOT_USE, NON_SCIENCE, DEAD, HOT),
below the pedestal plus 3 sigma, or negative.  jwst sums it in C over all
(row, source, target) triples; here each row is one FFT convolution, for
all rows at once.  The model (0 on the 4 reference columns at each edge)
is subtracted, then the pedestal: the sigma-clipped median of the dark
columns of the corrected data.

*Showers* (:func:`clean_showers`, off by default as in jwst): the pixels
between the slices of a regions plane, with DO_NOT_USE or REFERENCE_PIXEL
and the extreme percentiles left out, are smoothed by a 2-D Gaussian and
the result is subtracted everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
from astropy.convolution import Gaussian2DKernel, convolve_fft
from astropy.stats import sigma_clipped_stats
from scipy import fft

from ...dq import DQ, DQ_DTYPE

__all__ = ["clean_showers", "correct_xartifact", "xartifact_model"]

log = logging.getLogger(__name__)

_MASK_FLAGS = DQ_DTYPE(DQ.DO_NOT_USE | DQ.NON_SCIENCE | DQ.DEAD | DQ.HOT)
_SHOWER_FLAGS = DQ_DTYPE(DQ.DO_NOT_USE | DQ.REFERENCE_PIXEL)
#: Source columns of the left and right channel.
_HALVES = ((0, 516), (516, 1024))
#: The dark columns between the channels (x from, to) by CHANNEL; rows 50 ... 973.
_DARK = {"12": (503, 516), "34": (474, 507)}
_DARK_ROWS = (50, 1024 - 50)
#: Channels on the left and right half of the detector, by CHANNEL.
_SIDES = {"12": ("1", "2"), "34": ("4", "3")}
_SUB_BANDS = {"SHORT": "A", "MEDIUM": "B", "LONG": "C"}


def xartifact_model(
    fimg: np.ndarray, imin: int, imax: int, table: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Cross-artifact model of the source columns ``imin <= i < imax`` on every column.

    Parameters
    ----------
    fimg : (ny, nx) flux (DN/s); negative values count as 0.
    imin, imax : the source columns.
    table : per-row ``lor_fwhm lor_scale gau_fwhm gau_xoff gau_scale1
        gau_scale2`` (length ny).

    Returns
    -------
    float64 (ny, nx).
    """
    ny, nx = fimg.shape
    src = np.zeros((ny, nx), np.float64)
    src[:, imin:imax] = np.maximum(fimg[:, imin:imax], 0.0)
    gamma = (table["lor_fwhm"] / 2.0).astype(np.float64)[:, None]
    gstd = (table["gau_fwhm"] / (2 * np.sqrt(2.0 * np.log(2)))).astype(np.float64)[:, None]
    amp = np.asarray(table["lor_scale"], np.float64)[:, None]
    dx = np.asarray(table["gau_xoff"], np.float64)[:, None]
    g1 = np.asarray(table["gau_scale1"], np.float64)[:, None]
    g2 = np.asarray(table["gau_scale2"], np.float64)[:, None]
    d = np.arange(-(nx - 1), nx, dtype=np.float64)[None, :]  # target - source column
    var = gstd * gstd
    kernel = amp * gamma * gamma / (gamma * gamma + d * d)
    kernel += g1 * (np.exp(-((d - dx) ** 2) / (2 * var)) + np.exp(-((d + dx) ** 2) / (2 * var)))
    kernel += g2 * (
        np.exp(-((d - 2 * dx) ** 2) / (8 * var)) + np.exp(-((d + 2 * dx) ** 2) / (8 * var))
    )
    size = fft.next_fast_len(3 * nx - 2, real=True)
    full = fft.irfft(fft.rfft(src, size, axis=1) * fft.rfft(kernel, size, axis=1), size, axis=1)
    return full[:, nx - 1 : 2 * nx - 1]


def _tables(
    tables: Mapping[str, Mapping[str, np.ndarray]], channel: str, band: str
) -> list[Mapping[str, np.ndarray] | None]:
    sub = _SUB_BANDS.get(band)
    sides = _SIDES.get(channel, ())
    return [tables.get(f"{ch}{sub}") if sub else None for ch in sides] or [None, None]


def correct_xartifact(
    sci: np.ndarray,
    dq: np.ndarray,
    tables: Mapping[str, Mapping[str, np.ndarray]],
    channel: str,
    band: str,
) -> np.ndarray:
    """Subtract the cross-artifact model and the inter-channel pedestal from one image.

    Parameters
    ----------
    sci : (1024, 1032) float32 (DN/s).
    dq : (1024, 1032) uint32.
    tables : ``mrsxartcorr`` tables by ``<channel><sub-band>`` (``"1A"``).
    channel : ``CHANNEL`` (``"12"`` or ``"34"``).
    band : ``BAND`` (``SHORT``, ``MEDIUM``, ``LONG``).

    Returns
    -------
    The corrected image (float32); NaN stays NaN.
    """
    usedata = sci.copy()
    mask = np.ones_like(usedata)
    usedata[np.isinf(usedata)] = 0.0
    nan = np.isnan(usedata)
    usedata[nan] = 0.0
    mask[nan] = 0  # as jwst: only NaN (not inf) pixels leave the mask here
    mask[(dq & _MASK_FLAGS) != 0] = 0
    x1, x2 = _DARK.get(channel, _DARK["34"])
    y1, y2 = _DARK_ROWS
    guess, _, rms = sigma_clipped_stats(usedata[y1:y2, x1:x2])
    mask[usedata < guess + 3 * rms] = 0
    fimg = (usedata - guess) * mask
    model = np.zeros(sci.shape, np.float64)
    for (imin, imax), table in zip(_HALVES, _tables(tables, channel, band), strict=True):
        if table is None:
            log.info("straylight: no cross-artifact table for CHANNEL=%s BAND=%s", channel, band)
            continue
        model += xartifact_model(fimg, imin, imax, table)
    model[:, -4:] = 0.0
    model[:, :4] = 0.0
    corrected = (sci - model).astype(np.float32)
    _, pedestal, _ = sigma_clipped_stats((usedata - model)[y1:y2, x1:x2])
    level = np.full(sci.shape, pedestal)
    level[:, -4:] = 0.0
    level[:, :4] = 0.0
    log.info("straylight: pedestal %.6g DN/s", pedestal)
    return (corrected - level).astype(np.float32)


def clean_showers(
    sci: np.ndarray,
    dq: np.ndarray,
    regions: np.ndarray,
    *,
    x_stddev: float = 18.0,
    y_stddev: float = 5.0,
    low_reject: float = 0.1,
    high_reject: float = 99.9,
) -> tuple[np.ndarray, np.ndarray]:
    """Subtract a smooth model of the light between the slices (residual cosmic-ray showers).

    Parameters
    ----------
    sci, dq : one image (float32, uint32).
    regions : slice labels (0 between slices) of the regions plane used.
    x_stddev, y_stddev : Gaussian widths (pixels) of the smoothing kernel.
    low_reject, high_reject : percentiles outside which inter-slice pixels are left out.

    Returns
    -------
    The corrected image (float32) and the shower model (float64).
    """
    usedata = sci.copy()
    usedata[regions != 0] = np.nan
    usedata[(dq & _SHOWER_FLAGS) != 0] = np.nan
    low, high = np.nanpercentile(usedata, low_reject), np.nanpercentile(usedata, high_reject)
    usedata[(usedata < low) | (usedata > high)] = np.nan
    model = convolve_fft(usedata, Gaussian2DKernel(x_stddev=x_stddev, y_stddev=y_stddev))
    return (sci - model).astype(np.float32), model
