"""A fast scan of a FITS file's structure: header values, data offsets, small tables.

``astropy.io.fits.open`` and astropy's per-card value access cost several
milliseconds per file, which dominates a lazy (Dask) open.  :func:`scan_fits`
reads each header (2880-byte blocks up to the ``END`` card), parses the card
values the way astropy does -- a small parser for the common forms (strings,
integers, floats with ``E``/``D`` exponents, ``T``/``F``, undefined values),
astropy's own :class:`~astropy.io.fits.Card` for anything else (``CONTINUE``
long strings, ``HIERARCH``, complex values, record-valued cards) -- and
records where each HDU's data start.  Simple binary tables (numeric columns
without scaling) are read with a big-endian NumPy structured dtype.

The scan *declines* (returns None) for anything it does not read exactly as
astropy does: a file that is not FITS, truncated, with non-ASCII headers,
random groups, compressed images, ASCII tables, unusual binary tables or
trailing bytes.  Callers then use astropy, which also gives the error
messages.  The result quacks like the small part of an ``HDUList`` that the
exposure reader uses (iteration, ``[index or name]``, ``in``, ``.name``,
``.ver``, ``.header``, ``.fileinfo()``, ``.data`` of a table).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from astropy.io import fits

from .fits_cards import (
    BLOCK,
    CARD,
    COMMENTARY,
    UNDEFINED,
    Decline,
    card_images,
    data_size,
    fast_card,
    int_value,
)

__all__ = ["ScanFile", "ScanHDU", "ScanHeader", "card_value", "is_image_extension", "scan_fits"]

_TFORM = re.compile(r"(\d*)([BIJKED])\Z")
_TABLE_DTYPES = {"B": "u1", "I": ">i2", "J": ">i4", "K": ">i8", "E": ">f4", "D": ">f8"}
#: Column keywords whose presence changes what astropy returns (scaling, shape).
_COLUMN_EXTRAS = ("TSCAL", "TZERO")


class Card(NamedTuple):
    """One header card as astropy reports it (``keyword``, ``value``)."""

    keyword: str
    value: Any


def card_value(image: str) -> Card:
    """Keyword and value of one card image (80 characters, more with CONTINUE), equal to astropy's.

    Plain ``KEYWORD = value`` cards and commentary cards are parsed here; any
    other form is handed to :meth:`astropy.io.fits.Card.fromstring`.
    """
    fast = _fast_card(image) if len(image) == CARD else None
    return Card(*(fast if fast is not None else _astropy_card(image)))


def _fast_card(image: str) -> tuple[str, Any] | None:
    """:func:`~spec2x.io.fits_cards.fast_card`, an undefined value as astropy's."""
    pair = fast_card(image)
    if pair is not None and pair[1] is UNDEFINED:
        return pair[0], fits.card.UNDEFINED
    return pair


