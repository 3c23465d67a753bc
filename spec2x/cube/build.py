"""One band's cube from its point cloud: the grid, the pixels that reach it, the weighting.

The array core of :func:`spec2x.steps.cube_build.cube_build` (no xarray here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .._kernels.cube_drizzle import chunk_order, drizzle_sums
from .._kernels.cube_shepard import shepard_sums
from ..errors import InputFileError
from .assemble import finish_cube
from .cubepar import BandPars
from .grid import CubeGrid, footprint_corners, sky_grid
from .pointcloud import PointCloud

__all__ = ["BandCube", "Weighting", "build_band"]

Weighting = Literal["drizzle", "emsm", "msm"]


@dataclass(frozen=True)
class BandCube:
    """A built cube: its grid, planes (wavelength, y, x) and the regions of interest used.

    ``rois`` (arcsec) and ``roiw`` (µm) are 0 for ``drizzle``, as jwst writes them.
    """

    grid: CubeGrid
    sci: np.ndarray
    err: np.ndarray
    dq: np.ndarray
    weightmap: np.ndarray
    rois: float = 0.0
    roiw: float = 0.0


def build_band(
    cloud: PointCloud,
    pars: BandPars,
    *,
    weighting: Weighting = "drizzle",
    weight_power: float = 2.0,
    rotation: float | None = None,
    nexposures: int = 1,
    tear_cut: bool = False,
    where: str = "the exposure",
    corners: tuple[np.ndarray, np.ndarray] | None = None,
) -> BandCube:
    """Build the cube of one band from its pixels.

    Parameters
    ----------
    cloud : every pixel of the band with a sky position (its footprint sets the grid);
        released as soon as the usable pixels are taken (pass no other reference to
        keep the memory low).
    pars : the band's cubepar row.
    weighting : ``drizzle`` (3-D overlap), ``emsm`` or ``msm`` (modified Shepard,
        regions of interest from cubepar; msm's spatial one 1.5 times larger
        with fewer than 4 exposures, as jwst has it).
    weight_power : the msm distance power.
    rotation : the grid's angle from north-east (deg, ``ifualign``); None: sky-aligned.
    nexposures : exposures going into the cube.
    tear_cut : empty planes torn at the band's ends (MIRI).
    where : the exposure's name for error messages.
    corners : RA, Dec (deg) of the footprint the grid covers; None: the
        extreme points of ``cloud``.

    Raises
    ------
    InputFileError
        No pixel of the band is usable (all flagged, NaN or outside the range),
        or the cubepar file lacks the weighting's parameters.
    """
    corner_ra, corner_dec = footprint_corners(cloud.ra, cloud.dec) if corners is None else corners
    grid = sky_grid(
        corner_ra, corner_dec, spaxel=pars.spaxel, step=pars.step,
        wavemin=pars.wavemin, wavemax=pars.wavemax, rotation=rotation,
    )  # fmt: skip
    row = _weights_row(pars, weighting, where)
    on_sky = None
    if row is None:
        # a pixel with a corner off the sky (NIRSpec slice ends) is not drizzled, as in jwst
        on_sky = _on_sky(cloud.corner_ra, cloud.corner_dec)
        dwave = cloud.dwave if on_sky.all() else np.where(on_sky, cloud.dwave, np.nan)
        # no pixel on the sky: -inf, no pixel usable (the error below)
        reach, rois, roiw = grid.cdelt3 + float(np.nanmax(dwave, initial=-np.inf)), 0.0, 0.0
    else:
        rois = row[0] * 1.5 if weighting == "msm" and nexposures < 4 else row[0]
        reach = roiw = row[1]
    index = cloud.usable_index(grid.zcoord[0] - reach, grid.zcoord[-1] + reach, on_sky)
    order = chunk_order(cloud.wave.take(index), grid.zcoord) if row is None else None
    # one copy of the usable pixels, in the drizzle's order (it then takes them as they come)
    used = cloud.select(index if order is None else index.take(order))
    del cloud  # the caller keeps no reference: the whole cloud goes now
    if used.wave.size == 0:
        raise InputFileError(
            f"cube_build: {where} has no usable pixel between {pars.wavemin:g} and "
            f"{pars.wavemax:g} um (all flagged DO_NOT_USE/NON_SCIENCE or NaN); nothing to build"
        )
    xi, eta = grid.tangent(*((used.corner_ra, used.corner_dec) if row is None else
                             (used.ra, used.dec)))  # fmt: skip
    wave, dwave, flux, err = used.wave, used.dwave, used.flux, used.err
    del used  # its sky positions are in xi, eta now
    if row is None:
        sums = drizzle_sums(xi, eta, wave, dwave, flux, err, grid.axes)
    else:
        sums = shepard_sums(
            xi, eta, wave, flux, err, grid.axes,
            rois=rois, roiw=roiw, kind="emsm" if weighting == "emsm" else "msm",
            scalerad=row[2] if weighting == "emsm" else 0.0, power=weight_power,
            softrad=row[3] if weighting == "msm" else 0.0,
        )  # fmt: skip
    planes = finish_cube(sums, grid.shape, tear_cut=tear_cut)
    return BandCube(grid, *planes, rois=rois, roiw=roiw)


def _on_sky(corner_ra: np.ndarray, corner_dec: np.ndarray) -> np.ndarray:
    """True for the pixels whose four corners (npix, 4) all have a finite RA and Dec."""
    finite = np.isfinite(corner_ra)
    finite &= np.isfinite(corner_dec)
    return finite[:, 0] & finite[:, 1] & finite[:, 2] & finite[:, 3]


def _weights_row(pars: BandPars, weighting: Weighting, where: str) -> tuple[float, ...] | None:
    """The cubepar row of a Shepard weighting (None for drizzle)."""
    if weighting == "drizzle":
        return None
    row = pars.emsm if weighting == "emsm" else pars.msm
    if row is None:
        raise InputFileError(
            f"cube_build: the cubepar file has no CUBEPAR_{weighting.upper()} row for {where}'s "
            f"band; give a cubepar file with {weighting} parameters or use weighting='drizzle'"
        )
    return row
