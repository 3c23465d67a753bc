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
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from ...cube.fastmodel import fast_model
from ...cube.pointcloud import CubeSource, PointCloud
from ...errors import InputFileError
from ...wcs.footprint import s_region_corners
from .mrs_wcs import channel_bands

__all__ = ["MRS_CHANNEL_COLUMNS", "MRS_CUBE", "mrs_bands", "mrs_point_cloud"]

#: Detector columns [start, end) of each channel.
MRS_CHANNEL_COLUMNS = {"1": (0, 512), "2": (513, 1031), "3": (513, 1031), "4": (0, 512)}
_HALF = 0.4999
#: Pixels whose corners are mapped at once (bounds the WCS temporaries to some 10 MB).
_BLOCK = 65536


def mrs_point_cloud(ds: xr.Dataset, channel: str, wcs: Any) -> PointCloud:
    """Every pixel of ``channel`` with a sky position, as a :class:`PointCloud`.

    Parameters
    ----------
    ds : MRS exposure with ``sci``, ``err``, ``dq`` (y, x).
    channel : ``"1"`` ... ``"4"``.
    wcs : the exposure's gwcs (``detector -> alpha_beta -> ... -> world``).

    Raises
    ------
    InputFileError
        No pixel of the channel has a sky position.
    """
    start, end = MRS_CHANNEL_COLUMNS[channel]
    y, x = np.mgrid[: ds.sizes["y"], start:end]
    x, y = x.ravel().astype(np.float64), y.ravel().astype(np.float64)
    to_ab = fast_model(wcs.get_transform(wcs.available_frames[0], "alpha_beta"))
    to_sky = fast_model(wcs.get_transform("alpha_beta", wcs.output_frame.name))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)
        alpha, beta, wave = to_ab(x, y)
        good = np.isfinite(alpha) & np.isfinite(beta) & np.isfinite(wave)
        ra, dec, _ = to_sky(alpha[good], beta[good], wave[good])
    keep = ~np.isnan(ra)
    if not keep.any():
        raise InputFileError(
            f"{ds.attrs.get('FILENAME', 'the exposure')}: no pixel of channel {channel} maps to "
            "the sky; check the exposure's WCS (assign_wcs) and CHANNEL"
        )
    x, y, wave = x[good][keep], y[good][keep], wave[good][keep]
    corner_ra, corner_dec, dwave = _corners(to_ab, to_sky, x, y, wave)
    at = (y.astype(int), x.astype(int))
    sci, err = (np.asarray(ds[name].values, np.float64)[at] for name in ("sci", "err"))
    dq = np.asarray(ds["dq"].values)[at].astype(np.int64)
    return PointCloud(ra[keep], dec[keep], wave, dwave, corner_ra, corner_dec, sci, err, dq)


def _corners(
    to_ab: Any, to_sky: Any, x: np.ndarray, y: np.ndarray, wave: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(npix, 4) RA and Dec of the pixel corners (alpha -/+, beta -/+ half a slice) and
    the pixels' wavelength extents, each transform run once per block of pixels on all the
    positions it needs (blocks of :data:`_BLOCK` bound the temporaries)."""
    n = x.size
    alpha1, alpha2, beta, dwave = (np.empty(n) for _ in range(4))
    for part in _blocks(n):
        # x -/+ 0.4999 (alpha of the corners) and y -/+ 0.4999 (wavelength extent) in one pass
        xs, ys, m = x[part], y[part], part.stop - part.start
        alpha, beta_, lam = to_ab(
            np.concatenate([xs - _HALF, xs + _HALF, xs, xs]),
            np.concatenate([ys, ys, ys - _HALF, ys + _HALF]),
        )
        alpha1[part], alpha2[part], beta[part] = alpha[:m], alpha[m : 2 * m], beta_[:m]
        dwave[part] = np.abs(lam[2 * m : 3 * m] - lam[3 * m :])
    betas = np.unique(beta)
    half = np.abs(betas[1] - betas[0]) / 2.0
    corner_ra, corner_dec = np.empty((n, 4)), np.empty((n, 4))
    for part in _blocks(n):
        a1, a2, b, w = alpha1[part], alpha2[part], beta[part], wave[part]
        ra, dec, _ = to_sky(
            np.concatenate([a1, a1, a2, a2]),
            np.concatenate([b - half, b + half, b + half, b - half]),
            np.concatenate([w, w, w, w]),
        )
        corner_ra[part], corner_dec[part] = ra.reshape(4, -1).T, dec.reshape(4, -1).T
    return corner_ra, corner_dec, dwave


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
