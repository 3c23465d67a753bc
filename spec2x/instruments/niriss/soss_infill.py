"""SOSS box extraction's inputs: jwst's infill of bad pixels and the masks of each box.

The steps 1-2 of :mod:`spec2x.instruments.niriss.soss_box` (see its notes):
medians over integrations, the running median of the pixels bad somewhere,
the errors of infilled pixels, the pixels each integration's box leaves out.
A Dask exposure stays lazy (:func:`_infill`, :func:`_masks`); a NumPy one
goes through :func:`box_arrays`, which writes in place into the arrays it
makes and takes its medians a band of rows at a time, so that the only
cube-sized allocations are its results (fresh memory costs its page faults,
half of a whole SOSS run's CPU before; docs/benchmarks.md, 2026-12-07).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...dq import DQ, DQ_DTYPE

__all__ = [
    "array_module",
    "band_medians",
    "box_arrays",
    "exposure_medians",
    "infill_block",
    "left_out",
    "TIME_WINDOW",
    "not_finite",
    "unusable_everywhere",
]

#: Integrations of the running median the infill takes (jwst's window).
TIME_WINDOW = 9
#: As the DQ arrays' dtype (an ``IntFlag`` would make ``dq & flag`` an int64 cube).
_DNU = DQ_DTYPE(DQ.DO_NOT_USE)
#: Bytes of the float64 copy a median over integrations works on at a time (NumPy).
_BAND_BYTES = 8 * 2**20


def array_module(array: Any) -> Any:
    """The array module of ``array``: dask.array for Dask arrays, else NumPy."""
    if type(array).__module__.startswith("dask"):
        import dask.array as da

        return da
    return np


def unusable_everywhere(dq: Any) -> Any:
    """(y, x) pixels DO_NOT_USE in every integration of an (integration, y, x) DQ cube:
    for NumPy the flag of the AND of the integrations (no cube-sized temporary), Dask lazy."""
    if array_module(dq) is np:
        return (np.bitwise_and.reduce(dq, axis=0) & _DNU) != 0
    return (dq & _DNU != 0).all(axis=0)


def _fill(
    infilled: np.ndarray, bad: np.ndarray, in_place: bool = False, window: int | None = None
) -> np.ndarray:
    """``infilled`` with its ``bad`` pixels replaced by the running median of ``window``
    integrations (jwst's infill of non-finite pixels: up to 9, the exposure's window),
    computed only along the pixels that are bad in some integration (the filter works
    pixel by pixel); into ``infilled`` itself with ``in_place``, else into a copy."""
    from scipy import ndimage

    where = bad.any(axis=0)
    if not where.any():
        return infilled
    series = infilled[:, where]  # (integration, pixels bad somewhere)
    window = window or min(infilled.shape[0], TIME_WINDOW)
    median = ndimage.median_filter(series, size=(window, 1))
    out = infilled if in_place else infilled.copy()
    out[:, where] = np.where(bad[:, where], median, series)
    return out


def _nanmedian0(a: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    """``np.nanmedian(a, axis=0)`` (NaN where all are NaN, quietly), fast for a short axis 0;
    with ``where`` (y, x), only at those pixels (0 elsewhere)."""
    nan = np.isnan(a)
    if where is None:
        return _median0(a, nan, bool(nan.any()))
    out = np.zeros(a.shape[1:], a.dtype)
    if where.any():
        out[where] = _median0(a[:, where], nan[:, where], bool(nan.any()))
    return out


def _median0(a: np.ndarray, nan: np.ndarray, any_nan: bool) -> np.ndarray:
    """Median along axis 0 ignoring NaN (``nan``); ``np.median`` unless the block has NaN."""
    if not any_nan:
        return _median_finite(a)
    ordered = np.sort(a, axis=0)  # NaN last
    n = (~nan).sum(axis=0)
    lo = np.take_along_axis(ordered, np.maximum((n - 1) // 2, 0)[None], 0)[0]
    hi = np.take_along_axis(ordered, np.maximum(n // 2, 0)[None], 0)[0]
    return np.where(n == 0, np.nan, (lo + hi) / 2)


def _median_finite(a: np.ndarray) -> np.ndarray:
    """``np.median(a, axis=0)`` of values without NaN: a partition of each pixel's
    contiguous series (the upper middle value of an even count is the minimum above)."""
    n, half = a.shape[0], a.shape[0] // 2
    series = np.ascontiguousarray(a.reshape(n, -1).T)
    series.partition(half if n % 2 else half - 1, axis=1)
    upper = series[:, half] if n % 2 else series[:, half:].min(axis=1)
    middle = upper if n % 2 else (series[:, half - 1] + upper) / 2
    return middle.reshape(a.shape[1:])


def _median_where_bad(a: np.ndarray) -> np.ndarray:
    """:func:`_nanmedian0` at the pixels non-finite in some integration, 0 elsewhere."""
    return _nanmedian0(a, ~np.isfinite(a).all(axis=0))


def _over_integrations(fn: Any, cube: Any) -> Any:
    """``fn`` reducing axis 0 of a NumPy cube, or of a Dask one block of rows at a time."""
    if array_module(cube) is np:
        return fn(cube)
    whole = cube.rechunk({0: -1, 1: "auto", 2: -1})
    return whole.map_blocks(fn, drop_axis=0, dtype=np.float64)


def _infill(data: Any, err: Any, refmask: Any, settle: bool = False) -> tuple[Any, Any]:
    """Data with non-finite pixels filled from the other integrations, and the median error.

    NumPy or Dask arrays (integration, y, x); a Dask cube stays lazy (its
    running median reads 4 integrations across chunk edges) but, with
    ``settle``, for its medians over integrations, computed now.
    """
    xp = array_module(data)
    if settle and xp is not np:
        mederr, meddata = _settled_medians(data, err, refmask)
    else:
        err = err.astype(np.float64)
        allbad = ~xp.any(xp.isfinite(err) & xp.isfinite(data), axis=0)
        mederr = xp.where(allbad | refmask, np.inf, _over_integrations(_nanmedian0, err))
        meddata = xp.where(allbad, 0.0, _over_integrations(_median_where_bad, data))
    bad = ~xp.isfinite(data)
    infilled = xp.where(bad, meddata[None], data).astype(data.dtype)
    if xp is np:
        return _fill(infilled, bad), mederr
    bad = bad.rechunk(infilled.chunks)  # the rows of the medians' blocks: _fill's pieces alike
    if data.shape[0] <= TIME_WINDOW:
        whole = {0: -1}
        return xp.map_blocks(_fill, infilled.rechunk(whole), bad.rechunk(whole)), mederr
    depth = {0: TIME_WINDOW // 2, 1: 0, 2: 0}
    filled = xp.map_overlap(_fill, infilled, bad, depth=depth, boundary="none", dtype=data.dtype)
    # back in the exposure's blocks (the edges cut them unevenly): the blocks of the error
    # and masks then line up with them, and no piece of one waits for the others
    return _edges_as_numpy(infilled, bad, filled).rechunk(data.chunks), mederr


def _settled_medians(data: Any, err: Any, refmask: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_infill`'s (y, x) median error and data of Dask cubes, computed now through
    :func:`~spec2x.instruments.niriss.soss_spill.by_row_bands` (memory flat in the
    number of integrations; the error is spilled in its own dtype)."""
    from .soss_spill import by_row_bands

    allbad, med_err, med_data = by_row_bands([data, err], band_medians)
    return exposure_medians(allbad, med_err, med_data, np.asarray(refmask))


