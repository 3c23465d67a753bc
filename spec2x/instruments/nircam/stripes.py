"""Multistripe (DHS) subarrays: which full-frame rows each subarray row read.

A NIRCam dispersed-hole (DHS) time series reads its subarray in stripes:
``MSTR_RD1`` reference rows at the start, ``MSTR_SK1`` rows skipped, a
stripe of ``MSTR_RD2`` rows, then until the subarray is full either
``MSTR_SK2`` rows skipped and another stripe, or (``MSTR_RPT``) the read
head back at the start, the reference rows again and the skip (growing by
a stripe and ``MSTR_SK2`` each time with ``MSTR_ILV``).  These are jwst
3.0.0's rules (``jwst.lib.stripe_utils.generate_substripe_ranges``) in the
detector frame, with the slow axis along rows (``|SLOWAXIS| = 2``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import InputFileError, UnsupportedModeError

__all__ = ["FULL", "Stripes", "read_rows", "stripe_ranges"]

log = logging.getLogger(__name__)

#: Detector size along the slow axis (pixels).
FULL = 2048


@dataclass(frozen=True)
class Stripes:
    """The row ranges of a multistripe read, ``[start, stop)`` 0-based, detector frame.

    Attributes
    ----------
    subarray, full : each science stripe's rows in the subarray and on the detector.
    ref_subarray, ref_full : each read of the reference rows (``MSTR_RD1``), likewise.
    size : subarray rows.
    slowaxis : ``SLOWAXIS`` (negative: rows run the other way in the science frame).
    """

    subarray: list[tuple[int, int]]
    full: list[tuple[int, int]]
    ref_subarray: list[tuple[int, int]]
    ref_full: list[tuple[int, int]]
    size: int
    slowaxis: int

    def science_subarray(self) -> list[tuple[int, int]]:
        """The science stripes' subarray rows in the science frame (the data array's)."""
        if self.slowaxis > 0:
            return list(self.subarray)
        return [(self.size - b, self.size - a) for a, b in self.subarray]


def _key(attrs: Mapping[str, Any], key: str) -> int:
    value = attrs.get(key)
    if value is None or str(value).strip() == "":
        raise InputFileError(
            f"{attrs.get('FILENAME', 'the exposure')} lacks {key}, which a multistripe (DHS) "
            "subarray needs to say which rows it read"
        )
    return int(value)


def stripe_ranges(attrs: Mapping[str, Any], rows: int) -> Stripes:
    """The stripes a multistripe subarray of ``rows`` rows read (keywords ``MSTR_*``).

    Raises
    ------
    InputFileError
        A keyword is missing, or the stripes do not fill ``rows``.
    UnsupportedModeError
        The slow axis runs along columns, or superstripes (``SSTR_NST`` > 0).
    """
    slowaxis = _key(attrs, "SLOWAXIS")
    if abs(slowaxis) != 2 or int(attrs.get("SSTR_NST") or 0) > 0:
        raise UnsupportedModeError(
            f"SLOWAXIS={slowaxis}, SSTR_NST={attrs.get('SSTR_NST')}: spec2x reads multistripe "
            "subarrays with rows as the slow axis and no superstripes only"
        )
    reads1, skips1, reads2, skips2 = (
        _key(attrs, k) for k in ("MSTR_RD1", "MSTR_SK1", "MSTR_RD2", "MSTR_SK2")
    )
    repeat, interleave = (int(attrs.get(k) or 0) for k in ("MSTR_RPT", "MSTR_ILV"))
    start = int(attrs.get("SUBSTRT2") or 1)
    start = (0 if start == 1 else FULL - start) if slowaxis < 0 else start - 1
    if "DHS" in str(attrs.get("SUBARRAY", "")).upper() and start != 0:
        log.warning("DHS subarray: reads taken from detector row 0 (as jwst)")
        start = 0
    if reads2 <= 0:
        raise InputFileError(f"MSTR_RD2={reads2}: a multistripe subarray reads rows in stripes")
    out = Stripes([], [], [], [], rows, slowaxis)
    line, done = start, 0

    def take(n: int, sub: list[tuple[int, int]], full: list[tuple[int, int]]) -> None:
        nonlocal line, done
        sub.append((done, done + n))
        full.append((line, line + n))
        line, done = line + n, done + n

    if reads1 > 0:
        take(reads1, out.ref_subarray, out.ref_full)
    line += skips1
    take(reads2, out.subarray, out.full)
    skip = skips1
    while done < rows:
        if repeat > 0:
            line = start
            if reads1 > 0:
                take(reads1, out.ref_subarray, out.ref_full)
            skip = skip + skips2 + reads2 if interleave else skip
            line += skip
        else:
            line += skips2
        take(reads2, out.subarray, out.full)
    if done != rows:
        raise InputFileError(f"the MSTR_* stripes read {done} rows; the subarray has {rows}")
    return out


def read_rows(stripes: Stripes) -> np.ndarray:
    """The full-frame row (0-based, science frame) each subarray row read (science frame)."""
    rows = np.zeros(stripes.size, np.int64)
    for (a, b), (c, d) in zip(
        stripes.subarray + stripes.ref_subarray, stripes.full + stripes.ref_full, strict=True
    ):
        rows[a:b] = np.arange(c, d)
    if stripes.slowaxis < 0:
        rows = (FULL - 1 - rows)[::-1]
    return rows
