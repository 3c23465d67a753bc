"""The spectral convolution of the SOSS ATOCA model, from the ``speckernel`` reference.

As jwst 3.0.0 (``atoca_utils.WebbKernel`` and ``get_c_matrix``): the
kernels are tabulated against pixel offsets (oversampled) at a set of
wavelengths; near each tabulated wavelength the order's column wavelengths
are fitted by a line of the pixel offset, which turns a wavelength offset
into a pixel offset; the kernel at any (wavelength, centre) is a bicubic
spline of the table, clipped below at its smallest positive value and zero
beyond the half-width.  On a wavelength grid the kernel of each centre is
tabulated outwards until both wings fall below that smallest value, weighted
for the trapezoid rule and normalised to unit sum: a sparse matrix ``C``
(grid of the order x grid) with the convolved spectrum ``C f``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .soss_refs import SossKernels

__all__ = ["SossKernel", "convolution_matrix", "identity_matrix"]


class SossKernel:
    """The kernel of one order: ``kernel(wave, centre)`` (both µm, same shape).

    Parameters
    ----------
    ref : the ``speckernel`` content.
    column_wave : (2048,) wavelength of each column's trace (µm), 0 where none.
    """

    def __init__(self, ref: SossKernels, column_wave: np.ndarray) -> None:
        from numpy.polynomial import Polynomial
        from scipy.interpolate import RectBivariateSpline

        n_pix = 2 * ref.halfwidth + 1
        self.half = n_pix // 2
        trace = np.where(column_wave == 0, np.nan, column_wave.astype(np.float64))
        valid = trace[np.isfinite(trace)]
        if np.diff(valid).mean() < 0:
            trace = trace[::-1]
        waves, kernels = ref.wavelengths.astype(np.float64), ref.kernels.astype(np.float64)
        pixels = np.linspace(-self.half, self.half, waves.shape[0])
        centres = waves[0]
        i_min = int(np.searchsorted(centres, valid.min()))
        i_max = int(np.searchsorted(centres, valid.max())) - 1
        bbox = [None, None, centres[max(i_min - 1, 0)], centres[min(i_max + 1, centres.size - 1)]]
        kernels = kernels[:, i_min : i_max + 1]
        centres = centres[i_min : i_max + 1].copy()
        self.min_value = float(kernels[kernels > 0].min())
        offsets = np.arange(-self.half, self.half + 1)
        poly = []
        for i, centre in enumerate(centres):
            col = int(np.nanargmin(np.abs(trace - centre)))
            centres[i] = trace[col]
            index = col + offsets
            good = (index >= 0) & (index < trace.size)
            wv = np.full(offsets.shape, np.nan)
            wv[good] = trace[index[good]]
            ok = np.isfinite(wv)
            poly.append(Polynomial.fit(offsets[ok], wv[ok], 1).convert().coef[::-1])
        self.centres = centres
        self.poly = np.array(poly)
        self.spline = RectBivariateSpline(pixels, centres, kernels, bbox=bbox)

    def line(self, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Slope (µm per pixel) and wavelength at offset 0 (µm) of the kernels centred on
        ``centre`` (µm): the tabulated ones' lines, interpolated linearly between them."""
        cen, poly = self.centres, self.poly
        i = np.clip(np.searchsorted(cen, centre) - 1, 0, cen.size - 2)
        step = cen[i + 1] - cen[i]
        a, b = (cen[i + 1] - centre) / step, (centre - cen[i]) / step
        return a * poly[i, 0] + b * poly[i + 1, 0], a * poly[i, 1] + b * poly[i + 1, 1]

    def __call__(
        self,
        wave: np.ndarray,
        centre: np.ndarray,
        line: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Kernel value at ``wave`` for the kernel centred on ``centre`` (arrays, µm);
        ``line`` is :meth:`line` of ``centre`` if already computed."""
        slope, offset = self.line(centre) if line is None else line
        pix = (wave - offset) / slope
        inside = (pix <= self.half) & (pix >= -self.half)
        out = np.zeros(np.shape(pix))
        if inside.any():  # the spline only where the kernel is not zero (it is costly)
            values = self.spline(
                pix[inside], np.broadcast_to(centre, pix.shape)[inside], grid=False
            )
            out[inside] = np.clip(values, self.min_value, None)
        return out


def _wings(
    kernel: SossKernel,
    grid: np.ndarray,
    line: tuple[np.ndarray, np.ndarray],
    h: int,
    a: int,
    b: int,
) -> np.ndarray:
    """(2, b - a): kernel ``h`` grid points left and right of each centre ``a ... b-1``
    (``line``: :meth:`SossKernel.line` of every grid point)."""
    out = np.zeros((2, b - a))
    lo = max(0, a - h)
    left = grid[lo : b - h]
    if left.size:
        at = slice(b - left.size, b)
        out[0, -left.size :] = kernel(left, grid[at], (line[0][at], line[1][at]))
    right = grid[a + h : min(grid.size, b + h)]
    if right.size:
        at = slice(a, a + right.size)
        out[1, : right.size] = kernel(right, grid[at], (line[0][at], line[1][at]))
    return out


def _trapezoid(grid: np.ndarray, half: int, a: int, b: int) -> np.ndarray:
    """(2 half + 1, b - a) trapezoid weights of the kernel rows on ``grid``.

    Row ``r`` of centre ``j`` gathers the half-steps ``d/2`` of the grid's
    intervals ``a + j + r - half - 1`` and ``a + j + r - half`` (0 beyond the
    grid): windows of one zero-padded line of half-steps, no index arrays.
    """
    n = b - a
    pad = half + 1
    steps = np.zeros(grid.size - 1 + 2 * pad + n)
    steps[pad : pad + grid.size - 1] = 0.5 * np.diff(grid)
    start = pad + a - half
    windows = np.lib.stride_tricks.sliding_window_view(steps, n)
    out = np.zeros((2 * half + 1, n))
    out[:-1] = windows[start : start + 2 * half]
    out[1:] += windows[start : start + 2 * half]
    return out


#: Centres whose kernel rows are weighted, normalised and stored together.
_CENTRES = 2048


def convolution_matrix(
    kernel: SossKernel, grid: np.ndarray, bounds: tuple[int, int]
) -> sparse.csr_matrix:
    """The (b - a, grid.size) convolution matrix of ``kernel`` for the centres ``grid[a:b]``.

    The kernel's values are tabulated for every centre (their half-width is the
    largest where some centre's wings are still above the smallest value);
    the trapezoid weights, the normalisation and the sparse rows are then made
    :data:`_CENTRES` centres at a time, not as dense (rows x centres) tables.
    """
    a, b = bounds
    line = kernel.line(grid)
    rows = [kernel(grid, grid, line)[a:b][None]]
    half = 0
    while True:
        half += 1
        wings = _wings(kernel, grid, line, half, a, b)
        if (wings < kernel.min_value).all():
            break
        wings[wings < kernel.min_value] = 0.0
        rows = [wings[:1], *rows, wings[1:]]
    parts = []
    for start in range(0, b - a, _CENTRES):
        at = slice(start, min(start + _CENTRES, b - a))
        table = np.vstack([row[:, at] for row in rows])
        table *= _trapezoid(grid, half - 1, a + at.start, a + at.stop)
        table /= np.nansum(table, axis=0)
        parts.append(_banded(table, grid.size, a + at.start))
    del rows
    return _stacked(parts, grid.size)


def identity_matrix(size: int, bounds: tuple[int, int]) -> sparse.csr_matrix:
    """The convolution matrix of no kernel: the centres ``a ... b-1`` of a ``size`` grid."""
    a, b = bounds
    return _banded(np.ones((1, b - a)), size, a)


def _banded(table: np.ndarray, size: int, a: int) -> sparse.csr_matrix:
    """(centres, size) CSR matrix of the kernel rows ``table`` (row ``r`` of centre ``j``
    on column ``a + j + r - half``), built row by row without a COO sort."""
    half = (table.shape[0] - 1) // 2
    n_c = table.shape[1]
    col = np.arange(n_c)[:, None] + a + (np.arange(table.shape[0]) - half)[None, :]
    values = table.T
    keep = (col >= 0) & (col < size) & (values != 0)
    indptr = np.zeros(n_c + 1, dtype=np.int64)
    np.cumsum(keep.sum(axis=1), out=indptr[1:])
    return sparse.csr_matrix((values[keep], col[keep], indptr), shape=(n_c, size))


def _stacked(parts: list[sparse.csr_matrix], size: int) -> sparse.csr_matrix:
    """The CSR matrix of the rows of ``parts`` one after the other (each part freed once copied)."""
    nnz = sum(part.nnz for part in parts)
    rows = sum(part.shape[0] for part in parts)
    index = np.int32 if max(nnz, rows, size) < 2**31 else np.int64
    data, indices = np.empty(nnz), np.empty(nnz, dtype=index)
    indptr = np.zeros(rows + 1, dtype=index)
    done = row = 0
    while parts:
        part = parts.pop(0)
        data[done : done + part.nnz] = part.data
        indices[done : done + part.nnz] = part.indices
        indptr[row + 1 : row + 1 + part.shape[0]] = part.indptr[1:] + done
        done, row = done + part.nnz, row + part.shape[0]
    return sparse.csr_matrix((data, indices, indptr), shape=(rows, size))
