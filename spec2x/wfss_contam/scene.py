"""The sources to disperse: segmentation map + direct image -> pixel lists (jwst's Observation).

Every labelled pixel of the segmentation map is one light source of the
forward model, with the direct image's surface brightness (MJy/sr) after a
coarse background (photutils ``Background2D``, jwst's settings) is taken off.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import InputFileError, StepOrderError

__all__ = ["Scene", "make_scene", "read_direct_image", "subtract_background"]


@dataclass(frozen=True)
class Scene:
    """Labelled direct-image pixels (one entry per pixel, in ``numpy.nonzero`` order).

    Attributes
    ----------
    x, y : direct-image pixel (0-based).
    label : the source each pixel belongs to.
    flux : background-subtracted surface brightness (MJy/sr).
    labels : every source label of the map (sorted).
    direct_wcs : the direct image's WCS, pixel (x, y) -> RA, Dec (deg).
    """

    x: np.ndarray
    y: np.ndarray
    label: np.ndarray
    flux: np.ndarray
    labels: np.ndarray
    direct_wcs: Any


def subtract_background(image: np.ndarray) -> np.ndarray:
    """``image`` less a coarse 2-D background: boxes of 1/5 of the image, 3x3 median filter,
    3-sigma clipped medians, boxes more than 30 % masked left out (jwst's settings)."""
    from astropy.stats import SigmaClip
    from astropy.utils.exceptions import AstropyUserWarning
    from photutils.background import Background2D, MedianBackground

    box = (int(image.shape[0] / 5), int(image.shape[1] / 5))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=AstropyUserWarning)
        bkg = Background2D(
            image,
            box,
            filter_size=(3, 3),
            sigma_clip=SigmaClip(sigma=3.0),
            bkg_estimator=MedianBackground(),
            exclude_percentile=30.0,
        )
        return np.asarray(image - bkg.background)


def make_scene(direct: np.ndarray, segmap: np.ndarray, direct_wcs: Any) -> Scene:
    """The :class:`Scene` of a direct image and its segmentation map (same shape).

    Raises
    ------
    InputFileError
        The two differ in shape, or the map labels no pixel.
    """
    if direct.shape != segmap.shape:
        raise InputFileError(
            f"wfss_contam: the direct image {direct.shape} and segmentation map {segmap.shape} "
            "differ in shape; give the map made from this direct image (DIRIMAGE, SEGMFILE)"
        )
    ys, xs = np.nonzero(segmap)
    if ys.size == 0:
        raise InputFileError("wfss_contam: the segmentation map labels no pixel")
    label = segmap[ys, xs]
    flux = subtract_background(np.asarray(direct, np.float64))[ys, xs]
    return Scene(xs, ys, label, flux, np.unique(label), direct_wcs)


def read_direct_image(path: str | os.PathLike[str]) -> tuple[np.ndarray, Any]:
    """The direct image's ``SCI`` (MJy/sr) and WCS (the gwcs of its ASDF extension).

    Raises
    ------
    InputFileError
        The file is missing or carries no WCS.
    """
    from ..io.fits import open_product
    from ..wcs.store import get_wcs

    if not Path(path).is_file():
        raise InputFileError(
            f"wfss_contam: direct image {path} not found; set DIRIMAGE or add a "
            "'direct_image' member to the association"
        )
    ds = open_product(path)
    if not isinstance(ds, xr.Dataset) or "sci" not in ds.data_vars:
        raise InputFileError(f"wfss_contam: direct image {path} has no SCI image")
    try:
        wcs = get_wcs(ds)
    except StepOrderError as exc:
        raise InputFileError(f"wfss_contam: direct image {path} carries no WCS") from exc
    return np.asarray(ds["sci"].values, np.float64), wcs
