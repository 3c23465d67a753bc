"""Where the source falls across the dispersion, from the WCS (jwst ``source_location``).

Works on gwcs objects and NumPy arrays (no xarray).  MIRI LRS fixed slit
projects the dithered pointing (``DITH_RA``, ``DITH_DEC``) to the detector;
NIRSpec slits project ``source_xpos``/``source_ypos`` from the slit frame.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

__all__ = ["bounding_box", "location_from_wcs"]

log = logging.getLogger(__name__)

HORIZONTAL = 1


def bounding_box(
    wcs: Any, shape: tuple[int, ...]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x0, x1), (y0, y1)) of the WCS, or the array edges when it has none."""
    try:
        bb = wcs.bounding_box
    except NotImplementedError:
        bb = None
    if bb is None:
        return ((-0.5, shape[-1] - 0.5), (-0.5, shape[-2] - 0.5))
    return (
        (float(bb[0][0]), float(bb[0][1])),
        (float(bb[1][0]), float(bb[1][1])),
    )


def _middle(wcs: Any, bb: tuple, dispaxis: int) -> tuple[float, float]:
    """Middle dispersion pixel of the bounding box and the mean wavelength there."""
    if dispaxis == HORIZONTAL:
        width = int(round(bb[1][1]))
        middle = (bb[0][0] + bb[0][1]) / 2.0
        x, y = np.full(width, middle), np.arange(width, dtype=np.float64)
    else:
        width = int(round(bb[0][1]))
        middle = (bb[1][0] + bb[1][1]) / 2.0
        x, y = np.arange(width, dtype=np.float64), np.full(width, middle)
    wl = np.asarray(wcs(x, y)[2], dtype=np.float64)
    middle_wl = float(np.nanmean(wl)) if np.isfinite(wl).any() else np.nan
    return middle, middle_wl


def _grid(bb: tuple) -> tuple[np.ndarray, np.ndarray]:
    from gwcs.wcstools import grid_from_bounding_box

    return grid_from_bounding_box(bb)


def _nirspec_trace(
    shape: tuple[int, int], bb: tuple, wcs: Any, xpos: float, ypos: float
) -> np.ndarray:
    from scipy.interpolate import interp1d

    x, y = _grid(bb)
    nx = int(bb[0][1] - bb[0][0])
    _, _, slit_wl = wcs.get_transform("detector", "slit_frame")(x, y)
    waves = np.linspace(np.nanmin(slit_wl), np.nanmax(slit_wl), nx)
    tx, ty = wcs.get_transform("slit_frame", "detector")(
        np.full(nx, xpos), np.full(nx, ypos), waves
    )
    trace = interp1d(tx, ty, fill_value="extrapolate")(np.arange(nx))
    full = np.full(shape[1], np.nan)
    x0 = int(np.ceil(bb[0][0]))
    full[x0 : x0 + nx] = trace
    return full


def _miri_trace(shape: tuple[int, int], bb: tuple, wcs: Any, ra: float, dec: float) -> np.ndarray:
    from scipy.interpolate import interp1d

    x, y = _grid(bb)
    ny = int(bb[1][1] - bb[1][0])
    _, _, wl = wcs(x, y)
    waves = np.linspace(np.nanmin(wl), np.nanmax(wl), ny)
    tx, ty = wcs.backward_transform(np.full(ny, ra), np.full(ny, dec), waves)
    trace = interp1d(ty, tx, fill_value="extrapolate")(np.arange(ny))
    full = np.full(shape[0], np.nan)
    y0 = int(np.ceil(bb[1][0]))
    full[y0 : y0 + ny] = trace
    return full


def location_from_wcs(
    wcs: Any,
    shape: tuple[int, int],
    dispaxis: int,
    trace_kind: str | None,
    source: tuple[float | None, float | None],
) -> tuple[int | None, float | None, float | None, np.ndarray | None]:
    """Source position across the dispersion, from the WCS.

    Parameters
    ----------
    wcs : gwcs of the image (pixel indices of ``shape`` in).
    shape : (ny, nx) of the image.
    dispaxis : 1 (along x) or 2 (along y).
    trace_kind : how the WCS maps the source to the detector: ``"nirspec"``
        (slit frame) or ``"miri_lrs"`` (sky); None finds no position.
    source : (DITH_RA, DITH_DEC) in degrees for MIRI, (source_xpos, source_ypos)
        in slit units for NIRSpec.

    Returns
    -------
    middle : dispersion pixel where the nominal aperture centre is measured.
    middle_wl : wavelength there (µm).
    location : cross-dispersion pixel of the source.
    trace : source position at every dispersion pixel (NaN off the box).
    All None when the position cannot be found.
    """
    none = (None, None, None, None)
    bb = bounding_box(wcs, shape)
    lower, upper = bb[1] if dispaxis == HORIZONTAL else bb[0]
    middle_f, middle_wl = _middle(wcs, bb, dispaxis)
    middle = int(np.round(middle_f))
    a, b = source
    if a is None or b is None:
        log.warning("source position unknown: not recentring")
        return none
    trace = None
    if trace_kind == "nirspec":
        slit2det = wcs.get_transform("slit_frame", "detector")
        scale = 1e-6 if "gwa" in wcs.available_frames else 1.0
        _, location = slit2det(a, b, middle_wl * scale)
        if np.isfinite(location):
            trace = _nirspec_trace(shape, bb, wcs, a, b)
    elif trace_kind == "miri_lrs":
        location, _ = wcs.backward_transform(a, b, middle_wl)
        if np.isfinite(location):
            trace = _miri_trace(shape, bb, wcs, a, b)
    else:
        log.warning("source position cannot be found for this mode (no trace model)")
        return none
    location = float(location)
    if not np.isfinite(location) or location < lower or location > upper:
        log.warning("source position %.2f from the WCS is off the slit; not recentring", location)
        return none
    return middle, middle_wl, location, trace
