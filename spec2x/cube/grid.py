"""The cube grid of jwst's ``cube_build`` (``coord_system='skyalign'``, linear wavelength).

The spatial grid lies on the tangent plane at the centre of the data's
footprint: RA centre the circular mean of the footprint's RA limits, Dec
centre the mean of its Dec limits.  Tangent-plane coordinates ``xi`` (arcsec,
increasing to the east's opposite, as jwst's cubes have ``PC1_1 = -1``) and
``eta`` (arcsec, north) put the tangent point on the central spaxel, with
``ceil(limit / spaxel) + 1`` spaxels on either side of it.  The wavelength
axis runs from ``WAVEMIN`` in ``SPECTRALSTEP`` steps (cubepar) to cover
``WAVEMAX``; values are spaxel centres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._kernels.cube_drizzle import CubeAxes
from .._kernels.resample_spec import _wrap_ra

__all__ = ["CubeGrid", "footprint_corners", "sky_grid", "tangent_to_sky", "to_tangent"]

_ARCSEC = 180.0 * 3600.0 / math.pi
_DEG = math.pi / 180.0
#: Values :func:`to_tangent` maps at once.
_TANGENT_BLOCK = 8192


def to_tangent(
    crval1: float, crval2: float, ra: np.ndarray, dec: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(xi, eta) arcsec of RA/Dec (deg) on the plane tangent at (crval1, crval2); xi = -east.

    Blocks of :data:`_TANGENT_BLOCK` values at a time (temporaries that stay in cache).
    """
    ra, dec = np.broadcast_arrays(np.asarray(ra, np.float64), np.asarray(dec, np.float64))
    xi, eta = np.empty(ra.shape), np.empty(ra.shape)
    flat = [a.reshape(-1) for a in (ra, dec, xi, eta)]
    for start in range(0, ra.size, _TANGENT_BLOCK):
        part = slice(start, start + _TANGENT_BLOCK)
        flat[2][part], flat[3][part] = _tangent(crval1, crval2, flat[0][part], flat[1][part])
    return xi, eta


