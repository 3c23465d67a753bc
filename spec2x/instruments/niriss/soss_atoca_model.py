"""The linear detector model of SOSS ATOCA: pixels as integrals of the spectrum.

As jwst 3.0.0's ``atoca.ExtractionEngine``: the count rate of pixel ``i``
from order ``n`` is ``P_n(i) ∫ T_n(λ) λ (C_n f)(λ) dλ`` over the pixel's
wavelength extent, with ``P_n`` the spatial profile (``specprofile``),
``T_n`` the throughput, ``C_n`` the spectral convolution and ``f`` the
spectrum on a wavelength grid, linear between the grid's nodes (the integral
is exact for that; jwst's ``get_w``).  The SOSS wavelength maps have no tilt,
so the integral depends on the column only: the model of order ``n`` is
``P_n(y, x) · (R_n f)[x]`` with ``R_n`` a sparse (column x grid) matrix,
and the normal equations of the least-squares fit reduce to sums over each
column's rows.

Pixel masks follow jwst: a pixel is fitted unless every order masks it
(outside its box, bad, or beyond the grid), or it lies beyond the grid of
some order while every order's profile exceeds ``threshold`` there; an order
contributes nothing to a pixel beyond its part of the grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

from .soss_atoca_grid import pixel_bounds
from .soss_atoca_sparse import add_into

__all__ = ["LinearModel", "OrderModel", "linear_model", "pixel_weights"]


def _node_ranges(grid: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(pixels, n) grid nodes each pixel's weights go to (-1 pads), as jwst's ``get_w``."""
    lo = np.searchsorted(grid, low, side="right") - 1
    hi = np.searchsorted(grid, high) - 1
    first = np.where(grid[lo] == low, lo, lo - 1)
    length = hi + 1 - first
    nodes = first[:, None] + np.arange(max(int(length.max()), 2))[None, :]
    return np.where(np.arange(nodes.shape[1])[None, :] < length[:, None], nodes, -1)


def _ends(w: np.ndarray, k: np.ndarray, n_k: np.ndarray, grid: np.ndarray, lows, highs) -> None:
    """The end corrections of jwst's ``get_w`` for pixels with 2 and >= 3 nodes (in place)."""
    low, high, lo, hi = lows[0], highs[0], lows[1], highs[1]
    d, i = np.diff(grid), np.arange(k.shape[0])
    two = n_k == 2
    c = two & (k[:, 0] != lo)
    w[c, 1] += low[c] - grid[k[c, 0]]
    c = two & (k[:, 1] != hi)
    w[c, 0] += grid[k[c, 1]] - high[c]
    w[two] *= ((high[two] - low[two]) / d[k[two, 0]])[:, None]
    many = n_k >= 3
    last = np.maximum(n_k - 1, 1)
    w[many, 1] = grid[k[many, 1]] - low[many]
    w[i[many], last[many] - 1] += high[many] - grid[k[i[many], last[many] - 1]]
    c = many & (k[:, 0] != lo)
    n1, n2 = grid[k[c, 1]] - low[c], low[c] - grid[k[c, 0]]
    w[c, 0] *= n1 / d[k[c, 0]]
    w[c, 1] += n1 * n2 / d[k[c, 0]]
    c = many & (k[i, last] != hi)
    m = last[c]
    n1, n2 = high[c] - grid[k[i[c], m - 1]], grid[k[i[c], m]] - high[c]
    w[i[c], m] *= n1 / d[k[i[c], m - 1]]
    w[i[c], m - 1] += n1 * n2 / d[k[i[c], m - 1]]


