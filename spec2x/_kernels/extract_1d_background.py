"""NumPy core of extract_1d's background: jwst's column-by-column polynomial or median
fit across the dispersion, on stacks ``(..., ny, nx)`` in float64 (the dispersion along
the last axis), and the boxcar smoothing of the image it is fitted to.

The algorithms follow jwst 3.0.0 (``jwst.extract_1d.extract1d``); the sums are
NumPy's, in the same memory order as the general computation, so the shortcuts
(:func:`nansum_of`, the 1 x 1 case of :func:`inverse_where_conditioned`) change no
bit.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = [
    "inverse_where_conditioned",
    "median_background",
    "nansum_of",
    "poly_background",
    "smooth",
]


def smooth(image: np.ndarray, length: int) -> np.ndarray:
    """Boxcar smoothing along the dispersion (last) axis, as astropy ``convolve``."""
    from astropy.convolution import convolve

    kernel = np.ones((1,) * (image.ndim - 1) + (length,)) / length
    return convolve(image, kernel, boundary="extend")


def nansum_of(values: np.ndarray, axis: int) -> np.ndarray:
    """``np.nansum(values, axis)`` of a temporary: its NaNs are zeroed in place rather than
    in a copy (the same sum, bit for bit: same values, same memory order)."""
    np.copyto(values, 0.0, where=np.isnan(values))
    return np.sum(values, axis=axis)


def median_background(
    image: np.ndarray,
    variances: tuple[np.ndarray, np.ndarray, np.ndarray],
    profile: np.ndarray,
    bg_profile: np.ndarray,
    background_image: np.ndarray,
) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    bkg_in = np.where(bg_profile == 0, np.nan, background_image)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bkg_1d = np.nanmedian(bkg_in, axis=-2)
    bkg_npix = np.sum(profile, axis=-2)
    total = variances[0] + variances[1] + variances[2]
    wgt = np.isfinite(image) & np.isfinite(total) & (bg_profile != 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pixwgt = wgt / np.sum(wgt, axis=-2, keepdims=True)
    pixwgt2 = pixwgt**2
    bvars = tuple(1.2**2 * bkg_npix**2 * nansum_of(v * pixwgt2, axis=-2) for v in variances)
    return bkg_1d[..., None, :], bvars


def inverse_where_conditioned(matrix: np.ndarray) -> np.ndarray:
    """Inverses of a stack of normal matrices ``(..., n, n)``; zero where the condition
    number is not below 1e10 (singular, or nearly so).

    A 1 x 1 matrix (a constant background) is conditioned when it is finite and not zero
    (its condition number is 1; NaN for 0, inf or NaN), and its inverse is ``1 / m``, as
    LAPACK computes it, without the SVD and LU of every column.
    """
    cov = np.zeros_like(matrix)
    if matrix.shape[-2:] == (1, 1):
        ok = np.isfinite(matrix) & (matrix != 0)
        np.divide(1.0, matrix, out=cov, where=ok)
        return cov
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ok = np.linalg.cond(matrix) < 1e10
    cov[ok] = np.linalg.inv(matrix[ok])
    return cov


def poly_background(
    image: np.ndarray,
    variances: tuple[np.ndarray, np.ndarray, np.ndarray],
    profile: np.ndarray,
    bg_profile: np.ndarray,
    background_image: np.ndarray,
    order: int,
) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Least-squares polynomial in the cross-dispersion coordinate, column by column.

    All columns and leading axes are solved together (stacked normal
    equations).  With the 0/1 weights jwst uses (finite data and variance,
    inside a background region), the design matrix is ``basis * mask``, so
    every product reduces to a matrix product with the small basis.
    """
    ny = image.shape[-2]
    npar = order + 1
    yfit = np.linspace(-1, 1, ny)
    basis = yfit[:, None] ** np.arange(npar)[None, :]  # (ny, npar)
    total = variances[0] + variances[1] + variances[2]
    weights = np.isfinite(total) & np.isfinite(image)
    used = (bg_profile != 0) & np.isfinite(background_image)
    fitted = used & weights
    mask = fitted.swapaxes(-1, -2).astype(np.float64)  # (..., nx, ny)
    target = np.where(fitted, background_image, 0.0).swapaxes(-1, -2)
    pairs = (basis[:, :, None] * basis[:, None, :]).reshape(ny, npar * npar)
    matrix = (mask @ pairs).reshape(mask.shape[:-1] + (npar, npar))
    vec = target @ basis  # (..., nx, npar)
    cov = inverse_where_conditioned(matrix)
    bkg_mat = np.swapaxes(np.broadcast_to(profile, image.shape), -1, -2) @ basis  # (..., nx, npar)
    c = np.einsum("...k,...kj->...j", bkg_mat, cov)  # (..., nx, npar)
    pixwgt_tot = mask * (c @ basis.T)  # (..., nx, ny)
    pixwgt2 = pixwgt_tot**2
    bvars = tuple(nansum_of(v.swapaxes(-1, -2) * pixwgt2, axis=-1) for v in variances)
    coefs = np.einsum("...ij,...j->...i", cov, vec)  # (..., nx, npar)
    bkg_2d = (coefs @ basis.T).swapaxes(-1, -2)  # (..., ny, nx)
    return bkg_2d, bvars
