"""The MIRI MRS point cloud for cube building: each channel's pixels, centres and corners on the sky.

As jwst 3.0.0's ``cube_build`` maps an MRS exposure (``map_miri_pixel_to_sky``):

- a channel's pixels are the detector columns of its half (channel 1 and 4:
  x < 512; channels 2 and 3: 513 <= x < 1031) with a sky position;
- a pixel's wavelength extent is the wavelength difference between y -
  0.4999 and y + 0.4999;
- its corners are at alpha of x -+ 0.4999 and beta -+ half the slice width
  (the step between the two lowest betas of the channel), taken to the sky
  at the pixel's wavelength;
- a sky-aligned cube of channel 2 or 4 covers the exposure's ``S_REGION``
  (9 decimals), one of channel 1 or 3 (the smaller field of its detector)
  the pixels' sky positions (``IFUCubeData.setup_ifucube_wcs``).

The same numbers as the gwcs called on every position, with less work: a
pixel's corners and wavelength-extent points lie in its own slice (each
rounds to the pixel), so the ``regions`` label of the centre serves all five
positions and the wavelength's channel label all five sky points; the pixels
are taken slice by slice, each slice's transform runs once per block on the
five positions of its pixels, and the cloud goes back to the detector's order.
"""

from __future__ import annotations

import warnings
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ...cube.fastmodel import FastFunction, fast_model
from ...cube.pointcloud import CubeSource, PointCloud
from ...cube.regions import LabelledFunction, labelled_function
from ...errors import InputFileError
from ...wcs.footprint import s_region_corners
from .mrs_wcs import channel_bands

__all__ = ["MRS_CHANNEL_COLUMNS", "MRS_CUBE", "mrs_bands", "mrs_point_cloud", "mrs_world"]

#: Detector columns [start, end) of each channel.
MRS_CHANNEL_COLUMNS = {"1": (0, 512), "2": (513, 1031), "3": (513, 1031), "4": (0, 512)}
_HALF = 0.4999
#: Pixels mapped at once: small enough that the temporaries stay in cache and that
#: OpenBLAS runs the sky rotation (a 3x3 dot) on one thread (a big one costs 10x the CPU).
_BLOCK = 16384


def mrs_point_cloud(ds: xr.Dataset, channel: str, wcs: Any) -> PointCloud:
    """Every pixel of ``channel`` with a sky position, as a :class:`PointCloud`.

    Parameters
    ----------
    ds : MRS exposure with ``sci``, ``err``, ``dq`` (y, x).
    channel : ``"1"`` ... ``"4"``.
    wcs : the exposure's gwcs (``detector -> alpha_beta -> v2v3 -> ... -> world``, as
        :func:`spec2x.instruments.miri.mrs_wcs.mrs_wcs` builds it).

    Raises
    ------
    InputFileError
        No pixel of the channel has a sky position.
    """
    maps = _maps(wcs)
    y, x, labels, inverse = _slice_pixels(maps, ds.sizes["y"], MRS_CHANNEL_COLUMNS[channel])
    alpha, beta, wave, dwave = _alpha_beta(maps, labels, x, y)
    # the wavelength picks each pixel's channel transform, the same for its corners
    sky_labels = np.asarray(maps.v2v3_label(alpha[0], beta[0], wave)).ravel()
    ra, dec = _to_sky(maps, sky_labels, alpha[:1], beta[:1], wave)
    keep = np.isfinite(alpha[0]) & np.isfinite(beta[0]) & np.isfinite(wave) & ~np.isnan(ra[0])
    if not keep.any():
        raise InputFileError(
            f"{ds.attrs.get('FILENAME', 'the exposure')}: no pixel of channel {channel} maps to "
            "the sky; check the exposure's WCS (assign_wcs) and CHANNEL"
        )
    betas = np.unique(beta[1, keep])
    half = np.abs(betas[1] - betas[0]) / 2.0
    # corners: alpha of x -/+ 0.4999, beta (of x - 0.4999) -/+ half a slice, round the pixel
    corner_alpha = alpha[[1, 1, 2, 2]]
    corner_beta = beta[1] + np.array([-half, half, half, -half])[:, None]
    corner_ra, corner_dec = _to_sky(maps, sky_labels, corner_alpha, corner_beta, wave)
    back = inverse[keep[inverse]]  # the kept pixels in the detector's order (row by row)
    at = (y[back].astype(int), x[back].astype(int))
    sci, err = (np.asarray(ds[name].values)[at].astype(np.float64) for name in ("sci", "err"))
    dq = np.asarray(ds["dq"].values)[at].astype(np.int64)
    return PointCloud(
        ra[0, back], dec[0, back], wave[back], dwave[back],
        corner_ra.T[back], corner_dec.T[back], sci, err, dq,
    )  # fmt: skip