def pixel_weights(grid: np.ndarray, low: np.ndarray, high: np.ndarray) -> sparse.csr_matrix:
    """(pixels, grid.size) weights of the grid nodes in each pixel's integral, as jwst 3.0.0.

    The trapezoid integral over ``[low, high]`` of the spectrum linear between
    nodes, with jwst's node assignment (``ExtractionEngine.get_w``): jwst
    takes the nodes from the one *below* the node under ``low`` to the one
    under ``high``, one node bluer than the exact integral's, and at the grid's
    first node the first weight is dropped (jwst's index -1 reads the grid's
    last node there; so does this).  Kept for parity; it shifts the
    model by about a third of a pixel's wavelength step (reported upstream by
    the lead if confirmed).
    """
    k = _node_ranges(grid, low, high)
    n_k = (k != -1).sum(axis=1)
    i = np.arange(k.shape[0])
    lo = np.searchsorted(grid, low, side="right") - 1
    hi = np.searchsorted(grid, high) - 1
    low = np.where(grid[lo] == low, grid[lo], low)
    high = np.where(high == grid[hi], grid[hi], high)
    w = np.zeros(k.shape)
    w[:, 0] = grid[k[:, 1]] - low
    last = np.maximum(n_k - 1, 1)
    w[i, last] = high - grid[k[i, last - 1]]
    _ends(w, k, n_k, grid, (low, lo), (high, hi))
    d = np.diff(grid)
    four = n_k >= 4
    w[four, 1] += grid[k[four, 2]] - grid[k[four, 1]]
    w[i[four], last[four] - 1] += (
        grid[k[i[four], last[four] - 1]] - grid[k[i[four], last[four] - 2]]
    )
    col = np.arange(k.shape[1])[None, :]
    inner = (n_k[:, None] > 4) & (col >= 2) & (col < n_k[:, None] - 2)
    w[inner] = d[k[inner] - 1] + d[k[inner]]
    w /= 2.0
    keep = k >= 0
    rows = np.broadcast_to(i[:, None], k.shape)
    return sparse.csr_matrix((w[keep], (rows[keep], k[keep])), shape=(low.size, grid.size))


@dataclass(frozen=True)
class OrderModel:
    """What the model needs of one order.

    Attributes
    ----------
    order : spectral order.
    column_wave : (2048,) centre wavelength of each column (µm), NaN where none.
    profile : (y, 2048) spatial profile.
    throughput : callable of µm.
    """

    order: int
    column_wave: np.ndarray
    profile: np.ndarray
    throughput: object

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """(2048,) lower and upper wavelength of each column (0 where none, as jwst)."""
        low, high = np.zeros(self.column_wave.size), np.zeros(self.column_wave.size)
        ok = np.isfinite(self.column_wave)
        low[ok], high[ok] = pixel_bounds(self.column_wave[ok])
        return low, high


@dataclass
class LinearModel:
    """The model of some orders on a grid, with its pixel mask.

    Attributes
    ----------
    grid : (K,) wavelength nodes (µm).
    mask : (y, x) pixels left out of the fit.
    bounds : per order the slice ``[a, b)`` of the grid it covers.
    columns : per order the (2048, K) matrix ``R_n`` (zero rows where the order is off the grid).
    convolution : per order the (b - a, K) convolution matrix.
    profiles : per order the (y, x) profile, zero where the order is off its grid.
    order_masks : per order the (y, x) pixels it does not model.
    """

    grid: np.ndarray
    mask: np.ndarray
    bounds: list[tuple[int, int]]
    columns: list[sparse.csr_matrix]
    convolution: list[sparse.csr_matrix]
    profiles: list[np.ndarray]
    order_masks: list[np.ndarray]

    @cached_property
    def _fitted(self) -> tuple[np.ndarray, np.ndarray, list[sparse.csr_matrix]]:
        """Flat indices and columns of the fitted pixels; per order its (2048, pixels)
        matrix summing the profile-weighted pixels of each column."""
        flat = np.flatnonzero(~self.mask)
        cols = flat % self.mask.shape[1]
        sums = [
            sparse.csr_matrix(
                (p_n.ravel()[flat], (cols, np.arange(flat.size))),
                shape=(self.mask.shape[1], flat.size),
            )
            for p_n in self.profiles
        ]
        return flat, cols, sums

    def design(self, error: np.ndarray) -> sparse.csr_matrix:
        """(fitted pixels, K): the model of each fitted pixel divided by ``error``.

        For the factor search and the flux estimate, whose solutions follow
        the roundings of ``BᵀB`` summed pixel by pixel as jwst sums it; the
        fits at a chosen factor use :meth:`normal` and :meth:`projection`.
        """
        good = ~self.mask
        cols = np.nonzero(good)[1]
        parts = [
            sparse.diags(p_n[good] / error[good]) @ r_n[cols]
            for p_n, r_n in zip(self.profiles, self.columns, strict=True)
        ]
        return sparse.csr_matrix(sum(parts[1:], parts[0]))

    def normal(self, error: np.ndarray) -> sparse.csc_matrix:
        """(K, K) normal matrix ``BᵀB`` of the design ``B`` (fitted pixels' model over ``error``).

        A pixel's model is its profile times its column's line, so
        ``BᵀB = Σ_nm R_nᵀ diag(w_nm) R_m`` with ``w_nm`` the column sums of
        ``P_n P_m / error²`` over the fitted pixels: products of (2048, K)
        matrices instead of (pixels, K) ones; summed into the first part's arrays where
        the others' entries are among its (:func:`~.soss_atoca_sparse.add_into`).
        """
        flat, cols, _ = self._fitted
        inv = 1.0 / error.ravel()[flat] ** 2
        prof = [p_n.ravel()[flat] for p_n in self.profiles]
        out = None
        for n, r_n in enumerate(self.columns):
            for m in range(n, len(prof)):
                w = np.bincount(cols, prof[n] * prof[m] * inv, minlength=self.mask.shape[1])
                part = r_n.T @ sparse.diags(w) @ self.columns[m]
                part = part if m == n else part + part.T
                out = sparse.csc_matrix(part) if out is None else add_into(out, part)
                del part
        assert out is not None
        return out

    def projection(self, data: np.ndarray, error: np.ndarray) -> np.ndarray:
        """``Bᵀ (data / error)`` on the fitted pixels: (K,) for a (y, x) image, (K, n) for (n, y, x)."""
        flat, _, sums = self._fitted
        pixels = data.reshape(*data.shape[:-2], -1)[..., flat] / error.ravel()[flat] ** 2
        out = sum(r_n.T @ (s_n @ pixels.T) for s_n, r_n in zip(sums, self.columns, strict=True))
        return np.asarray(out)

    def rebuild(self, spectrum: np.ndarray, index: int) -> np.ndarray:
        """(y, x) model of order ``index`` of ``spectrum`` (NaN where the order is not modelled)."""
        line = self.columns[index] @ spectrum
        image = self.profiles[index] * line[None, :]
        return np.where(self.order_masks[index], np.nan, image)


