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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ...dq import DQ
from ...errors import InputFileError
from .soss_refs import Pastasoss, soss_content
from .soss_traces import SOSS_EXTRACTED, check_pwcpos, soss_wavemaps

__all__ = [
    "BoxInputs",
    "box_dataset",
    "box_inputs",
    "box_weights",
    "order_traces",
    "soss_box_extract",
]

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


def _infill(
    data: np.ndarray, err: np.ndarray, refmask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Data with non-finite pixels filled from the other integrations, and the median error."""
    from scipy import ndimage

    allbad = np.sum(np.isfinite(err) & np.isfinite(data), axis=0) == 0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
        mederr = np.nanmedian(err, axis=0)
        meddata = np.nanmedian(data, axis=0)
    mederr[allbad | refmask] = np.inf
    meddata[allbad] = 0
    bad = ~np.isfinite(data)
    if not bad.any():
        return data, mederr
    infilled = np.where(bad, meddata[None], data)
    window = min(data.shape[0], _TIME_WINDOW)
    medfilt = ndimage.median_filter(infilled, window, axes=(0,))
    return np.where(bad, medfilt, data), mederr


def _masks(data: np.ndarray, err: np.ndarray, dq: np.ndarray, mederr: np.ndarray) -> np.ndarray:
    """(integration, y, x) pixels jwst leaves out of each integration's box."""
    mask = np.all(dq & DQ.DO_NOT_USE != 0, axis=0)
    mask |= ~(np.isfinite(data.mean(axis=0)) & np.isfinite(mederr))
    not_finite = ~(np.isfinite(data) & np.isfinite(err))
    grown = mask[None] | np.logical_or.accumulate(not_finite, axis=0)
    return grown | ~(err > 0)


def _box_sums(
    data: np.ndarray, err: np.ndarray, mask: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per integration and column: flux, error and summed weight (jwst's ``box_extract``)."""
    region = weights > 0
    data = np.where(region, data, np.nan)
    err = np.where(region, err, np.nan)
    w = np.where(mask, 0.0, weights[None])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value encountered in multiply", RuntimeWarning)
        flux = np.nansum(w * data, axis=1)
        npix = np.nansum(w, axis=1)
        flux_err = np.sqrt(np.nansum(w * err**2, axis=1))
    empty = npix <= 0
    return np.where(empty, np.nan, flux), np.where(empty, np.nan, flux_err), npix


def _subarray(attrs: Any) -> str:
    name = str(attrs.get("SUBARRAY", "")).strip().upper()
    if name not in SOSS_EXTRACTED:
        raise InputFileError(
            f"{attrs.get('FILENAME', 'the exposure')} has SUBARRAY={name or 'missing'!r}; "
            f"SOSS extraction works on {', '.join(SOSS_EXTRACTED)} (jwst skips the others)"
        )
    return name


@dataclass(frozen=True)
class BoxInputs:
    """A SOSS exposure made ready for extraction (jwst's infilling and masks).

    Attributes
    ----------
    subarray, orders, pwcpos : the exposure's subarray, the orders extracted, PWCPOS (deg).
    traces : order -> (columns, trace row, wavelength µm), see :func:`order_traces`.
    data, err : (integration, y, x) infilled data and errors (bad pixels 10x the median error).
    mask : (integration, y, x) pixels left out of each integration's box.
    mederr : (y, x) median error of the integrations (inf on reference and all-bad pixels).
    dq : (integration, y, x) data quality.
    """

    subarray: str
    orders: tuple[int, ...]
    pwcpos: float
    traces: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]
    data: np.ndarray
    err: np.ndarray
    mask: np.ndarray
    mederr: np.ndarray
    dq: np.ndarray

    def weights(self, order: int, width: float) -> np.ndarray:
        """(y, 2048) box weights of ``order`` (every row for order 2 on SUBSTRIP96)."""
        cols, rows, _ = self.traces[order]
        weights = box_weights(rows, width, self.data.shape[1], cols)
        if self.subarray == "SUBSTRIP96" and order == 2:
            weights = np.ones_like(weights)
        return weights


def box_inputs(ds: xr.Dataset, ref: Pastasoss, *, order_3: bool = True) -> BoxInputs:
    """Infill, mask and trace a SOSS exposure as jwst's extract_1d does (see the module notes)."""
    subarray = _subarray(ds.attrs)
    orders = (1, 2, 3) if order_3 and subarray != "SUBSTRIP96" else (1, 2)
    pwcpos = check_pwcpos(
        ds.attrs.get("PWCPOS"), ref, name=ds.attrs.get("FILENAME", "the exposure")
    )
    geometry = "SUBSTRIP96" if subarray == "SUBSTRIP96" else "SUBSTRIP256"
    traces = order_traces(ref, pwcpos, geometry, orders)
    sci = np.asarray(ds["sci"].values)
    cube = sci[None] if sci.ndim == 2 else sci
    err = np.asarray(ds["err"].values).reshape(cube.shape).astype(np.float64)
    dq = np.asarray(ds["dq"].values).reshape(cube.shape)
    data, mederr = _infill(cube, err, (dq[0] & DQ.REFERENCE_PIXEL) != 0)
    bad = ~np.isfinite(cube) | ~np.isfinite(err)
    err = np.where(bad, mederr[None] * 10, err)
    mask = _masks(data, err, dq, mederr)
    return BoxInputs(subarray, orders, pwcpos, traces, data, err, mask, mederr, dq)


def box_dataset(
    ds: xr.Dataset,
    inputs: BoxInputs,
    width: float,
    images: Callable[[int], np.ndarray] | None = None,
) -> xr.Dataset:
    """Box-extract each order of ``inputs`` (from ``images(order)``, the data by default)."""
    orders, nints = inputs.orders, inputs.data.shape[0]
    shape = (len(orders), nints, 2048)
    flux, flux_err, npix = np.full(shape, np.nan), np.full(shape, np.nan), np.zeros(shape)
    wavelength = np.full((len(orders), 2048), np.nan)
    for i, order in enumerate(orders):
        cols, _, wave = inputs.traces[order]
        data = inputs.data if images is None else images(order)
        f, e, n = _box_sums(data, inputs.err, inputs.mask, inputs.weights(order, width))
        flux[i, :, : cols.size], flux_err[i, :, : cols.size] = f[:, : cols.size], e[:, : cols.size]
        npix[i, :, : cols.size] = n[:, : cols.size]
        wavelength[i, : cols.size] = wave
    units = ds["sci"].attrs.get("units", "DN/s")
    return xr.Dataset(
        {
            "flux": (("order", "integration", "column"), flux, {"units": units}),
            "flux_error": (("order", "integration", "column"), flux_err, {"units": units}),
            "npixels": (("order", "integration", "column"), npix),
        },
        coords={
            "order": list(orders),
            "integration": np.arange(1, nints + 1),
            "column": np.arange(2048),
            "wavelength": (("order", "column"), wavelength, {"units": "um"}),
        },
        attrs={"SOSS_WIDTH": width, "EXP_TYPE": ds.attrs.get("EXP_TYPE")},
    )


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
    return box_dataset(ds, box_inputs(ds, ref, order_3=order_3), width)
