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

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import xarray as xr

from ...errors import InputFileError
from .soss_box_blocks import block_sums
from .soss_infill import array_module, box_arrays
from .soss_refs import Pastasoss, soss_content
from .soss_traces import SOSS_EXTRACTED, check_pwcpos, soss_wavemaps

__all__ = [
    "BandValues",
    "box_dataset",
    "box_inputs",
    "box_weights",
    "exposure_orders",
    "order_weights",
    "order_traces",
    "soss_box_extract",
    "spectra_dataset",
]

#: ``values(rows)``: an image's (integration, band, x) values at the (band, x) ``rows``
#: of every column ``x`` (the pixels ``(rows[b, x], x)``).
BandValues = Callable[[np.ndarray], np.ndarray]


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


def _band(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows (band, x) covering each column's box (contiguous), and their weights."""
    inside = weights > 0
    height = max(int(inside.sum(axis=0).max()), 1)
    rows = np.argmax(inside, axis=0)[None] + np.arange(height)[:, None]
    valid = rows < weights.shape[0]
    rows = np.minimum(rows, weights.shape[0] - 1)
    return rows, np.where(valid, np.take_along_axis(weights, rows, 0), 0.0)


def _band_sums(
    data: np.ndarray, err: np.ndarray, mask: np.ndarray, rows: np.ndarray, wband: np.ndarray
) -> np.ndarray:
    """(integration, 3, x): flux, error and summed weight of each column's box (jwst's
    ``box_extract``: masked pixels weigh 0; NaN where nothing weighs)."""
    return _sums_of(data[:, rows, np.arange(data.shape[2])[None]], err, mask, rows, wband)


def _sums_of(
    band: np.ndarray, err: np.ndarray, mask: np.ndarray, rows: np.ndarray, wband: np.ndarray
) -> np.ndarray:
    """:func:`_band_sums` of the image values ``band`` (integration, band, x) at ``rows``."""
    cols = np.arange(err.shape[2])[None]
    outside = ~(wband > 0)
    w = np.where(mask[:, rows, cols], 0.0, wband[None])
    # np.nansum(w * d) and np.nansum(w * e**2) with d, e NaN outside the box (their
    # terms there 0, as NaN's), into two (integration, band, x) arrays (each a fresh
    # one was a page-faulted cube slab)
    terms = w * band
    e = err[:, rows, cols]
    with np.errstate(invalid="ignore"):
        flux = _nansum1(terms, outside)
        npix = np.sum(w, axis=1)  # w is finite
        e = np.multiply(w, np.square(e, out=e), out=e if e.dtype == w.dtype else None)
        flux_err = np.sqrt(_nansum1(e, outside))
    empty = npix <= 0
    return np.stack(
        [np.where(empty, np.nan, flux), np.where(empty, np.nan, flux_err), npix], axis=1
    )


def _nansum1(a: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """``np.nansum(a, axis=1)`` with ``a`` NaN where ``outside`` (the same sum), zeroing
    those terms and ``a``'s NaN in place."""
    np.copyto(a, 0.0, where=np.isnan(a) | outside)
    return np.sum(a, axis=1)


#: An order's box: its (band, x) rows and weights (:func:`_band`) and its columns traced.
Box = tuple[np.ndarray, np.ndarray, int]


def _boxes(
    subarray: str,
    traces: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
    rows: int,
    width: float,
) -> list[Box]:
    """The :data:`Box` of each order of ``traces`` on an image of ``rows`` rows (weights
    zero past its cutoff)."""
    boxes = []
    for order, (cols, _, _) in traces.items():
        weights = order_weights(subarray, traces, rows, order, width)
        weights[:, cols.size :] = 0.0
        boxes.append((*_band(weights), cols.size))
    return boxes


def order_weights(
    subarray: str,
    traces: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
    rows: int,
    order: int,
    width: float,
) -> np.ndarray:
    """(rows, 2048) box weights of ``order`` (every row for order 2 on SUBSTRIP96)."""
    if subarray == "SUBSTRIP96" and order == 2:
        return np.ones((rows, 2048))
    cols, trace, _ = traces[order]
    return box_weights(trace, width, rows, cols)


def _sums(
    box: Box, data: np.ndarray, err: np.ndarray, mask: np.ndarray, values: BandValues | None
) -> np.ndarray:
    """(integration, 3, x): flux, error and summed weight of ``box`` in NumPy arrays (the
    image is ``values(rows)`` where given, else ``data``); NaN (npixels 0) past the cutoff."""
    rows, wband, ncols = box
    if values is None:
        sums = _band_sums(data, err, mask, rows, wband)
    else:
        sums = _sums_of(values(rows), err, mask, rows, wband)
    sums[:, :2, ncols:] = np.nan
    sums[:, 2, ncols:] = 0.0
    return sums


def _all_sums(data: np.ndarray, err: np.ndarray, mask: np.ndarray, boxes: list[Box]) -> np.ndarray:
    """(integration, 3 x order, x): every order's :func:`_sums` of a block of integrations,
    order by order (flux, error, npixels each)."""
    return np.concatenate([_sums(box, data, err, mask, None) for box in boxes], axis=1)


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
    data, err : (integration, y, x) NumPy or Dask infilled data and errors (bad pixels 10x the median error).
    mask : (integration, y, x) pixels left out of each integration's box.
    mederr : (y, x) median error of the integrations (inf on reference and all-bad pixels).
    dq : (integration, y, x) data quality.
    """

    subarray: str
    orders: tuple[int, ...]
    pwcpos: float
    traces: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]
    data: Any
    err: Any
    mask: Any
    mederr: Any
    dq: Any

    def weights(self, order: int, width: float) -> np.ndarray:
        """(y, 2048) box weights of ``order`` (:func:`order_weights`)."""
        return order_weights(self.subarray, self.traces, self.data.shape[1], order, width)


def exposure_orders(
    ds: xr.Dataset, ref: Pastasoss, order_3: bool
) -> tuple[str, tuple[int, ...], float, dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """The subarray, orders extracted, PWCPOS (deg) and traces (:func:`order_traces`) of ``ds``."""
    subarray = _subarray(ds.attrs)
    orders = (1, 2, 3) if order_3 and subarray != "SUBSTRIP96" else (1, 2)
    pwcpos = check_pwcpos(
        ds.attrs.get("PWCPOS"), ref, name=ds.attrs.get("FILENAME", "the exposure")
    )
    geometry = "SUBSTRIP96" if subarray == "SUBSTRIP96" else "SUBSTRIP256"
    return subarray, orders, pwcpos, order_traces(ref, pwcpos, geometry, orders)


def box_inputs(
    ds: xr.Dataset, ref: Pastasoss, *, order_3: bool = True, settle: bool = False
) -> BoxInputs:
    """Infill, mask and trace a SOSS exposure as jwst's extract_1d does (see the module
    notes); NumPy or Dask arrays (a Dask exposure stays lazy; with ``settle``,
    but for its medians over integrations and its (y, x) masks, computed now
    so that each block of integrations is then computed on its own)."""
    subarray, orders, pwcpos, traces = exposure_orders(ds, ref, order_3)
    sci, err, dq = (ds[name].data for name in ("sci", "err", "dq"))
    if sci.ndim == 2:
        sci, err, dq = sci[None], err[None], dq[None]
    data, err, mask, mederr = box_arrays(sci, err, dq, settle)
    return BoxInputs(subarray, orders, pwcpos, traces, data, err, mask, mederr, dq)


def box_dataset(
    ds: xr.Dataset,
    inputs: BoxInputs,
    width: float,
    images: Callable[[int], BandValues] | None = None,
) -> xr.Dataset:
    """Box-extract each order of ``inputs`` (the data, or ``images(order)(rows)``:
    the (integration, band, x) values of the image that order is extracted from at
    the pixels of its box, :data:`BandValues`, NumPy)."""
    data, err, mask = inputs.data, inputs.err, inputs.mask
    sums = [
        _sums(box, data, err, mask, None if images is None else images(order))
        for order, box in zip(
            inputs.orders, _boxes(inputs.subarray, inputs.traces, data.shape[1], width), strict=True
        )
    ]
    flux, error, npix = (np.stack([s[:, q] for s in sums]) for q in range(3))
    return spectra_dataset(ds, inputs.traces, width, (flux, error, npix))


def spectra_dataset(
    ds: xr.Dataset,
    traces: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
    width: float,
    sums: tuple[Any, Any, Any],
) -> xr.Dataset:
    """The box extraction's layout of ``sums``: (order, integration, column) flux, error
    (units of ``ds``'s ``sci``) and npixels of the orders of ``traces``."""
    wavelength = np.full((len(traces), 2048), np.nan)
    for i, (cols, _, wave) in enumerate(traces.values()):
        wavelength[i, : cols.size] = wave
    units = ds["sci"].attrs.get("units", "DN/s")
    dims = ("order", "integration", "column")
    return xr.Dataset(
        {
            "flux": (dims, sums[0], {"units": units}),
            "flux_error": (dims, sums[1], {"units": units}),
            "npixels": (dims, sums[2]),
        },
        coords={
            "order": list(traces),
            "integration": np.arange(1, sums[0].shape[1] + 1),
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
    column; µm); columns past an order's cutoff are NaN (npixels 0).  A Dask
    exposure is computed now, in one pass over its chunks into temporary files,
    then extracted from them a block of integrations (a chunk) at a time
    (:mod:`~spec2x.instruments.niriss.soss_box_blocks`); the spectra are
    stored in an unnamed temporary file and returned as Dask arrays reading it
    back (memory flat in the number of integrations).

    Raises
    ------
    InputFileError
        The subarray is not one jwst extracts, or PWCPOS is missing.
    ReferenceMismatchError
        ``pastasoss_ref`` is not a SOSS pastasoss file, or PWCPOS is outside it.
    """
    ref = soss_content(pastasoss_ref, "pastasoss", Pastasoss)
    if array_module(ds["sci"].data) is np:
        return box_dataset(ds, box_inputs(ds, ref, order_3=order_3), width)
    # computed now (in the products' pass, each chunk of the exposure would wait for both
    # products), kept on disk until the products are written (held whole, they grew with
    # the integrations)
    subarray, _, _, traces = exposure_orders(ds, ref, order_3)
    sci, err, dq = (ds[name].data for name in ("sci", "err", "dq"))
    if sci.ndim == 2:
        sci, err, dq = sci[None], err[None], dq[None]
    sums = partial(_all_sums, boxes=_boxes(subarray, traces, sci.shape[1], width))
    stored = block_sums(sci, err, dq, sums, max(sci.chunks[0]))
    return spectra_dataset(ds, traces, width, (stored[0::3], stored[1::3], stored[2::3]))
