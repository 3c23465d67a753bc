"""Exact percentiles and sums of several value sets, over an exposure read a block at a time.

The SOSS background fit (:mod:`.soss_background`) takes percentiles of the
whole exposure, as jwst does, of several sets of values at once (each
template part's data/template ratios).  Here they are computed without
holding the exposure: the values are given by a function returning, at each
call, a fresh iterable of blocks (one per block of integrations), each block
a tuple of 1-D arrays, one per set.  Every pass over the blocks serves every
set and every rank together.

A rank is found by radix selection on the values' bits: a float's bits,
sign-adjusted, order as the float does, so a histogram of their top 16 bits
(one pass) tells which 16-bit prefix holds the rank, a histogram of the next
16 bits of the values with that prefix (another pass) the next digit, and so
on: two passes for float32, four for float64, whatever the values' range or
ties.  Values that fit in memory (a first pass finds at most ``keep`` of
them, or the caller holds them anyway) are all kept and the ranks picked by
partitioning.  The result is ``numpy.percentile``'s (linear interpolation)
on all the values of a set at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["Blocks", "block_medians", "block_percentiles", "block_sums"]

#: A function giving, at each call, the values again: per block, one 1-D array per set.
Blocks = Callable[[], Iterable[Sequence[np.ndarray]]]

_DIGIT = 16  # bits of a radix digit: histograms of 65536 bins
_KEEP = 4_000_000  # values kept in memory (at most, all sets together) by the first pass
_UNSIGNED = {4: np.uint32, 8: np.uint64}


def block_sums(blocks: Blocks) -> list[tuple[float, int]]:
    """Per set: the sum (float64) and the number of its values."""
    sums: list[tuple[float, int]] = []
    for block in blocks():
        if not sums:
            sums = [(0.0, 0)] * len(block)
        sums = [
            (total + float(np.sum(values, dtype=np.float64)), count + values.size)
            for (total, count), values in zip(sums, block, strict=True)
        ]
    return sums


def _keys(values: np.ndarray) -> np.ndarray:
    """Unsigned integers ordered as the (finite) float ``values`` are: the sign bit flipped
    for positive values, every bit for negative ones."""
    unsigned = _UNSIGNED[values.dtype.itemsize]
    bits = values.view(unsigned)
    sign = np.array(1 << (8 * values.dtype.itemsize - 1), unsigned)
    return np.where(bits & sign, ~bits, bits | sign)


def _value(key: int, dtype: np.dtype) -> Any:
    """The float of ``dtype`` whose :func:`_keys` is ``key``."""
    unsigned = _UNSIGNED[dtype.itemsize]
    sign = 1 << (8 * dtype.itemsize - 1)
    bits = key ^ sign if key & sign else ~key & (2 * sign - 1)
    return np.array(bits, unsigned).view(dtype)[()]


class _Digits:
    """Radix selection in one set of values of ``dtype``: the histogram of a digit's values
    under each key prefix found so far, and for each wanted 0-based rank its prefix and how
    many values have a smaller one."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.levels = 8 * dtype.itemsize // _DIGIT
        self.found: dict[int, tuple[int, int]] = {}  # rank -> (key prefix, count below)
        self.hists = {0: np.zeros(1 << _DIGIT, np.int64)}  # the first digit, of every value

    def add(self, values: np.ndarray, level: int) -> None:
        """Count the digit ``level`` (0: the top 16 bits) of ``values`` under each prefix."""
        if not values.size:
            return
        keys = _keys(values)
        shift = _DIGIT * (self.levels - level - 1)
        digits = ((keys >> shift) & ((1 << _DIGIT) - 1)).astype(np.intp)
        prefixes = keys >> (shift + _DIGIT) if level else None
        for prefix, hist in self.hists.items():
            mine = digits if prefixes is None else digits[prefixes == prefix]
            hist += np.bincount(mine, minlength=1 << _DIGIT)

    def locate(self, ranks: Sequence[int] = ()) -> None:
        """Extend each rank's prefix (first the given ``ranks``') by the digit its histogram
        puts it in, and make empty histograms for the next digit."""
        self.found.update({rank: (0, 0) for rank in ranks})
        for rank, (prefix, below) in self.found.items():
            cumulative = below + np.cumsum(self.hists[prefix])
            digit = int(np.searchsorted(cumulative, rank, side="right"))
            below = below if digit == 0 else int(cumulative[digit - 1])
            self.found[rank] = ((prefix << _DIGIT) | digit, below)
        self.hists = {p: np.zeros(1 << _DIGIT, np.int64) for p, _ in self.found.values()}

    def values(self) -> dict[int, Any]:
        """Rank -> value, once every digit is located."""
        return {rank: _value(key, self.dtype) for rank, (key, _) in self.found.items()}


def _ranked(values: np.ndarray, picks: Sequence[int]) -> dict[int, Any]:
    """Rank -> value of the 0-based ``picks`` of ``values`` (reordered in place): one
    partition each from the previous one on, a rank right after it is the minimum of the rest."""
    found = {}
    start = 0  # values[start:] are all >= those before
    for rank in sorted(set(picks)):
        rest = values[start:]
        if rank == start > 0:
            found[rank] = rest.min()
        else:
            rest.partition(rank - start)
            found[rank], start = rest[rank - start], rank + 1
    return found


