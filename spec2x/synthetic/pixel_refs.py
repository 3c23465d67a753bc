"""Synthetic ``flat``, ``photom`` and ``area`` references in the CRDS formats.

The files open in ``stdatamodels`` as ``FlatModel``, ``MirLrsPhotomModel``,
``NrsFsPhotomModel``, ``NirspecSlitAreaModel`` and ``PixelAreaModel``, and in
:func:`spec2x.open_reference`.  The instrument helpers
(:mod:`spec2x.synthetic`) call these writers with their own wavelength ranges.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from ..dq import DQ
from .base import reference_header, rng, write_reference_fits

__all__ = [
    "A2_TO_SR",
    "write_flat",
    "write_miri_photom",
    "write_nirspec_fs_area",
    "write_nirspec_fs_photom",
    "write_nirspec_mos_area",
    "write_nirspec_mos_photom",
    "write_pixel_area",
]

#: Square arcseconds to steradians.
A2_TO_SR = (np.pi / (180.0 * 3600.0)) ** 2


def _dq_def_hdu(flags: Sequence[str]) -> fits.BinTableHDU:
    cols = [
        fits.Column("BIT", "J", array=[int(DQ[f]).bit_length() - 1 for f in flags]),
        fits.Column("VALUE", "J", array=[int(DQ[f]) for f in flags]),
        fits.Column("NAME", "40A", array=list(flags)),
        fits.Column("DESCRIPTION", "80A", array=[f"{f} (synthetic)" for f in flags]),
    ]
    return fits.BinTableHDU.from_columns(cols, name="DQ_DEF")


def write_flat(
    path: str | os.PathLike[str],
    *,
    instrument: str,
    detector: str,
    exp_type: str,
    shape: tuple[int, int],
    xstart: int = 1,
    ystart: int = 1,
    seed: int | np.random.Generator | None = 0,
    subarray: str | None = None,
    scatter: float = 0.02,
    err_level: float = 0.005,
    bad_fraction: float = 0.002,
    **selectors: Any,
) -> Path:
    """Write a FITS ``flat`` reference: SCI near 1, ERR, DQ with a few bad pixels.

    Parameters
    ----------
    path : output file.
    instrument, detector, exp_type : selectors (``EXP_TYPE`` may be a ``|`` list).
    shape : (ny, nx) of the image; ``xstart``/``ystart`` its 1-based corner.
    seed : seed of the random pixel-to-pixel structure.
    subarray : SUBARRAY keyword (``FULL`` when the image is the full frame,
        ``GENERIC`` otherwise, unless given).
    scatter : rms of SCI about 1; ``err_level`` the ERR value (relative).
    bad_fraction : fraction of pixels flagged (half NO_FLAT_FIELD with a NaN
        value, half DO_NOT_USE with a zero value).
    selectors : further keywords (``FILTER="P750L"``...).
    """
    gen = rng(seed)
    ny, nx = shape
    sci = (1.0 + scatter * gen.standard_normal(shape)).astype(np.float32)
    err = np.full(shape, err_level, np.float32) * sci
    dq = np.zeros(shape, np.uint32)
    nbad = int(round(bad_fraction * ny * nx))
    if nbad:
        idx = gen.choice(ny * nx, size=2 * ((nbad + 1) // 2), replace=False)
        half = len(idx) // 2
        nan_idx, zero_idx = np.unravel_index(idx[:half], shape), np.unravel_index(idx[half:], shape)
        sci[nan_idx] = np.nan
        dq[nan_idx] |= np.uint32(DQ.NO_FLAT_FIELD)
        sci[zero_idx] = 0.0
        dq[zero_idx] |= np.uint32(DQ.DO_NOT_USE)
    if subarray is None:
        subarray = "GENERIC" if (xstart, ystart) != (1, 1) else selectors.pop("SUBARRAY", "FULL")
    hdr = reference_header(
        "flat",
        instrument,
        DETECTOR=detector,
        EXP_TYPE=exp_type,
        SUBARRAY=subarray,
        SUBSTRT1=xstart,
        SUBSTRT2=ystart,
        SUBSIZE1=nx,
        SUBSIZE2=ny,
        **{k.upper(): v for k, v in selectors.items()},
    )
    hdus = [
        fits.ImageHDU(sci, name="SCI"),
        fits.ImageHDU(err, name="ERR"),
        fits.ImageHDU(dq, name="DQ"),
        _dq_def_hdu(["DO_NOT_USE", "NO_FLAT_FIELD", "UNRELIABLE_FLAT"]),
    ]
    return write_reference_fits(path, hdr, hdus, datamodel="FlatModel")


def _array_column(name: str, rows: Sequence[np.ndarray], width: int) -> fits.Column:
    out = np.zeros((len(rows), width), np.float32)
    for i, values in enumerate(rows):
        out[i, : len(values)] = values
    return fits.Column(name, f"{width}E", array=out)


def _phot_columns(rows: Sequence[Mapping[str, Any]], keys: Sequence[tuple[str, str]]) -> list:
    waves = [np.asarray(r["wavelength"], np.float32) for r in rows]
    resp = [np.asarray(r["relresponse"], np.float32) for r in rows]
    runc = [
        np.asarray(r.get("reluncertainty", np.zeros(len(w))), np.float32)
        for r, w in zip(rows, waves, strict=True)
    ]
    width = max(len(w) for w in waves)
    cols = [fits.Column(name, fmt, array=[str(r[name]) for r in rows]) for name, fmt in keys]
    scalar = "photmjsr" if "photmjsr" in rows[0] else "photmj"
    cols += [
        fits.Column(scalar, "E", array=[float(r[scalar]) for r in rows]),
        fits.Column("uncertainty", "E", array=[float(r.get("uncertainty", 0.0)) for r in rows]),
        fits.Column("nelem", "I", array=[len(w) for w in waves]),
        _array_column("wavelength", waves, width),
        _array_column("relresponse", resp, width),
        _array_column("reluncertainty", runc, width),
    ]
    return cols


def timecoeff_hdu(
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[tuple[str, str]],
    linear: Any,
    numeric: Sequence[tuple[str, str]] = (),
) -> fits.BinTableHDU:
    """A TIMECOEFF_LINEAR table row for row with a PHOTOM table's ``rows``.

    Parameters
    ----------
    rows : the PHOTOM rows (their ``keys`` and ``numeric`` columns are copied).
    keys : (name, FITS format) of the text columns (filter, pupil ...).
    linear : ``{"t0": MJD, "lossperyear": fraction a year}``, scalars or one per row.
    numeric : (name, FITS format) of number columns (a SOSS spectral order).
    """
    t0, loss = np.broadcast_arrays(
        np.asarray(linear["t0"], float), np.asarray(linear["lossperyear"], float)
    )
    t0, loss = np.broadcast_to(t0, len(rows)), np.broadcast_to(loss, len(rows))
    cols = [fits.Column(name, fmt, array=[str(r[name]) for r in rows]) for name, fmt in keys]
    cols += [fits.Column(name, fmt, array=[r[name] for r in rows]) for name, fmt in numeric]
    cols += [fits.Column("t0", "E", array=t0), fits.Column("lossperyear", "E", array=loss)]
    return fits.BinTableHDU.from_columns(cols, name="TIMECOEFF_LINEAR")


def write_miri_photom(
    path: str | os.PathLike[str],
    *,
    wavelength_um: Sequence[float] | np.ndarray,
    relresponse: Sequence[float] | np.ndarray,
    photmjsr: float,
    filter: str = "P750L",
    subarrays: Sequence[str] = ("FULL", "SLITLESSPRISM"),
    exp_type: str = "MIR_LRS-FIXEDSLIT|MIR_LRS-SLITLESS",
    detector: str = "MIRIMAGE",
    uncertainty: float = 0.0,
    pixar_sr: float = 2.84403609523084e-13,
    pixar_a2: float = 0.0121,
    timecoeff_linear: Mapping[str, Any] | None = None,
) -> Path:
    """Write a MIRI LRS ``photom`` reference (MirLrsPhotomModel): one row per subarray.

    Parameters
    ----------
    wavelength_um, relresponse : the relative response curve (µm, dimensionless).
    photmjsr : scalar conversion, (MJy/sr) / (DN/s).
    filter, subarrays : row selectors.
    pixar_sr, pixar_a2 : nominal pixel area written to the primary header.
    timecoeff_linear : ``{"t0": MJD, "lossperyear": fraction}`` adds a
        TIMECOEFF_LINEAR table (same for every row).
    """
    rows = [
        {
            "filter": filter,
            "subarray": sub,
            "photmjsr": photmjsr,
            "uncertainty": uncertainty,
            "wavelength": wavelength_um,
            "relresponse": relresponse,
        }
        for sub in subarrays
    ]
    keys = (("filter", "12A"), ("subarray", "17A"))
    hdr = reference_header(
        "photom",
        "MIRI",
        DETECTOR=detector,
        EXP_TYPE=exp_type.split("|")[0],
        P_EXP_TY=exp_type if exp_type.endswith("|") else exp_type + "|",
        BAND="N/A",
        PIXAR_SR=pixar_sr,
        PIXAR_A2=pixar_a2,
    )
    hdus = [fits.BinTableHDU.from_columns(_phot_columns(rows, keys), name="PHOTOM")]
    if timecoeff_linear is not None:
        hdus.append(timecoeff_hdu(rows, keys, timecoeff_linear))
    return write_reference_fits(path, hdr, hdus, datamodel="MirLrsPhotomModel")


def write_nirspec_fs_photom(
    path: str | os.PathLike[str],
    *,
    rows: Sequence[Mapping[str, Any]],
    detector: str = "N/A",
    exp_type: str = "NRS_FIXEDSLIT|NRS_BRIGHTOBJ",
    timecoeff_linear: Mapping[str, Any] | None = None,
) -> Path:
    """Write a NIRSpec fixed-slit ``photom`` reference (NrsFsPhotomModel).

    Parameters
    ----------
    rows : one mapping per table row with ``filter``, ``grating``, ``slit``,
        ``photmj`` (MJy / (DN/s)), ``wavelength`` (µm) and ``relresponse``;
        optional ``uncertainty`` and ``reluncertainty``.
    timecoeff_linear : optional TIMECOEFF_LINEAR coefficients (``t0``,
        ``lossperyear``; scalars or one value per row).
    """
    keys = (("filter", "12A"), ("grating", "15A"), ("slit", "15A"))
    hdr = reference_header(
        "photom",
        "NIRSPEC",
        DETECTOR=detector,
        EXP_TYPE=exp_type.split("|")[0],
        P_EXP_TY=exp_type if exp_type.endswith("|") else exp_type + "|",
        SUBARRAY="N/A",
    )
    hdus = [fits.BinTableHDU.from_columns(_phot_columns(rows, keys), name="PHOTOM")]
    if timecoeff_linear is not None:
        hdus.append(timecoeff_hdu(rows, keys, timecoeff_linear))
    return write_reference_fits(path, hdr, hdus, datamodel="NrsFsPhotomModel")


def write_nirspec_mos_photom(
    path: str | os.PathLike[str],
    *,
    rows: Sequence[Mapping[str, Any]],
    detector: str = "N/A",
    exp_type: str = "NRS_MSASPEC",
) -> Path:
    """Write a NIRSpec MOS or IFU ``photom`` reference (NrsMosPhotomModel).

    Parameters
    ----------
    rows : one mapping per row with ``filter``, ``grating``, ``photmj``,
        ``wavelength`` (µm) and ``relresponse`` (optional ``uncertainty``,
        ``reluncertainty``).
    exp_type : ``NRS_MSASPEC`` or ``NRS_IFU`` (the same format).
    """
    keys = (("filter", "12A"), ("grating", "15A"))
    hdr = reference_header(
        "photom", "NIRSPEC", DETECTOR=detector, EXP_TYPE=exp_type, P_EXP_TY=f"{exp_type}|"
    )
    hdus = [fits.BinTableHDU.from_columns(_phot_columns(rows, keys), name="PHOTOM")]
    return write_reference_fits(path, hdr, hdus, datamodel="NrsMosPhotomModel")


def write_nirspec_mos_area(
    path: str | os.PathLike[str],
    *,
    shutters: Sequence[tuple[int, int, int, float]],
    filter: str = "N/A",
    grating: str = "N/A",
) -> Path:
    """Write a NIRSpec MOS ``area`` reference (NirspecMosAreaModel).

    Parameters
    ----------
    shutters : ``(quadrant, shutter_x, shutter_y, pixarea arcsec^2)`` per shutter.
    """
    q, x, y, a = (list(c) for c in zip(*shutters, strict=True))
    cols = [
        fits.Column("QUADRANT", "I", array=q),
        fits.Column("SHUTTER_X", "I", array=x),
        fits.Column("SHUTTER_Y", "I", array=y),
        fits.Column("PIXAREA", "E", unit="arcsec^2", array=[float(v) for v in a]),
    ]
    hdr = reference_header(
        "area", "NIRSPEC", DETECTOR="N/A", FILTER=filter, GRATING=grating, EXP_TYPE="NRS_MSASPEC"
    )
    hdus = [fits.BinTableHDU.from_columns(cols, name="AREA")]
    return write_reference_fits(path, hdr, hdus, datamodel="NirspecMosAreaModel")


def write_nirspec_ifu_area(
    path: str | os.PathLike[str],
    *,
    pixarea: Sequence[float],
    filter: str = "N/A",
    grating: str = "N/A",
) -> Path:
    """Write a NIRSpec IFU ``area`` reference (NirspecIfuAreaModel).

    Parameters
    ----------
    pixarea : pixel area (arcsec^2) of slices 0, 1, ... (``SLICE_ID``).
    """
    cols = [
        fits.Column("SLICE_ID", "I", array=np.arange(len(pixarea))),
        fits.Column("PIXAREA", "E", unit="arcsec^2", array=[float(v) for v in pixarea]),
    ]
    hdr = reference_header(
        "area", "NIRSPEC", DETECTOR="N/A", FILTER=filter, GRATING=grating, EXP_TYPE="NRS_IFU"
    )
    hdus = [fits.BinTableHDU.from_columns(cols, name="AREA")]
    return write_reference_fits(path, hdr, hdus, datamodel="NirspecIfuAreaModel")


def write_nirspec_fs_area(
    path: str | os.PathLike[str],
    *,
    pixarea: Mapping[str, float],
    filter: str = "N/A",
    grating: str = "N/A",
    exp_type: str = "NRS_FIXEDSLIT|NRS_BRIGHTOBJ",
) -> Path:
    """Write a NIRSpec fixed-slit ``area`` reference (NirspecSlitAreaModel).

    Parameters
    ----------
    pixarea : slit name -> nominal pixel area in arcsec^2 (``S200A1``: 0.0220 ...).
    filter, grating : selectors of the file.
    """
    cols = [
        fits.Column("SLIT_ID", "15A", array=list(pixarea)),
        fits.Column("PIXAREA", "E", unit="arcsec^2", array=[float(v) for v in pixarea.values()]),
    ]
    hdr = reference_header(
        "area",
        "NIRSPEC",
        DETECTOR="N/A",
        FILTER=filter,
        GRATING=grating,
        EXP_TYPE=exp_type.split("|")[0],
        P_EXP_TY=exp_type if exp_type.endswith("|") else exp_type + "|",
    )
    hdus = [fits.BinTableHDU.from_columns(cols, name="AREA")]
    return write_reference_fits(path, hdr, hdus, datamodel="NirspecSlitAreaModel")


def write_pixel_area(
    path: str | os.PathLike[str],
    *,
    instrument: str,
    detector: str,
    shape: tuple[int, int],
    pixar_sr: float,
    pixar_a2: float,
    seed: int | np.random.Generator | None = 0,
    scatter: float = 0.01,
    exp_type: str = "ANY",
    **selectors: Any,
) -> Path:
    """Write an image ``area`` reference (PixelAreaModel): relative pixel areas near 1."""
    area = (1.0 + scatter * rng(seed).standard_normal(shape)).astype(np.float32)
    hdr = reference_header(
        "area",
        instrument,
        DETECTOR=detector,
        EXP_TYPE=exp_type,
        PIXAR_SR=pixar_sr,
        PIXAR_A2=pixar_a2,
        SUBSTRT1=1,
        SUBSTRT2=1,
        SUBSIZE1=shape[1],
        SUBSIZE2=shape[0],
        **{k.upper(): v for k, v in selectors.items()},
    )
    return write_reference_fits(
        path, hdr, [fits.ImageHDU(area, name="SCI")], datamodel="PixelAreaModel"
    )
