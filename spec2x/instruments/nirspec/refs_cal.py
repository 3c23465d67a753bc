"""Readers for the NIRSpec slit-calibration references: ``fflat``, ``sflat``, ``dflat``,
``wavecorr`` and ``pathloss``.

Each reader returns a :class:`~spec2x.io.references.Reference` whose
``content`` is a small frozen dataclass of NumPy arrays:

``fflat`` / ``sflat`` / ``dflat``  :class:`NirspecFlat` -- the optional image
        part (SCI 2-D or 3-D, DQ, ERR; the WAVELENGTH table of the planes) and
        the ``FAST_VARIATION`` table, one row per slit (or ``ANY``), cleaned the
        way jwst's ``read_flat_table`` cleans it (``nelem`` truncation, rows with
        NaN, non-positive wavelength or zero flat dropped).
``wavecorr``  :class:`WaveCorr` -- per aperture the zero-point offset table
        (pixels) on its grid of wavelength (m) and source position (fraction of
        the aperture width), from the ASDF ``Tabular2D`` model.
``pathloss``  :class:`Pathloss` -- per aperture the point-source cube
        (wavelength, y, x) and the uniform-source vector, with their linear
        grid keywords (CRPIX/CRVAL/CDELT; wavelengths in m).

The MOS quadrant f-flat (``NirspecQuadFlatModel``) is read by
:mod:`.flat_mos` (its content is a ``QuadFlat``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.io import fits

from ...dq import DQ_DTYPE
from ...errors import InputFileError, ReferenceMismatchError
from ...io.fits_lazy import LazyImage, lazy_image
from ...io.references import Reference, open_asdf_reference
from ...modes import lookup

__all__ = [
    "FastVariation",
    "NirspecFlat",
    "Pathloss",
    "PathlossAperture",
    "WaveCorr",
    "WaveCorrAperture",
    "fast_variation",
    "image_wavelength",
    "read_nirspec_flat",
    "read_pathloss",
    "read_wavecorr",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FastVariation:
    """The ``FAST_VARIATION`` table of a NIRSpec flat: 1-D flat versus wavelength.

    Attributes
    ----------
    slit_names : lowercase stripped ``slit_name`` of each row (``"any"`` matches
        every slit); empty when the table has no such column.
    wavelength, data, error : per row, the cleaned wavelength (µm), flat value
        and its error (NaN where the file gives none), float32.
    """

    slit_names: tuple[str, ...]
    wavelength: tuple[np.ndarray, ...]
    data: tuple[np.ndarray, ...]
    error: tuple[np.ndarray, ...]

    def row(self, slit_name: str | None, exp_type: str) -> int | None:
        """Index of the row for ``slit_name``, as jwst's ``read_flat_table`` picks it.

        Fixed-slit exposures take the first row named like the slit or ``ANY``;
        other modes, or a table without a ``slit_name`` column, take row 0.
        None means no row fits the slit.
        """
        mode = lookup(exp_type)
        by_name = mode is not None and mode.fixed_slit_flat  # jwst's FIXED_SLIT_TYPES
        if by_name and self.slit_names and slit_name is not None:
            wanted = slit_name.lower()
            for i, name in enumerate(self.slit_names):
                if name in ("any", wanted):
                    return i
            return None
        return 0


@dataclass(frozen=True)
class NirspecFlat:
    """Content of a NIRSpec ``fflat``, ``sflat`` or ``dflat`` reference.

    Attributes
    ----------
    data : SCI, float32, 2-D (ny, nx) or 3-D (nplane, ny, nx), full-frame
        detector pixels; None for a table-only file (the fixed-slit f-flat).
        A :class:`~spec2x.io.fits_lazy.LazyImage` (indexing reads the pixels
        named) when the file allows, else an array.
    dq : DQ, uint32, 2-D or 3-D; zeros when the file has none.
    err : ERR, float32, 2-D or 3-D; zeros when the file has none.
    image_wavelength : wavelength (µm) of each SCI plane (NaN and non-positive
        entries dropped, as jwst's ``read_image_wl``), or None.
    table : the fast-variation table.
    """

    data: np.ndarray | LazyImage | None
    dq: np.ndarray | LazyImage | None
    err: np.ndarray | LazyImage | None
    image_wavelength: np.ndarray | None
    table: FastVariation


@dataclass(frozen=True)
class WaveCorrAperture:
    """Zero-point offset table of one aperture.

    Attributes
    ----------
    name : aperture (``S200A1`` ... or ``MOS``).
    wavelength : grid of wavelengths (m).
    position : grid of source positions (fraction of the aperture width, -0.5..0.5).
    offset : zero-point offset (pixels), shape (len(wavelength), len(position)).
    width : aperture width (m).
    """

    name: str
    wavelength: np.ndarray
    position: np.ndarray
    offset: np.ndarray
    width: float | None = None


@dataclass(frozen=True)
class WaveCorr:
    """Content of a ``wavecorr`` reference: the apertures by name."""

    apertures: Mapping[str, WaveCorrAperture]


@dataclass(frozen=True)
class PathlossAperture:
    """Pathloss tables of one aperture.

    Attributes
    ----------
    name : aperture name (``S200A1`` ...).
    shutters : number of shutters (MOS) or None.
    point : point-source pathloss, float32 (nwave, ny, nx) over source
        position (x, y from -0.5 to 0.5) and wavelength.
    point_wcs : ``crpix1..3``, ``crval1..3``, ``cdelt1..3`` of ``point`` (axis
        1 = x position, 2 = y position, 3 = wavelength in m).
    uniform : uniform-source pathloss, float32 (nwave,).
    uniform_wcs : ``crpix1``, ``crval1``, ``cdelt1`` of ``uniform`` (wavelength in m).
    """

    name: str
    shutters: int | None
    point: np.ndarray
    point_wcs: Mapping[str, float]
    uniform: np.ndarray
    uniform_wcs: Mapping[str, float]


@dataclass(frozen=True)
class Pathloss:
    """Content of a ``pathloss`` reference: the apertures in file order."""

    apertures: tuple[PathlossAperture, ...]

    def aperture(self, name: str) -> PathlossAperture | None:
        """The aperture called ``name`` (exact match, as jwst), or None."""
        for ap in self.apertures:
            if ap.name == name:
                return ap
        return None


# ----------------------------------------------------------------------------- flats


def _clean_row(
    wl: np.ndarray, flat: np.ndarray, err: np.ndarray, nelem: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trim and filter one fast-variation row as jwst's ``read_flat_table`` does."""
    if nelem is not None and len(wl) >= nelem:
        wl, flat, err = wl[:nelem], flat[:nelem], err[:nelem]
    elif nelem is not None:
        log.error("fast-variation arrays (%d) are shorter than nelem=%d", len(wl), nelem)
    keep = ~np.isnan(wl) & ~np.isnan(flat)
    wl, flat, err = wl[keep], flat[keep], err[keep]
    keep = (wl > 0.0) & (flat != 0.0)
    wl, flat, err = wl[keep], flat[keep], err[keep]
    if len(wl) > 1 and np.any(np.diff(wl) <= 0.0):
        log.warning("wavelengths in the fast-variation table must be strictly increasing")
    return wl, flat, err


def fast_variation(hdu: Any, path: str) -> FastVariation:
    """Read a ``FAST_VARIATION`` table HDU (None: InputFileError naming ``path``)."""
    if hdu is None:
        raise InputFileError(f"{path} has no FAST_VARIATION table; is it a NIRSpec flat?")
    data = hdu.data
    names = [n.lower() for n in data.columns.names]
    for needed in ("wavelength", "data"):
        if needed not in names:
            raise InputFileError(f"{path}: FAST_VARIATION has no {needed!r} column")

    def col(name: str) -> np.ndarray | None:
        return np.asarray(data[name], dtype=np.float32) if name in names else None

    wl_col, flat_col = col("wavelength"), col("data")
    assert wl_col is not None
    assert flat_col is not None
    err_col = col("error")
    if err_col is None:  # old files: stdatamodels fills the missing column with NaN
        err_col = np.full(wl_col.shape, np.nan, np.float32)
    nelem_col = np.asarray(data["nelem"]).astype(int) if "nelem" in names else None
    slit_names: tuple[str, ...] = ()
    if "slit_name" in names:
        slit_names = tuple(str(s).strip().lower() for s in data["slit_name"])
    rows_wl, rows_flat, rows_err = [], [], []
    if wl_col.ndim > 1:  # one array per row
        for i in range(wl_col.shape[0]):
            nelem = None if nelem_col is None else int(nelem_col[i])
            w, f, e = _clean_row(wl_col[i], flat_col[i], err_col[i], nelem)
            rows_wl.append(w)
            rows_flat.append(f)
            rows_err.append(e)
    else:  # scalar columns: the whole table is one curve
        nelem = None if nelem_col is None else int(nelem_col[0])
        w, f, e = _clean_row(wl_col, flat_col, err_col, nelem)
        rows_wl, rows_flat, rows_err = [w], [f], [e]
        slit_names = ()
    return FastVariation(slit_names, tuple(rows_wl), tuple(rows_flat), tuple(rows_err))


def image_wavelength(hdu: Any) -> np.ndarray:
    """The wavelengths (µm) of a flat's image planes from its ``WAVELENGTH`` table HDU."""
    wl = np.asarray(hdu.data["wavelength"], dtype=np.float32)
    wl = wl.reshape(-1) if wl.ndim > 1 else wl
    wl = wl[~np.isnan(wl)]
    return wl[wl > 0.0]


def _image(hdul: Any, name: str, dtype: Any) -> np.ndarray | LazyImage | None:
    """An image HDU mapped (read pixel by pixel as used), or read whole; None when absent."""
    if name not in hdul:
        return None
    lazy = lazy_image(hdul[name], dtype)
    if lazy is not None:
        return lazy
    data = hdul[name].data
    return None if data is None else np.asarray(data).astype(dtype)


def read_nirspec_flat(path: str, header: dict[str, Any]) -> Reference:
    """Open a NIRSpec ``fflat``/``sflat``/``dflat`` (jwst ``NirspecFlatModel``) file.

    The images are mapped, not read (:mod:`spec2x.io.fits_lazy`): a step reads
    the pixels it uses.

    A MOS quadrant f-flat (``NirspecQuadFlatModel``) is read by
    :func:`spec2x.instruments.nirspec.flat_mos.read_fflat`.
    """
    reftype = str(header.get("REFTYPE", "")).lower()
    with fits.open(path, memmap=False) as hdul:
        if sum(h.name == "SCI" for h in hdul) > 1:
            raise InputFileError(
                f"{path} holds MSA quadrants (a MOS fflat); open it with "
                "spec2x.open_reference, which reads it as one"
            )
        data = _image(hdul, "SCI", np.float32)
        dq = err = None
        if data is not None:
            dq = _image(hdul, "DQ", DQ_DTYPE)
            err = _image(hdul, "ERR", np.float32)
            dq = np.zeros(data.shape, DQ_DTYPE) if dq is None else dq
            err = np.zeros(data.shape, np.float32) if err is None else err
        table = fast_variation(hdul["FAST_VARIATION"] if "FAST_VARIATION" in hdul else None, path)
        planes = image_wavelength(hdul["WAVELENGTH"]) if "WAVELENGTH" in hdul else None
        content = NirspecFlat(data, dq, err, planes, table)
    if data is not None and data.ndim == 3 and content.image_wavelength is None:
        raise InputFileError(f"{path}: a 3-D SCI needs a WAVELENGTH table of its planes")
    return Reference(reftype, path, header, content)


# -------------------------------------------------------------------------- wavecorr


def read_wavecorr(path: str, header: dict[str, Any]) -> Reference:
    """Open a NIRSpec ``wavecorr`` ASDF file (jwst ``WaveCorrModel``)."""

    apertures: dict[str, WaveCorrAperture] = {}
    with open_asdf_reference(path, lazy_load=False) as af:
        for ap in af.tree.get("apertures", []) or []:
            model = ap["zero_point_offset"]
            points = getattr(model, "points", None)
            table = getattr(model, "lookup_table", None)
            if points is None or table is None or len(points) != 2:
                raise InputFileError(
                    f"{path}: aperture {ap.get('aperture_name')} zero_point_offset is not a "
                    "Tabular2D lookup table"
                )
            if getattr(model, "method", "linear") != "linear":
                raise InputFileError(f"{path}: only linear zero-point tables are supported")
            name = str(ap["aperture_name"])
            apertures[name] = WaveCorrAperture(
                name=name,
                wavelength=np.asarray(points[0], dtype=np.float64),
                position=np.asarray(points[1], dtype=np.float64),
                offset=np.asarray(table, dtype=np.float64),
                width=float(ap["width"]) if ap.get("width") is not None else None,
            )
    if not apertures:
        raise InputFileError(f"{path} holds no wavecorr apertures")
    return Reference("wavecorr", path, header, WaveCorr(apertures))


# -------------------------------------------------------------------------- pathloss

_PS_KEYS = tuple(f"{k}{i}" for k in ("crpix", "crval", "cdelt") for i in (1, 2, 3))
_UNI_KEYS = ("crpix1", "crval1", "cdelt1")


def _keywords(hdr: fits.Header, keys: tuple[str, ...], path: str, ext: str) -> dict[str, float]:
    missing = [k.upper() for k in keys if k.upper() not in hdr]
    if missing:
        raise InputFileError(f"{path}: extension {ext} lacks {', '.join(missing)}")
    return {k: float(hdr[k.upper()]) for k in keys}


def read_pathloss(path: str, header: dict[str, Any]) -> Reference:
    """Open a NIRSpec ``pathloss`` FITS file (jwst ``PathlossModel``, PS/UNI extensions)."""
    apertures = []
    with fits.open(path, memmap=False) as hdul:
        if "PS" not in hdul:
            raise ReferenceMismatchError(
                f"{path} has no PS extension: it is not a NIRSpec pathloss reference; "
                "check its INSTRUME keyword"
            )
        ver = 1
        while ("PS", ver) in hdul:
            ps = hdul["PS", ver]
            uni = hdul["UNI", ver] if ("UNI", ver) in hdul else None
            if uni is None:
                raise InputFileError(f"{path}: PS extension {ver} has no matching UNI extension")
            shutters = ps.header.get("SHUTTERS")
            apertures.append(
                PathlossAperture(
                    name=str(ps.header.get("APERTURE", "")).strip(),
                    shutters=None if shutters is None else int(shutters),
                    point=np.asarray(ps.data, dtype=np.float32),
                    point_wcs=_keywords(ps.header, _PS_KEYS, path, f"PS,{ver}"),
                    uniform=np.asarray(uni.data, dtype=np.float32),
                    uniform_wcs=_keywords(uni.header, _UNI_KEYS, path, f"UNI,{ver}"),
                )
            )
            ver += 1
    return Reference("pathloss", path, header, Pathloss(tuple(apertures)))
