"""The direct-image source catalogue and segmentation map of a WFSS exposure.

jwst's ``source_catalog`` step writes the catalogue as ECSV (one row per
source; the columns WFSS reads: ``label``, ``xcentroid``, ``ycentroid``
(pixels), ``sky_centroid`` and the four corners of the source's minimal
bounding box ``sky_bbox_ll``/``lr``/``ul``/``ur`` (SkyCoord columns, stored as
``<name>.ra``/``<name>.dec`` in degrees), ``isophotal_abmag``,
``isophotal_abmag_err`` and ``is_extended``) and the segmentation map as a
FITS image whose ``SCI`` extension labels each direct-image pixel with its
source (0: none).  Both are named by the dispersed exposure's ``SCATFILE``
and ``SEGMFILE`` keywords.  The catalogue is read into arrays, one entry
per source, so everything downstream works on all sources at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputFileError, malformed_input

__all__ = [
    "CORNERS",
    "REQUIRED_COLUMNS",
    "SourceCatalog",
    "check_segmentation",
    "read_segmentation_map",
    "read_source_catalog",
]

#: The corners of a source's sky bounding box, in jwst's order.
CORNERS = ("sky_bbox_ll", "sky_bbox_lr", "sky_bbox_ul", "sky_bbox_ur")
#: The catalogue columns WFSS needs (jwst's ``SkyObject`` fields).
REQUIRED_COLUMNS = (
    "label",
    "xcentroid",
    "ycentroid",
    "sky_centroid",
    "isophotal_abmag",
    "isophotal_abmag_err",
    *CORNERS,
    "is_extended",
)


@dataclass(frozen=True)
class SourceCatalog:
    """A direct-image source catalogue as arrays (one entry per source, catalogue order).

    Attributes
    ----------
    label : source ids (the segmentation-map labels).
    xcentroid, ycentroid : centroid in the direct image (0-based pixels).
    ra, dec : sky centroid (deg, ICRS).
    corner_ra, corner_dec : (source, 4) corners of the sky bounding box (deg),
        in the order of :data:`CORNERS`.
    abmag, abmag_err : isophotal AB magnitude and its error (NaN where masked).
    is_extended : the source is extended.
    name : the file it was read from.
    """

    label: np.ndarray
    xcentroid: np.ndarray
    ycentroid: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    corner_ra: np.ndarray
    corner_dec: np.ndarray
    abmag: np.ndarray
    abmag_err: np.ndarray
    is_extended: np.ndarray
    name: str = "catalogue"

    def __len__(self) -> int:
        return int(self.label.size)


def _floats(column: Any) -> np.ndarray:
    """A column as float64, masked entries NaN, units dropped."""
    value = getattr(column, "value", column)
    if np.ma.isMaskedArray(value):
        return np.ma.filled(value.astype(np.float64), np.nan)
    return np.asarray(value, dtype=np.float64)


def _sky(table: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(RA, Dec) deg of a SkyCoord column, or of its flattened ``name.ra``/``name.dec`` pair."""
    if name in table.colnames:
        column = table[name]
        icrs = column.icrs if hasattr(column, "icrs") else column
        return _floats(icrs.ra.deg), _floats(icrs.dec.deg)
    return _floats(table[f"{name}.ra"]), _floats(table[f"{name}.dec"])


def _has(colnames: list[str], name: str) -> bool:
    return name in colnames or (f"{name}.ra" in colnames and f"{name}.dec" in colnames)


def read_source_catalog(path: str | os.PathLike[str]) -> SourceCatalog:
    """Read a source catalogue (ECSV, as jwst's source_catalog step writes it).

    Raises
    ------
    InputFileError
        The file is missing, not ECSV, or lacks a column WFSS needs (named).
    """
    from astropy.table import Table

    path = os.fspath(path)
    if not Path(path).is_file():
        raise InputFileError(
            f"source catalogue {path} not found; set SCATFILE to the direct image's catalogue"
        )
    with malformed_input(path, "source catalogue", "give the ECSV written by source_catalog"):
        table = Table.read(path, format="ascii.ecsv")
    missing = [c for c in REQUIRED_COLUMNS if not _has(table.colnames, c)]
    if missing:
        raise InputFileError(
            f"source catalogue {path} lacks the column(s) {', '.join(missing)}; give the "
            "catalogue jwst's source_catalog step wrote for the direct image"
        )
    ra, dec = _sky(table, "sky_centroid")
    corners = [_sky(table, c) for c in CORNERS]
    return SourceCatalog(
        label=np.asarray(table["label"], dtype=np.int64),
        xcentroid=_floats(table["xcentroid"]),
        ycentroid=_floats(table["ycentroid"]),
        ra=ra,
        dec=dec,
        corner_ra=np.stack([c[0] for c in corners], axis=1).reshape(len(table), 4),
        corner_dec=np.stack([c[1] for c in corners], axis=1).reshape(len(table), 4),
        abmag=_floats(table["isophotal_abmag"]),
        abmag_err=_floats(table["isophotal_abmag_err"]),
        is_extended=np.asarray(table["is_extended"], dtype=bool),
        name=Path(path).name,
    )


def read_segmentation_map(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a segmentation map: the (y, x) source labels of its ``SCI`` extension (0: no source).

    Raises
    ------
    InputFileError
        The file is missing, not FITS, or has no 2-D integer ``SCI`` image.
    """
    from astropy.io import fits

    path = os.fspath(path)
    if not Path(path).is_file():
        raise InputFileError(
            f"segmentation map {path} not found; set SEGMFILE to the direct image's map"
        )
    with malformed_input(path, "segmentation map", "give the FITS map written by source_catalog"):
        with fits.open(path, memmap=False) as hdul:
            data = hdul["SCI"].data if "SCI" in hdul else None
    if data is None or data.ndim != 2 or not np.issubdtype(data.dtype, np.integer):
        raise InputFileError(
            f"segmentation map {path} has no 2-D integer SCI image; give the map written by "
            "source_catalog"
        )
    return np.asarray(data)


def check_segmentation(catalog: SourceCatalog, segmap: np.ndarray, where: str = "") -> None:
    """Check that every catalogue source labels some pixels of the segmentation map.

    Raises
    ------
    InputFileError
        Some catalogue labels are not in the map: the two are not of the same direct image.
    """
    present = np.isin(catalog.label, np.unique(segmap))
    if not present.all():
        absent = catalog.label[~present]
        shown = ", ".join(str(v) for v in absent[:5]) + (" ..." if absent.size > 5 else "")
        raise InputFileError(
            f"{where}source catalogue {catalog.name} has {absent.size} source(s) ({shown}) "
            "not in the segmentation map: give the catalogue and map of the same direct image"
        )
