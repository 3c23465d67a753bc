"""badpix_selfcal on plain arrays: the outliers of the minimum of several exposures.

As jwst 3.0.0's ``badpix_selfcal``: the exposures (the science and its
selfcal/background members) are combined pixel by pixel with a NaN-ignoring
minimum, after subtracting from each the median of a dark region (MIRI MRS:
the pedestal between the channels); the minimum image less its median-filtered
self is the high-pass image, and its pixels below the ``flagfrac_lower``
quantile or above the ``1 - flagfrac_upper`` quantile are outliers.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["flag_outliers", "median_filter"]

#: Most window elements held at once by :func:`median_filter` (bounds its memory).
_WINDOW_BUDGET = 2**24


def median_filter(image: np.ndarray, kernel: tuple[int, int]) -> np.ndarray:
    """NaN-ignoring running median of a 2-D image over an odd ``(ky, kx)`` box.

    The image is padded with zeros (``kernel // 2`` on each side), as jwst
    (stcal's ``medfilt``) pads it; a box of NaN only gives NaN.  The windows
    are taken in blocks of rows so that memory stays bounded.

    Parameters
    ----------
    image : ``(y, x)``, any unit.
    kernel : box size ``(ky, kx)`` in pixels, each odd.

    Returns
    -------
    ``(y, x)`` array of the image's dtype.
    """
    ky, kx = kernel
    padded = np.pad(image, ((ky // 2, ky // 2), (kx // 2, kx // 2)))
    out = np.empty(image.shape, dtype=image.dtype)
    rows = max(1, _WINDOW_BUDGET // max(1, image.shape[1] * ky * kx))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN", RuntimeWarning)
        for start in range(0, image.shape[0], rows):
            stop = min(start + rows, image.shape[0])
            windows = sliding_window_view(padded[start : stop + ky - 1], (ky, kx))
            out[start:stop] = np.nanmedian(windows, axis=(-2, -1))
    return out


def flag_outliers(
    stack: np.ndarray,
    *,
    pedestal_box: tuple[int, int, int, int] | None,
    flagfrac_lower: float,
    flagfrac_upper: float,
    kernel: tuple[int, int],
) -> np.ndarray:
    """The outlier pixels of the minimum of ``stack``.

    Parameters
    ----------
    stack : ``(member, y, x)`` count rates (DN/s) of the science and its selfcal
        and background exposures (the science first).
    pedestal_box : ``(y0, y1, x0, x1)`` array indices of a dark region whose
        median is subtracted from each member first, or None.
    flagfrac_lower, flagfrac_upper : fractions (0-0.5) of the high-pass image's
        finite pixels flagged at the low and the high end.
    kernel : median-filter box ``(ky, kx)`` (odd pixels).

    Returns
    -------
    bool ``(y, x)``: True where the high-pass minimum image lies outside the
    quantiles (NaN pixels are never flagged).
    """
    stack = np.asarray(stack)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN", RuntimeWarning)
        if pedestal_box is not None:
            y0, y1, x0, x1 = pedestal_box
            pedestal = np.nanmedian(stack[:, y0:y1, x0:x1], axis=(1, 2))
            stack = np.stack([image - level for image, level in zip(stack, pedestal, strict=True)])
        minimum = np.nanmin(stack, axis=0)
    high_pass = minimum - median_filter(minimum, kernel)
    low, high = np.nanpercentile(high_pass, [flagfrac_lower * 100, (1 - flagfrac_upper) * 100])
    return np.asarray((high_pass > high) | (high_pass < low))
