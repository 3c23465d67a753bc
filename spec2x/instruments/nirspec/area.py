"""NIRSpec pixel areas per slit from the ``area`` reference table (used by photom).

A NIRSpec AREA reference is a table, not an image: fixed slits are found by
``slit_id`` (the slit name), MOS slitlets by ``quadrant``, ``shutter_x``,
``shutter_y``.  photom divides ``photmj`` by the solid angle of a slit's
pixels to give extended sources a surface brightness.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import xarray as xr

from ...errors import MissingReferenceError
from ...io.references import Reference
from ...steps._common import require

__all__ = ["A2_TO_SR", "slit_pixel_areas"]

log = logging.getLogger(__name__)

#: Square arcseconds to steradians.
A2_TO_SR = (np.pi / (180.0 * 3600.0)) ** 2


def slit_pixel_areas(
    ds: xr.Dataset, area: Reference | None, names: Sequence[str | None]
) -> tuple[list[float | None], list[float | None]]:
    """Pixel solid angle of each slit: (sr, arcsec^2); 1.0 where the table lacks the slit.

    Parameters
    ----------
    ds : the slits (MOS: per-slit coords ``quadrant``, ``xcen``, ``ycen``).
    area : the NIRSpec ``area`` reference (a table of pixel areas, arcsec^2).
    names : the slit names (fixed slits), in the order of ``ds``.

    Raises
    ------
    MissingReferenceError
        No area reference, or an image-based one.
    """
    if area is None or area.content.table is None:
        raise MissingReferenceError(
            f"photom for NIRSpec needs the area reference (a table of pixel areas per slit); "
            f"{'got an image-based file ' + area.name if area is not None else 'none was given'}"
        )
    a2 = _slit_areas(ds, area, names)
    sr = [A2_TO_SR * v if v is not None else 1.0 for v in a2]
    return list(sr), [v if v is not None else 1.0 for v in a2]


def _slit_areas(ds: xr.Dataset, area: Reference, names: Sequence[str | None]) -> list[float | None]:
    """Pixel area (arcsec^2) of each slit from the AREA table; None if not found.

    Fixed slits match ``slit_id`` to the slit name; MOS slitlets match
    ``quadrant``, ``shutter_x``, ``shutter_y`` to the per-slit coords
    ``quadrant``, ``xcen``, ``ycen``; an IFU table (``slice_id``) gives the
    mean over its slices.
    """
    table = area.content.table
    if "slice_id" in table:  # IFU: jwst takes the mean over the slices
        return [float(np.nanmean(table["pixarea"]))] * len(names)
    if "quadrant" in table:
        require(ds, coords=("quadrant", "xcen", "ycen"), step="photom")
        keys = zip(ds["quadrant"].values, ds["xcen"].values, ds["ycen"].values, strict=True)
        found = []
        for q, x, y in keys:
            hit = (table["quadrant"] == q) & (table["shutter_x"] == x) & (table["shutter_y"] == y)
            found.append(float(table["pixarea"][hit][0]) if hit.sum() == 1 else None)
        missing = sum(v is None for v in found)
        if missing:
            log.warning(
                "photom: %d of %d slitlets not in area table %s; pixel area 1.0",
                missing,
                len(found),
                area.name,
            )
        return found
    ids = [str(s).upper() for s in table["slit_id"]]
    out: list[float | None] = []
    for name in names:
        key = str(name).upper()
        if key in ids:
            out.append(float(table["pixarea"][ids.index(key)]))
        else:
            log.warning("photom: slit %s not in area table %s; pixel area 1.0", name, area.name)
            out.append(None)
    return out
