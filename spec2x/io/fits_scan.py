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

__all__ = ["ScanFile", "ScanHDU", "ScanHeader", "card_value", "is_image_extension", "scan_fits"]

BLOCK = 2880
CARD = 80
#: astropy's END-card pattern (``astropy.io.fits.header.HEADER_END_RE``).
_END_RE = re.compile(rb"(?:(?P<valid>END {77}) *)|(?P<invalid>END$|END {0,76}[^A-Z0-9_-])")
#: ``KEYWORD = value / comment`` in printable ASCII, with a string with no quote in it
#: (followed by blanks or a comment) or one token (no blank, quote or slash) or nothing.
_PLAIN_CARD = re.compile(
    r"(?P<key>[A-Z0-9_-]{1,8} *)= *(?:'(?P<str>[ -&(-~]*)'(?P<after> *(?:/[ -~]*)?)"
    r"|(?P<tok>[!-&(-.0-~]+)? *(?:/[ -~]*)?)\Z"
)
_INTEGER = re.compile(r"[+-]?\d+\Z")
_NUMBER = re.compile(r"[+-]?(?:\.\d+|\d+(?:\.\d*)?)(?:[DEde][+-]?\d+)?\Z")
_EXPONENT = str.maketrans("Dd", "Ee")
_COMMENTARY = frozenset(("", "COMMENT", "HISTORY"))
#: astropy's record-valued keyword card pattern ('AXIS.1: 1'); without it every "field: ..."
#: string goes to astropy.
_RVKC = getattr(fits.Card, "_rvkc_keyword_val_comm_RE", re.compile(""))
_TFORM = re.compile(r"(\d*)([BIJKED])\Z")
_TABLE_DTYPES = {"B": "u1", "I": ">i2", "J": ">i4", "K": ">i8", "E": ">f4", "D": ">f8"}
#: Column keywords whose presence changes what astropy returns (scaling, shape).
_COLUMN_EXTRAS = ("TSCAL", "TZERO")


class Card(NamedTuple):
    """One header card as astropy reports it (``keyword``, ``value``)."""

    keyword: str
    value: Any


class _Decline(Exception):
    """The scan cannot promise astropy's reading of this file."""


def card_value(image: str) -> Card:
    """Keyword and value of one card image (80 characters, more with CONTINUE), equal to astropy's.

    Plain ``KEYWORD = value`` cards and commentary cards are parsed here; any
    other form is handed to :meth:`astropy.io.fits.Card.fromstring`.
    """
    fast = _fast_card(image) if len(image) == CARD else None
    return Card(*(fast if fast is not None else _astropy_card(image)))


