"""Exact percentiles and sums over an exposure read a block of integrations at a time.

The SOSS background fit (:mod:`.soss_background`) takes percentiles of the
whole exposure, as jwst does.  Here they are computed without holding it:
the values are given by a function returning a fresh iterable of 1-D blocks
(one per block of integrations), the order statistics a percentile needs
are narrowed by histograms (one pass each) until few enough values remain
to keep, then picked exactly (values already in memory are all kept: one
pass).  The result is ``numpy.percentile``'s
(linear interpolation) on all the values at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["Blocks", "block_median", "block_percentiles", "block_sum"]

#: A function giving, at each call, the values again as 1-D NumPy blocks.
Blocks = Callable[[], Iterable[np.ndarray]]

_BINS = 4096
_KEEP = 4_000_000  # values kept in memory (at most, per pass)


def block_sum(blocks: Blocks) -> tuple[float, int]:
    """Sum (float64) and number of the values."""
    total, count = 0.0, 0
    for block in blocks():
        total += float(np.sum(block, dtype=np.float64))
        count += block.size
    return total, count


def _within(block: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """The values of ``block`` in [lo, hi], compared in float64 (a Python float against
    float32 values would be rounded to float32 first, moving the bounds)."""
    return block[(block >= np.float64(lo)) & (block <= np.float64(hi))]


def _rank_value(blocks: Blocks, rank: int, lo: float, hi: float, below: int) -> float:
    """The ``rank``-th smallest value (0-based), knowing it lies in [lo, hi] with ``below`` under lo."""
    while True:
        if lo == hi:
            return lo
        counts = np.zeros(_BINS, dtype=np.int64)
        edges = np.linspace(lo, hi, _BINS + 1)
        inside = 0
        for block in blocks():
            sel = _within(block, lo, hi)
            inside += sel.size
            if sel.size:
                counts += np.histogram(sel, bins=edges)[0]
        if inside <= _KEEP or not (edges[1] > lo and edges[-2] < hi):
            kept = np.concatenate([_within(b, lo, hi) for b in blocks()] or [np.empty(0)])
            return float(np.sort(kept, kind="stable")[rank - below])
        cumulative = below + np.cumsum(counts)
        index = int(np.searchsorted(cumulative, rank, side="right"))
        below = below if index == 0 else int(cumulative[index - 1])
        lo, hi = float(edges[index]), float(np.nextafter(edges[index + 1], -np.inf))
        if index == _BINS - 1:
            hi = float(edges[-1])


def _lerp(a: Any, b: Any, t: float, weak: bool) -> Any:
    """numpy's linear interpolation of its ``percentile`` (``_lerp``), in its dtypes."""
    t = float(t) if weak else np.float64(t)
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


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


def _order_statistics(
    blocks: Blocks, ranks: Sequence[Callable[[int], int]], keep: float | None = None
) -> tuple[list[Any], int]:
    """The values of the 0-based ranks ``rank(n)`` (in the values' dtype) and their number ``n``.

    Up to ``keep`` (None: ``_KEEP``) values are held and the ranks picked by
    one partition; more are narrowed by histograms first (a pass each).
    """
    keep = _KEEP if keep is None else keep
    count, lo, hi, dtype = 0, np.inf, -np.inf, np.dtype(np.float64)
    kept: list[np.ndarray] = []
    for block in blocks():
        if block.size:
            count, dtype = count + block.size, block.dtype
            lo, hi = min(lo, float(block.min())), max(hi, float(block.max()))
            kept = kept + [block] if count <= keep else []
    if count == 0:
        return [], 0
    picks = [min(max(rank(count), 0), count - 1) for rank in ranks]
    if kept:  # few values: all kept in the first pass
        found = _ranked(np.concatenate(kept), picks)
        return [found[r] for r in picks], count
    return [dtype.type(_rank_value(blocks, r, lo, hi, 0)) for r in picks], count


def block_percentiles(
    blocks: Blocks,
    percentiles: Sequence[float],
    *,
    scalar: bool = False,
    keep: float | None = None,
) -> np.ndarray:
    """``numpy.percentile(all values, percentiles)`` (linear), NaN if there are no values.

    Parameters
    ----------
    blocks : gives the (finite) values as 1-D blocks, again at each call.
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
    values, count = _order_statistics(blocks, ranks, keep)
    if count == 0:
        return np.full(len(percentiles), np.nan)
    out = []
    for i, p in enumerate(percentiles):
        a, b = values[2 * i : 2 * i + 2]
        position = (count - 1) * (p / 100.0)
        out.append(_lerp(a, b, position - np.floor(position), scalar))
    return np.asarray(out)


def block_median(blocks: Blocks, keep: float | None = None) -> float:
    """``numpy.median`` of all the values (the mean of the middle two in their dtype), NaN if none."""
    values, count = _order_statistics(blocks, [lambda n: (n - 1) // 2, lambda n: n // 2], keep)
    if count == 0:
        return np.nan
    a, b = values
    return float(a if count % 2 else (a + b) / a.dtype.type(2))
