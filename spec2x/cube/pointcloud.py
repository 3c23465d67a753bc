"""The point cloud: every detector pixel that goes into a cube, with where it falls.

An instrument package builds it (the MRS: :func:`spec2x.instruments.miri.mrs_cube.mrs_point_cloud`);
the weightings read it.  Sky positions are degrees, wavelengths µm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dq import DQ

__all__ = ["CubeSource", "PointCloud", "usable_pixels"]


def usable_pixels(flux: np.ndarray, err: np.ndarray, dq: np.ndarray) -> np.ndarray:
    """True where a pixel can go into a cube: finite flux and error, no DO_NOT_USE or
    NON_SCIENCE flag (arrays of one shape)."""
    bad = (np.asarray(dq) & int(DQ.DO_NOT_USE | DQ.NON_SCIENCE)) != 0
    return np.isfinite(flux) & np.isfinite(err) & ~bad


@dataclass(frozen=True)
class PointCloud:
    """Pixels mapped to the sky.

    Attributes
    ----------
    ra, dec : (npix,) pixel centre (deg).
    wave : (npix,) wavelength of the centre (µm).
    dwave : (npix,) wavelength extent of the pixel (µm).
    corner_ra, corner_dec : (npix, 4) pixel corners (deg), in order round the pixel.
    flux, err : (npix,) values and errors.
    dq : (npix,) data-quality flags.
    """

    ra: np.ndarray
    dec: np.ndarray
    wave: np.ndarray
    dwave: np.ndarray
    corner_ra: np.ndarray
    corner_dec: np.ndarray
    flux: np.ndarray
    err: np.ndarray
    dq: np.ndarray

    def select(self, keep: np.ndarray) -> PointCloud:
        """The pixels where the boolean ``keep`` is true, or at the indices ``keep`` in their
        order (this cloud itself when ``keep`` is boolean and all true, no copy)."""
        keep = np.asarray(keep)
        if keep.dtype == bool:
            if keep.all():
                return self
            keep = np.flatnonzero(keep)
        # ``take``: the (npix, 4) corners 6x faster than by fancy indexing
        fields = self.__dataclass_fields__
        return PointCloud(*(np.asarray(getattr(self, f)).take(keep, axis=0) for f in fields))

    def usable_index(self, low: float, high: float, also: np.ndarray | None = None) -> np.ndarray:
        """Indices (ascending) of the pixels with finite flux and error, no
        DO_NOT_USE/NON_SCIENCE flag, ``low <= wave <= high`` (µm) and, when given,
        true in the boolean ``also``."""
        keep = usable_pixels(self.flux, self.err, self.dq)
        keep &= (self.wave >= low) & (self.wave <= high)
        if also is not None:
            keep &= also
        return np.flatnonzero(keep)


@dataclass(frozen=True)
class CubeSource:
    """How an IFU mode feeds the cube builder (``Mode.cube_source`` names one).

    Attributes
    ----------
    bands : ``bands(ds) -> [(par1, par2), ...]``: the cubepar keys of the bands
        an exposure holds (MIRI ``("1", "short")``), one cube each.
    cloud : ``cloud(ds, (par1, par2), wcs, centres=True) -> PointCloud``: the band's
        pixels; ``centres=False``: their centres' RA, Dec may be left NaN (no
        weighting, grid or check reads them).
    name : ``name((par1, par2)) -> str``: the band's part of the product name (``ch1-short``).
    rotation : ``rotation(ds, (par1, par2), wcs) -> float``: the angle (deg) of
        the IFU's local axes on the sky, for ``ifualign`` cubes.
    tear_cut : empty the planes torn at a band's ends (jwst does it for MIRI).
    footprint : ``footprint(ds, (par1, par2)) -> (corner_ra, corner_dec) | None``:
        the exposure's sky footprint for a band's sky-aligned cube (``S_REGION``
        where jwst reads it: NIRSpec, MIRI channels 2 and 4); None, or when it
        gives None: the extreme points of the point cloud.
    band_keywords : ``band_keywords((par1, par2)) -> dict``: header keywords a
        band's cube carries (MIRI: ``CHANNEL`` and ``BAND``); None: none.
    """

    bands: Any
    cloud: Any
    name: Any
    rotation: Any
    tear_cut: bool = False
    footprint: Any = None
    band_keywords: Any = None
