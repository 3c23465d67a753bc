"""SOSS box extraction of a Dask exposure: one pass over the chain, then blocks of integrations.

The exposure's data, errors and DO_NOT_USE flags are computed once, together
(one pass over the chain's graph), into unnamed temporary files
(:func:`~spec2x.instruments.niriss.soss_spill.spill`).  From those files,
in NumPy:

1. the medians over integrations, a band of rows at a time;
2. the (y, x) masks, a block of integrations at a time: whether the mean of
   the infilled integrations is finite, each pixel's first integration not
   finite;
3. each block's infill, errors, masks and sums, written to an unnamed
   temporary file that the products' pass reads back lazily.

Each block is read with the integrations either side that the running median
of the infill needs and infilled as
:func:`~spec2x.instruments.niriss.soss_infill.box_arrays` infills the whole
exposure: the same numbers, bit for bit.  No Dask graph spans the
integrations after the first pass (the pieces of the running median's
overlap in flight grew with them), memory is a block's whatever the number
of integrations, and the chain before extract_1d is computed once, not in
each pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ...dq import DQ, DQ_DTYPE
from .soss_infill import (
    TIME_WINDOW,
    band_medians,
    exposure_medians,
    infill_block,
    left_out,
    not_finite,
)
from .soss_spill import read_back, row_bands, spill, unnamed_files

__all__ = ["block_sums"]

log = logging.getLogger(__name__)

_DNU = DQ_DTYPE(DQ.DO_NOT_USE)
_REFERENCE = DQ_DTYPE(DQ.REFERENCE_PIXEL)


def _medians(sci: np.ndarray, err: np.ndarray, dnu: np.ndarray) -> tuple[np.ndarray, ...]:
    """:func:`~.soss_infill.band_medians` of a band, and its pixels DO_NOT_USE everywhere."""
    return (*band_medians(sci, err), np.logical_and.reduce(dnu, axis=0))


class _Exposure:
    """The spilled cubes of an exposure and its medians, read a block at a time."""

    def __init__(self, sci: Any, err: Any, dq: Any) -> None:
        dnu = (dq & _DNU) != 0
        self.files, (refmask,) = spill([sci, err, dnu], (dq[0] & _REFERENCE) != 0)
        allbad, med_err, med_data, self.unusable = row_bands(self.files, _medians)
        self.mederr, self.meddata = exposure_medians(allbad, med_err, med_data, refmask)
        self.nints = int(sci.shape[0])
        self.window = min(self.nints, TIME_WINDOW)

    def blocks(self, size: int) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
        """Each block of ``size`` integrations: its slice, infilled data and errors."""
        half = self.window // 2
        for start in range(0, self.nints, size):
            stop = min(start + size, self.nints)
            low, high = max(0, start - half), min(self.nints, stop + half)
            # at least a window (the running median's reach past an end of a short block)
            low = max(0, min(low, high - self.window))
            high = min(self.nints, max(high, low + self.window))
            sci, err = (f.integrations(low, high) for f in self.files[:2])
            data, err = infill_block(sci, err, self.meddata, self.mederr, self.window)
            keep = slice(start - low, stop - low)
            yield slice(start, stop), data[keep], err[keep]

    def masks(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """The (y, x) pixels masked in every integration and the first integration where
        each pixel's infilled data or error is not finite (``nints`` if none)."""
        # the mean's finiteness: a sum in the data's type, as the mean's
        total = np.zeros(self.mederr.shape, self.files[0].dtype)
        first = np.full(self.mederr.shape, self.nints)
        for part, data, err in self.blocks(size):
            total += data.sum(axis=0)
            bad = not_finite(data, err)
            new = (first == self.nints) & bad.any(axis=0)
            first[new] = part.start + bad.argmax(axis=0)[new]
        with np.errstate(invalid="ignore"):
            finite = np.isfinite(total) & np.isfinite(self.mederr)
        return self.unusable | ~finite, first

    def close(self) -> None:
        for f in self.files:
            f.close()


def block_sums(sci: Any, err: Any, dq: Any, sums: Callable[..., np.ndarray], width: int) -> Any:
    """The (quantity, integration, x) ``sums(data, err, mask)`` of a Dask (integration, y, x)
    exposure, computed now a block of ``width`` integrations at a time (see the module
    notes) into an unnamed temporary file and read back lazily from it, ``width``
    integrations a chunk; ``sums`` gives a block's (integration, quantity, x) float64
    sums of its infilled data, errors and masks."""
    exposure = _Exposure(sci, err, dq)
    try:
        mask, first = exposure.masks(width)
        out = None
        for part, data, error in exposure.blocks(width):
            values = sums(data, error, left_out(mask, first, error, part.start))
            if out is None:
                (out,) = unnamed_files(
                    [((values.shape[1], exposure.nints, values.shape[2]), np.float64)]
                )
            out[:, part, :] = values.transpose(1, 0, 2)
    finally:
        exposure.close()
    log.debug("box sums of %d integrations in blocks of %d", exposure.nints, width)
    assert out is not None
    return read_back(out, (out.shape[0], width, out.shape[2]))
