"""The NIRSpec IFU point cloud for cube building: every slice's pixels, centres and corners on the sky.

As jwst 3.0.0's ``cube_build`` maps a NIRSpec IFU exposure
(``map_nirspec_pixel_to_sky``), for each of the 30 slices:

- the pixels of the slice's box that its WCS gives a wavelength;
- a pixel's wavelength extent is the wavelength difference between x -
  0.4999 and x + 0.4999 (NIRSpec disperses along x);
- its corners are the slicer-plane positions of y - 0.49 and y + 0.49,
  moved across the slice by half the slice width (the step between slices
  0 and 2 at their box centres), taken to the sky at their wavelengths;
  pixels with a corner off the sky are dropped by the drizzle;
- a pixel in two slices' boxes with a wavelength in both is the later slice's.

jwst evaluates each slice's full WCS on every pixel of its box; here the
detector -> GWA link (the same for all slices) runs once per slice box for
the five positions a pixel needs, the slice's own links only on the pixels
that have a wavelength, so a full frame (1.5 million pixels in the boxes)
maps in a few seconds.  The cube's footprint is the exposure's ``S_REGION``
(jwst reads it for sky-aligned cubes).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from ...cube.pointcloud import CubeSource, PointCloud, usable_pixels
from ...errors import InputFileError
from ...wcs.footprint import s_region_corners
from ...wcs.store import get_wcs, slit_wcs
from .ifu import through
from .ifu_boxes import box_limits
from .ifu_wcs import N_SLICES

__all__ = ["NRS_IFU_CUBE", "nrs_ifu_bands", "nrs_ifu_point_cloud", "s_region_corners"]

#: Half a pixel along the dispersion (wavelength extent) and along the slice (corners), as jwst.
_HALF_X = 0.4999
_HALF_Y = 0.49


def _slice_wcs(ds: xr.Dataset) -> list[Any]:
    """The gwcs of each of the 30 slices, or a clear error when the exposure lacks them."""
    per_slice = slit_wcs(ds)
    missing = [str(s) for s in range(N_SLICES) if per_slice is None or str(s) not in per_slice]
    if missing:
        raise InputFileError(
            f"{ds.attrs.get('FILENAME', 'the exposure')} has no NIRSpec IFU slice WCS "
            f"(slices {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''} missing): "
            "cube_build maps each of the 30 slices through its own WCS; run spec2x's "
            "assign_wcs on the exposure (its _rate, or the _cal spec2x wrote)"
        )
    return [get_wcs(ds, slit=str(s)) for s in range(N_SLICES)]


def _box_pixels(wcs: Any) -> tuple[np.ndarray, np.ndarray]:
    """x, y (float) of every pixel of a slice's box, row by row."""
    x0, x1, y0, y1 = box_limits(wcs)
    y, x = np.mgrid[y0:y1, x0:x1]
    return x.ravel().astype(np.float64), y.ravel().astype(np.float64)


def _across_width(wcs: list[Any]) -> float:
    """Width of a slice on the slicer (m): slices 0 and 2 at their box centres."""
    centres = []
    for s in (0, 2):
        (xlo, xhi), (ylo, yhi) = wcs[s].bounding_box.bounding_box(order="F")
        gwa = through(wcs[s], "detector", "gwa", np.mean((xlo, xhi)), np.mean((ylo, yhi)))
        centres.append(through(wcs[s], "gwa", "slicer", *gwa)[0])
    return float(abs(centres[0] - centres[1]))


def _extent(
    wcs: Any, moved: tuple[np.ndarray, ...], n: int, wave: np.ndarray, lam: np.ndarray
) -> np.ndarray:
    """The wavelength extent (µm) of ``n`` pixels: world wavelength of the slit-frame
    positions ``moved[:][:n]`` (x - 0.4999) minus that of ``moved[:][n:2n]`` (x + 0.4999).

    The IFU WCS carries the slit-frame wavelength (m) to the world frame
    unchanged but for the scale to µm; when the centres show it (``wave``,
    their world wavelength, equals ``1e6 * lam``, their slit-frame one, bit for
    bit) the scale stands for the whole sky transform, else the WCS is evaluated.
    """
    if np.array_equal(wave, 1e6 * lam, equal_nan=True):
        world = 1e6 * moved[2][: 2 * n]
    else:
        world = through(wcs, "slit_frame", "world", *(m[: 2 * n] for m in moved))[2]
    return np.abs(world[:n] - world[n:])


