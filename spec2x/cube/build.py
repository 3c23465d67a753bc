"""One band's cube from its point cloud: the grid, the pixels that reach it, the weighting.

The array core of :func:`spec2x.steps.cube_build.cube_build` (no xarray here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .._kernels.cube_drizzle import drizzle_sums
from ..errors import InputFileError
from .assemble import finish_cube
from .cubepar import BandPars
from .grid import CubeGrid, footprint_corners, sky_grid, to_tangent
from .pointcloud import PointCloud

__all__ = ["BandCube", "Weighting", "build_band"]

Weighting = Literal["drizzle", "emsm", "msm"]


@dataclass(frozen=True)
class BandCube:
    """A built cube: its grid and planes (wavelength, y, x)."""

    grid: CubeGrid
    sci: np.ndarray
    err: np.ndarray
    dq: np.ndarray
    weightmap: np.ndarray


def build_band(
    cloud: PointCloud,
    pars: BandPars,
    *,
    weighting: Weighting = "drizzle",
    tear_cut: bool = False,
    where: str = "the exposure",
) -> BandCube:
    """Build the cube of one band from its pixels.

    Parameters
    ----------
    cloud : every pixel of the band with a sky position (its footprint sets the grid).
    pars : the band's cubepar row.
    weighting : ``drizzle`` (3-D overlap), ``emsm`` or ``msm`` (modified Shepard).
    tear_cut : empty planes torn at the band's ends (MIRI).
    where : the exposure's name for error messages.

    Raises
    ------
    InputFileError
        No pixel of the band is usable (all flagged, NaN or outside the range).
    """
    corner_ra, corner_dec = footprint_corners(cloud.ra, cloud.dec)
    grid = sky_grid(
        corner_ra, corner_dec, spaxel=pars.spaxel, step=pars.step,
        wavemin=pars.wavemin, wavemax=pars.wavemax,
    )  # fmt: skip
    reach = grid.cdelt3 + float(np.nanmax(cloud.dwave))
    used = cloud.usable(grid.zcoord[0] - reach, grid.zcoord[-1] + reach)
    if used.wave.size == 0:
        raise InputFileError(
            f"cube_build: {where} has no usable pixel between {pars.wavemin:g} and "
            f"{pars.wavemax:g} um (all flagged DO_NOT_USE/NON_SCIENCE or NaN); nothing to build"
        )
    xi, eta = to_tangent(grid.crval1, grid.crval2, used.corner_ra, used.corner_dec)
    sums = drizzle_sums(
        xi, eta, used.wave, used.dwave, used.flux, used.err,
        xcoord=grid.xcoord, ycoord=grid.ycoord, zcoord=grid.zcoord, widths=grid.plane_widths,
        cdelt1=grid.cdelt1, cdelt2=grid.cdelt2,
    )  # fmt: skip
    return BandCube(grid, *finish_cube(sums, grid.shape, tear_cut=tear_cut))