def _astropy_card(image: str) -> tuple[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # anything astropy warns about: let astropy read the file
        card = fits.Card.fromstring(image)
        return card.keyword, card.value


def _fast_card(image: str) -> tuple[str, Any] | None:
    """The common card forms, or None when astropy must decide."""
    key = image[:8].rstrip()
    if key in _COMMENTARY:
        return key, image[8:].rstrip()
    if image[8:10] != "= ":
        return None
    match = _PLAIN_CARD.match(image)
    if match is None or match.end("key") != 8 or key == "HIERARCH":
        return None  # (the keyword must fill columns 1-8: the first "= " is at column 9)
    text, token = match.group("str", "tok")
    if text is not None:
        if not text and "'" in match.group("after"):
            return None  # astropy's lazy string pattern may end at a later quote
        if ": " in image and _RVKC.match(image[10:].lstrip()):
            return None
        return key, text.rstrip()
    if token is None:
        return key, fits.card.UNDEFINED
    if token == "T" or token == "F":
        return key, token == "T"
    if _INTEGER.match(token):
        return key, int(token)
    if _NUMBER.match(token):
        return key, float(token.translate(_EXPONENT))
    return None


class ScanHeader:
    """The cards of one header; ``get``/``[]``/``in`` return the first card of a keyword."""

    __slots__ = ("_first", "pairs")

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs  # (keyword, value) of every card, in order
        first: dict[str, Any] = {}
        for keyword, value in pairs:
            if keyword not in first and keyword not in _COMMENTARY:
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
    except (OSError, _Decline):
        return None
    if not hdus or any(h.name != h.name.strip().upper() for h in hdus):
        return None
    return ScanFile(path, hdus)


def _read_header(f: Any) -> tuple[ScanHeader, int]:
    """The header starting at the file position, and its length in bytes (whole blocks)."""
    blocks: list[bytes] = []
    while True:
        block = f.read(BLOCK)
        if len(block) != BLOCK or not block.isascii():
            raise _Decline
        end = _end_card(block)
        if end is None:
            blocks.append(block)
            continue
        blocks.append(block[:end])
        break
    text = b"".join(blocks).decode("ascii")
    images = [text[i : i + CARD] for i in range(0, len(text), CARD)]
    pairs: list[tuple[str, Any]] = []
    i, n = 0, len(images)
    try:
        while i < n:
            j = i + 1
            while j < n and images[j].startswith("CONTINUE"):
                j += 1  # astropy reads a card and its CONTINUE cards as one
            pair = _fast_card(images[i]) if j == i + 1 else None
            pairs.append(pair if pair is not None else _astropy_card("".join(images[i:j])))
            i = j
    except Exception as exc:  # an unparsable card: astropy decides what happens
        raise _Decline from exc
    return ScanHeader(pairs), len(blocks) * BLOCK


def _end_card(block: bytes) -> int | None:
    """Offset of the END card in a header block (as astropy finds it), None if absent."""
    # ``_END_RE.finditer(block)``, visiting only the places where "END" occurs
    at = block.find(b"END")
    while at >= 0:
        match = _END_RE.match(block, at)
        if match is None:
            at = block.find(b"END", at + 1)
            continue
        if match.start() % CARD == 0:
            if match.group("invalid"):
                raise _Decline  # astropy repairs it with a warning
            return match.start()
        at = block.find(b"END", max(match.end(), at + 1))
    return None


def _make_hdu(path: Path, index: int, header: ScanHeader, offset: int, tables: bool) -> ScanHDU:
    if not header.pairs:
        raise _Decline
    keyword, value = header.pairs[0]
    if index == 0:
        if keyword != "SIMPLE" or value is not True or "GROUPS" in header:
            raise _Decline
        kind = "primary"
    else:
        if keyword != "XTENSION" or "ZIMAGE" in header:
            raise _Decline
        kind = {"IMAGE": "image", "BINTABLE": "bintable"}.get(value, "")
        if not kind:
            raise _Decline
    hdu = ScanHDU(path, index, header, offset, _data_size(header), kind)
    if tables and kind == "bintable" and hdu.table_dtype is None:
        raise _Decline
    return hdu


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Decline
    return value


def _data_size(header: ScanHeader) -> int:
    """Bytes of data after the header, unpadded (astropy's ``_hdr_data_size``)."""
    naxis = _int(header.get("NAXIS", 0))
    if naxis <= 0:
        return 0
    n = 1
    for i in range(1, naxis + 1):
        n *= _int(header.get(f"NAXIS{i}"))
    bitpix = _int(header.get("BITPIX"))
    gcount = _int(header.get("GCOUNT", 1))
    pcount = _int(header.get("PCOUNT", 0))
    if bitpix not in (8, 16, 32, 64, -32, -64) or n < 0:
        raise _Decline
    return abs(bitpix) * gcount * (pcount + n) // 8


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
        nfields = _int(header.get("TFIELDS"))
        if (
            _int(header.get("NAXIS")) != 2
            or _int(header.get("BITPIX")) != 8
            or header.get("PCOUNT", 0) != 0
            or header.get("GCOUNT", 1) != 1
            or "THEAP" in header
        ):
            return None
    except _Decline:
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