def _first_pass(
    blocks: Blocks, keep: float
) -> tuple[list[int], list[_Digits | None], list[list[np.ndarray]] | None]:
    """Per set: the number of values, their first digit's histogram (none if ``keep`` is
    infinite, or the set empty) and, while at most ``keep`` values in all, the values."""
    counts: list[int] = []
    digits: list[_Digits | None] = []
    kept: list[list[np.ndarray]] | None = None
    held = 0
    for block in blocks():
        if not counts:
            counts, digits, kept = [0] * len(block), [None] * len(block), [[] for _ in block]
        for i, values in enumerate(block):
            counts[i] += values.size
            if values.size and not np.isinf(keep):
                digits[i] = digits[i] or _Digits(values.dtype)
                digits[i].add(values, 0)  # type: ignore[union-attr]
        held += sum(values.size for values in block)
        kept = None if held > keep else kept
        for parts, values in zip(kept, block, strict=True) if kept is not None else ():
            parts.append(values)
    return counts, digits, kept


def _radix_select(blocks: Blocks, digits: list[_Digits | None], picks: list[list[int]]) -> None:
    """Locate the ranks ``picks`` of each set from its first digit's histogram: one pass
    per further digit, for all sets and ranks together."""
    todo = [(d, wanted) for d, wanted in zip(digits, picks, strict=True) if d is not None]
    for d, wanted in todo:
        d.locate(sorted(set(wanted)))
    for level in range(1, max((d.levels for d, _ in todo), default=0)):
        for block in blocks():
            for one, values in zip(digits, block, strict=True):
                if one is not None and level < one.levels:
                    one.add(values, level)
        for d, _ in todo:
            if level < d.levels:
                d.locate()


def _order_statistics(
    blocks: Blocks, ranks: Sequence[Callable[[int], int]], keep: float | None
) -> list[tuple[list[Any], int]]:
    """Per set: the values of the 0-based ranks ``rank(n)`` (in the values' dtype) and the
    number ``n`` of its values ([] and 0 for an empty set).

    The first pass counts the values and histograms their first digit,
    holding them while at most ``keep`` (None: ``_KEEP``) in all; held values
    are partitioned, otherwise each further digit takes one pass for all sets
    and ranks together.
    """
    counts, digits, kept = _first_pass(blocks, _KEEP if keep is None else keep)
    picks = [[min(max(rank(n), 0), n - 1) for rank in ranks] if n else [] for n in counts]
    if kept is None:
        _radix_select(blocks, digits, picks)
    out: list[tuple[list[Any], int]] = []
    for i, (wanted, n) in enumerate(zip(picks, counts, strict=True)):
        if kept is not None:
            found = _ranked(np.concatenate(kept[i]), wanted) if n else {}
        else:
            d = digits[i]
            found = d.values() if d is not None else {}
        out.append(([found[p] for p in wanted], n))
    return out


def _lerp(a: Any, b: Any, t: float, weak: bool) -> Any:
    """numpy's linear interpolation of its ``percentile`` (``_lerp``), in its dtypes."""
    t = float(t) if weak else np.float64(t)
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def block_percentiles(
    blocks: Blocks,
    percentiles: Sequence[float],
    *,
    scalar: bool = False,
    keep: float | None = None,
) -> list[np.ndarray]:
    """Per set, ``numpy.percentile(all its values, percentiles)`` (linear), NaN if it has none.

    Parameters
    ----------
    blocks : gives the (finite, float32 or float64) values as blocks, again at
        each call; a block is a tuple of 1-D arrays, one per set.
    percentiles : in [0, 100].
    scalar : interpolate as numpy does for one scalar percentile (in the
        values' dtype) rather than a list (float64).
    keep : hold up to this many values (one pass; None: ``_KEEP``);
        ``math.inf`` when the values are in memory anyway.
    """
    ranks: list[Callable[[int], int]] = []
    for p in percentiles:

        def first(n: int, p: float = p) -> int:
            return int(np.floor((n - 1) * (p / 100.0)))

        def second(n: int, first: Callable[[int], int] = first) -> int:
            return first(n) + 1

        ranks += [first, second]
    out = []
    for values, count in _order_statistics(blocks, ranks, keep):
        if count == 0:
            out.append(np.full(len(percentiles), np.nan))
            continue
        found = []
        for i, p in enumerate(percentiles):
            a, b = values[2 * i : 2 * i + 2]
            position = (count - 1) * (p / 100.0)
            found.append(_lerp(a, b, position - np.floor(position), scalar))
        out.append(np.asarray(found))
    return out


def block_medians(blocks: Blocks, keep: float | None = None) -> list[float]:
    """Per set, ``numpy.median`` of its values (the mean of the middle two in their dtype),
    NaN if it has none."""
    out = []
    middle = [lambda n: (n - 1) // 2, lambda n: n // 2]
    for a_b, count in _order_statistics(blocks, middle, keep):
        if count == 0:
            out.append(np.nan)
            continue
        a, b = a_b
        out.append(float(a if count % 2 else (a + b) / a.dtype.type(2)))
    return out