def _tangent(
    crval1: float, crval2: float, ra: np.ndarray, dec: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    ra0, dec0 = crval1 * _DEG, crval2 * _DEG
    radiff = ra * _DEG - ra0
    decr = dec * _DEG
    sin_dec, cos_dec, cos_ra = np.sin(decr), np.cos(decr), np.cos(radiff)
    h = sin_dec * math.sin(dec0) + cos_dec * math.cos(dec0) * cos_ra
    xi = cos_dec * np.sin(radiff) / h
    eta = (sin_dec * math.cos(dec0) - cos_dec * math.sin(dec0) * cos_ra) / h
    return -xi * _ARCSEC, eta * _ARCSEC


def tangent_to_sky(
    crval1: float, crval2: float, xi: np.ndarray, eta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """RA (in [0, 360)), Dec (deg) of tangent-plane (xi, eta) arcsec: the inverse of :func:`to_tangent`."""
    xi = -np.asarray(xi, np.float64) / _ARCSEC
    eta = np.asarray(eta, np.float64) / _ARCSEC
    dec0 = crval2 * _DEG
    beta = math.cos(dec0) - eta * math.sin(dec0)
    ra = (np.arctan(xi / beta) + crval1 * _DEG) / _DEG
    dec = np.arctan((eta * math.cos(dec0) + math.sin(dec0)) / np.sqrt(xi * xi + beta * beta))
    return ra % 360.0, dec / _DEG


@dataclass(frozen=True)
class CubeGrid:
    """A cube's sampling: spaxel centres on the tangent plane and wavelength plane centres.

    Attributes
    ----------
    crval1, crval2 : tangent point RA, Dec (deg).
    cdelt1, cdelt2 : spaxel size (arcsec).
    cdelt3 : wavelength step (µm).
    xcoord, ycoord : spaxel centres, xi and eta (arcsec), naxis1 and naxis2 long.
    zcoord : wavelength plane centres (µm).
    """

    crval1: float
    crval2: float
    cdelt1: float
    cdelt2: float
    cdelt3: float
    xcoord: np.ndarray
    ycoord: np.ndarray
    zcoord: np.ndarray
    rotation: float | None = None

    def tangent(self, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The grid's (xi, eta) arcsec of RA/Dec (deg): tangent plane, turned by ``rotation``."""
        return _turn(*to_tangent(self.crval1, self.crval2, ra, dec), self.rotation)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(naxis3, naxis2, naxis1): wavelength, y, x."""
        return (self.zcoord.size, self.ycoord.size, self.xcoord.size)

    @property
    def crpix(self) -> tuple[float, float, float]:
        """FITS reference pixels (1-based): the central spaxel and the first plane."""
        return (self.xcoord.size // 2 + 1.0, self.ycoord.size // 2 + 1.0, 1.0)

    @property
    def plane_widths(self) -> np.ndarray:
        """Width of each wavelength plane (µm): the step to the next centre, the last repeated."""
        widths = np.diff(self.zcoord)
        return np.append(widths, widths[-1]) if widths.size else np.array([self.cdelt3])

    @property
    def axes(self) -> CubeAxes:
        """The sampling as the weighting kernels take it."""
        return CubeAxes(
            self.xcoord, self.ycoord, self.zcoord, self.plane_widths, self.cdelt1, self.cdelt2
        )

    def sky(self) -> tuple[np.ndarray, np.ndarray]:
        """RA, Dec (deg) of every spaxel centre, each (naxis2, naxis1)."""
        xi, eta = np.meshgrid(self.xcoord, self.ycoord)
        if self.rotation is not None:
            xi, eta = _turn(xi, eta, -self.rotation)
        return tangent_to_sky(self.crval1, self.crval2, xi, eta)


def _turn(xi: np.ndarray, eta: np.ndarray, angle: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(xi, eta) turned by ``-angle`` degrees, as jwst's ``radec2std`` (None: unchanged)."""
    if angle is None:
        return xi, eta
    c, s = math.cos(-angle * _DEG), math.sin(-angle * _DEG)
    return xi * c - eta * s, xi * s + eta * c


def footprint_corners(ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The four extreme points of a set of sky positions, as jwst's ``find_corners_miri``.

    Returns RA (in [0, 360)) and Dec (deg) of the points of least RA, greatest
    RA, least Dec and greatest Dec (in that order); NaNs are ignored.
    """
    good = np.isfinite(ra) & np.isfinite(dec)
    ra, dec = _wrap_ra(np.asarray(ra)[good].ravel()), np.asarray(dec)[good].ravel()
    picks = [np.argmin(ra), np.argmax(ra), np.argmin(dec), np.argmax(dec)]
    return ra[picks] % 360.0, dec[picks]


def _centre(corner_ra: np.ndarray, corner_dec: np.ndarray) -> tuple[float, float]:
    ra = _wrap_ra(np.asarray(corner_ra, np.float64))
    limits = np.array([ra.min(), ra.max()]) * _DEG
    ra_centre = math.atan2(np.sin(limits).mean(), np.cos(limits).mean()) / _DEG % 360
    return ra_centre, (float(np.min(corner_dec)) + float(np.max(corner_dec))) / 2.0


def _axis(limit: float, step: float) -> np.ndarray:
    n = math.ceil(limit / step) + 1
    start = -(n * step) - step / 2.0 + step / 2.0
    return np.arange(start, start + (2 * n + 1) * step, step)[: 2 * n + 1]


def sky_grid(
    corner_ra: np.ndarray,
    corner_dec: np.ndarray,
    *,
    spaxel: float,
    step: float,
    wavemin: float,
    wavemax: float,
    rotation: float | None = None,
) -> CubeGrid:
    """The sky-aligned grid covering the footprint corners (deg) from ``wavemin`` to ``wavemax`` (µm).

    Parameters
    ----------
    corner_ra, corner_dec : footprint points of every exposure (deg).
    spaxel : spaxel size (arcsec).
    step : wavelength step (µm).
    wavemin, wavemax : wavelength range (µm).
    rotation : angle (deg) of the grid's axes from north-east (``ifualign``);
        None: sky-aligned.
    """
    crval1, crval2 = _centre(corner_ra, corner_dec)
    corners = to_tangent(crval1, crval2, np.asarray(corner_ra), np.asarray(corner_dec))
    xi, eta = _turn(*corners, rotation)
    nplanes = int(math.ceil((wavemax - wavemin) / step))
    zcoord = np.arange(wavemin + step / 2.0, wavemin + nplanes * step, step)[:nplanes]
    return CubeGrid(
        crval1=crval1,
        crval2=crval2,
        cdelt1=spaxel,
        cdelt2=spaxel,
        cdelt3=step,
        xcoord=_axis(float(np.abs(xi).max()), spaxel),
        ycoord=_axis(float(np.abs(eta).max()), spaxel),
        zcoord=zcoord,
        rotation=rotation,
    )
