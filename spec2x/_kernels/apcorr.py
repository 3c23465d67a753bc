"""Aperture corrections of extracted spectra (jwst 3.0.0 ``apply_apcorr``), NumPy only.

Two table layouts are supported:

- MIRI LRS (jwst ``ApCorr``): ``apcorr[wavelength, size]`` with ``nelem_wl`` and
  ``nelem_size`` valid entries; the correction is a bilinear spline in
  (size, wavelength) evaluated at each element's ``npixels`` and wavelength.
- NIRSpec FS / BOTS (jwst ``ApCorrPhase``): ``apcorr[size, wavelength, phase]``
  and ``size[size, wavelength]``; the table is first interpolated to pixel
  phase 0.5, the sizes to the element's wavelength, then bilinearly in
  (wavelength, size).  Wavelengths outside the table get 1.

jwst 3.0.0 interpolates the pixel phase along the *last* axis of ``apcorr``
and the sizes along the last axis of ``size``, and leaves every element
uncorrected (factor 1) when that fails with a ``ValueError``, as it does for
the layout of the NIRSpec APCORR files delivered so far (wavelength last:
``apcorr[size, phase, wavelength]``, FITS ``TDIM = (nwave, nphase, nsize)``)
and for the (pixphase, wavelength, size) order of the reference-file
specification.  :func:`phase_layout` tells these tables apart, so that the
step can say so and do the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["lrs_correction", "phase_correction", "phase_layout", "select_row"]


def select_row(rows: Sequence[Mapping[str, Any]], match: Mapping[str, Any]) -> dict[str, Any]:
    """The one table row whose columns equal ``match`` (strings compared case-blind).

    Raises
    ------
    LookupError
        When zero or several rows match.
    """
    found = []
    for row in rows:
        ok = True
        for key, value in match.items():
            cell = row.get(key)
            if isinstance(value, str):
                ok = ok and str(cell).strip().upper() == value.strip().upper()
            else:
                ok = ok and cell == value
        if ok:
            found.append(row)
    if len(found) != 1:
        raise LookupError(f"{len(found)} APCORR rows match {dict(match)}")
    return dict(found[0])


def lrs_correction(row: Mapping[str, Any], size_scale: float = 1.0) -> Callable[..., np.ndarray]:
    """Correction function ``f(npixels, wavelength)`` (element-wise) for a MIRI LRS row.

    ``size_scale`` divides the table sizes (arcsec per pixel when SIZEUNIT is arcsec).
    """
    from scipy.interpolate import RectBivariateSpline

    nwl, nsize = int(row["nelem_wl"]), int(row["nelem_size"])
    wavelength = np.asarray(row["wavelength"], dtype=np.float64)[:nwl]
    size = np.asarray(row["size"], dtype=np.float64)[:nsize] / size_scale
    table = np.asarray(row["apcorr"], dtype=np.float64)[:nwl, :nsize]
    order = np.argsort(wavelength)
    spline = RectBivariateSpline(size, wavelength[order], table[order, :].T, kx=1, ky=1)

    def correction(npixels: np.ndarray, wl: np.ndarray) -> np.ndarray:
        npixels = np.asarray(npixels, dtype=np.float64)
        wl = np.asarray(wl, dtype=np.float64)
        shape = np.broadcast(npixels, wl).shape
        n, w = (np.broadcast_to(a, shape).ravel() for a in (npixels, wl))
        good = np.isfinite(n) & np.isfinite(w)
        out = np.ones(n.shape)
        if good.any():
            out[good] = spline(n[good], w[good], grid=False)
        return out.reshape(shape)

    return correction


def phase_layout(row: Mapping[str, Any], pixphase: float = 0.5) -> str | None:
    """Why jwst 3.0.0 cannot use this NIRSpec row (and applies no correction), or None.

    Parameters
    ----------
    row : table row with ``wavelength (nwave,)``, ``size (nsize, nwave)``,
        ``pixphase (nphase,)``, ``apcorr (nsize, nwave, nphase)``.
    pixphase : the pixel phase to interpolate to.

    Returns
    -------
    None when the row can be interpolated; otherwise a sentence naming the
    column whose layout jwst's ``ApCorrPhase`` cannot interpolate (it then
    leaves every element uncorrected).

    Raises
    ------
    ValueError
        A layout on which jwst fails outright (its message names the column).
    """
    table = np.shape(row["apcorr"])
    size = np.shape(row["size"])
    phases = np.asarray(row["pixphase"], dtype=np.float64)
    nwave = np.shape(row["wavelength"])[-1]
    if table[-1] != phases.size:
        return (
            f"column APCORR has shape {table}: its last axis ({table[-1]}) is not the pixel "
            f"phase (PIXPHASE has {phases.size}); jwst expects (size, wavelength, pixphase)"
        )
    if size[-1] != nwave:
        return (
            f"column SIZE has shape {size}: its last axis ({size[-1]}) is not the wavelength "
            f"(WAVELENGTH has {nwave}); jwst expects (size, wavelength)"
        )
    if phases.size < 2 or not phases.min() <= pixphase <= phases.max():
        return f"column PIXPHASE {phases.tolist()} does not bracket the pixel phase {pixphase}"
    if table[1] < nwave:
        raise ValueError(
            f"column APCORR has shape {table}: its middle axis ({table[1]}) is shorter than "
            f"WAVELENGTH ({nwave}); the layout is (size, wavelength, pixphase)"
        )
    if table[0] != size[0]:
        return f"columns APCORR {table} and SIZE {size} disagree on the number of sizes"
    return None


def phase_correction(
    row: Mapping[str, Any], size_scale: float = 1.0, pixphase: float = 0.5
) -> Callable[..., np.ndarray]:
    """Correction function ``f(wavelength, npixels)`` (1-D arrays) for a NIRSpec FS row.

    Where :func:`phase_layout` gives a reason, the function returns ones (as jwst).
    """
    from scipy.interpolate import interp1d

    if phase_layout(row, pixphase) is not None:
        return lambda wl, npixels: np.ones(np.asarray(wl).size)

    ref_wl = np.asarray(row["wavelength"], dtype=np.float64)
    ref_size = np.asarray(row["size"], dtype=np.float64) / size_scale
    at_phase = interp1d(np.asarray(row["pixphase"]), np.asarray(row["apcorr"]))(pixphase)
    order = np.argsort(ref_wl)
    table = at_phase[:, order].T  # (wavelength, size)
    wl_sorted = ref_wl[order]
    size_at = interp1d(ref_wl, ref_size)
    usable = wl_sorted.size > 1 and bool(np.all(np.diff(wl_sorted) > 0))

    def correction(wl: np.ndarray, npixels: np.ndarray) -> np.ndarray:
        wl = np.asarray(wl, dtype=np.float64).ravel()
        npixels = np.asarray(npixels, dtype=np.float64).ravel()
        out = np.ones(wl.shape)
        # outside the table (or NaN) jwst leaves the element uncorrected, as where the
        # sizes at its wavelength do not rise (its spline refuses them)
        inside = np.flatnonzero((wl >= ref_wl.min()) & (wl <= ref_wl.max()))
        if not usable or not inside.size or table.shape[1] < 2:
            return out
        sizes = np.atleast_2d(size_at(wl[inside]).T)  # (element, size)
        keep = np.all(np.diff(sizes, axis=1) > 0, axis=1)
        inside, sizes = inside[keep], sizes[keep]
        value = _bilinear(wl_sorted, sizes, table, wl[inside], npixels[inside])
        nonzero = value != 0
        out[inside[nonzero]] = value[nonzero]
        return out

    return correction


def _bilinear(
    xs: np.ndarray, ys: np.ndarray, table: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """The degree-1 interpolating spline of ``table`` on the grid ``xs`` (rising) by the
    rows of ``ys`` (one rising grid per point), at the points (``x``, ``y``): FITPACK's
    evaluation (``RectBivariateSpline(xs, ys[i], table, kx=1, ky=1)(x[i], y[i])``) for all
    points at once, arguments clamped to the grid, NaN kept."""
    rows = np.arange(x.size)
    x = np.clip(x, xs[0], xs[-1])
    y = np.clip(y, ys[:, 0], ys[:, -1])
    ix = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, xs.size - 2)
    iy = np.clip((ys <= y[:, None]).sum(axis=1) - 1, 0, ys.shape[1] - 2)
    fx = 1.0 / (xs[ix + 1] - xs[ix])
    y0, y1 = ys[rows, iy], ys[rows, iy + 1]
    fy = 1.0 / (y1 - y0)
    hx = (fx * (xs[ix + 1] - x), fx * (x - xs[ix]))
    hy = (fy * (y1 - y), fy * (y - y0))
    value = np.zeros(x.size)
    for i in (0, 1):
        for j in (0, 1):
            value = value + table[ix + i, iy + j] * hx[i] * hy[j]
    return value
