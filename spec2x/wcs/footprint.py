"""The footprint of an exposure: ``S_REGION`` from the sky positions of its pixels, and the
wavelength range jwst's assign_wcs keeps beside it for the IFU exposure types."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._kernels.resample_spec import _wrap_ra

__all__ = ["s_region", "s_region_corners", "sky_box", "spectral_region", "with_s_region"]

#: The exposure types whose jwst assign_wcs records ``meta.wcsinfo.spectral_region`` beside
#: ``S_REGION``, and whose cube_build takes its footprint from ``S_REGION`` only when both are there.
IFU_TYPES = ("NRS_IFU", "MIR_MRS")


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


def spectral_region(ds: xr.Dataset) -> list[float] | None:
    """jwst's ``meta.wcsinfo.spectral_region`` of an IFU exposure: [shortest, longest] (µm).

    The extremes of the finite ``wavelength`` of the exposure's pixels, as
    jwst's assign_wcs records them with ``S_REGION`` for ``NRS_IFU`` and
    ``MIR_MRS``.  jwst's ``cube_build`` reads the cube's footprint from
    ``S_REGION`` only when this is there too, and maps every pixel otherwise (a
    footprint of full precision, not S_REGION's 9 decimals: a grid shifted by up
    to 1e-9 deg).  None for other exposure types, an exposure with no
    ``S_REGION``, or no (y, x) wavelength.
    """
    if str(ds.attrs.get("EXP_TYPE", "")).upper() not in IFU_TYPES or "S_REGION" not in ds.attrs:
        return None
    if "wavelength" not in ds.coords or ds.coords["wavelength"].dims != ds["sci"].dims[-2:]:
        return None
    wave = np.asarray(ds.coords["wavelength"].values, np.float64)
    if not np.isfinite(wave).any():
        return None
    return [float(np.nanmin(wave)), float(np.nanmax(wave))]
