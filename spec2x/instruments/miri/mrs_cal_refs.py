"""Readers for the MIRI MRS calibration references: ``photom`` and ``mrsxartcorr``.

- ``photom`` of an MRS detector (``MirMrsPhotomModel``): SCI, the per-pixel
  conversion from DN/s to MJy/sr, with ERR, DQ (mapped through DQ_DEF),
  PIXSIZ (the pixel solid angle) and, in current files, the
  ``TIMECOEFF_POWERLAW_CH1`` ... ``CH4`` tables of the throughput loss by
  wavelength bin (``binwave alpha year1value tsoft t0``).  The imager and
  LRS photom tables of MIRI open as before (:func:`spec2x.io.refs_pixel.read_photom`).
- ``mrsxartcorr`` (``MirMrsXArtCorrModel``): one table per channel and band
  (``CH1A`` ... ``CH4C``), one row per detector row, with the widths and
  amplitudes of the cross-artifact profile (``lor_fwhm lor_scale gau_fwhm
  gau_xoff gau_scale1 gau_scale2``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from astropy.io import fits

from ...dq import DQ_DTYPE
from ...errors import InputFileError
from ...io.references import Reference
from ...io.refs_pixel import map_dq_def, read_photom
from .mrs_refs import MRS_DETECTORS

__all__ = ["XART_COLUMNS", "MrsPhotom", "MrsXartCorr", "read_miri_photom", "read_mrsxartcorr"]

#: Columns of each ``mrsxartcorr`` table, one value per detector row.
XART_COLUMNS = ("lor_fwhm", "lor_scale", "gau_fwhm", "gau_xoff", "gau_scale1", "gau_scale2")
_TIMECOEFF = ("binwave", "alpha", "year1value", "tsoft", "t0")


@dataclass(frozen=True)
class MrsPhotom:
    """Content of a MIRI MRS ``photom`` reference (one detector and band).

    Attributes
    ----------
    sci : (MJy/sr) per (DN/s) of each pixel, float32 (1024, 1032).
    err : its uncertainty, float32.
    dq : uint32, standard JWST bits.
    pixsiz : pixel solid angle (sr), float32, or None.
    timecoeff : channel (``"1"`` ... ``"4"``) -> column -> float32 array of
        the power-law throughput loss per wavelength bin; empty in files
        without the tables.
    photmjsr, pixar_sr, pixar_a2 : PHOTMJSR, PIXAR_SR, PIXAR_A2 or None.
    """

    sci: np.ndarray
    err: np.ndarray
    dq: np.ndarray
    pixsiz: np.ndarray | None = None
    timecoeff: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)
    photmjsr: float | None = None
    pixar_sr: float | None = None
    pixar_a2: float | None = None


@dataclass(frozen=True)
class MrsXartCorr:
    """Content of a MIRI MRS ``mrsxartcorr`` reference.

    Attributes
    ----------
    tables : ``<channel><sub-band>`` (``"1A"`` ... ``"4C"``) -> column of
        :data:`XART_COLUMNS` -> float32 array, one value per detector row.
    """

    tables: Mapping[str, Mapping[str, np.ndarray]]


def _float(header: Mapping[str, Any], key: str) -> float | None:
    value = header.get(key)
    return None if value in (None, "", "N/A") else float(value)


def _columns(data: Any, names: tuple[str, ...], where: str) -> dict[str, np.ndarray]:
    have = {n.lower(): n for n in data.dtype.names}
    missing = [n for n in names if n not in have]
    if missing:
        raise InputFileError(f"{where} lacks the columns {missing}; give a jwst-format file")
    return {n: np.asarray(data[have[n]]).astype(np.float32) for n in names}


def _image(hdul: fits.HDUList, name: str, dtype: Any) -> np.ndarray | None:
    if name not in hdul or hdul[name].data is None:
        return None
    return np.asarray(hdul[name].data).astype(dtype)


def read_miri_photom(path: str, header: dict[str, Any]) -> Reference:
    """Open a MIRI ``photom``: an MRS one as :class:`MrsPhotom`, the imager/LRS table as before."""
    if str(header.get("DETECTOR", "")).strip().upper() not in MRS_DETECTORS:
        return read_photom(path, header)
    with fits.open(path, memmap=False) as hdul:
        sci = _image(hdul, "SCI", np.float32)
        if sci is None or sci.ndim != 2:
            raise InputFileError(f"MIRI MRS photom reference {path} has no 2-D SCI image")
        err = _image(hdul, "ERR", np.float32)
        raw_dq = _image(hdul, "DQ", DQ_DTYPE)
        dq_def = hdul["DQ_DEF"].data if "DQ_DEF" in hdul else None
        timecoeff = {
            ch: _columns(hdul[f"TIMECOEFF_POWERLAW_CH{ch}"].data, _TIMECOEFF, f"{path} CH{ch}")
            for ch in "1234"
            if f"TIMECOEFF_POWERLAW_CH{ch}" in hdul
        }
        content = MrsPhotom(
            sci=sci,
            err=np.zeros_like(sci) if err is None else err,
            dq=map_dq_def(np.zeros(sci.shape, DQ_DTYPE) if raw_dq is None else raw_dq, dq_def),
            pixsiz=_image(hdul, "PIXSIZ", np.float32),
            timecoeff=timecoeff,
            photmjsr=_float(header, "PHOTMJSR"),
            pixar_sr=_float(header, "PIXAR_SR"),
            pixar_a2=_float(header, "PIXAR_A2"),
        )
    return Reference("photom", path, header, content)


def read_mrsxartcorr(path: str, header: dict[str, Any]) -> Reference:
    """Open a MIRI MRS ``mrsxartcorr`` reference as :class:`MrsXartCorr`."""
    with fits.open(path, memmap=False) as hdul:
        tables = {
            f"{ch}{sub}": _columns(hdul[f"CH{ch}{sub}"].data, XART_COLUMNS, f"{path} CH{ch}{sub}")
            for ch in "1234"
            for sub in "ABC"
            if f"CH{ch}{sub}" in hdul and hdul[f"CH{ch}{sub}"].data is not None
        }
    if not tables:
        raise InputFileError(
            f"mrsxartcorr reference {path} has none of the CH1A ... CH4C tables; "
            "give the jwst-format MIRI MRS cross-artifact file"
        )
    return Reference("mrsxartcorr", path, header, MrsXartCorr(tables))
