"""FITS header cards without astropy: header blocks, the END card, plain card values.

The pieces of :mod:`spec2x.io.fits_scan` that need neither NumPy nor
astropy, so ``spec2x info`` can read the headers of an exposure without
importing them (:mod:`spec2x.io.info_headers`).  :func:`fast_card` parses the
common card forms exactly as astropy does and answers None for any other
(``CONTINUE`` long strings, ``HIERARCH``, complex values ...): the caller
then asks astropy, or declines.
"""

from __future__ import annotations

import functools
import re
from typing import Any, BinaryIO

__all__ = [
    "BLOCK",
    "CARD",
    "UNDEFINED",
    "Decline",
    "card_images",
    "data_size",
    "fast_card",
    "int_value",
]

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
COMMENTARY = frozenset(("", "COMMENT", "HISTORY"))


class Decline(Exception):
    """The file is not one these readers promise to read exactly as astropy does."""


class _Undefined:
    """The value of a card with none (astropy's ``fits.card.UNDEFINED``)."""

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()


@functools.cache
def _rvkc() -> re.Pattern[str]:
    """astropy's record-valued keyword card pattern ('AXIS.1: 1'); imported when a string
    value holds ': ' (without it every "field: ..." string goes to astropy)."""
    from astropy.io import fits

    return getattr(fits.Card, "_rvkc_keyword_val_comm_RE", re.compile(""))


def fast_card(image: str) -> tuple[str, Any] | None:
    """Keyword and value of a plain 80-character card (a card with no value:
    :data:`UNDEFINED`), or None when astropy must decide."""
    key = image[:8].rstrip()
    if key in COMMENTARY:
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
        if ": " in image and _rvkc().match(image[10:].lstrip()):
            return None
        return key, text.rstrip()
    if token is None:
        return key, UNDEFINED
    if token == "T" or token == "F":
        return key, token == "T"
    if _INTEGER.match(token):
        return key, int(token)
    if _NUMBER.match(token):
        return key, float(token.translate(_EXPONENT))
    return None


def card_images(f: BinaryIO) -> tuple[list[str], int]:
    """The cards of the header at the file's position (a card with its ``CONTINUE``
    cards as one image, as astropy reads them) and the header's length in bytes."""
    blocks: list[bytes] = []
    while True:
        block = f.read(BLOCK)
        if len(block) != BLOCK or not block.isascii():
            raise Decline
        end = _end_card(block)
        if end is None:
            blocks.append(block)
            continue
        blocks.append(block[:end])
        break
    text = b"".join(blocks).decode("ascii")
    images = [text[i : i + CARD] for i in range(0, len(text), CARD)]
    cards: list[str] = []
    i, n = 0, len(images)
    while i < n:
        j = i + 1
        while j < n and images[j].startswith("CONTINUE"):
            j += 1
        cards.append("".join(images[i:j]))
        i = j
    return cards, len(blocks) * BLOCK


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
                raise Decline  # astropy repairs it with a warning
            return match.start()
        at = block.find(b"END", max(match.end(), at + 1))
    return None


def int_value(value: Any) -> int:
    """``value`` when it is an integer (not a bool); else :class:`Decline`."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise Decline
    return value


def data_size(header: Any) -> int:
    """Bytes of data after the header, unpadded (astropy's ``_hdr_data_size``)."""
    naxis = int_value(header.get("NAXIS", 0))
    if naxis <= 0:
        return 0
    n = 1
    for i in range(1, naxis + 1):
        n *= int_value(header.get(f"NAXIS{i}"))
    bitpix = int_value(header.get("BITPIX"))
    gcount = int_value(header.get("GCOUNT", 1))
    pcount = int_value(header.get("PCOUNT", 0))
    if bitpix not in (8, 16, 32, 64, -32, -64) or n < 0:
        raise Decline
    return abs(bitpix) * gcount * (pcount + n) // 8
