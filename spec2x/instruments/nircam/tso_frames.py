"""Shared by the NIRCam grism time-series WCS modules: jwst's frames and the cut-out WCS."""

from __future__ import annotations

from typing import Any

from astropy import coordinates as coord
from astropy import units as u
from astropy.modeling import models
from gwcs import coordinate_frames as cf

from ...wcs.store import copy_pipeline

__all__ = ["tso_cutout_wcs", "tsgrism_frames"]


def tsgrism_frames() -> list[cf.CoordinateFrame]:
    """jwst's NIRCam time-series grism frames (``create_coord_frames``)."""
    spec = cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.micron,), axes_names=("wavelength",)
    )
    spatial = [
        cf.Frame2D(
            name="full_detector", axes_order=(0, 1), axes_names=("dx", "dy"), unit=(u.pix, u.pix)
        ),
        cf.Frame2D(
            name="v2v3_spatial", axes_order=(0, 1), axes_names=("v2", "v3"), unit=(u.deg, u.deg)
        ),
        cf.Frame2D(
            name="v2v3vacorr_spatial",
            axes_order=(0, 1),
            axes_names=("v2", "v3"),
            unit=(u.arcsec, u.arcsec),
        ),
        cf.CelestialFrame(reference_frame=coord.ICRS(), name="icrs"),
    ]
    names = ("direct_image", "v2v3", "v2v3vacorr", "world")
    frames: list[cf.CoordinateFrame] = [
        cf.Frame2D(name="grism_detector", axes_order=(0, 1), unit=(u.pix, u.pix))
    ]
    return frames + [
        cf.CompositeFrame([s, spec], name=n) for s, n in zip(spatial, names, strict=True)
    ]


def tso_cutout_wcs(
    wcs: Any, ymin: float, order: int, shape: tuple[int, int], xmin: float = 0
) -> Any:
    """The cut-out's WCS: cut-out pixel (x, y) -> world with the order fixed (jwst's);
    the cut-out's first pixel is exposure pixel (``xmin``, ``ymin``)."""
    out = copy_pipeline(wcs)
    order_model = models.Const1D(order)
    order_model.inverse = models.Const1D(order)
    to_grism = models.Mapping((0, 1, 0)) | models.Shift(xmin) & models.Shift(ymin) & order_model
    out.set_transform(
        "grism_detector",
        "direct_image",
        to_grism | out.get_transform("grism_detector", "direct_image"),
    )
    out.bounding_box = ((-0.5, shape[1] - 0.5), (-0.5, shape[0] - 0.5))
    return out
