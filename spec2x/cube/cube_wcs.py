"""A cube's WCS: the FITS keywords and the gwcs jwst gives an ``IFUCubeModel``.

Spatial axes: RA---TAN / DEC--TAN at the grid's tangent point, the PC
matrix of the grid's rotation with RA growing to the left (``PC1_1 =
-1`` sky-aligned), ``CDELT`` in degrees; spectral axis ``WAVE``,
linear, in µm, ``CRVAL3`` the first plane's centre.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from astropy import coordinates
from astropy import units as u
from astropy.modeling import bind_bounding_box, models
from gwcs import coordinate_frames as cf
from gwcs import wcs as gwcs_wcs

from .grid import CubeGrid

__all__ = ["cube_gwcs", "cube_keywords"]

#: 1 arcsec^2 in steradians, as jwst converts it.
_ARCSEC2_SR = 2.3504e-11


def _pc(grid: CubeGrid) -> tuple[float, float, float, float]:
    """PC1_1, PC1_2, PC2_1, PC2_2 of the grid's rotation (RA to the left)."""
    angle = math.radians(grid.rotation or 0.0)
    return -math.cos(angle), math.sin(angle), math.sin(angle), math.cos(angle)


def cube_keywords(grid: CubeGrid) -> dict[str, Any]:
    """The WCS and pixel-area keywords of the cube's SCI header."""
    crpix1, crpix2, crpix3 = grid.crpix
    pc11, pc12, pc21, pc22 = _pc(grid)
    keys: dict[str, Any] = {
        "WCSAXES": 3,
        "CRPIX1": crpix1, "CRPIX2": crpix2, "CRPIX3": crpix3,
        "CRVAL1": grid.crval1, "CRVAL2": grid.crval2, "CRVAL3": float(grid.zcoord[0]),
        "CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CTYPE3": "WAVE",
        "CUNIT1": "deg", "CUNIT2": "deg", "CUNIT3": "um",
        "CDELT1": grid.cdelt1 / 3600.0, "CDELT2": grid.cdelt2 / 3600.0, "CDELT3": grid.cdelt3,
        "PC1_1": pc11, "PC1_2": pc12, "PC1_3": 0, "PC2_1": pc21, "PC2_2": pc22, "PC2_3": 0,
        "PC3_1": 0, "PC3_2": 0, "PC3_3": 1,
        "PIXAR_A2": grid.cdelt1 * grid.cdelt2,
        "PIXAR_SR": grid.cdelt1 * grid.cdelt2 * _ARCSEC2_SR,
    }  # fmt: skip
    return keys


def cube_gwcs(grid: CubeGrid) -> gwcs_wcs.WCS:
    """The gwcs of the cube: 0-based (x, y, z) spaxel -> RA, Dec (deg), wavelength (µm)."""
    crpix1, crpix2, crpix3 = grid.crpix
    spatial = (
        models.Shift(-(crpix1 - 1), name="crpix1") & models.Shift(-(crpix2 - 1), name="crpix2")
        | models.AffineTransformation2D(matrix=np.reshape(_pc(grid), (2, 2)), name="pc_matrix")
        | models.Scale(grid.cdelt1 / 3600.0, name="cdelt1")
        & models.Scale(grid.cdelt2 / 3600.0, name="cdelt2")
        | models.Pix2Sky_TAN()
        | models.RotateNative2Celestial(grid.crval1, grid.crval2, 180.0, name="crval")
    )
    spectral = (
        models.Shift(-(crpix3 - 1))
        | models.Scale(grid.cdelt3)
        | models.Shift(float(grid.zcoord[0]))
    )
    transform = spatial & spectral
    detector = cf.CoordinateFrame(
        name="detector", naxes=3, axes_order=(0, 1, 2), unit=(u.pix, u.pix, u.pix),
        axes_type=["SPATIAL", "SPATIAL", "SPECTRAL"], axes_names=("x", "y", "z"),
        axis_physical_types=None,
    )  # fmt: skip
    sky = cf.CelestialFrame(
        name="sky", axes_order=(0, 1), reference_frame=coordinates.ICRS(),
        unit=(u.deg, u.deg), axes_names=("RA", "DEC"),
    )  # fmt: skip
    spec = cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.um,), axes_names=("wavelength",)
    )
    world = cf.CompositeFrame([sky, spec], name="world")
    nz, ny, nx = grid.shape
    bind_bounding_box(transform, ((0, nx - 1), (0, ny - 1), (0, nz - 1)), order="F")
    return gwcs_wcs.WCS([(detector, transform), (world, None)])
