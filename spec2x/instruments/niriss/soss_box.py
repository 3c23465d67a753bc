"""SOSS box extraction per order, as jwst 3.0.0's extract_1d does without ATOCA.

jwst (``soss_extract.run_extract1d`` with ``soss_atoca=False`` and
``soss_bad_pix="masking"``, the background left in as by default):

1. the pixels bad in every integration (DO_NOT_USE) are masked; a pixel
   non-finite in one integration is filled from the others (the median of
   the integrations, then a running median of up to 9 integrations); the
   error of such a pixel becomes ten times the median error of the
   integrations (infinite on reference pixels and pixels bad everywhere);
2. a pixel non-finite in the mean integration or in any integration so far
   stays masked for the integrations after it (jwst's mask grows as it
   goes), as do pixels whose error is not positive;
3. each order's trace: the spectral trace of the ``pastasoss`` model at
   ``PWCPOS`` (SUBSTRIP256 geometry for every subarray but SUBSTRIP96),
   resampled by a cubic spline on columns ``0 ... cutoff - 1``;
4. the box: ``width`` rows centred on the trace with fractional end pixels
   (every row for order 2 on SUBSTRIP96); masked pixels weigh zero;
5. per column: flux ``Σ w d``, error ``sqrt(Σ w e²)``, ``npixels = Σ w``,
   NaN where no pixel weighs.

Flux is in the exposure's units (DN/s); wavelengths in µm.  Orders 1, 2 and
3 are extracted (order 3 not on SUBSTRIP96, nor when ``order_3`` is False).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from ...dq import DQ
from ...errors import InputFileError
from .soss_refs import Pastasoss, soss_content
from .soss_traces import SOSS_EXTRACTED, check_pwcpos, soss_wavemaps

__all__ = ["box_weights", "order_traces", "soss_box_extract"]

_TIME_WINDOW = 9


def order_traces(
    ref: Pastasoss, pwcpos: float, subarray: str, orders: tuple[int, ...]
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Order -> (columns, trace row, wavelength µm) on columns ``0 ... cutoff - 1``."""
    from scipy.interpolate import CubicSpline

    _, spectraces = soss_wavemaps(ref, pwcpos, subarray, orders)
    out = {}
    for order, trace in zip(orders, spectraces, strict=True):
        if trace[0][0] - trace[0][1] > 0:
            trace = np.flip(trace, axis=1)
        cols = np.arange(ref.orders[order].cutoff)
        out[order] = (
            cols,
            CubicSpline(trace[0], trace[1])(cols),
            CubicSpline(trace[0], trace[2])(cols),
        )
    return out


def box_weights(centroid: np.ndarray, width: float, rows: int, cols: np.ndarray) -> np.ndarray:
    """(rows, 2048) weights of a ``width``-row box centred on ``centroid`` at columns ``cols``.

    Whole pixels inside weigh one; the end pixels weigh the fraction inside.
    """
    row = np.arange(rows, dtype=np.float64)[:, None]
    low, high = centroid - width / 2, centroid + width / 2
    weights = np.clip(np.minimum(row + 0.5, high) - np.maximum(row - 0.5, low), 0.0, 1.0)
    out = np.zeros((rows, 2048))
    out[:, cols] = weights
    return out


def _xp(array: Any) -> Any:
    """The array module of ``array``: dask.array for Dask arrays, else NumPy."""
    if type(array).__module__.startswith("dask"):
        import dask.array as da

        return da
    return np


def _time_median(cube: np.ndarray) -> np.ndarray:
    """Running median of up to 9 integrations (jwst's infill of non-finite pixels)."""
    from scipy import ndimage

    return np.asarray(ndimage.median_filter(cube, min(cube.shape[0], _TIME_WINDOW), axes=(0,)))


