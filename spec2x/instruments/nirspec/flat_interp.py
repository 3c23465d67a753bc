"""Piecewise-linear interpolation of many tabulated curves at once, as ``np.interp`` does.

The NIRSpec flat's fast-variation tables (:mod:`.flat_kernel`) and the MOS
shutter curves (:mod:`.flat_mos`) hold one curve per slit, many sharing one
wavelength grid; these functions interpolate all the curves of a grid in one
vectorised call, with ``np.interp``'s numbers bit for bit, so that the result
does not depend on which slits are evaluated together.  No xarray here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["interp_curves", "interp_rows", "same_grid"]


def interp_curves(
    x: np.ndarray, xp: np.ndarray, fp: np.ndarray, fill: float = np.nan
) -> np.ndarray:
    """``np.interp`` of many curves sampled on one grid: ``out[i] = interp(x[i], xp, fp[i])``.

    Parameters
    ----------
    x : (n, ...) points, one block per curve.
    xp : (m,) increasing abscissae shared by the curves (m >= 2).
    fp : (n, m) ordinates, one curve per row.
    fill : value outside ``[xp[0], xp[-1]]`` (``left = right``).

    Notes
    -----
    NumPy's formula, :math:`f_j + (x - x_j)(f_{j+1} - f_j)/(x_{j+1} - x_j)`
    with :math:`x_j \\le x < x_{j+1}`, ``fp[-1]`` at ``xp[-1]``, and NumPy's
    answers where that is NaN (:func:`_nan_as_np_interp`), so the values are
    ``np.interp``'s bit for bit (which of the two computes a curve does not
    change a number).
    """
    xp = np.asarray(xp, np.float64)
    fp = np.asarray(fp, np.float64)
    x = np.asarray(x, np.float64)
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, xp.size - 2)
    s = np.arange(fp.shape[0]).reshape((-1,) + (1,) * (x.ndim - 1))
    f0, f1 = fp[s, j], fp[s, j + 1]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        slope = (f1 - f0) / (xp[j + 1] - xp[j])
        out = slope * (x - xp[j]) + f0
    redo = np.isnan(out) & ~np.isnan(x)
    if redo.any():
        out[redo] = _nan_as_np_interp(x[redo], xp[j[redo]], xp[j[redo] + 1], f0[redo], f1[redo])
    out = np.where(x == xp[-1], fp[s, -1], out)
    return np.where((x < xp[0]) | (x > xp[-1]), fill, out)


def _nan_as_np_interp(
    x: np.ndarray, x0: np.ndarray, x1: np.ndarray, f0: np.ndarray, f1: np.ndarray
) -> np.ndarray:
    """``np.interp``'s value where the forward formula gives NaN (a NaN or infinite ordinate).

    On a grid point, its ordinate; else the formula from the right end; if that
    is NaN too, the ordinate when both ends are equal.
    """
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        slope = (f1 - f0) / (x1 - x0)
        back = slope * (x - x1) + f1
    back = np.where(np.isnan(back) & (f0 == f1), f0, back)
    return np.where(x == x0, f0, back)


def same_grid(rows: np.ndarray, tables: Sequence[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
    """The distinct ``rows`` grouped by identical wavelength grids (ascending in each group)."""
    grids: dict[bytes, list[int]] = {}
    for r in np.unique(rows):
        grids.setdefault(np.asarray(tables[r][0]).tobytes(), []).append(int(r))
    return [np.asarray(members, np.intp) for members in grids.values()]


def interp_rows(
    x: np.ndarray,
    rows: np.ndarray,
    tables: Sequence[tuple[np.ndarray, ...]],
    column: int,
    fill: float = np.nan,
) -> np.ndarray:
    """``np.interp`` of each slit's pixels in its own table row (``fill`` outside).

    Rows sharing a wavelength grid (the MOS shutters of one quadrant) are
    interpolated together (:func:`interp_curves`); only distinct grids loop.
    """
    groups = same_grid(rows, tables)
    if len(groups) == 1 and groups[0].size == 1:  # one row for all (the IFU slices)
        return np.interp(x, tables[groups[0][0]][0], tables[groups[0][0]][column], fill, fill)
    out = np.empty(x.shape, np.float64)
    for members in groups:
        tw = tables[members[0]][0]
        if members.size == 1 or tw.size < 2:  # (a one-point grid: row by row)
            for r in members:
                at = rows == r
                out[at] = np.interp(x[at], tw, tables[r][column], left=fill, right=fill)
            continue
        sel = np.isin(rows, members)
        stack = np.stack([tables[r][column] for r in members])
        out[sel] = interp_curves(x[sel], tw, stack[np.searchsorted(members, rows[sel])], fill)
    return out
