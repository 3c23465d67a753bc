"""NumPy kernels of the NIRSpec slit flat field (fixed slits, BOTS, MOS slitlets).

The flat is built per pixel from three components -- fore optics (f),
spectrograph (s), detector (d) -- each the product of an optional image part
(2-D, or a cube interpolated linearly in wavelength) and a fast-variation
curve (a table row per slit) averaged over the pixel's wavelength extent with
a 3-point Gauss-Legendre rule.  Many slits are done in one pass: arrays are
``(slit, y, x)``, in blocks of whole slits of about :data:`BLOCK_PIXELS`
pixels (:func:`slit_flat`: the float64 temporaries stay those of one block,
whatever the number of slits); the table interpolation loops over the
distinct wavelength grids of the rows used (one per fixed slit; one per MSA
quadrant for the MOS shutters' rows), never over slits or pixels.

The arithmetic follows jwst 3.0.0 ``jwst.flatfield.flat_field``
(``create_flat_field``, ``combine_fast_slow``, ``clean_wl``,
``interpolate_flat``, ``combine_dq``) step by step, including the order of
operations and dtypes, so that the numbers agree to float32 precision.
No xarray here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...dq import DQ
from ...io.fits_lazy import LazyImage
from .flat_interp import interp_rows

__all__ = [
    "BADFLAT",
    "BLOCK_PIXELS",
    "FlatComponent",
    "clean_wavelength",
    "combine_fast_slow",
    "gauss_nodes",
    "clamp_to_images",
    "interpolate_cube",
    "pixel_flat",
    "slit_flat",
]

#: A flat image: an array, or a file's image read where indexed (:mod:`spec2x.io.fits_lazy`).
Image = np.ndarray | LazyImage

DNU = np.uint32(DQ.DO_NOT_USE)
NFF = np.uint32(DQ.NO_FLAT_FIELD)
#: DQ of a pixel without a usable flat (jwst ``BADFLAT``).
BADFLAT = np.uint32(DQ.NO_FLAT_FIELD | DQ.DO_NOT_USE | DQ.UNRELIABLE_FLAT)

_GAUSS_OFFSETS = (-math.sqrt(0.6) / 2.0, 0.0, math.sqrt(0.6) / 2.0)
_GAUSS_WEIGHTS = tuple(np.array([5.0, 8.0, 5.0]) / 18.0)

#: Pixels (whole slits, at least one) :func:`slit_flat` evaluates at a time: its
#: float64 temporaries, some 25 arrays of a block, stay near 50 MB.
BLOCK_PIXELS = 1 << 18


@dataclass(frozen=True)
class FlatComponent:
    """One flat component as the kernel needs it.

    Attributes
    ----------
    kind : ``"fore"``, ``"spectrograph"`` or ``"detector"``.
    tables : fast-variation rows: (wavelength µm, flat, error) per row.
    image, image_dq, image_err : full-frame image part (2-D or 3-D) or None
        (the fore-optics image is never used for slits, as in jwst).
    image_wavelength : wavelength (µm) of each plane of a 3-D image.
    curve_errors : per table row, (wavelength µm, error) of an error curve
        interpolated at each pixel's wavelength (0 outside): the MOS fore
        optics' per-shutter error; None for none.
    """

    kind: str
    tables: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]
    image: Image | None = None
    image_dq: Image | None = None
    image_err: Image | None = None
    image_wavelength: np.ndarray | None = None
    curve_errors: Sequence[tuple[np.ndarray, np.ndarray]] | None = None


def clean_wavelength(wl: np.ndarray, xsize: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fill missing wavelengths and take the per-pixel wavelength step (dispersion along x).

    Parameters
    ----------
    wl : (slit, y, x) wavelengths (µm), 0 where none (jwst's NaN stand-in).
    xsize : (slit,) number of real columns of each slit (the rest is padding).

    Returns
    -------
    wl_c : non-positive values replaced by the mean of their column; columns
        before the first (after the last) column with a wavelength copy that
        column; NaN where nothing can be said (as jwst ``clean_wl``).
    dwl : forward difference of ``wl_c`` along x; the last real column of
        each slit repeats the one before it.
    """
    wl_c = np.where(wl > 0.0, wl, np.nan)
    finite = np.isfinite(wl_c)
    has = finite.any(axis=1)  # (slit, x)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(
            has, np.nansum(np.where(finite, wl_c, 0.0), axis=1) / finite.sum(axis=1), np.nan
        )
    wl_c = np.where(finite, wl_c, mean[:, None, :])
    nx = wl.shape[-1]
    cols = np.arange(nx)
    anywhere = np.any(has, axis=1)
    first = np.where(anywhere, np.argmax(has, axis=1), 0)
    last = np.where(anywhere, nx - 1 - np.argmax(np.flip(has, axis=1), axis=1), nx - 1)
    idx = np.clip(cols[None, :], first[:, None], last[:, None])  # (slit, x)
    wl_c = np.take_along_axis(wl_c, np.broadcast_to(idx[:, None, :], wl_c.shape), axis=2)
    dwl = np.zeros_like(wl_c)
    dwl[..., :-1] = wl_c[..., 1:] - wl_c[..., :-1]
    if nx > 1:
        dwl[..., -1] = dwl[..., -2]
        lastcol = np.clip(np.asarray(xsize, int) - 1, 1, nx - 1)
        s = np.arange(wl.shape[0])
        dwl[s, :, lastcol] = dwl[s, :, lastcol - 1]
    return wl_c, dwl