def _infill(data: Any, err: Any, refmask: Any) -> tuple[Any, Any]:
    """Data with non-finite pixels filled from the other integrations, and the median error.

    NumPy or Dask arrays (integration, y, x); a Dask cube stays lazy (its
    running median reads 4 integrations across chunk edges).
    """
    xp = _xp(data)
    allbad = xp.sum(xp.isfinite(err) & xp.isfinite(data), axis=0) == 0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
        mederr = xp.where(allbad | refmask, np.inf, xp.nanmedian(err, axis=0))
        meddata = xp.where(allbad, 0.0, xp.nanmedian(data, axis=0))
    bad = ~xp.isfinite(data)
    if xp is np:
        if not bad.any():
            return data, mederr
        return np.where(bad, _time_median(np.where(bad, meddata[None], data)), data), mederr
    infilled = xp.where(bad, meddata[None], data)
    if data.shape[0] <= _TIME_WINDOW:
        medfilt = infilled.rechunk({0: -1}).map_blocks(_time_median, dtype=infilled.dtype)
    else:
        depth = {0: _TIME_WINDOW // 2, 1: 0, 2: 0}
        medfilt = infilled.map_overlap(
            _time_median, depth=depth, boundary="none", dtype=infilled.dtype
        )
        medfilt = _edges_as_numpy(infilled, medfilt)
    return xp.where(bad, medfilt, data), mederr


def _edges_as_numpy(infilled: Any, medfilt: Any) -> Any:
    """The running median's first and last integrations as scipy reflects them at the ends."""
    import dask.array as da

    half = _TIME_WINDOW // 2
    n = infilled.shape[0]
    head = (
        infilled[:_TIME_WINDOW]
        .rechunk({0: -1})
        .map_blocks(
            lambda b: _time_median(b)[:half],
            chunks=(half, *infilled.chunks[1:]),
            dtype=infilled.dtype,
        )
    )
    tail = (
        infilled[n - _TIME_WINDOW :]
        .rechunk({0: -1})
        .map_blocks(
            lambda b: _time_median(b)[-half:],
            chunks=(half, *infilled.chunks[1:]),
            dtype=infilled.dtype,
        )
    )
    return da.concatenate([head, medfilt[half : n - half], tail], axis=0)


def _masks(data: Any, err: Any, dq: Any, mederr: Any) -> Any:
    """(integration, y, x) pixels jwst leaves out of each integration's box."""
    xp = _xp(data)
    mask = xp.all(dq & DQ.DO_NOT_USE != 0, axis=0)
    mask |= ~(xp.isfinite(data.mean(axis=0)) & xp.isfinite(mederr))
    not_finite = ~(xp.isfinite(data) & xp.isfinite(err))
    grown = mask[None] | (xp.cumsum(not_finite, axis=0) > 0)
    return grown | ~(err > 0)


def _box_sums(data: Any, err: Any, mask: Any, weights: np.ndarray) -> tuple[Any, Any, Any]:
    """Per integration and column: flux, error and summed weight (jwst's ``box_extract``)."""
    xp = _xp(data)
    rows = np.flatnonzero((weights > 0).any(axis=1))
    lo, hi = (int(rows[0]), int(rows[-1]) + 1) if rows.size else (0, 0)
    weights = weights[lo:hi]
    region = weights > 0
    data, err, mask = data[:, lo:hi], err[:, lo:hi], mask[:, lo:hi]
    d = xp.where(region, data, np.nan)
    e = xp.where(region, err, np.nan)
    w = xp.where(mask, 0.0, weights[None])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value encountered in multiply", RuntimeWarning)
        flux = xp.nansum(w * d, axis=1)
        npix = xp.nansum(w, axis=1)
        flux_err = xp.sqrt(xp.nansum(w * e**2, axis=1))
    empty = npix <= 0
    return xp.where(empty, np.nan, flux), xp.where(empty, np.nan, flux_err), npix


def _subarray(attrs: Any) -> str:
    name = str(attrs.get("SUBARRAY", "")).strip().upper()
    if name not in SOSS_EXTRACTED:
        raise InputFileError(
            f"{attrs.get('FILENAME', 'the exposure')} has SUBARRAY={name or 'missing'!r}; "
            f"SOSS extraction works on {', '.join(SOSS_EXTRACTED)} (jwst skips the others)"
        )
    return name


def soss_box_extract(
    ds: xr.Dataset, pastasoss_ref: Any, *, width: float = 40.0, order_3: bool = True
) -> xr.Dataset:
    """Box-extract every integration and order of a SOSS exposure.

    Parameters
    ----------
    ds : ``rateints`` (or ``rate``) exposure with ``sci``, ``err``, ``dq`` and
        ``PWCPOS``, ``SUBARRAY`` keywords.
    pastasoss_ref : the ``pastasoss`` reference (opened or a path).
    width : box height in rows (jwst's ``soss_width``, 40).
    order_3 : extract order 3 too (not on SUBSTRIP96).

    Returns
    -------
    Dataset with dims (order, integration, column): ``flux``, ``flux_error``
    (units of ``sci``), ``npixels`` and the coordinate ``wavelength`` (order,
    column; µm); columns past an order's cutoff are NaN (npixels 0).

    Raises
    ------
    InputFileError
        The subarray is not one jwst extracts, or PWCPOS is missing.
    ReferenceMismatchError
        ``pastasoss_ref`` is not a SOSS pastasoss file, or PWCPOS is outside it.
    """
    ref = soss_content(pastasoss_ref, "pastasoss", Pastasoss)
    subarray = _subarray(ds.attrs)
    orders = (1, 2, 3) if order_3 and subarray != "SUBSTRIP96" else (1, 2)
    pwcpos = check_pwcpos(
        ds.attrs.get("PWCPOS"), ref, name=ds.attrs.get("FILENAME", "the exposure")
    )
    geometry = "SUBSTRIP96" if subarray == "SUBSTRIP96" else "SUBSTRIP256"
    traces = order_traces(ref, pwcpos, geometry, orders)
    sci, err, dq = (ds[name].data for name in ("sci", "err", "dq"))
    if sci.ndim == 2:
        sci, err, dq = sci[None], err[None], dq[None]
    xp = _xp(sci)
    err = err.astype(np.float64)
    data, mederr = _infill(sci, err, (dq[0] & DQ.REFERENCE_PIXEL) != 0)
    err = xp.where(~xp.isfinite(sci) | ~xp.isfinite(err), mederr[None] * 10, err)
    mask = _masks(data, err, dq, mederr)
    nints = sci.shape[0]
    flux, flux_err, npix = [], [], []
    wavelength = np.full((len(orders), 2048), np.nan)
    for i, order in enumerate(orders):
        cols, rows, wave = traces[order]
        weights = box_weights(rows, width, sci.shape[1], cols)
        if subarray == "SUBSTRIP96" and order == 2:
            weights = np.ones_like(weights)
        weights[:, cols.size :] = 0.0
        f, e, n = _box_sums(data, err, mask, weights)
        beyond = np.arange(2048) >= cols.size
        flux.append(xp.where(beyond, np.nan, f))
        flux_err.append(xp.where(beyond, np.nan, e))
        npix.append(xp.where(beyond, 0.0, n))
        wavelength[i, : cols.size] = wave
    units = ds["sci"].attrs.get("units", "DN/s")
    dims = ("order", "integration", "column")
    return xr.Dataset(
        {
            "flux": (dims, xp.stack(flux), {"units": units}),
            "flux_error": (dims, xp.stack(flux_err), {"units": units}),
            "npixels": (dims, xp.stack(npix)),
        },
        coords={
            "order": list(orders),
            "integration": np.arange(1, nints + 1),
            "column": np.arange(2048),
            "wavelength": (("order", "column"), wavelength, {"units": "um"}),
        },
        attrs={"SOSS_WIDTH": width, "EXP_TYPE": ds.attrs.get("EXP_TYPE")},
    )
