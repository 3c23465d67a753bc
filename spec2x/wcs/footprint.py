"""The sky footprint of an exposure: ``S_REGION`` from the sky positions of its pixels."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._kernels.resample_spec import _wrap_ra

__all__ = ["s_region", "s_region_corners", "sky_box", "with_s_region"]


def sky_box(ra: np.ndarray, dec: np.ndarray) -> list[float] | None:
    """RA/Dec corners (min/max box, RA in [0, 360)) of the finite positions; None if none."""
    good = np.isfinite(ra) & np.isfinite(dec)
    if not good.any():
        return None
    ra = _wrap_ra(ra[good])
    low, high = float(ra.min()) % 360, float(ra.max()) % 360
    south, north = float(dec[good].min()), float(dec[good].max())
    return [low, south, high, south, high, north, low, north]


def s_region(ra: np.ndarray, dec: np.ndarray) -> str | None:
    """``S_REGION`` of the RA/Dec box of the finite ``ra``, ``dec`` (deg), with jwst's 9
    decimals; None if none is finite."""
    corners = sky_box(ra, dec)
    if corners is None:
        return None
    return "POLYGON ICRS  " + " ".join(f"{v:.9f}" for v in corners)


def with_s_region(ds: xr.Dataset, ra: np.ndarray, dec: np.ndarray) -> xr.Dataset:
    """``ds`` with ``S_REGION`` the RA/Dec box of the finite ``ra``, ``dec`` (deg), as jwst's
    ``update_s_region_mrs`` and ``update_s_region_nrs_ifu`` write it (unchanged if none)."""
    region = s_region(ra, dec)
    if region is None:
        return ds
    out = ds.copy(deep=False)
    out.attrs = dict(ds.attrs, S_REGION=region)
    return out


def s_region_corners(ds: xr.Dataset, _key: object = None) -> tuple[np.ndarray, np.ndarray] | None:
    """RA, Dec (deg) of the four corners of ``S_REGION`` (jwst's sky-aligned cube footprint), or None.

    jwst's ``cube_build`` reads the footprint from ``S_REGION`` (written by
    assign_wcs with 9 decimals) unless the target moves (``TARGTYPE = MOVING``);
    ``_key``, the band, is unused (a :class:`~spec2x.cube.pointcloud.CubeSource` footprint).
    """
    words = str(ds.attrs.get("S_REGION", "")).split()
    if len(words) < 10 or str(ds.attrs.get("TARGTYPE", "")).upper() == "MOVING":
        return None
    values = np.array([float(v) for v in words[2:10]])
    return values[0::2], values[1::2]
