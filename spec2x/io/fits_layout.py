"""Low-level pieces shared by the FITS reader and writer.

Header keyword <-> attr conversion, extension names, the ASDF extension and
the atomic write.  Nothing here knows about product kinds; the layouts above
it (:mod:`spec2x.io.fits_exposure`, ``fits_slits``, ``fits_spectra``) do.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from ..errors import InputFileError, OutputError
from . import atomic
from .fits_keywords import jwst_accepts
from .fits_names import EXTNAMES, VARNAMES
from .fits_raw import write_hdus
from .fits_scan import ScanHeader

__all__ = [
    "EXTNAMES",
    "VARNAMES",
    "atomic_write",
    "fits_able",
    "header_attrs",
    "header_writable",
    "open_hdulist",
    "split_attrs",
]


#: Header keywords that describe the FITS structure, not the exposure.
_STRUCTURAL = re.compile(
    r"^(SIMPLE|BITPIX|NAXIS\d*|EXTEND|XTENSION|PCOUNT|GCOUNT|EXTNAME|EXTVER|EXTLEVEL|"
    r"BSCALE|BZERO|BLANK|TFIELDS|THEAP|CHECKSUM|DATASUM|COMMENT|HISTORY|END|CONTINUE|"
    r"T(TYPE|FORM|UNIT|DIM|NULL|SCAL|ZERO|DISP)\d+|)$"
)
_PLAIN_KEY = re.compile(r"^[A-Z0-9_-]{1,8}$")
_PRINTABLE = re.compile(r"^[ -~]*$")


def is_structural(keyword: str) -> bool:
    """True for keywords that describe the file layout (NAXIS, EXTNAME, BZERO ...)."""
    return bool(_STRUCTURAL.match(keyword))


def header_attrs(header: fits.Header | ScanHeader, *, primary: bool = False) -> dict[str, Any]:
    """The exposure keywords of one header, in order, minus the structural ones.

    ``BUNIT`` of an extension is the units of its array (a variable attr, not
    an exposure keyword); in the primary header it is an ordinary keyword.
    """
    pairs = header.pairs if isinstance(header, ScanHeader) else _pairs(header)
    out: dict[str, Any] = {}
    for key, value in pairs:
        if is_structural(key) or isinstance(value, fits.card.Undefined):
            continue
        if key == "BUNIT" and not primary:
            continue
        out[key] = value
    return out


def _pairs(header: fits.Header) -> Iterator[tuple[str, Any]]:
    for card in header.cards:
        yield card.keyword, card.value


def plain_value(value: Any) -> Any:
    """A NumPy scalar as the Python scalar of the same value (others unchanged)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def header_writable(key: str, value: Any) -> bool:
    """True when ``key = value`` can go into a FITS header, maybe rounded.

    Floats whose shortest repr needs more than 20 characters are rounded by the
    header (astropy writes 16-17 significant digits), strings lose trailing
    blanks; both are still written, so jwst sees the keyword.  NaN/inf,
    non-ASCII text, nested values, names that are not FITS keywords and values
    jwst's schema refuses (``PTHLOSS = 'NONE'``) are not.
    """
    if not _PLAIN_KEY.match(key) or is_structural(key) or not jwst_accepts(key, value):
        return False
    value = plain_value(value)
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        return bool(np.isfinite(value))
    if isinstance(value, str):
        return bool(_PRINTABLE.match(value))
    return False


def fits_able(key: str, value: Any) -> bool:
    """True when ``key = value`` survives a FITS header unchanged (type and value)."""
    if not header_writable(key, value):
        return False
    value = plain_value(value)
    if isinstance(value, float):
        return float(repr(value)) == value and len(repr(value)) <= 20
    if isinstance(value, str):
        return value == value.rstrip()
    return True


def split_attrs(attrs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split attrs into (header keywords, exact values for the spec2x node).

    Every keyword a header can hold goes to the first mapping, rounded where
    it must be (jwst reads it there); whatever the header cannot hold exactly
    also goes to the second, which travels in the ASDF extension and wins on
    reading.  ``wcs`` is left out of both: the writer places it where jwst
    expects it.
    """
    header: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in attrs.items():
        if key == "wcs":
            continue
        if header_writable(key, value):
            header[key] = plain_value(value)
        if not fits_able(key, value):
            rest[key] = value
    return header, rest


@contextmanager
def open_hdulist(path: Path) -> Iterator[fits.HDUList]:
    """Open a FITS file read-only, turning astropy's failures into one clear InputFileError."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file; check the path")
    with open(path, "rb") as f:
        magic = f.read(3)
    if magic[:2] == b"\x1f\x8b" or magic == b"BZh":
        raise InputFileError(
            f"{path}: a compressed file (gzip/bzip2); decompress it first "
            f"(gunzip / bunzip2) and pass the .fits file"
        )
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="File may have been truncated")
            hdul = fits.open(path, mode="readonly", memmap=False, lazy_load_hdus=False)
    except Exception as exc:  # astropy raises OSError, ValueError, TypeError ...
        raise InputFileError(
            f"{path}: not a readable FITS file ({exc}); pass a jwst _rate/_rateints/_cal product"
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="File may have been truncated")
            _check_complete(path, hdul)
        yield hdul
    finally:
        hdul.close()


def _check_complete(path: Path, hdul: fits.HDUList) -> None:
    size = path.stat().st_size
    for i, hdu in enumerate(hdul):
        if not isinstance(hdu, fits.PrimaryHDU | fits.ImageHDU | fits.BinTableHDU | fits.TableHDU):
            msg = f"extension {i} ({hdu.name}) is corrupted (neither image nor table)"
            raise InputFileError(f"{path}: {msg}; copy or download the file again")
        info = hdu.fileinfo()
        if info is None:
            continue
        end = info["datLoc"] + info["datSpan"]
        if info["datSpan"] and end > size:
            raise InputFileError(
                f"{path}: truncated file (extension {hdu.name} needs {end} bytes, "
                f"the file has {size}); copy or download it again"
            )


def atomic_write(hdus: list[Any], path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Write ``hdus`` (:func:`~spec2x.io.fits_raw.write_hdus`) to a temporary name, then rename it into place."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"output folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {folder} is not writable; choose another --output-dir")
    if path.exists() and not overwrite:
        raise OutputError(f"{path} exists; pass overwrite=True or choose another name")
    tmp = atomic.temp_path(path)
    try:
        with open(tmp, "xb") as f:
            write_hdus(hdus, f)
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path} in folder {folder}: {exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def native(a: np.ndarray) -> np.ndarray:
    """``a`` in native byte order (FITS data are big-endian)."""
    if a.dtype.byteorder not in ("=", "|"):
        return a.astype(a.dtype.newbyteorder("="))
    return a
