"""Each IFU slice's box on the detector and the wavelengths its WCS gives there.

The per-pixel IFU steps of jwst 3.0.0 (the flat, pathloss) loop over the 30
slices (``nrs_ifu_wcs``): each slice's WCS is evaluated on every pixel of its
bounding box, pixels of a neighbouring slice included (the slice's own
transform gives them a wavelength or NaN).  Here all 30 boxes are stacked
into one padded ``(slice, y, x)`` block, filled from the wavelength map
assign_wcs made with the same transforms; only the pixels that map cannot
answer for (a box pixel a later slice took) go through the slice's WCS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ...wcs.store import get_wcs
from . import ifu_wcs as iw
from .ifu import through

__all__ = ["SliceBoxes", "box_limits", "slice_boxes", "wavelength_map"]


@dataclass(frozen=True)
class SliceBoxes:
    """The 30 slice boxes stacked and padded.

    Attributes
    ----------
    x0, y0 : (30,) first full-frame column and row of each box (0-based).
    xsize, ysize : (30,) size of each box; beyond it the block is padding.
    wavelength : (30, ny, nx) wavelength (µm); NaN where the slice has none
        and in the padding.
    """

    x0: np.ndarray
    y0: np.ndarray
    xsize: np.ndarray
    ysize: np.ndarray
    wavelength: np.ndarray

    def full_frame(self, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Slice ``s``'s pixels with a wavelength: (mask in the block, full-frame y, x)."""
        good = np.isfinite(self.wavelength[s])
        yy, xx = np.nonzero(good)
        return good, yy + self.y0[s], xx + self.x0[s]


def box_limits(wcs: Any) -> tuple[int, int, int, int]:
    """(x0, x1, y0, y1) python-slice limits of a slice's bounding box, as jwst truncates it."""
    (xlo, xhi), (ylo, yhi) = wcs.bounding_box.bounding_box(order="F")
    xlo, ylo = (0.0 if v < -0.5 else v for v in (xlo, ylo))
    xhi, yhi = (2047.0 if v > 2047.5 else v for v in (xhi, yhi))
    return (
        math.ceil(xlo),
        math.floor(xhi) + 1,
        math.ceil(ylo),
        math.floor(yhi) + 1,
    )


def slice_boxes(ds: xr.Dataset) -> SliceBoxes:
    """Every slice's box and the wavelengths its WCS gives there (jwst ``ifu_wcs(x, y)``).

    The wavelengths come from assign_wcs's ``wavelength`` map (float64 µm,
    each pixel its slice's per the ``regions`` slice map) where that is
    exact: a box pixel labelled with the box's slice has that slice's
    wavelength, one labelled 0 or with an earlier slice has none from it
    (the slice map gives every box pixel with a wavelength a label not
    below its own slice).  Only a box pixel a later slice took is evaluated
    through this slice's WCS; without the maps (float32, or none) every box
    pixel is.

    Parameters
    ----------
    ds : NIRSpec IFU exposure after assign_wcs (one gwcs per slice).
    """
    wcs = [get_wcs(ds, slit=str(s)) for s in range(iw.N_SLICES)]
    boxes = np.array([box_limits(w) for w in wcs])
    x0, y0 = boxes[:, 0], boxes[:, 2]
    xsize, ysize = boxes[:, 1] - x0, boxes[:, 3] - y0
    ny, nx = int(ysize.max()), int(xsize.max())
    yy, xx = np.mgrid[0:ny, 0:nx]
    inside = (yy[None] < ysize[:, None, None]) & (xx[None] < xsize[:, None, None])
    s_idx, yi, xi = np.nonzero(inside)
    det_x, det_y = xi + x0[s_idx], yi + y0[s_idx]
    wave = np.full((iw.N_SLICES, ny, nx), np.nan)
    maps = wavelength_map(ds)
    if maps is None:
        evaluate = np.ones(s_idx.size, bool)
    else:
        regions, wavelength = maps
        label = regions[det_y, det_x]
        own = label == s_idx + 1
        wave[s_idx[own], yi[own], xi[own]] = wavelength[det_y[own], det_x[own]]
        evaluate = label > s_idx + 1
    if evaluate.any():
        s_e, yi_e, xi_e = s_idx[evaluate], yi[evaluate], xi[evaluate]
        gwa = through(
            wcs[0], "detector", "gwa", *(d[evaluate].astype(float) for d in (det_x, det_y))
        )
        bounds = np.searchsorted(s_e, np.arange(iw.N_SLICES + 1))
        for s in np.unique(s_e):
            part = slice(bounds[s], bounds[s + 1])
            lam = through(wcs[s], "gwa", "slit_frame", *(g[part] for g in gwa))[2]
            wave[s, yi_e[part], xi_e[part]] = lam * 1e6
    return SliceBoxes(x0, y0, xsize, ysize, wave)


def wavelength_map(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray] | None:
    """assign_wcs's slice map and float64 wavelength map (µm), or None when either is missing."""
    if "regions" not in ds.coords or "wavelength" not in ds.coords:
        return None
    wavelength = ds["wavelength"]
    if wavelength.dims != ("y", "x") or wavelength.dtype != np.float64:
        return None
    return np.asarray(ds["regions"].values), np.asarray(wavelength.values)