def gauss_nodes(wl_c: np.ndarray, dwl: np.ndarray) -> list[np.ndarray]:
    """Wavelengths of the three Gauss-Legendre nodes across each pixel."""
    return [wl_c + dwl * offset for offset in _GAUSS_OFFSETS]


def combine_fast_slow(
    wl: np.ndarray,
    wl_c: np.ndarray,
    dwl: np.ndarray,
    flat_2d: np.ndarray | float,
    flat_dq: np.ndarray | None,
    flat_err: np.ndarray | None,
    rows: np.ndarray,
    tables: Sequence[tuple[np.ndarray, ...]],
    nodes: Sequence[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multiply the image part by the fast-variation curve averaged over each pixel.

    The curve is averaged over ``wl_c ± dwl / 2`` with 3-point Gauss-Legendre
    weights; pixels with no wavelength (``wl <= 0``) get 1; pixels whose
    wavelength lies outside the table get 1 and ``NO_FLAT_FIELD | DO_NOT_USE``.
    Errors: the table error interpolated linearly, added in quadrature with
    the image error (NaN counted as 0).  ``nodes`` are the three Gauss nodes
    ``wl_c + dwl * u`` when already computed (they are the same for every
    component).
    """
    dq = np.zeros(wl.shape, np.uint32) if flat_dq is None else flat_dq.copy()
    if nodes is None:
        nodes = gauss_nodes(wl_c, dwl)
    values = np.zeros_like(wl_c)
    for node, weight in zip(nodes, _GAUSS_WEIGHTS, strict=True):
        values += weight * interp_rows(node, rows, tables, 1)
    error_value = interp_rows(wl_c, rows, tables, 2)
    bad = wl <= 0
    values[bad] = 1.0
    error_value[bad] = 0.0
    missing = np.isnan(values)
    values[missing] = 1.0
    error_value[missing] = 0.0
    dq[missing] |= NFF | DNU
    var = np.square(error_value * flat_2d)
    var[np.isnan(var)] = 0.0
    if flat_err is not None:  # none: + 0 exactly
        v2 = np.square(flat_err * values)
        v2[np.isnan(v2)] = 0.0
        var += v2
    err = np.sqrt(var)
    return flat_2d * values, dq, err


def interpolate_cube(
    cube: Image,
    cube_dq: Image,
    cube_err: Image,
    cube_wl: np.ndarray,
    wl: np.ndarray,
    yy: np.ndarray,
    xx: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interpolate a flat cube linearly in wavelength at each pixel (jwst ``interpolate_flat``).

    Parameters
    ----------
    cube, cube_dq, cube_err : full-frame (nplane, ny, nx) flat; DQ and ERR
        may be 2-D (the same for every plane).
    cube_wl : wavelength (µm) of each plane, increasing.
    wl : (slit, y, x) pixel wavelengths (µm), 0 where none.
    yy, xx : (slit, y, x) full-frame pixel indices of each pixel.

    Returns
    -------
    flat (float32), dq (uint32), err: 1 and ``DO_NOT_USE`` where the pixel is
    flagged or its wavelength lies outside the planes.
    """
    nz, plane = cube.shape[0], cube.shape[1] * cube.shape[2]
    pix = _pixel_index(cube, yy, xx)  # also the index into plane 0
    if nz == 1:
        return cube.take(pix), cube_dq.take(pix), cube_err.take(pix)
    k = np.clip(np.searchsorted(cube_wl, wl, side="right") - 1, 0, nz - 2)
    denom = cube_wl[k + 1] - cube_wl[k]
    zero = denom == 0.0
    denom = np.where(zero, 1.0, denom)
    p = np.where(zero, 0.0, (wl - cube_wl[k]) / denom)
    q = 1.0 - p
    at_k = k * plane + pix
    at_next = at_k + plane
    flat = q * cube.take(at_k) + p * cube.take(at_next)
    if cube_err.ndim == 2:
        err = cube_err.take(pix)
    else:
        err = q * cube_err.take(at_k) + p * cube_err.take(at_next)
    if cube_dq.ndim == 2:
        dq = cube_dq.take(pix)
    else:
        dk = cube_dq.take(at_k)
        dq = np.where(p == 0.0, dk, dk | cube_dq.take(at_next))
        flat[(dq & DNU) != 0] = 1.0
    dq = dq | np.where((wl < cube_wl[0]) | (wl > cube_wl[-1]), DNU, np.uint32(0))
    flat[(dq & DNU) != 0] = 1.0
    return flat.astype(cube.dtype), dq, err


def _pixel_index(image: Image, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """Index of pixel ``(yy, xx)`` of ``image``'s last two axes flattened in C order.

    ``image.take`` of it (plus a multiple of the plane size for a later
    plane) reads the same values as indexing by ``yy, xx``, faster.
    """
    return yy * image.shape[-1] + xx


def _component(
    comp: FlatComponent,
    rows: np.ndarray,
    wl: np.ndarray,
    wl_c: np.ndarray,
    dwl: np.ndarray,
    yy: np.ndarray,
    xx: np.ndarray,
    nodes: Sequence[np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One component's flat, DQ and error at every pixel."""
    bad_flag = NFF | DNU
    if comp.kind == "fore" or comp.image is None:
        err_in = None
        if comp.curve_errors is not None:
            err_in = interp_rows(wl, rows, comp.curve_errors, 1, fill=0.0)
        flat, dq, err = combine_fast_slow(
            wl, wl_c, dwl, 1.0, None, err_in, rows, comp.tables, nodes
        )
        dq[np.isnan(flat) | (flat == 0.0)] |= bad_flag
        flat[(dq & DNU) != 0] = np.nan  # no safe default for the fore optics
        return flat, dq, err
    assert comp.image_dq is not None
    assert comp.image_err is not None
    if comp.image.ndim == 3:
        assert comp.image_wavelength is not None
        flat_2d, dq, err = interpolate_cube(
            comp.image, comp.image_dq, comp.image_err, comp.image_wavelength, wl, yy, xx
        )
    else:
        pix = _pixel_index(comp.image, yy, xx)
        flat_2d, dq, err = comp.image.take(pix), comp.image_dq.take(pix), comp.image_err.take(pix)
    dq = dq | np.where(np.isnan(flat_2d) | (flat_2d == 0.0), bad_flag, np.uint32(0))
    flat_2d = np.where((dq & DNU) != 0, flat_2d.dtype.type(1.0), flat_2d)
    return combine_fast_slow(wl, wl_c, dwl, flat_2d, dq, err, rows, comp.tables, nodes)


def pixel_flat(
    wl: np.ndarray,
    wl_c: np.ndarray,
    dwl: np.ndarray,
    yy: np.ndarray,
    xx: np.ndarray,
    rows: Sequence[np.ndarray],
    components: Sequence[FlatComponent | None],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The NIRSpec flat (f * s * d) of given pixels, once their wavelengths are cleaned.

    Every pixel is computed on its own (no neighbour is used): any selection
    of a cut-out's pixels gives their values in the whole cut-out.

    Parameters
    ----------
    wl : (slit, ...) wavelength (µm), 0 where none.
    wl_c, dwl : the cleaned wavelength and its step (:func:`clean_wavelength`).
    yy, xx : full-frame pixel of each (inside the flat images).
    rows : per component, (slit,) index of the fast-variation row of each slit.
    components : fore, spectrograph, detector; None where N/A.

    Returns
    -------
    flat (float64; 1 where DO_NOT_USE, NaN where the product is <= 0),
    dq (uint32), err (float64).
    """
    nodes = gauss_nodes(wl_c, dwl)
    parts: list[tuple[np.ndarray, np.ndarray | None, np.ndarray | None]] = []
    for comp, row in zip(components, rows, strict=True):
        if comp is None:
            parts.append((np.ones(wl.shape, np.float32), None, None))
        else:
            parts.append(_component(comp, np.asarray(row), wl, wl_c, dwl, yy, xx, nodes))
    flat = parts[0][0] * parts[1][0] * parts[2][0]

    dqs: list[np.ndarray] = [p[1] for p in parts if p[1] is not None]
    dq = np.zeros(wl.shape, np.uint32)
    if not dqs:
        dq |= BADFLAT
    for d in dqs:
        dq |= d
    dq[(dq & NFF) != 0] |= DNU
    dq[(dq & DNU) != 0] |= BADFLAT

    sum_var = np.zeros_like(flat)
    for part_flat, _, part_err in parts:
        if part_err is not None:
            denom = np.where(part_flat == 0, 1.0, part_flat)
            sum_var += (part_err / denom) ** 2
    with np.errstate(invalid="ignore"):
        err = flat * np.sqrt(sum_var)
    flat[(dq & DNU) != 0] = 1.0
    nonpos = flat <= 0.0
    flat[nonpos] = np.nan
    dq[nonpos] |= BADFLAT
    return flat, dq, err


def clamp_to_images(
    yy: np.ndarray, xx: np.ndarray, components: Sequence[FlatComponent | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Full-frame pixel indices moved inside every component's image (0 below, last above)."""
    yy, xx = np.maximum(yy, 0), np.maximum(xx, 0)
    for comp in components:
        if comp is not None and comp.image is not None and comp.kind != "fore":
            yy = np.minimum(yy, comp.image.shape[-2] - 1)
            xx = np.minimum(xx, comp.image.shape[-1] - 1)
    return yy, xx


def slit_flat(
    wavelength: np.ndarray,
    x0: np.ndarray,
    y0: np.ndarray,
    xsize: np.ndarray,
    ysize: np.ndarray,
    *rows: np.ndarray,
    components: Sequence[FlatComponent | None],
    dispaxis: int = 1,
    block_pixels: int = BLOCK_PIXELS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The NIRSpec flat (f * s * d) of every pixel of every slit.

    Parameters
    ----------
    wavelength : (slit, y, x) wavelength (µm), NaN where none.
    x0, y0 : (slit,) 0-based full-frame detector pixel of each cut-out's corner.
    xsize, ysize : (slit,) real size of each cut-out (beyond is padding).
    rows : per component, (slit,) index of the fast-variation row of each slit.
    components : fore, spectrograph, detector; None where N/A (a unit flat without DQ, as jwst).
    dispaxis : 1 (dispersion along x) or 2 (along y).
    block_pixels : pixels evaluated at a time (whole slits, at least one); a
        slit's numbers do not depend on the others', so it changes no value,
        only the memory (float64 temporaries of one block) and the calls.

    Returns
    -------
    flat (float32; 1 where DO_NOT_USE, NaN where the product is <= 0),
    dq (uint32), err (float32): jwst's interpolated flat.
    """
    wavelength = np.asarray(wavelength)
    flat = np.empty(wavelength.shape, np.float32)
    dq = np.empty(wavelength.shape, np.uint32)
    err = np.empty(wavelength.shape, np.float32)
    ns, ny, nx = wavelength.shape
    per_block = max(1, block_pixels // max(ny * nx, 1))
    per_slit = [np.asarray(a) for a in (x0, y0, xsize, ysize, *rows)]
    for start in range(0, ns, per_block):
        b = slice(start, start + per_block)
        flat[b], dq[b], err[b] = _block_flat(
            wavelength[b], *(a[b] for a in per_slit), components=components, dispaxis=dispaxis
        )
    return flat, dq, err


def _block_flat(
    wavelength: np.ndarray,
    x0: np.ndarray,
    y0: np.ndarray,
    xsize: np.ndarray,
    ysize: np.ndarray,
    *rows: np.ndarray,
    components: Sequence[FlatComponent | None],
    dispaxis: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`slit_flat` of a block of slits, flat and error in float64."""
    wl = np.where(np.isnan(wavelength), 0.0, wavelength)
    ns, ny, nx = wl.shape
    yy, xx = np.broadcast_arrays(
        y0[:, None, None] + np.arange(ny)[None, :, None],
        x0[:, None, None] + np.arange(nx)[None, None, :],
    )
    yy, xx = clamp_to_images(yy, xx, components)
    if dispaxis == 2:
        wl_c, dwl = clean_wavelength(wl.transpose(0, 2, 1), ysize)
        wl_c, dwl = wl_c.transpose(0, 2, 1), dwl.transpose(0, 2, 1)
    else:
        wl_c, dwl = clean_wavelength(wl, xsize)
    flat, dq, err = pixel_flat(wl, wl_c, dwl, yy, xx, rows, components)
    # padding beyond the real cut-out: no flat, no flags
    pad = (np.arange(ny)[None, :, None] >= ysize[:, None, None]) | (
        np.arange(nx)[None, None, :] >= xsize[:, None, None]
    )
    flat[pad], dq[pad], err[pad] = 1.0, 0, 0.0
    return flat, dq, err
