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
pixels and their slices and wavelengths are assign_wcs's slice map and
wavelength map (what that evaluation gives), and the slices' links run only
on the pixels a cube can use, for the four positions a pixel's extent and
corners need, and on the centres only when the cube reads their sky
positions (``centres``), so a full frame maps in under a second.  The cube's
footprint is the exposure's ``S_REGION`` (jwst reads it for sky-aligned cubes).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from ...cube.pointcloud import CubeSource, PointCloud, usable_pixels
from ...cube.scaled import scaled_input
from ...errors import InputFileError
from ...wcs.footprint import s_region_corners
from ...wcs.store import get_wcs, slit_wcs
from .ifu import through
from .ifu_boxes import box_limits, wavelength_map
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


def _slice_map(ds: xr.Dataset, wcs: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(y, x) slice + 1 of every pixel (0: none) and its world wavelength (µm).

    A pixel is the last slice's whose box holds it and whose WCS gives it a
    wavelength: assign_wcs's slice map and float64 wavelength map are that
    (:func:`~spec2x.instruments.nirspec.ifu_boxes.wavelength_map`); without
    them each slice's WCS is evaluated on its box, slice by slice.
    """
    maps = wavelength_map(ds)
    if maps is not None:
        return maps
    shape = (ds.sizes["y"], ds.sizes["x"])
    label, wave = np.zeros(shape, np.int32), np.full(shape, np.nan)
    for s, w in enumerate(wcs):
        x, y = _box_pixels(w)
        slit = through(w, "detector", "slit_frame", x, y)
        keep = np.isfinite(slit[2])
        at = (y[keep].astype(np.intp), x[keep].astype(np.intp))
        label[at] = s + 1
        wave[at] = through(w, "slit_frame", "world", *(v[keep] for v in slit))[2]
    return label, wave


def _wavelength_scale(wcs: Any) -> tuple[Any, ...] | None:
    """The factors that take the slit-frame wavelength to the world one (µm), when the
    WCS does only that to it (:func:`~spec2x.cube.scaled.scaled_input`); else None."""
    frames = wcs.available_frames
    links = [step.transform for step in wcs.pipeline[frames.index("slit_frame") : -1]]
    found = scaled_input(links, 2)
    return found[1] if found is not None and found[0] == 2 else None


def _extent(wcs: Any, moved: tuple[np.ndarray, ...], n: int) -> np.ndarray:
    """The wavelength extent (µm) of ``n`` pixels: world wavelength of the slit-frame
    positions ``moved[:][:n]`` (x - 0.4999) minus that of ``moved[:][n:2n]`` (x + 0.4999).

    When the WCS only scales the slit-frame wavelength to the world one, the
    scaling stands for the whole sky transform, else the WCS is evaluated.
    """
    factors = _wavelength_scale(wcs)
    if factors is None:
        world = through(wcs, "slit_frame", "world", *(m[: 2 * n] for m in moved))[2]
    else:
        world = moved[2][: 2 * n]
        for factor in factors:
            world = factor * world
    return np.abs(world[:n] - world[n:])


def _pixel_edges(
    wcs: Any, width: float, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wavelength extent (µm) and (n, 4) corner RA, Dec (deg) of pixels (x, y) of one slice."""
    n = x.size
    # x -+ 0.4999 (extent) and y -+ 0.49 (corners) in one pass through the slice's links
    xs = np.concatenate([x - _HALF_X, x + _HALF_X, x, x])
    ys = np.concatenate([y, y, y - _HALF_Y, y + _HALF_Y])
    moved = through(wcs, "detector", "slit_frame", xs, ys)
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
    return _extent(wcs, moved, n), cra.reshape(4, n).T, cdec.reshape(4, n).T


def nrs_ifu_point_cloud(
    ds: xr.Dataset, key: tuple[str, str] | None = None, _: Any = None, *, centres: bool = True
) -> PointCloud:
    """Every IFU pixel with a wavelength, as a :class:`PointCloud` (jwst's pixel order).

    Parameters
    ----------
    ds : NIRSpec IFU exposure with ``sci``, ``err``, ``dq`` (y, x) after
        assign_wcs (one gwcs per slice).
    key : the (grating, filter) of the cube (one per exposure; not used).
    centres : compute the pixel centres' RA, Dec; False: NaN (a drizzle onto a
        grid from the exposure's footprint reads only the corners).

    Raises
    ------
    InputFileError
        No pixel of any slice has a wavelength.
    """
    wcs = _slice_wcs(ds)
    width = _across_width(wcs)
    flux, err, dq = (np.asarray(ds[name].values) for name in ("sci", "err", "dq"))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)
        label, wave = _slice_map(ds, wcs)
        pixels = np.flatnonzero(label)  # jwst's full-frame order
        if pixels.size == 0:
            raise InputFileError(
                f"{ds.attrs.get('FILENAME', 'the exposure')}: no IFU pixel has a wavelength; "
                "check the exposure's WCS (assign_wcs), GRATING and FILTER"
            )
        owner = label.ravel()[pixels] - 1
        usable = usable_pixels(flux, err, dq).ravel()[pixels]
        y, x = (v.astype(np.float64) for v in np.divmod(pixels, ds.sizes["x"]))
        ra, dec, dwave = np.full((3, pixels.size), np.nan)
        corner_ra, corner_dec = np.full((2, pixels.size, 4), np.nan)
        by_slice = np.argsort(owner, kind="stable")
        bounds = np.searchsorted(owner[by_slice], np.arange(N_SLICES + 1))
        for s, w in enumerate(wcs):
            mine = by_slice[bounds[s] : bounds[s + 1]]
            if centres:
                ra[mine], dec[mine] = through(w, "detector", "world", x[mine], y[mine])[:2]
            good = mine[usable[mine]]
            dwave[good], corner_ra[good], corner_dec[good] = _pixel_edges(
                w, width, x[good], y[good]
            )
    return PointCloud(
        ra, dec, wave.ravel()[pixels], dwave, corner_ra, corner_dec,
        flux=flux.ravel()[pixels].astype(np.float64), err=err.ravel()[pixels].astype(np.float64),
        dq=dq.ravel()[pixels].astype(np.int64),
    )  # fmt: skip


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
