"""Multistripe (DHS) subarrays: which full-frame line each subarray line read.

A NIRCam dispersed-hole (DHS) time series reads its subarray in stripes of
lines along the slow axis: ``MSTR_RD1`` reference lines at the start,
``MSTR_SK1`` lines skipped, a stripe of ``MSTR_RD2`` lines, then until the
subarray is full either ``MSTR_SK2`` lines skipped and another stripe, or
(``MSTR_RPT``) the read head back at the start, the reference lines again
and the skip (growing by a stripe and ``MSTR_SK2`` each time with
``MSTR_ILV``).  These are jwst 3.0.0's rules
(``jwst.lib.stripe_utils.generate_substripe_ranges``) in the detector frame.
The lines are rows when the slow axis runs along science y
(``|SLOWAXIS| = 2``, every NIRCam detector) and columns when it runs along x
(``|SLOWAXIS| = 1``: a subarray read along columns; its size and start are
then ``SUBSIZE1`` and ``SUBSTRT1``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import InputFileError, UnsupportedModeError

__all__ = ["FULL", "Stripes", "read_lines", "slow_dim", "stripe_ranges"]

log = logging.getLogger(__name__)

#: Detector size along the slow axis (pixels).
FULL = 2048


@dataclass(frozen=True)
class Stripes:
    """The line ranges of a multistripe read, ``[start, stop)`` 0-based, detector frame.

    Attributes
    ----------
    subarray, full : each science stripe's lines in the subarray and on the detector.
    ref_subarray, ref_full : each read of the reference lines (``MSTR_RD1``), likewise.
    size : subarray lines (along the slow axis).
    slowaxis : ``SLOWAXIS`` (negative: lines run the other way in the science frame;
        ``|SLOWAXIS|`` 2: the lines are rows, 1: columns).
    """

    subarray: list[tuple[int, int]]
    full: list[tuple[int, int]]
    ref_subarray: list[tuple[int, int]]
    ref_full: list[tuple[int, int]]
    size: int
    slowaxis: int

    def science_subarray(self) -> list[tuple[int, int]]:
        """The science stripes' subarray lines in the science frame (the data array's)."""
        if self.slowaxis > 0:
            return list(self.subarray)
        return [(self.size - b, self.size - a) for a, b in self.subarray]


def slow_dim(attrs: Mapping[str, Any]) -> str:
    """The data dimension the slow axis runs along: ``"x"`` (``|SLOWAXIS| = 1``) or ``"y"``.

    Raises
    ------
    InputFileError
        SLOWAXIS is missing or not +-1, +-2.
    """
    slowaxis = _key(attrs, "SLOWAXIS")
    if abs(slowaxis) not in (1, 2):
        raise InputFileError(
            f"{attrs.get('FILENAME', 'the exposure')}: SLOWAXIS={slowaxis} is not +-1 or +-2"
        )
    return "x" if abs(slowaxis) == 1 else "y"


def _key(attrs: Mapping[str, Any], key: str) -> int:
    value = attrs.get(key)
    if value is None or str(value).strip() == "":
        raise InputFileError(
            f"{attrs.get('FILENAME', 'the exposure')} lacks {key}, which a multistripe (DHS) "
            "subarray needs to say which rows it read"
        )
    return int(value)


def stripe_ranges(attrs: Mapping[str, Any], rows: int) -> Stripes:
    """The stripes a multistripe subarray of ``rows`` lines along its slow axis read
    (keywords ``MSTR_*``, SLOWAXIS, the start ``SUBSTRT2`` or ``SUBSTRT1``).

    Raises
    ------
    InputFileError
        A keyword is missing, or the stripes do not fill ``rows``.
    UnsupportedModeError
        Superstripes not yet collated (``SSTR_NST`` > 0: jwst's calwebb_detector1
        collates them at refpix and clears the keyword).
    """
    dim = slow_dim(attrs)
    slowaxis = _key(attrs, "SLOWAXIS")
    if int(attrs.get("SSTR_NST") or 0) > 0:
        raise UnsupportedModeError(
            f"{attrs.get('FILENAME', 'the exposure')}: SSTR_NST={attrs.get('SSTR_NST')}: "
            "superstripes not collated (jwst's calwebb_detector1 collates them into the "
            "parent subarray before a _rateints is written)"
        )
    reads1, skips1, reads2, skips2 = (
        _key(attrs, k) for k in ("MSTR_RD1", "MSTR_SK1", "MSTR_RD2", "MSTR_SK2")
    )
    repeat, interleave = (int(attrs.get(k) or 0) for k in ("MSTR_RPT", "MSTR_ILV"))
    start = int(attrs.get("SUBSTRT1" if dim == "x" else "SUBSTRT2") or 1)
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


def read_lines(stripes: Stripes) -> np.ndarray:
    """The full-frame line (0-based, science frame) each subarray line read (science frame),
    along the slow axis (rows or columns, :func:`slow_dim`)."""
    rows = np.zeros(stripes.size, np.int64)
    for (a, b), (c, d) in zip(
        stripes.subarray + stripes.ref_subarray, stripes.full + stripes.ref_full, strict=True
    ):
        rows[a:b] = np.arange(c, d)
    if stripes.slowaxis < 0:
        rows = (FULL - 1 - rows)[::-1]
    return rows
