"""Fits of the flicker (1/f) noise of one background-subtracted image.

``median_stripes``: the median of the background pixels along the slow readout
axis (by amplifier channel if asked).  ``nsclean_full_frame`` and
``nsclean_subarray``: NSClean (Rauscher 2024), the noise as a few low (and,
for subarrays, Nyquist) Fourier frequencies of the pixel readout sequence,
fitted by weighted least squares to the background pixels.  NumPy in, NumPy
out; images in the science (DMS) orientation, masks True on background.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["lowpass", "median_stripes", "nsclean_full_frame", "nsclean_subarray"]

#: NIR full frame: four amplifier channels of 512 pixels across the slow axis.
CHANNEL_SIZE, FULL_SIZE = 512, 2048


def median_stripes(image: np.ndarray, mask: np.ndarray, axis: int, by_channel: bool) -> np.ndarray:
    """The noise as the median of the background pixels along ``axis`` (0 or 1).

    Parameters
    ----------
    image : 2-D image (any unit), its background removed.
    mask : True on the background pixels.
    axis : array axis the medians run along (0: one value per column).
    by_channel : a median per 512-pixel amplifier channel of a 2048-pixel axis.

    Returns
    -------
    The noise image (0 where a stripe holds no background pixel), ``image``'s dtype.
    """
    values = np.where(mask, image, np.nan)
    size = image.shape[axis]
    step = CHANNEL_SIZE if by_channel and size == FULL_SIZE else size
    noise = np.zeros_like(image)
    for start in range(0, size, step):
        part = [slice(None), slice(None)]
        part[axis] = slice(start, start + step)
        block = values[tuple(part)]
        with np.errstate(invalid="ignore"):
            empty = ~np.isfinite(block).any(axis=axis, keepdims=True)
            level = np.nanmedian(np.where(empty, 0.0, block), axis=axis, keepdims=True)
        noise[tuple(part)] = np.broadcast_to(np.where(empty, 0.0, level), block.shape)
    return noise


def lowpass(f_half: float, width: float, n: int) -> np.ndarray:
    """Gain at the rfft frequencies of ``n`` samples: 1 below ``f_half - width/2``, a cosine
    roll-off to 0 at ``f_half + width/2`` (frequencies in 1/sample)."""
    freq = np.fft.rfftfreq(n)
    roll = (1 + np.cos(np.pi * (freq - f_half) / width + np.pi / 2)) / 2
    gain = np.where(freq <= f_half - width / 2, 1.0, roll)
    return np.where(freq <= f_half + width / 2, gain, 0.0)


def _to_detector(a: np.ndarray, detector: str) -> np.ndarray:
    """DMS -> detector orientation (readout along rows): transpose, NRS2 also flipped."""
    return a.T if detector == "NRS1" else a.T[::-1]


def _to_science(a: np.ndarray, detector: str) -> np.ndarray:
    return a.T if detector == "NRS1" else a[::-1].T


def _centred_gaussian(n: int, sigma: float, dtype: type = np.float64) -> np.ndarray:
    """A normalised Gaussian over ``n`` samples centred on ``n // 2 + 1``, then shifted so
    that centre lands on sample 1 (a convolution with it moves the result by one sample);
    its exponential evaluated in ``dtype`` (NSClean's subarray weights use float32)."""
    x: np.ndarray = np.arange(n, dtype=dtype)
    mu, width = dtype(n // 2 + 1), dtype(sigma)
    g = np.exp(-((x - mu) ** 2) / width**2 / 2) / width / np.sqrt(2 * np.pi)
    return np.fft.ifftshift(g)


def _robust_fill(d: np.ndarray, good: np.ndarray, nsig: float) -> np.ndarray:
    """Each row's values outside ``median +- nsig * 1.4826 MAD`` of its good pixels -> median."""
    vals = np.where(good, d, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without a background pixel
        mu = np.nanmedian(vals, axis=1, keepdims=True)
        sig = 1.4826 * np.nanmedian(np.abs(vals - mu), axis=1, keepdims=True)
    inside = (d >= mu - nsig * sig) & (d <= mu + nsig * sig)
    return np.where(inside, d, mu)


def nsclean_full_frame(image: np.ndarray, mask: np.ndarray, detector: str) -> np.ndarray:
    """The NSClean noise model of a full-frame NIRSpec image (science orientation).

    Each readout line (detector rows 4 ... 2043) is fitted with the Fourier
    frequencies below 1/256 + 1/2048 cycles per pixel, weighted by the inverse
    local density of background pixels (a Gaussian of 32 pixels along the
    line), outliers (3 sigma, MAD) set to the line median; the fitted lines are
    apodised (cosine roll-off from 1/256 - 1/2048) and smoothed along the
    dispersion by a Gaussian of 1.5 pixels, as NSClean "buffs" them.

    Raises
    ------
    numpy.linalg.LinAlgError
        A line's normal equations are singular.
    """
    data = _to_detector(image, detector).astype(np.float64)
    good = _to_detector(mask, detector)
    ny, nx = good.shape
    f_half, width = 1 / (2 * FULL_SIZE / 16), 1 / (2 * FULL_SIZE / 16) / 4
    apodizer = lowpass(f_half, width, nx)
    nvec = int(np.sum(apodizer > 0))
    # the density as NSClean computes it, a 2-D float32 FFT convolution with the Gaussian put
    # on row 1: far from any background pixel it is rounding noise, and so are the weights
    # there (jwst's values, kept; a float64 density changes them by orders of magnitude)
    kernel = np.zeros((ny, nx), np.float32)
    kernel[1] = _centred_gaussian(nx, 32.0)
    density = np.fft.irfft2(np.fft.rfft2(good.astype(np.float32)) * np.fft.rfft2(kernel), (ny, nx))
    with np.errstate(divide="ignore"):
        weight = 1 / density
    weight = np.where(good & np.isfinite(weight), weight, 0.0)
    rows = np.arange(ny)[4:-4]
    rows = rows[good[rows].any(axis=1)]
    g, w = good[rows], weight[rows]
    n = g.sum(axis=1)[:, None, None].astype(np.float64)
    d = _robust_fill(data[rows], g, 3.0)
    w2 = np.where(g, w * w, 0.0)
    # normal equations of A = diag(w) B, B_xk = exp(2 pi i x k / nx) / n, one line each:
    # (A^H A)_kl = sum_x w^2 exp(-2 pi i x (k - l) / nx) / n^2, a Toeplitz matrix of fft(w^2)
    k = np.arange(nvec)
    lhs = np.fft.fft(w2, axis=1)[:, (k[:, None] - k[None, :]) % nx] / n**2
    rhs = np.fft.fft(w2 * d, axis=1)[:, :nvec] / n[:, :, 0]
    coef = np.linalg.solve(lhs, rhs[..., None])[..., 0]
    spectrum = np.zeros((rows.size, nx // 2 + 1), np.complex128)
    spectrum[:, :nvec] = coef * (nx / n[:, :, 0]) * apodizer[:nvec]
    model = np.zeros((ny, nx))
    model[rows] = np.fft.irfft(spectrum, nx, axis=1)
    buff = np.fft.rfft(_centred_gaussian(ny, 1.5))[:, None]
    model = np.roll(np.fft.irfft(np.fft.rfft(model, axis=0) * buff, ny, axis=0), 1, axis=1)
    return _to_science(model, detector)


#: NIR readout: pixel dwell time (s) and the new-line overhead (pixels) of each row.
TPIX, NEW_LINE = 10.0e-6, 12


def subarray_apodizer(freq: np.ndarray, fc: tuple[float, float, float, float]) -> np.ndarray:
    """Gain at readout frequencies ``freq`` (Hz): 1 below ``fc[0]``, a cosine roll-off to 0 at
    ``fc[1]``, 0 up to ``fc[2]``, a cosine roll-on to 1 at ``fc[3]`` (Nyquist: alternating
    column noise), 1 above."""
    f0, f1, f2, f3 = (np.float32(f) for f in fc)
    gain = np.zeros(freq.shape, np.float32)
    gain[freq < f0] = 1.0
    off = (f0 <= freq) & (freq < f1)
    gain[off] = 0.5 * (np.cos((np.pi / (f1 - f0)) * (freq[off] - f0)) + 1)
    on = (f2 <= freq) & (freq < f3)
    gain[on] = 0.5 * (np.cos((np.pi / (f3 - f2)) * (freq[on] - f2) + np.pi) + 1)
    gain[freq >= f3] = 1.0
    return gain


def _section_model(
    data: np.ndarray, good: np.ndarray, fc: tuple[float, float, float, float]
) -> np.ndarray:
    """NSClean's weighted fit of the readout frequencies the apodizer passes to one band of
    rows (detector orientation), the weights the inverse local density of background
    pixels in readout time (a Gaussian of a quarter of the roll-off's period)."""
    ny, nx = good.shape
    n = ny * (nx + NEW_LINE)
    freq = np.fft.rfftfreq(n, TPIX).astype(np.float32)
    gain = subarray_apodizer(freq, fc)
    k = np.flatnonzero(gain > 0)
    sigma = 1 / ((fc[0] + fc[1]) / 2) / TPIX / 2 / 4
    timeline = np.hstack((good, np.zeros((ny, NEW_LINE), bool))).ravel()
    kernel = np.fft.rfft(_centred_gaussian(n, sigma, np.float32))
    with np.errstate(divide="ignore"):
        weight = 1 / np.fft.irfft(np.fft.rfft(timeline.astype(np.float32)) * kernel, n)
    w2 = np.where(timeline & np.isfinite(weight), weight * weight, 0.0)
    values = np.zeros(n)
    values[timeline] = data[good]
    count = int(good.sum())
    # normal equations of A = diag(w) B, B_tk = exp(2 pi i t k / n) / count over the ticks t
    # of the background pixels: (A^H A)_kl = fft(w^2)[k - l] / count^2 (no BLAS: its threads
    # cost ten times the work on small matrices)
    lhs = np.fft.fft(w2)[(k[:, None] - k[None, :]) % n] / count**2
    rhs = np.fft.fft(w2 * values)[k] / count
    spectrum = np.zeros(freq.size, np.complex128)
    spectrum[k] = np.linalg.solve(lhs, rhs) * (n / count)
    return np.fft.irfft(spectrum * gain, n).reshape(ny, -1)[:, :nx]


def _exclude_outliers(image: np.ndarray, good: np.ndarray, nsig: float) -> np.ndarray:
    """The mask less its pixels beyond ``nsig`` robust sigma of the median, and their four
    nearest neighbours."""
    med = np.median(image[good])
    std = 1.4825 * np.median(np.abs(image - med)[good])
    out = good & (np.abs(image - med) > nsig * std)
    near = out.copy()
    near[1:] |= out[:-1]
    near[:-1] |= out[1:]
    near[:, 1:] |= out[:, :-1]
    near[:, :-1] |= out[:, 1:]
    return good & ~near


def nsclean_subarray(
    image: np.ndarray,
    mask: np.ndarray,
    detector: str,
    fc: tuple[float, float, float, float],
    *,
    npix_iter: int = 512,
    sigrej: float = 4.0,
    minfrac: float = 0.05,
) -> np.ndarray | None:
    """The NSClean noise model of a NIR subarray image (science orientation).

    The rows of the readout (detector orientation) are fitted in overlapping
    bands holding about ``npix_iter`` background pixels each (the last band
    takes the rest when fewer than 1.5 ``npix_iter`` remain), the bands
    stepping by half their height; a band with less than ``minfrac`` of its
    pixels in the mask gets no correction.  The bands' models are averaged
    with weights falling from 1 at their centre to 0.001 at their edges.

    Parameters
    ----------
    image : 2-D image (any unit), its background removed.
    mask : True on the background pixels.
    detector : ``NRS1`` or ``NRS2`` (the readout orientation).
    fc : apodizer corner frequencies (Hz), see :func:`subarray_apodizer`.

    Returns
    -------
    The noise image, or None when the mask holds no pixel after outlier rejection.

    Raises
    ------
    numpy.linalg.LinAlgError
        A band's normal equations are singular.
    """
    if not mask.any():
        return None
    data = _to_detector(image, detector).astype(np.float32)
    good = _exclude_outliers(data, _to_detector(mask, detector), sigrej)
    per_row = good.sum(axis=1)
    cum = np.concatenate(([0], np.cumsum(per_row)))
    rows = np.flatnonzero(per_row)
    if rows.size == 0:
        return None
    start, last = int(rows[0]), int(rows[-1])
    model = np.zeros(data.shape)
    total = np.zeros(data.shape)
    while True:
        stop = last + 1
        if cum[-1] - cum[start] > 1.5 * npix_iter:
            stop = min(stop, int(np.searchsorted(cum, cum[start] + npix_iter, side="right")))
        height = stop - start
        band = slice(start, stop)
        weight = 1.001 - np.abs(np.linspace(-1, 1, height))[:, None]
        if np.mean(good[band]) > minfrac:
            model[band] += weight * _section_model(data[band], good[band], fc)
        total[band] += weight
        if stop == last + 1:
            break
        start += max(int(np.round(height / 2)), 1)
    total[model == 0] = 1
    return _to_science(model / total, detector)