def _astropy_card(image: str) -> tuple[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # anything astropy warns about: let astropy read the file
        card = fits.Card.fromstring(image)
        return card.keyword, card.value


class ScanHeader:
    """The cards of one header; ``get``/``[]``/``in`` return the first card of a keyword."""

    __slots__ = ("_first", "pairs")

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs  # (keyword, value) of every card, in order
        first: dict[str, Any] = {}
        for keyword, value in pairs:
            if keyword not in first and keyword not in COMMENTARY:
                first[keyword] = value
        self._first = first

    @property
    def cards(self) -> list[Card]:
        """The cards, as astropy's ``header.cards`` gives keyword and value."""
        return [Card(k, v) for k, v in self.pairs]

    def get(self, key: str, default: Any = None) -> Any:
        return self._first.get(key.upper(), default)

    def __getitem__(self, key: str) -> Any:
        try:
            return self._first[key.upper()]
        except KeyError:
            raise KeyError(f"Keyword {key!r} not found.") from None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.upper() in self._first

    def __len__(self) -> int:
        return len(self.pairs)


class ScanHDU:
    """One HDU found by the scan: its header, kind and where its data lie in the file."""

    def __init__(
        self, path: Path, index: int, header: ScanHeader, offset: int, size: int, kind: str
    ) -> None:
        self.path = path
        self.index = index
        self.header = header
        self.data_offset = offset
        self.data_size = size
        self.kind = kind  # "primary", "image" or "bintable"
        default = "PRIMARY" if index == 0 else ""
        self.name = str(header.get("EXTNAME", default))
        self.ver = header.get("EXTVER", 1)
        self.table_dtype = _table_dtype(header) if kind == "bintable" else None

    @property
    def padded_size(self) -> int:
        return -(-self.data_size // BLOCK) * BLOCK

    def fileinfo(self) -> dict[str, int]:
        """Like astropy's ``fileinfo()``: data location and span (padded) in bytes."""
        return {"datLoc": self.data_offset, "datSpan": self.padded_size}

    @property
    def data(self) -> np.ndarray | None:
        """A binary table's rows as a big-endian structured array (read now); None otherwise."""
        if self.table_dtype is None:
            return None
        nrows = int(self.header["NAXIS2"])
        with open(self.path, "rb") as f:
            f.seek(self.data_offset)
            raw = f.read(self.table_dtype.itemsize * nrows)
        return np.frombuffer(raw, dtype=self.table_dtype, count=nrows)


class ScanFile:
    """The HDUs of a scanned file, indexed like an ``HDUList`` (position or first name match)."""

    def __init__(self, path: Path, hdus: list[ScanHDU]) -> None:
        self.path = path
        self.hdus = hdus

    def __iter__(self) -> Iterator[ScanHDU]:
        return iter(self.hdus)

    def __len__(self) -> int:
        return len(self.hdus)

    def __getitem__(self, key: int | str) -> ScanHDU:
        if isinstance(key, int):
            return self.hdus[key]
        for hdu in self.hdus:
            if hdu.name == key.strip().upper():
                return hdu
        raise KeyError(f"Extension {key!r} not found.")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and any(h.name == key.strip().upper() for h in self.hdus)


def is_image_extension(hdu: Any) -> bool:
    """True for an IMAGE extension (astropy ``ImageHDU`` or a scanned one)."""
    if isinstance(hdu, ScanHDU):
        return hdu.kind == "image"
    return isinstance(hdu, fits.ImageHDU)


def scan_fits(path: str | Path, *, tables: bool = True) -> ScanFile | None:
    """Scan a FITS file's headers and data layout; None when astropy must read it.

    Parameters
    ----------
    path : the file (read-only; only header blocks are read).
    tables : decline files with a binary table the scan cannot read (string,
        logical, scaled columns ...).  With False such tables are kept, with
        ``data`` None (headers and offsets are still exact).

    Returns
    -------
    The HDUs, or None when the file is not one the scan reads exactly as
    astropy does (then use ``astropy.io.fits``; it also reports the errors).
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            hdus: list[ScanHDU] = []
            pos = 0
            while pos < size:
                f.seek(pos)
                header, nbytes = _read_header(f)
                hdu = _make_hdu(path, len(hdus), header, pos + nbytes, tables)
                pos = hdu.data_offset + hdu.padded_size
                if pos > size:
                    return None  # truncated: astropy's error message
                hdus.append(hdu)
    except (OSError, Decline):
        return None
    if not hdus or any(h.name != h.name.strip().upper() for h in hdus):
        return None
    return ScanFile(path, hdus)


def _read_header(f: Any) -> tuple[ScanHeader, int]:
    """The header starting at the file position, and its length in bytes (whole blocks)."""
    images, nbytes = card_images(f)
    pairs: list[tuple[str, Any]] = []
    try:
        for image in images:
            pair = _fast_card(image) if len(image) == CARD else None
            pairs.append(pair if pair is not None else _astropy_card(image))
    except Exception as exc:  # an unparsable card: astropy decides what happens
        raise Decline from exc
    return ScanHeader(pairs), nbytes


def _make_hdu(path: Path, index: int, header: ScanHeader, offset: int, tables: bool) -> ScanHDU:
    if not header.pairs:
        raise Decline
    keyword, value = header.pairs[0]
    if index == 0:
        if keyword != "SIMPLE" or value is not True or "GROUPS" in header:
            raise Decline
        kind = "primary"
    else:
        if keyword != "XTENSION" or "ZIMAGE" in header:
            raise Decline
        kind = {"IMAGE": "image", "BINTABLE": "bintable"}.get(value, "")
        if not kind:
            raise Decline
    hdu = ScanHDU(path, index, header, offset, data_size(header), kind)
    if tables and kind == "bintable" and hdu.table_dtype is None:
        raise Decline
    return hdu


def _cell_shape(tdim: Any, repeat: int) -> tuple[int, ...] | None:
    """A cell's shape as astropy gives it (``TDIM`` reversed, or ``(repeat,)``); None if unreadable."""
    if tdim is None:
        return () if repeat == 1 else (repeat,)
    try:
        dims = tuple(int(v) for v in str(tdim).strip().strip("()").split(","))
    except ValueError:
        return None
    return dims[::-1] if dims and math.prod(dims) == repeat else None


def _table_dtype(header: ScanHeader) -> np.dtype | None:
    """The row dtype of a plain binary table (numeric columns, no scaling), else None."""
    try:
        nfields = int_value(header.get("TFIELDS"))
        if (
            int_value(header.get("NAXIS")) != 2
            or int_value(header.get("BITPIX")) != 8
            or header.get("PCOUNT", 0) != 0
            or header.get("GCOUNT", 1) != 1
            or "THEAP" in header
        ):
            return None
    except Decline:
        return None
    names: list[str] = []
    formats: list[Any] = []
    for i in range(1, nfields + 1):
        name = header.get(f"TTYPE{i}")
        form = header.get(f"TFORM{i}")
        if not isinstance(name, str) or not name or name in names or not isinstance(form, str):
            return None
        if any(f"{extra}{i}" in header for extra in _COLUMN_EXTRAS):
            return None
        match = _TFORM.match(form.strip())
        if match is None:
            return None
        repeat = int(match.group(1) or 1)
        if repeat < 1:
            return None
        base = _TABLE_DTYPES[match.group(2)]
        shape = _cell_shape(header.get(f"TDIM{i}"), repeat)
        if shape is None:
            return None
        names.append(name)
        formats.append(base if shape == () else (base, shape))
    dtype = np.dtype({"names": names, "formats": formats})
    return dtype if dtype.itemsize == header.get("NAXIS1") else None