def _slice_cloud(wcs: Any, width: float, usable: np.ndarray) -> dict[str, np.ndarray]:
    """One slice's pixels with a wavelength: positions, wavelength, extent and corners.

    ``usable`` (y, x): the detector pixels a cube can use; the extent and
    corners of the others are NaN (not computed: no cube reads them).
    """
    x, y = _box_pixels(wcs)
    slit = through(wcs, "gwa", "slit_frame", *through(wcs, "detector", "gwa", x, y))
    keep = np.isfinite(slit[2])
    x_all, y_all = x[keep], y[keep]
    centre = [np.asarray(v)[keep] for v in slit]
    ra, dec, wave = through(wcs, "slit_frame", "world", *centre)
    good = usable[y_all.astype(np.intp), x_all.astype(np.intp)]
    x, y, centre_lam, n = x_all[good], y_all[good], centre[2][good], int(good.sum())
    # x -+ 0.4999 (extent) and y -+ 0.49 (corners) in one pass through the slice's links
    xs = np.concatenate([x - _HALF_X, x + _HALF_X, x, x])
    ys = np.concatenate([y, y, y - _HALF_Y, y + _HALF_Y])
    moved = through(wcs, "gwa", "slit_frame", *through(wcs, "detector", "gwa", xs, ys))
    across, along, lam = through(wcs, "slit_frame", "slicer", *(m[2 * n :] for m in moved))
    lo, hi = slice(0, n), slice(n, 2 * n)
    half = width / 2.0
    corner_pos = [
        (across[lo] - half, along[lo], lam[lo]),
        (across[lo] + half, along[lo], lam[lo]),
        (across[hi] + half, along[hi], lam[hi]),
        (across[hi] - half, along[hi], lam[hi]),
    ]
    a, b, c = (np.concatenate(v) for v in zip(*corner_pos, strict=True))
    cra, cdec, _ = through(wcs, "slicer", "world", a, b, c)
    dwave, corner_ra, corner_dec = np.full(wave.size, np.nan), *np.full((2, wave.size, 4), np.nan)
    dwave[good], corner_ra[good], corner_dec[good] = (
        _extent(wcs, moved, n, wave[good], centre_lam), cra.reshape(4, n).T, cdec.reshape(4, n).T
    )  # fmt: skip
    return {
        "x": x_all, "y": y_all, "ra": ra, "dec": dec, "wave": wave, "dwave": dwave,
        "corner_ra": corner_ra, "corner_dec": corner_dec,
    }  # fmt: skip


def nrs_ifu_point_cloud(
    ds: xr.Dataset, key: tuple[str, str] | None = None, _: Any = None
) -> PointCloud:
    """Every IFU pixel with a wavelength, as a :class:`PointCloud` (jwst's pixel order).

    Parameters
    ----------
    ds : NIRSpec IFU exposure with ``sci``, ``err``, ``dq`` (y, x) after
        assign_wcs (one gwcs per slice).
    key : the (grating, filter) of the cube (one per exposure; not used).

    Raises
    ------
    InputFileError
        No pixel of any slice has a wavelength.
    """
    wcs = _slice_wcs(ds)
    width = _across_width(wcs)
    usable = usable_pixels(*(np.asarray(ds[name].values) for name in ("sci", "err", "dq")))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)
        parts = [_slice_cloud(w, width, usable) for w in wcs]
    cloud = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    if cloud["x"].size == 0:
        raise InputFileError(
            f"{ds.attrs.get('FILENAME', 'the exposure')}: no IFU pixel has a wavelength; "
            "check the exposure's WCS (assign_wcs), GRATING and FILTER"
        )
    nx = ds.sizes["x"]
    flat = cloud["y"].astype(np.int64) * nx + cloud["x"].astype(np.int64)
    # the later slice wins a pixel two slices share; jwst's full-frame order after
    last = flat.size - 1 - np.unique(flat[::-1], return_index=True)[1]
    at = (cloud["y"][last].astype(int), cloud["x"][last].astype(int))
    sci, err = (np.asarray(ds[name].values, np.float64)[at] for name in ("sci", "err"))
    dq = np.asarray(ds["dq"].values)[at].astype(np.int64)
    pick = {k: cloud[k][last] for k in ("ra", "dec", "wave", "dwave", "corner_ra", "corner_dec")}
    return PointCloud(**pick, flux=sci, err=err, dq=dq)


def nrs_ifu_bands(ds: xr.Dataset) -> list[tuple[str, str]]:
    """The (grating, filter) of the exposure, lowercase: its one cube."""
    return [(str(ds.attrs.get("GRATING", "")).lower(), str(ds.attrs.get("FILTER", "")).lower())]


def _rotation(ds: xr.Dataset, key: tuple[str, str], _: Any = None) -> float:
    """Angle (deg) of the slices' length on the sky, as jwst's ``ifualign`` cubes take it.

    Slicer (0, 0) and (0, 5 mm) of slice 0 at the median wavelength of its box.
    """
    wcs = _slice_wcs(ds)[0]
    x, y = _box_pixels(wcs)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)
        lam = through(wcs, "gwa", "slicer", *through(wcs, "detector", "gwa", x, y))[2]
        median = np.nanmedian(lam)
    ra1, dec1, _ = through(wcs, "slicer", "world", 0.0, 0.0, median)
    ra2, dec2, _ = through(wcs, "slicer", "world", 0.0, 0.005, median)
    dra, ddec = (ra2 - ra1) * np.cos(dec1 * np.pi / 180.0), dec2 - dec1
    return float(90 + np.arctan2(dra, ddec) * 180.0 / np.pi)


def _name(key: tuple[str, str]) -> str:
    return f"{key[0]}-{key[1]}"


#: The NIRSpec IFU as a cube source (``Mode.cube_source`` of NRS_IFU).
NRS_IFU_CUBE = CubeSource(
    bands=nrs_ifu_bands,
    cloud=nrs_ifu_point_cloud,
    name=_name,
    rotation=_rotation,
    footprint=s_region_corners,
)
