"""Wavelength grids of the SOSS ATOCA model, as jwst 3.0.0 builds them.

jwst (``soss_extract.make_decontamination_grid``, ``atoca_utils``):

- each order's native grid: the pixel boundaries of its columns (midpoints
  between the columns' wavelengths, the ends extrapolated by half a step),
  oversampled ``n_os`` times (linear between nodes);
- the combined grid: order 2 where it shares wavelengths with order 1, then
  order 1, then the rest of order 2, trimmed to ``[0.77 µm (the pastasoss
  order2_separation_cutoff), red end of order 1]``; each part refined where
  the trapezoid integral of the flux estimate differs from its Romberg
  refinement by more than ``rtol`` (halving intervals, up to 30 times, the
  total kept under ``max_grid_size``).

Wavelengths are µm.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["adaptive_grid", "decontamination_grid", "oversample_grid", "pixel_bounds"]

_MIN_DLAMBDA = 1e-5
_ATOL = 1e-6


def oversample_grid(grid: np.ndarray, n_os: int | np.ndarray) -> np.ndarray:
    """``grid`` with each interval cut into ``n_os`` equal parts (``n_os`` per interval or one)."""
    n = np.broadcast_to(np.asarray(n_os, dtype=int), (grid.size - 1,))
    steps = np.insert(np.repeat(1.0 / n, n), 0, 0.0)
    return np.unique(np.interp(np.cumsum(steps), np.arange(grid.size), grid))


def pixel_bounds(wave: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper wavelength edges of pixels whose centres are ``wave`` (consecutive)."""
    half = np.diff(wave) / 2
    left = wave - np.insert(half, 0, half[0])
    right = wave + np.append(half, half[-1])
    return np.minimum(left, right), np.maximum(left, right)


def native_grid(wave: np.ndarray, n_os: int) -> np.ndarray:
    """Pixel-boundary grid of columns with centre wavelengths ``wave``, oversampled ``n_os`` times."""
    low, high = pixel_bounds(wave)
    return oversample_grid(np.append(np.sort(low), np.sort(high)[-1]), n_os)


def _integration_error(grid: np.ndarray, fct: Callable) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = grid[:-1], grid[1:]
    ends = 0.5 * (fct(lo) + fct(hi))
    trapz = (hi - lo) * ends
    refined = (hi - lo) * (ends + fct(0.5 * (lo + hi))) / 2
    romberg = (4 * refined - trapz) / 3
    err = np.abs(romberg - trapz)
    rel = np.full_like(err, np.inf)
    nonzero = romberg != 0
    rel[nonzero] = np.abs(err[nonzero] / romberg[nonzero])
    return err, rel


def _thin(grid: np.ndarray) -> np.ndarray:
    keep = [grid[0]]
    for value in grid[1:]:
        if value - keep[-1] > _MIN_DLAMBDA:
            keep.append(value)
    return np.array(keep)


def adaptive_grid(
    grid: np.ndarray, fct: Callable, max_size: int, *, max_iter: int = 30, rtol: float = 1e-4
) -> np.ndarray:
    """Refine ``grid`` until the trapezoid integral of ``fct`` reaches ``rtol`` (jwst's ``_adapt_grid``)."""
    full = grid.size > max_size
    for _ in range(max_iter):
        err, rel = _integration_error(grid, fct)
        converged = (rel < rtol) | (err < _ATOL)
        if full or converged.all():
            break
        n_os = np.where(converged, 1, 2)
        if n_os.sum() > max_size:
            full = True
            n_os = np.ones(rel.shape, dtype=int)
            n_os[np.argsort(rel)[grid.size - max_size :]] = 2
        grid = _thin(oversample_grid(grid, n_os))
    return grid


def _trim(grids: list[np.ndarray], low: float, high: float) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for grid in grids:
        i0 = max(int(np.searchsorted(grid, low, side="right")) - 1, 0)
        i1 = min(int(np.searchsorted(grid, high, side="left")), grid.size - 1)
        grid = grid[i0 : i1 + 1]
        if out:
            done = np.concatenate(out)
            below, above = grid < done.min(), grid > done.max()
            if below.any():
                grid = grid[: min(int(np.nonzero(below)[0].max()) + 1, grid.size - 1) + 1]
            if above.any():
                grid = grid[max(int(np.nonzero(above)[0].min()) - 1, 0) :]
            if not below.any() and not above.any():
                grid = np.array([])
        out.append(grid)
    return out


def decontamination_grid(
    wave1: np.ndarray,
    wave2: np.ndarray,
    estimate: Callable,
    *,
    blue_cut: float,
    n_os: int = 2,
    rtol: float = 1e-4,
    max_grid_size: int = 20000,
) -> np.ndarray:
    """The grid of the joint order 1 + 2 model (µm), from the columns' wavelengths of both orders."""
    g1, g2 = native_grid(wave1, n_os), native_grid(wave2, n_os)
    shared = g2 >= g1.min()
    g1 = g1[g1 > g2[shared].min()]
    grids = _trim([g2[shared], g1, g2[~shared]], blue_cut, g1.max())
    fcts: list[Callable] = [estimate, estimate, np.ones_like]
    sizes = [g.size for g in grids]
    combined = np.array([])
    for i, (grid, fct) in enumerate(zip(grids, fcts, strict=True)):
        room = max(max_grid_size - combined.size - sum(sizes[i + 1 :]), sizes[i])
        grid = adaptive_grid(grid, fct, room, rtol=rtol) if grid.size > 1 else grid
        sizes[i] = grid.size
        combined = np.concatenate([combined, grid])
    return np.unique(combined)