def _mask_wave(low: np.ndarray, high: np.ndarray, grid: np.ndarray, a: int, b: int) -> np.ndarray:
    return (low < grid[a]) | (high > grid[b - 1])


def linear_model(
    orders: list[OrderModel],
    grid: np.ndarray,
    box_masks: list[np.ndarray],
    kernels: list,
    *,
    bad: np.ndarray | None = None,
    threshold: float = 1e-3,
) -> LinearModel:
    """The model of ``orders`` on ``grid`` (jwst's ``ExtractionEngine``).

    Parameters
    ----------
    orders : the orders modelled together.
    grid : (K,) increasing wavelengths (µm).
    box_masks : per order the (y, x) pixels outside what it fits (``mask_trace_profile``).
    kernels : per order a callable ``kernel(wave, centre)``, or None for no convolution.
    bad : (y, x) pixels left out for every order.
    threshold : profile level above which an order is significant on a pixel.
    """
    from .soss_atoca_kernel import convolution_matrix, identity_matrix

    shape = orders[0].profile.shape
    edges = [o.edges() for o in orders]
    bounds = [(0, grid.size)] * len(orders)

    def masks(bnds: list[tuple[int, int]]) -> tuple[np.ndarray, list[np.ndarray]]:
        wave = [
            np.broadcast_to(_mask_wave(lo, hi, grid, a, b), shape)
            for (lo, hi), (a, b) in zip(edges, bnds, strict=True)
        ]
        per = [m | w for m, w in zip(box_masks, wave, strict=True)]
        if bad is not None:
            per = [p | bad for p in per]
        general = np.all(per, axis=0)
        general |= np.any(wave, axis=0) & np.all([o.profile > threshold for o in orders], axis=0)
        return general, [w | general for w in wave]

    _, per_order = masks(bounds)
    new_bounds = []
    for o, m in zip(orders, per_order, strict=True):
        wave = np.broadcast_to(o.column_wave, shape)[~m]
        a = int(np.nonzero(grid >= wave.min())[0].min())
        b = int(np.nonzero(grid <= wave.max())[0].max()) + 1
        new_bounds.append((a, b))
    general, per_order = masks(new_bounds)
    columns, convs, profiles = [], [], []
    for o, (lo, hi), (a, b), m, ker in zip(
        orders, edges, new_bounds, per_order, kernels, strict=True
    ):
        conv = (
            identity_matrix(grid.size, (a, b))
            if ker is None
            else convolution_matrix(ker, grid, (a, b))
        )
        ok = ~_mask_wave(lo, hi, grid, a, b)
        weights = pixel_weights(grid[a:b], np.where(ok, lo, grid[a]), np.where(ok, hi, grid[a]))
        product = o.throughput(grid)[a:b] * grid[a:b]  # type: ignore[operator]
        r_n = sparse.diags(ok.astype(float)) @ weights @ sparse.diags(product) @ conv
        columns.append(r_n.tocsr())
        convs.append(conv)
        profiles.append(np.where(m, 0.0, o.profile.astype(np.float64)))
    return LinearModel(grid, general, new_bounds, columns, convs, profiles, per_order)