def mrs_world(wcs: Any, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RA, Dec (deg) and wavelength (µm) of every pixel of the detector, (ny, nx) each.

    The numbers of ``wcs(x, y)`` on every pixel (NaN outside the slices and
    where the wavelength is in no channel's range), with the slices' and the
    channels' transforms run a block of pixels at a time (the pixels sorted by
    slice once) instead of through gwcs's selectors on the whole detector.

    Parameters
    ----------
    wcs : the exposure's gwcs (as :func:`spec2x.instruments.miri.mrs_wcs.mrs_wcs` builds it).
    shape : (ny, nx) of the detector.
    """
    maps = _maps(wcs)
    y, x, labels, _ = _slice_pixels(maps, shape[0], (0, shape[1]))
    world = [np.full(shape, np.nan) for _ in range(3)]
    for part in _blocks(x.size):
        alpha, beta, wave = maps.to_abl(labels[part], x[part], y[part])
        sky_labels = np.asarray(maps.v2v3_label(alpha[0], beta[0], wave[0])).ravel()
        v2, v3, wave = maps.to_v2v3(sky_labels, alpha, beta, wave)
        at = (y[part].astype(np.intp), x[part].astype(np.intp))
        for out, value in zip(world, maps.to_sky(v2[0], v3[0], wave[0]), strict=True):
            out[at] = value
    return world[0], world[1], world[2]


@dataclass(frozen=True)
class _MrsMaps:
    """An MRS gwcs's steps as compiled functions (once per gwcs).

    ``label_map``: (ny, nx) slice label of each pixel; ``to_abl(labels, x, y)`` and
    ``to_v2v3(labels, alpha, beta, lam)``: the slice's and the channel's transforms at
    points of given labels; ``v2v3_label(alpha, beta, lam)``: the channel label of
    each point; ``to_sky(v2, v3, lam)``: the rest of the way (velocity aberration, sky).
    """

    label_map: np.ndarray
    to_abl: LabelledFunction
    v2v3_label: Any
    to_v2v3: LabelledFunction
    to_sky: FastFunction


_MAPS: weakref.WeakKeyDictionary[Any, _MrsMaps] = weakref.WeakKeyDictionary()


def _maps(wcs: Any) -> _MrsMaps:
    maps = _MAPS.get(wcs)
    if maps is None:
        to_abl = wcs.get_transform(wcs.available_frames[0], "alpha_beta")
        to_v2v3 = wcs.get_transform("alpha_beta", "v2v3")
        maps = _MAPS[wcs] = _MrsMaps(
            np.asarray(to_abl.label_mapper.mapper),
            labelled_function(to_abl, fast_model),
            to_v2v3.label_mapper,
            labelled_function(to_v2v3, fast_model),
            fast_model(wcs.get_transform("v2v3", wcs.output_frame.name)),
        )
    return maps


def _slice_pixels(
    maps: _MrsMaps, ny: int, columns: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(y, x, label) of the pixels of ``columns`` [start, end) in a slice, slice by slice,
    and where each pixel of the detector's order (row by row) is in them."""
    labels = maps.label_map[:ny, columns[0] : columns[1]]
    y, x = np.nonzero(labels)
    labels = labels[y, x]
    order = np.argsort(labels, kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    y, x = y[order].astype(np.float64), (x[order] + columns[0]).astype(np.float64)
    return y, x, labels[order], inverse


def _alpha_beta(
    maps: _MrsMaps, labels: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(3, n) alpha and beta at x, x - 0.4999, x + 0.4999 (arcsec), the centres' wavelengths
    and the wavelength extents (y -/+ 0.4999) (µm): each slice's transform run once per block
    on the five positions of its pixels."""
    n = x.size
    alpha, beta = np.empty((3, n)), np.empty((3, n))
    wave, dwave = np.empty(n), np.empty(n)
    for part in _blocks(n):
        xs, ys = x[part], y[part]
        a, b, lam = maps.to_abl(
            labels[part],
            np.stack([xs, xs - _HALF, xs + _HALF, xs, xs]),
            np.stack([ys, ys, ys, ys - _HALF, ys + _HALF]),
        )
        alpha[:, part], beta[:, part], wave[part] = a[:3], b[:3], lam[0]
        dwave[part] = np.abs(lam[3] - lam[4])
    return alpha, beta, wave, dwave


def _to_sky(
    maps: _MrsMaps, labels: np.ndarray, alpha: np.ndarray, beta: np.ndarray, wave: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(k, n) RA and Dec (deg) of (k, n) alpha, beta (arcsec) at the (n,) wavelengths (µm)
    of channel ``labels``, a block of pixels at a time."""
    k, n = alpha.shape
    ra, dec = np.empty((k, n)), np.empty((k, n))
    for part in _blocks(n):
        lam = np.broadcast_to(wave[part], (k, part.stop - part.start))
        v2, v3, _ = maps.to_v2v3(labels[part], alpha[:, part], beta[:, part], lam)
        r, d, _ = maps.to_sky(v2.ravel(), v3.ravel(), lam.ravel())
        ra[:, part], dec[:, part] = r.reshape(k, -1), d.reshape(k, -1)
    return ra, dec


def _blocks(n: int) -> list[slice]:
    return [slice(start, min(start + _BLOCK, n)) for start in range(0, n, _BLOCK)]


def mrs_bands(ds: xr.Dataset) -> list[tuple[str, str]]:
    """The (channel, band) of the two channels an MRS exposure holds (``[("1", "short"), ...]``)."""
    return [(cb[0], cb[1:].lower()) for cb in channel_bands(ds.attrs)]


def _cloud(ds: xr.Dataset, key: tuple[str, str], wcs: Any) -> PointCloud:
    return mrs_point_cloud(ds, key[0], wcs)


def _rotation(ds: xr.Dataset, key: tuple[str, str], wcs: Any) -> float:
    """Angle (deg) of the channel's alpha axis on the sky, as jwst's ``ifualign`` cubes take it.

    The sky positions of alpha = 0 and 2 arcsec (beta 0) at the median
    wavelength of the channel's pixels give the direction of alpha.
    """
    start, end = MRS_CHANNEL_COLUMNS[key[0]]
    y, x = np.mgrid[: ds.sizes["y"], start:end]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)
        _, _, lam = wcs.get_transform(wcs.available_frames[0], "alpha_beta")(x, y)
    to_sky = wcs.get_transform("alpha_beta", wcs.output_frame.name)
    median = np.nanmedian(lam)
    ra1, dec1, _ = to_sky(0, 0, median)
    ra2, dec2, _ = to_sky(2, 0, median)
    dra, ddec = (ra2 - ra1) * np.cos(dec1 * np.pi / 180.0), dec2 - dec1
    return float(90 + np.arctan2(dra, ddec) * 180.0 / np.pi)


def _footprint(ds: xr.Dataset, key: tuple[str, str]) -> tuple[np.ndarray, np.ndarray] | None:
    """``S_REGION``'s corners for channels 2 and 4; None (the pixels) for channels 1 and 3."""
    return None if key[0] in ("1", "3") else s_region_corners(ds)


def _name(key: tuple[str, str]) -> str:
    return f"ch{key[0]}-{key[1]}"


def _band_keywords(key: tuple[str, str]) -> dict[str, str]:
    return {"CHANNEL": key[0], "BAND": key[1].upper()}


#: The MRS as a cube source (``Mode.cube_source`` of MIR_MRS).
MRS_CUBE = CubeSource(
    bands=mrs_bands,
    cloud=_cloud,
    name=_name,
    rotation=_rotation,
    tear_cut=True,
    footprint=_footprint,
    band_keywords=_band_keywords,
)