def band_medians(data: np.ndarray, err: np.ndarray) -> tuple[np.ndarray, ...]:
    """(y, x) pixels without finite data and error in any integration, median error and
    median data (at the pixels not finite somewhere) of an (integration, y, x) band."""
    err = err.astype(np.float64)
    allbad = ~(np.isfinite(err) & np.isfinite(data)).any(axis=0)
    return allbad, _nanmedian0(err), _median_where_bad(data)


def exposure_medians(
    allbad: Any, med_err: np.ndarray, med_data: np.ndarray, refmask: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The (y, x) median error (inf on reference and all-bad pixels) and the median data
    infilled from (0 on all-bad pixels), from :func:`band_medians`."""
    return np.where(allbad | refmask, np.inf, med_err), np.where(allbad, 0.0, med_data)


def _edges_as_numpy(infilled: Any, bad: Any, filled: Any) -> Any:
    """The first and last integrations filled as scipy's median filter reflects at the ends."""
    import dask.array as da

    half, n = TIME_WINDOW // 2, infilled.shape[0]
    chunks = (half, *infilled.chunks[1:])

    def edge(part: slice, keep: slice) -> Any:
        pieces = (infilled[part].rechunk({0: -1}), bad[part].rechunk({0: -1}))
        return da.map_blocks(
            lambda i, b: _fill(i, b)[keep], *pieces, chunks=chunks, dtype=infilled.dtype
        )

    head = edge(slice(0, TIME_WINDOW), slice(0, half))
    tail = edge(slice(n - TIME_WINDOW, n), slice(TIME_WINDOW - half, TIME_WINDOW))
    return da.concatenate([head, filled[half : n - half], tail], axis=0)


def _masks(data: Any, err: Any, dq: Any, mederr: Any, settle: bool = False) -> Any:
    """(integration, y, x) pixels jwst leaves out of each integration's box.

    A pixel is out from the first integration where it is not finite on;
    that integration (y, x) is computed now for a Dask cube with ``settle``
    (with the other whole-exposure masks, in one pass), so that each block
    of integrations is then computed on its own.
    """
    xp = array_module(data)
    mask = unusable_everywhere(dq)
    mask |= ~(xp.isfinite(data.mean(axis=0)) & xp.isfinite(mederr))
    not_finite = ~(xp.isfinite(data) & xp.isfinite(err))
    nints = data.shape[0]
    index = xp.arange(nints)[:, None, None]
    if xp is not np:
        index = xp.arange(nints, chunks=data.chunks[0])[:, None, None]
    first = xp.where(not_finite.any(axis=0), not_finite.argmax(axis=0), nints)
    if settle and xp is not np:
        import dask

        mask, first = dask.compute(mask, first)
    return mask[None] | (index >= first[None]) | ~(err > 0)


def box_arrays(sci: Any, err: Any, dq: Any, settle: bool = False) -> tuple[Any, Any, Any, Any]:
    """Infilled data, errors (float64, bad pixels 10x the median error), the pixels each
    integration's box leaves out, and the (y, x) median error (inf on reference and
    all-bad pixels) of an (integration, y, x) exposure: NumPy or Dask (lazy; with
    ``settle`` its medians over integrations and (y, x) masks computed now)."""
    refmask = (dq[0] & DQ_DTYPE(DQ.REFERENCE_PIXEL)) != 0
    if array_module(sci) is not np:
        xp = array_module(sci)
        data, mederr = _infill(sci, err, refmask, settle)
        err = err.astype(np.float64)
        err = xp.where(~xp.isfinite(sci) | ~xp.isfinite(err), mederr[None] * 10, err)
        return data, err, _masks(data, err, dq, mederr, settle), mederr
    err, good, scratch = _finite(sci, err)
    allbad = ~good.any(axis=0)
    mederr, meddata = exposure_medians(
        allbad, _by_rows(_nanmedian0, err), _by_rows(_median_where_bad, sci), refmask
    )
    data = _infilled(sci, err, meddata, mederr, (good, scratch))
    return data, err, _masks_numpy(data, err, dq, mederr, (good, scratch)), mederr


def infill_block(
    sci: np.ndarray, err: np.ndarray, meddata: np.ndarray, mederr: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Infilled data and errors (float64) of consecutive integrations of an exposure, as
    :func:`box_arrays` infills them, given the exposure's medians
    (:func:`exposure_medians`) and running median's ``window``: exact at the
    integrations ``window // 2`` or more from the block's ends but for the
    exposure's own ends."""
    err, good, scratch = _finite(sci, err)
    return _infilled(sci, err, meddata, mederr, (good, scratch), window), err


def _finite(sci: np.ndarray, err: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The error as float64 (a copy, written in place after), the pixels with finite data
    and error, and a boolean cube of scratch."""
    err = err.astype(np.float64)
    good = np.isfinite(sci)
    scratch = np.empty_like(good)
    good &= np.isfinite(err, out=scratch)
    return err, good, scratch


def _infilled(
    sci: np.ndarray,
    err: np.ndarray,
    meddata: np.ndarray,
    mederr: np.ndarray,
    scratch: tuple[np.ndarray, np.ndarray],
    window: int | None = None,
) -> np.ndarray:
    """``sci`` infilled (a copy) and ``err`` 10x the median error where data or error is
    not finite (in place); ``scratch``: the pixels with finite data and error (turned
    into those without) and a boolean cube overwritten."""
    good, other = scratch
    data = sci.copy()
    bad = np.logical_not(np.isfinite(sci, out=other), out=other)
    np.copyto(data, meddata, where=bad, casting="unsafe")  # rounded as where().astype()
    data = _fill(data, bad, True, window)
    np.logical_not(good, out=good)  # now: data or error not finite
    np.copyto(err, mederr * 10, where=good)
    return data


def _by_rows(fn: Any, cube: np.ndarray) -> np.ndarray:
    """``fn`` reducing axis 0 of a NumPy cube, a band of rows at a time (its copies small)."""
    rows = max(1, _BAND_BYTES // max(1, 8 * cube.shape[0] * int(np.prod(cube.shape[2:]))))
    if rows >= cube.shape[1]:
        return np.asarray(fn(cube))
    parts = [fn(cube[:, r : r + rows]) for r in range(0, cube.shape[1], rows)]
    return np.concatenate(parts, axis=0)


def _masks_numpy(
    data: np.ndarray,
    err: np.ndarray,
    dq: np.ndarray,
    mederr: np.ndarray,
    scratch: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """:func:`_masks` of NumPy cubes, written into ``scratch[0]`` (two boolean cubes of
    their shape, overwritten)."""
    mask = unusable_everywhere(dq)
    mask |= ~(np.isfinite(data.mean(axis=0)) & np.isfinite(mederr))
    bad = not_finite(data, err, scratch)
    nints = data.shape[0]
    first = np.where(bad.any(axis=0), bad.argmax(axis=0), nints)
    return left_out(mask, first, err, 0, scratch)


def not_finite(
    data: np.ndarray, err: np.ndarray, scratch: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Pixels whose data or error is not finite (into ``scratch[0]``, two boolean cubes of
    their shape overwritten, where given)."""
    out, other = scratch or (None, None)
    bad = np.isfinite(data, out=out)
    bad &= np.isfinite(err, out=other)
    return np.logical_not(bad, out=bad)


def left_out(
    mask: np.ndarray,
    first: np.ndarray,
    err: np.ndarray,
    start: int,
    scratch: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The pixels of integrations ``start, start + 1, ...`` (the cube ``err``) left out of
    the box: masked (y, x), from their ``first`` integration not finite on, error not
    positive (into ``scratch[0]``, two boolean cubes of their shape overwritten, where
    given)."""
    out, other = scratch or (None, None)
    index = np.arange(start, start + err.shape[0])[:, None, None]
    out = np.greater_equal(index, first, out=out)
    out |= mask
    out |= np.logical_not(np.greater(err, 0, out=other), out=other)
    return out
