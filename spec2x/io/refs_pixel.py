"""Readers for the pixel-arithmetic references: ``flat``, ``photom`` and ``area``.

Each reader returns a :class:`~spec2x.io.references.Reference` whose
``content`` is a small frozen dataclass of NumPy arrays:

``flat``    :class:`FlatImage` -- SCI, ERR, DQ (mapped to the standard bits
            through DQ_DEF, as ``stdatamodels``' FlatModel does) and the
            1-based subarray corner of the file.
``photom``  :class:`PhotomTable` -- the PHOTOM table by lowercase column
            name, the optional TIMECOEFF_* tables, and PIXAR_SR / PIXAR_A2.
            Every table-based photom format (MIRI LRS, NIRSpec FS/MOS/IFU,
            NIRCam/NIRISS WFSS, SOSS ...) reads the same way; a mode only
            differs in the columns it matches rows on (see
            :mod:`spec2x.steps.photom`).  Image-based files (MIRI MRS) keep
            their SCI/ERR/DQ arrays in ``image``.
``fringe``  :class:`FlatImage` too (the MIRI MRS fringe flat).
``bkg``     :class:`FlatImage` too for WFSS (the ``WfssBkgModel`` template).
``area``    :class:`PixelArea` -- either a pixel-area image (SCI) or the
            NIRSpec AREA table, plus PIXAR_SR / PIXAR_A2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from astropy.io import fits

from ..dq import DQ, DQ_DTYPE
from ..errors import InputFileError, MissingReferenceError
from .references import Reference

__all__ = [
    "TIMECOEFF_KINDS",
    "FlatImage",
    "PhotomTable",
    "PixelArea",
    "map_dq_def",
    "read_area",
    "read_flat",
    "read_fringe",
    "read_photom",
    "read_wfss_bkg",
]

#: Time-dependence tables a photom file may carry (FITS extension suffixes).
TIMECOEFF_KINDS = ("linear", "exponential", "powerlaw")


@dataclass(frozen=True)
class FlatImage:
    """Content of a ``flat`` reference (one image for the whole detector or subarray).

    Attributes
    ----------
    sci : flat value (dimensionless), float32 (ny, nx).
    err : its 1-sigma uncertainty, float32 (ny, nx); zero where the file has none.
    dq : uint32 (ny, nx), standard JWST bits.
    xstart, ystart : 1-based full-frame position of ``sci[0, 0]`` (SUBSTRT1/2).
    """

    sci: np.ndarray
    err: np.ndarray
    dq: np.ndarray
    xstart: int = 1
    ystart: int = 1


@dataclass(frozen=True)
class PhotomTable:
    """Content of a table-based ``photom`` reference.

    Attributes
    ----------
    columns : PHOTOM table columns by lowercase name; string columns are
        stripped, uppercase ``str`` arrays; array columns are 2-D (row, element).
    timecoeff : ``{"linear"|"exponential"|"powerlaw": {column: array}}`` for
        each TIMECOEFF_* table present.
    pixar_sr, pixar_a2 : nominal pixel area (PIXAR_SR, PIXAR_A2) or None.
    image : for image-based files (MIRI MRS), ``{"sci", "err", "dq"}`` arrays.
    phot_unit : the PHOTOM extension's PHOTUNIT (unit of ``photmjsr``, grism files) or None.
    """

    columns: Mapping[str, np.ndarray]
    timecoeff: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)
    pixar_sr: float | None = None
    pixar_a2: float | None = None
    image: Mapping[str, np.ndarray] | None = None
    phot_unit: str | None = None

    @property
    def nrows(self) -> int:
        """Number of rows of the PHOTOM table."""
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def find_rows(self, **match: Any) -> np.ndarray:
        """Indices of the rows whose columns equal ``match`` (strings compared uppercase)."""
        keep = np.ones(self.nrows, bool)
        for name, value in match.items():
            if name not in self.columns:
                raise MissingReferenceError(
                    f"photom table has no column {name!r} to match on (columns: "
                    f"{', '.join(self.columns)}); is it the photom file for this mode?"
                )
            col = self.columns[name]
            if col.dtype.kind in "US":
                keep &= col == str(value).strip().upper()
            else:
                keep &= col == value
        return np.flatnonzero(keep)


@dataclass(frozen=True)
class PixelArea:
    """Content of an ``area`` reference.

    Attributes
    ----------
    image : pixel area map (SCI, float32, relative to PIXAR_*) or None.
    xstart, ystart : 1-based full-frame position of ``image[0, 0]``.
    table : the NIRSpec AREA table by lowercase column name (``slit_id``,
        ``pixarea`` in arcsec^2, MOS ``quadrant shutter_x shutter_y``, IFU
        ``slice_id``) or None.
    pixar_sr, pixar_a2 : nominal pixel area (PIXAR_SR, PIXAR_A2) or None.
    """

    image: np.ndarray | None = None
    xstart: int = 1
    ystart: int = 1
    table: Mapping[str, np.ndarray] | None = None
    pixar_sr: float | None = None
    pixar_a2: float | None = None


def map_dq_def(dq: np.ndarray, dq_def: Any | None) -> np.ndarray:
    """Map a reference DQ array to standard bits by the names in its DQ_DEF table.

    Without a DQ_DEF table the array is taken to use the standard bits
    already.  Names that are not JWST flags are dropped (as stdatamodels does).
    A pixel gets the standard flag of every DQ_DEF row whose VALUE shares a bit
    with it.
    """
    if dq_def is None or len(dq_def) == 0:
        return np.asarray(dq).astype(DQ_DTYPE)
    dq = np.asarray(dq, DQ_DTYPE)
    names = {n.upper(): n for n in dq_def.dtype.names}
    # What each of the 32 reference bits turns into.
    targets = [0] * 32
    for record in dq_def:
        name = str(record[names["NAME"]]).strip().upper()
        if name not in DQ.__members__:
            continue
        plane = int(record[names["VALUE"]]) & 0xFFFFFFFF
        for bit in range(32):
            if plane >> bit & 1:
                targets[bit] |= int(DQ[name])
    # Bits that keep their own value go through one mask; the others one pass each.
    kept = sum(1 << bit for bit, target in enumerate(targets) if target == 1 << bit)
    out = np.bitwise_and(dq, DQ_DTYPE(kept))
    for bit, target in enumerate(targets):
        if target and target != 1 << bit:
            moved = np.bitwise_and(dq, DQ_DTYPE(1 << bit)) != 0
            out[moved] |= DQ_DTYPE(target)
    return out


def _hdu(hdul: fits.HDUList, name: str) -> Any | None:
    return hdul[name] if name in hdul else None


def _int(header: Mapping[str, Any], key: str, default: int) -> int:
    value = header.get(key)
    return default if value in (None, "", "N/A") else int(value)


def _float(header: Mapping[str, Any], key: str) -> float | None:
    value = header.get(key)
    return None if value in (None, "", "N/A") else float(value)


def _table(data: Any) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name in data.dtype.names:
        col = np.asarray(data[name])
        if col.dtype.kind in "SU":
            col = np.char.upper(np.char.strip(col.astype(str)))
        else:
            col = col.astype(col.dtype.newbyteorder("="))
        out[name.lower()] = col
    return out


def read_flat(path: str, header: dict[str, Any]) -> Reference:
    """Open a FITS ``flat`` reference (SCI, ERR, DQ, DQ_DEF)."""
    return _read_image(path, header, "flat")


def read_fringe(path: str, header: dict[str, Any]) -> Reference:
    """Open a FITS ``fringe`` reference (MIRI MRS fringe flat: SCI, ERR, DQ, DQ_DEF)."""
    return _read_image(path, header, "fringe")


def read_wfss_bkg(path: str, header: dict[str, Any]) -> Reference:
    """Open a WFSS ``bkg`` reference (``WfssBkgModel``: SCI template, ERR, DQ, DQ_DEF)."""
    return _read_image(path, header, "bkg")


def _read_image(path: str, header: dict[str, Any], reftype: str) -> Reference:
    """A SCI/ERR/DQ image reference as :class:`FlatImage` (ERR 0 and DQ 0 where absent)."""
    with fits.open(path, memmap=False) as hdul:
        sci_hdu = _hdu(hdul, "SCI")
        if sci_hdu is None or sci_hdu.data is None:
            raise InputFileError(f"{reftype} reference {path} has no SCI image")
        sci = np.array(sci_hdu.data, np.float32)
        err_hdu, dq_hdu, dqdef_hdu = _hdu(hdul, "ERR"), _hdu(hdul, "DQ"), _hdu(hdul, "DQ_DEF")
        err = (
            np.zeros_like(sci)
            if err_hdu is None or err_hdu.data is None
            else np.array(err_hdu.data, np.float32)
        )
        raw_dq = (
            np.zeros(sci.shape, DQ_DTYPE)
            if dq_hdu is None or dq_hdu.data is None
            else np.asarray(dq_hdu.data)
        )
        dq = map_dq_def(raw_dq, None if dqdef_hdu is None else dqdef_hdu.data)
    if sci.ndim != 2 or err.shape != sci.shape or dq.shape != sci.shape:
        raise InputFileError(
            f"{reftype} reference {path}: SCI {sci.shape}, ERR {err.shape} and DQ {dq.shape} "
            "must be 2-D images of one shape"
        )
    content = FlatImage(
        sci=sci,
        err=err,
        dq=dq,
        xstart=_int(header, "SUBSTRT1", 1),
        ystart=_int(header, "SUBSTRT2", 1),
    )
    return Reference(reftype, path, header, content)


def read_photom(path: str, header: dict[str, Any]) -> Reference:
    """Open a FITS ``photom`` reference (PHOTOM table, TIMECOEFF_* tables, or an image)."""
    with fits.open(path, memmap=False) as hdul:
        columns: dict[str, np.ndarray] = {}
        image = phot_unit = None
        if "PHOTOM" in hdul:
            columns = _table(hdul["PHOTOM"].data)
            phot_unit = str(hdul["PHOTOM"].header.get("PHOTUNIT", "")).strip() or None
        elif "SCI" in hdul:
            image = {
                name.lower(): np.asarray(hdul[name].data).copy()
                for name in ("SCI", "ERR", "DQ", "PIXSIZ")
                if name in hdul and hdul[name].data is not None
            }
        else:
            raise InputFileError(f"photom reference {path} has neither a PHOTOM table nor SCI")
        timecoeff = {
            kind: _table(hdul[f"TIMECOEFF_{kind.upper()}"].data)
            for kind in TIMECOEFF_KINDS
            if f"TIMECOEFF_{kind.upper()}" in hdul
        }
    content = PhotomTable(
        columns=columns,
        timecoeff=timecoeff,
        pixar_sr=_float(header, "PIXAR_SR"),
        pixar_a2=_float(header, "PIXAR_A2"),
        image=image,
        phot_unit=phot_unit,
    )
    return Reference("photom", path, header, content)


def read_area(path: str, header: dict[str, Any]) -> Reference:
    """Open a FITS ``area`` reference (pixel-area image, or the NIRSpec AREA table)."""
    with fits.open(path, memmap=False) as hdul:
        image = table = None
        if "AREA" in hdul and isinstance(hdul["AREA"], fits.BinTableHDU):
            table = _table(hdul["AREA"].data)
        elif "SCI" in hdul and hdul["SCI"].data is not None:
            image = np.asarray(hdul["SCI"].data, np.float32).copy()
        else:
            raise InputFileError(f"area reference {path} has neither a SCI image nor an AREA table")
    content = PixelArea(
        image=image,
        xstart=_int(header, "SUBSTRT1", 1),
        ystart=_int(header, "SUBSTRT2", 1),
        table=table,
        pixar_sr=_float(header, "PIXAR_SR"),
        pixar_a2=_float(header, "PIXAR_A2"),
    )
    return Reference("area", path, header, content)
