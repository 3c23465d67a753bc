"""Whether the exposures given to one cube overlap on the sky (a dither, not separate fields).

jwst's CubeBuildStep puts every exposure of an association on one grid that
covers all their footprints, however far apart they are: exposures of two
fields give a cube mostly of empty spaxels, as large as the distance between
them.  spec2x refuses that with one error.  Each exposure's extent is the
box of its pixels' sky positions in a tangent plane at the first
exposure's centre; the exposures must form one group in which every box
overlaps another (a box overlap is necessary, not sufficient, for the
footprints to overlap, so only exposures that surely do not are refused).
NumPy only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputFileError
from .pointcloud import PointCloud

__all__ = ["check_overlap"]


def check_overlap(clouds: Sequence[PointCloud], names: Sequence[str]) -> None:
    """Raise unless the exposures' sky boxes form one overlapping group.

    Parameters
    ----------
    clouds : each exposure's pixels (RA, Dec in deg).
    names : each exposure's file name, for the message.

    Raises
    ------
    InputFileError
        An exposure (or a group of them) overlaps none of the others; the
        message names the files apart and their distance (arcsec).
    """
    if len(clouds) < 2:
        return
    boxes = _boxes(clouds)
    group = _connected(boxes)
    if group.all():
        return
    inside = [n for n, g in zip(names, group, strict=True) if g]
    outside = [n for n, g in zip(names, group, strict=True) if not g]
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2.0
    gap = np.hypot(*(centres[~group].mean(axis=0) - centres[group].mean(axis=0)))
    raise InputFileError(
        f"cube_build: the exposures do not overlap on the sky: {', '.join(outside)} lie "
        f"{gap:.1f} arcsec from {', '.join(inside)} with no common sky; jwst would build one "
        "cube spanning both, mostly empty. Give the exposures of one pointing (a dither), "
        "or build one cube per field"
    )


def _boxes(clouds: Sequence[PointCloud]) -> np.ndarray:
    """(n, 4) xmin, ymin, xmax, ymax (arcsec) of each cloud in the first one's tangent plane."""
    first = clouds[0]
    ok = np.isfinite(first.ra) & np.isfinite(first.dec)
    ra0, dec0 = float(np.median(first.ra[ok])), float(np.median(first.dec[ok]))
    boxes = []
    for cloud in clouds:
        ok = np.isfinite(cloud.ra) & np.isfinite(cloud.dec)
        dra = (cloud.ra[ok] - ra0 + 180.0) % 360.0 - 180.0
        x = dra * np.cos(np.deg2rad(dec0)) * 3600.0
        y = (cloud.dec[ok] - dec0) * 3600.0
        boxes.append((x.min(), y.min(), x.max(), y.max()) if x.size else (np.nan,) * 4)
    return np.asarray(boxes, np.float64)


def _connected(boxes: np.ndarray) -> np.ndarray:
    """Which boxes are reached from the first through boxes that overlap (a flood fill)."""
    lo, hi = boxes[:, None, :2], boxes[:, None, 2:]
    touch = np.all((lo <= boxes[None, :, 2:]) & (boxes[None, :, :2] <= hi), axis=-1)
    reached = np.zeros(len(boxes), bool)
    reached[0] = True
    while True:
        grown = reached | touch[reached].any(axis=0)
        if (grown == reached).all():
            return reached
        reached = grown
