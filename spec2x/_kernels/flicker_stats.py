"""Background statistics of clean_flicker_noise: which pixels are background, and their level.

NumPy in, NumPy out; the masks are ``True`` on background pixels (the ones
the noise is fitted to).  The functions return new masks and never change
their arguments.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
from astropy.stats import SigmaClip, sigma_clipped_stats
from astropy.utils.exceptions import AstropyUserWarning

__all__ = ["background_level", "clip_to_background", "default_box_size"]

log = logging.getLogger(__name__)

#: Clipping level (sigma) of the background statistics themselves.
STATS_SIGMA = 3.0


def _clipped(values: np.ndarray, mask: np.ndarray | None = None) -> tuple[float, float, float]:
    """Mean, median and standard deviation after an iterative 3-sigma clip (5 passes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyUserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, median, std = sigma_clipped_stats(values, mask=mask, sigma=STATS_SIGMA)
    return float(mean), float(median), float(std)


def _histogram_peak(values: np.ndarray, center: float, sigma: float) -> tuple[float, float]:
    """Centre and width of a Gaussian fitted to the histogram of ``values`` (2000 bins over
    ``center +- 4 sigma``); the given ones back where the fit cannot be made."""
    from scipy.optimize import curve_fit

    try:
        hist, edges = np.histogram(
            values, bins=2000, range=(center - 4 * sigma, center + 4 * sigma)
        )
    except ValueError:
        log.error("clean_flicker_noise: histogram failed; using the clipped centre and sigma")
        return center, sigma
    mids = (edges[1:] + edges[:-1]) / 2.0
    peak = int(np.argmax(hist))

    def gaussian(x: np.ndarray, amp: float, mean: float, width: float) -> np.ndarray:
        return amp * np.exp(-0.5 * ((x - mean) / width) ** 2)

    bounds = ([0, mids[0], 0], [np.inf, mids[-1], mids[-1] - mids[0]])
    try:
        fitted, _ = curve_fit(
            gaussian, mids, hist, p0=(hist[peak], mids[peak], sigma), bounds=bounds
        )
    except RuntimeError:
        log.error("clean_flicker_noise: Gaussian fit failed; using the clipped centre and sigma")
        return center, sigma
    return float(fitted[1]), float(fitted[2])


def clip_to_background(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    sigma_lower: float = 3.0,
    sigma_upper: float = 2.0,
    fit_histogram: bool = False,
    lower_half_only: bool = False,
) -> np.ndarray:
    """The background mask less the pixels too bright (signal) or too faint (bad) for it.

    Parameters
    ----------
    image : 2-D image (any unit).
    mask : 2-D, True on the background pixels so far.
    sigma_lower, sigma_upper : pixels below ``centre - sigma_lower * sigma`` or above
        ``centre + sigma_upper * sigma`` leave the mask.
    fit_histogram : centre and sigma from a Gaussian fitted to the histogram of the
        background values (else: the 3-sigma clipped median and standard deviation).
    lower_half_only : the statistics of the values below the centre, mirrored about it
        (a distribution with a bright tail, diffuse light).

    Returns
    -------
    The new mask (``mask`` itself, unchanged, when it holds no pixel).
    """
    if not mask.any():
        return mask
    image = image.astype(np.float64)
    mean, median, sigma = _clipped(image, mask=~mask)
    center = mean if fit_histogram else median
    if lower_half_only:
        below = image[mask & (image <= center)] - center
        values = np.concatenate((below, -below)) + center
        mean, median, sigma = _clipped(values)
        center = mean if fit_histogram else median
    else:
        values = image[mask]
    if fit_histogram:
        center, sigma = _histogram_peak(values, center, sigma)
    with np.errstate(invalid="ignore"):
        keep = (image >= center - sigma_lower * sigma) & (image <= center + sigma_upper * sigma)
    return mask & (keep | np.isnan(image))


def default_box_size(shape: tuple[int, ...]) -> list[int]:
    """The largest box side <= 32 dividing each image axis (pixels)."""
    return [max(d for d in range(1, 33) if size % d == 0) for size in shape]


def background_level(
    image: np.ndarray,
    mask: np.ndarray,
    method: str = "median",
    box_size: Sequence[int] | None = None,
) -> tuple[float | np.ndarray, np.ndarray]:
    """The smooth background under the noise, and the mask it was measured on.

    Parameters
    ----------
    image : 2-D image (any unit).
    mask : 2-D, True on the background pixels.
    method : ``"median"`` (one level: the median of the background pixels) or
        ``"model"`` (photutils' ``Background2D``: 3-sigma clipped medians in boxes,
        a 5 x 5 box median filter, interpolated to every pixel).
    box_size : boxes of ``model`` (pixels, ``(y, x)``); the largest divisor <= 32 of each
        axis by default.

    Returns
    -------
    The level (a float, or an image for ``model``; the median of the background when the
    model cannot be made) and the mask less the pixels a 3-sigma clip of the lower half of
    the distribution flags.
    """
    mask = clip_to_background(
        image, mask, sigma_lower=STATS_SIGMA, sigma_upper=STATS_SIGMA, lower_half_only=True
    )
    if method != "model":
        return np.nanmedian(image[mask]), mask
    from photutils.background import Background2D, MedianBackground

    box = list(box_size) if box_size is not None else default_box_size(image.shape)
    if image.shape[0] % box[0] or image.shape[1] % box[1]:
        log.warning(
            "clean_flicker_noise: background box %s does not divide the image %s evenly",
            box, image.shape,
        )  # fmt: skip
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyUserWarning)
            model = Background2D(
                image,
                box_size=box,
                filter_size=(5, 5),
                mask=~mask,
                sigma_clip=SigmaClip(sigma=STATS_SIGMA, maxiters=5),
                bkg_estimator=MedianBackground(),
            )
        return model.background, mask
    except ValueError:
        log.error("clean_flicker_noise: background model failed; using the median level")
        return np.nanmedian(image[mask]), mask
