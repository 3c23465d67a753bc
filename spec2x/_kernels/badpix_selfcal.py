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


def _nanmedian_last(values: np.ndarray) -> np.ndarray:
    """NaN-ignoring median along the last axis, by sorting (NaN sort last).

    The same numbers as ``np.nanmedian`` on axes shorter than 600 (NumPy's masked
    median): the middle value, or the two middle values' sum halved in the input's
    dtype; NaN where all are NaN.
    """
    ordered = np.sort(values, axis=-1)
    count = np.count_nonzero(~np.isnan(values), axis=-1)[..., None]
    high = count // 2
    low = np.where(count % 2 == 1, high, high - 1)
    top = values.shape[-1] - 1
    pair = [np.take_along_axis(ordered, np.clip(i, 0, top), axis=-1)[..., 0] for i in (low, high)]
    median = (pair[0] + pair[1]) / values.dtype.type(2)
    return np.where(count[..., 0] == 0, values.dtype.type(np.nan), median)


def median_filter(image: np.ndarray, kernel: tuple[int, int]) -> np.ndarray:
    """NaN-ignoring running median of a 2-D image over an odd ``(ky, kx)`` box.

    The image is padded with zeros (``kernel // 2`` on each side), as jwst
    (stcal's ``medfilt``) pads it; a box of NaN only gives NaN.  The windows
    are taken in blocks of rows so that memory stays bounded.

    Parameters
    ----------
    image : ``(y, x)`` float, any unit.
    kernel : box size ``(ky, kx)`` in pixels, each odd.

    Returns
    -------
    ``(y, x)`` array of the image's dtype.
    """
    ky, kx = kernel
    padded = np.pad(image, ((ky // 2, ky // 2), (kx // 2, kx // 2)))
    out = np.empty(image.shape, dtype=image.dtype)
    rows = max(1, _WINDOW_BUDGET // max(1, image.shape[1] * ky * kx))
    for start in range(0, image.shape[0], rows):
        stop = min(start + rows, image.shape[0])
        windows = sliding_window_view(padded[start : stop + ky - 1], (ky, kx))
        out[start:stop] = _nanmedian_last(windows.reshape(*windows.shape[:2], ky * kx))
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
