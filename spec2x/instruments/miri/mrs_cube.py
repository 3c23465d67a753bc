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
from typing import Any

import numpy as np
import xarray as xr

from ...cube.pointcloud import CubeSource, PointCloud
from ...errors import InputFileError
from ...wcs.footprint import s_region_corners
from .mrs_maps import MrsMaps, blocks, compiled_maps, slice_pixels
from .mrs_wcs import channel_bands

__all__ = ["MRS_CHANNEL_COLUMNS", "MRS_CUBE", "mrs_bands", "mrs_point_cloud"]

#: Detector columns [start, end) of each channel.
MRS_CHANNEL_COLUMNS = {"1": (0, 512), "2": (513, 1031), "3": (513, 1031), "4": (0, 512)}
_HALF = 0.4999


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
    maps = compiled_maps(wcs)
    y, x, labels, inverse = slice_pixels(maps, ds.sizes["y"], MRS_CHANNEL_COLUMNS[channel])
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


def _alpha_beta(
    maps: MrsMaps, labels: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(3, n) alpha and beta at x, x - 0.4999, x + 0.4999 (arcsec), the centres' wavelengths
    and the wavelength extents (y -/+ 0.4999) (µm): each slice's transform run once per block
    on the five positions of its pixels."""
    n = x.size
    alpha, beta = np.empty((3, n)), np.empty((3, n))
    wave, dwave = np.empty(n), np.empty(n)
    for part in blocks(n):
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
    maps: MrsMaps, labels: np.ndarray, alpha: np.ndarray, beta: np.ndarray, wave: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(k, n) RA and Dec (deg) of (k, n) alpha, beta (arcsec) at the (n,) wavelengths (µm)
    of channel ``labels``, a block of pixels at a time."""
    k, n = alpha.shape
    ra, dec = np.empty((k, n)), np.empty((k, n))
    for part in blocks(n):
        lam = np.broadcast_to(wave[part], (k, part.stop - part.start))
        v2, v3, _ = maps.to_v2v3(labels[part], alpha[:, part], beta[:, part], lam)
        r, d, _ = maps.to_sky(v2.ravel(), v3.ravel(), lam.ravel())
        ra[:, part], dec[:, part] = r.reshape(k, -1), d.reshape(k, -1)
    return ra, dec


def mrs_bands(ds: xr.Dataset) -> list[tuple[str, str]]:
    """The (channel, band) of the two channels an MRS exposure holds (``[("1", "short"), ...]``)."""
    return [(cb[0], cb[1:].lower()) for cb in channel_bands(ds.attrs)]


def _cloud(ds: xr.Dataset, key: tuple[str, str], wcs: Any, centres: bool = True) -> PointCloud:
    """The channel's pixels (the MRS always gives the centres' RA, Dec: ``centres`` unused)."""
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
