"""SOSS ATOCA extraction: orders 1 and 2 modelled together, then decontaminated boxes.

As jwst 3.0.0's extract_1d with ``soss_atoca=True`` (``soss_extract``):

1. the exposure is infilled and masked as for the box extraction
   (:func:`~spec2x.instruments.niriss.soss_box.box_inputs`);
2. a typical integration: the mean of the integrations plus Gaussian noise of
   ``mederr * sqrt((n - 1) / n)`` (seed 42, as jwst);
3. from it, once per exposure: a flux estimate (order 1 alone, pixels where
   order 2's profile is below 1e-4), the wavelength grid of the joint model
   (:mod:`.soss_atoca_grid`), the joint linear model of orders 1 and 2
   (:mod:`.soss_atoca_model`, kernels of :mod:`.soss_atoca_kernel`), the
   Tikhonov factor (:mod:`.soss_atoca_tikho`, or ``soss_tikfac``) and the
   factorised regularised normal matrix, with the median error as weights;
4. every integration's spectrum solves that one system (a block of
   integrations at a time, many right-hand sides at once); each order's
   trace model is its spectrum convolved and projected back on the pixels;
5. the blue part of order 2 (short of ``order2_separation_cutoff[1]``) and
   order 3 are fitted alone (no kernel, unit throughput, the columns'
   wavelengths oversampled 3x), their factor chosen on the typical
   integration about order 1's, then solved per integration with its errors
   (not on SUBSTRIP96);
6. each order's box extraction (as the box extraction's, ``soss_width``)
   runs on the data minus the other orders' trace models.

The spectra written are those decontaminated box extractions, as jwst's
x1d.  Steps 4-6 run on ``block`` integrations at a time.  A NumPy exposure
is infilled once, in memory, for every step; a Dask exposure is computed one
block at a time, its spectra written to temporary files as they come and
read back lazily, so memory does not grow with the number of integrations
(but for the trace models if asked for); the numbers are the same bit for
bit.  The trace models are evaluated only inside the boxes they are
subtracted from.  Flux in the exposure's units (DN/s); wavelengths µm.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np
import xarray as xr

from ...errors import InputFileError
from .soss_atoca_fits import Fitted, TraceModel, joint_fit, single_fits, trace_models
from .soss_atoca_setup import BLOCK, block_inputs, exposure_setup, integration_blocks
from .soss_box import BandValues, BoxInputs, box_dataset, spectra_dataset
from .soss_infill import array_module
from .soss_spill import read_back, unnamed_files

__all__ = ["extract_atoca"]

log = logging.getLogger(__name__)


def _check(params: Mapping[str, Any]) -> None:
    if params["soss_bad_pix"] != "masking":
        raise InputFileError(
            f"soss_bad_pix={params['soss_bad_pix']!r}: spec2x's ATOCA does 'masking' only "
            "(jwst's default); use soss_bad_pix='masking'"
        )
    if params["soss_estimate"] is not None:
        raise InputFileError("soss_estimate is not supported by spec2x's ATOCA; leave it None")
    grid = params["soss_wave_grid_in"]
    if grid is not None and not (
        isinstance(grid, np.ndarray) and grid.ndim == 1 and np.all(np.diff(grid) > 0)
    ):
        raise InputFileError(
            "soss_wave_grid_in: give the joint grid as an increasing 1-D array of µm "
            "(e.g. the WAVEGRID of jwst's soss_wave_grid_out file), or None"
        )


#: The spectra of each block of a Dask exposure kept in temporary files.
_SUMS = ("flux", "flux_error", "npixels")

_DEFAULTS: dict[str, Any] = {
    "soss_threshold": 1e-2,
    "soss_n_os": 2,
    "soss_tikfac": None,
    "soss_wave_grid_in": None,
    "soss_estimate": None,
    "soss_rtol": 1e-4,
    "soss_max_grid_size": 20000,
    "soss_width": 40.0,
    "soss_bad_pix": "masking",
    "soss_order_3": True,
    "soss_modelname": None,
}


def _decontaminated(models: Mapping[int, TraceModel], inputs: BoxInputs, order: int) -> BandValues:
    """``order``'s image: the data minus the other orders' trace models (at the rows asked)."""

    def values(rows: np.ndarray) -> np.ndarray:
        others = None
        for o, model in models.items():
            if o != order:
                value = model.values(rows)
                others = value if others is None else np.add(others, value, out=others)
        band = inputs.data[:, rows, np.arange(rows.shape[1])]
        return band if others is None else np.subtract(band, others, out=others)

    return values


def _fitted(ds: xr.Dataset, refs: Mapping[str, Any], opts: Mapping[str, Any], block: int) -> Fitted:
    setup = exposure_setup(ds, refs, opts, block)
    joint = joint_fit(setup, opts)
    # the grid's size sets the cost of the fits (time and memory), not the integrations
    log.info(
        "extract_1d: ATOCA joint grid of %d nodes, Tikhonov factor %.6g",
        joint.grid.size,
        joint.tikfac,
    )
    return Fitted(setup, joint, single_fits(setup, joint))


def _block(
    fitted: Fitted, ds: xr.Dataset, opts: Mapping[str, Any], part: slice
) -> tuple[xr.Dataset, dict[int, TraceModel], BoxInputs]:
    """The decontaminated box extractions of the integrations ``part`` and their trace models."""
    inputs = block_inputs(fitted.setup.inputs, part)
    models = trace_models(*fitted, inputs.data, inputs.err)
    images = partial(_decontaminated, models, inputs)
    return box_dataset(ds, inputs, float(opts["soss_width"]), images), models, inputs


def _blocks(ds: xr.Dataset, fitted: Fitted, opts: Mapping[str, Any], block: int) -> xr.Dataset:
    """The decontaminated box extractions (and trace models if asked), ``block`` integrations
    at a time; a Dask exposure's written to temporary files as they come and read back
    lazily (held in memory, they grew with the integrations)."""
    inputs = fitted.setup.inputs
    nints = inputs.data.shape[0]
    files = None
    if array_module(inputs.data) is not np:
        shape = (len(inputs.orders), nints, 2048)
        files = dict(zip(_SUMS, unnamed_files([(shape, np.float64)] * len(_SUMS)), strict=True))
    parts, stacked = [], []
    for part in integration_blocks(nints, block):
        spectra, models, block_inputs = _block(fitted, ds, opts, part)
        if files is None:
            parts.append(spectra)
        for name, file in (files or {}).items():
            file[:, part, :] = spectra[name].values
        if opts["soss_modelname"]:
            shape = block_inputs.data.shape[1:]
            stacked.append(np.stack([models[o].image(shape) for o in block_inputs.orders]))
        del models
    if files is None:
        out = xr.concat(parts, dim="integration", coords="minimal", compat="override")
        out = out.assign_coords(integration=np.arange(1, out.sizes["integration"] + 1))
    else:
        chunks = (len(inputs.orders), block, 2048)
        sums = tuple(read_back(file, chunks) for file in files.values())
        out = spectra_dataset(ds, inputs.traces, float(opts["soss_width"]), sums)  # type: ignore[arg-type]
    if stacked:
        out["model"] = (
            ("order", "integration", "y", "x"),
            np.concatenate(stacked, axis=1),
            {"units": out["flux"].attrs["units"]},
        )
    joint = fitted.joint
    out.attrs.update(SOSS_TIKFAC=joint.tikfac, SOSS_NGRID=int(joint.grid.size), SOSS_ATOCA=True)
    return out


def extract_atoca(
    ds: xr.Dataset,
    refs: Mapping[str, Any],
    *,
    block: int = BLOCK,
    **params: Any,
) -> xr.Dataset:
    """ATOCA-decontaminated box extraction of every integration and order.

    Parameters
    ----------
    ds : ``rateints`` (or ``rate``) SOSS exposure (``sci``, ``err``, ``dq``;
        ``PWCPOS``, ``SUBARRAY``), in DN/s.
    refs : ``pastasoss``, ``specprofile`` and ``speckernel`` references
        (opened, paths or contents).
    params : jwst's Extract1dStep SOSS parameters and defaults:
        ``soss_threshold`` (1e-2), ``soss_n_os`` (2), ``soss_tikfac`` (None:
        searched), ``soss_rtol`` (1e-4), ``soss_max_grid_size`` (20000),
        ``soss_width`` (40, rows), ``soss_bad_pix`` ("masking"),
        ``soss_order_3`` (True), ``soss_modelname`` (None: no trace
        models returned), ``soss_wave_grid_in`` (None: built from the
        flux estimate; else the joint grid, an increasing array of µm);
        ``soss_estimate`` must be None.  Other keys are ignored.
    block : integrations fitted and decontaminated together (memory
        grows with it; the results do not depend on it).

    Returns
    -------
    The layout of :func:`~spec2x.instruments.niriss.soss_box.soss_box_extract`
    (``flux``, ``flux_error``, ``npixels`` by order, integration, column;
    ``wavelength`` by order, column), with attributes ``SOSS_TIKFAC`` (order
    1's Tikhonov factor), ``SOSS_NGRID`` (nodes of the joint grid) and the
    trace models ``model`` (order, integration, y, x; DN/s, 0 where none)
    when ``soss_modelname`` is given (jwst's switch for writing them).

    Raises
    ------
    InputFileError
        Unsupported parameters, subarray or PWCPOS.
    ReferenceMismatchError
        A reference is not the SOSS kind asked for.
    """
    opts = {**_DEFAULTS, **{k: v for k, v in params.items() if k in _DEFAULTS}}
    _check(opts)
    if block < 1:
        raise InputFileError(f"block={block!r}: give a positive number of integrations")
    return _blocks(ds, _fitted(ds, refs, opts, block), opts, block)
