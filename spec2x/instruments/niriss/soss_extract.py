"""extract_1d for NIRISS SOSS: per-order spectra of every integration, as jwst 3.0.0 writes them.

jwst's ``Extract1dStep`` on ``NIS_SOSS`` data runs ``soss_extract``: ATOCA
(``soss_atoca=True``, jwst's default) models the overlapping orders and
re-extracts each order from the decontaminated image; with
``soss_atoca=False`` each order is box-extracted from the data as they are
(:mod:`spec2x.instruments.niriss.soss_box`).  The product is a
``TSOMultiSpecModel``: one ``EXTRACT1D`` table per order (1, 2, and 3 where
extracted), one row per integration, holding WAVELENGTH, FLUX, FLUX_ERROR,
BACKGROUND (0: no background is fitted by default) and NPIXELS; every other
column is zero-filled, DQ included: for NumPy spectra a read-only broadcast
of one zero (no memory per integration; the writer fills its table slabs
from it), lazy zeros for Dask ones.  Units stay DN/s (photom converts the
spectra afterwards).

ATOCA lives in ``spec2x.instruments.niriss.soss_atoca``; this module calls
its ``extract_atoca(ds, refs, **params)``, which returns spectra laid out
as :func:`~spec2x.instruments.niriss.soss_box.soss_box_extract`'s (dims
``order, integration, column``: ``flux``, ``flux_error``, ``npixels`` and
the ``wavelength`` coordinate).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from ...datamodel import SPECTRUM_VARIABLES
from ...dq import DQ_DTYPE
from .soss_box import soss_box_extract

__all__ = ["soss_extract_1d"]

log = logging.getLogger(__name__)

#: Columns jwst fills for SOSS; the others are written as zeros.
_FILLED = ("flux", "flux_error", "npixels")


def _atoca(ds: xr.Dataset, refs: Mapping[str, Any], params: Mapping[str, Any]) -> xr.Dataset:
    """The ATOCA spectra (:func:`~spec2x.instruments.niriss.soss_atoca.extract_atoca`),
    computed when the step runs, block by block, also for a Dask exposure."""
    from .soss_atoca import extract_atoca

    return extract_atoca(ds, refs, **params)


def soss_extract_1d(
    ds: xr.Dataset,
    refs: Mapping[str, Any],
    *,
    soss_atoca: bool = True,
    soss_width: float = 40.0,
    soss_order_3: bool = True,
    **atoca_params: Any,
) -> xr.Dataset:
    """Extract every order of every integration of a SOSS exposure (jwst's layout).

    Parameters
    ----------
    ds : ``rateints``/``calints`` (or ``rate``/``cal``) in DN/s.
    refs : reftype -> opened reference: ``pastasoss`` (box and ATOCA), and
        ``specprofile``, ``speckernel`` for ATOCA.
    soss_atoca : model the orders with ATOCA (jwst's default) instead of
        box-extracting them as they are.
    soss_width : box height in rows (jwst default 40).
    soss_order_3 : extract order 3 too (never on SUBSTRIP96).
    atoca_params : jwst's other ``soss_*`` parameters, handed to ATOCA.

    Returns
    -------
    Spectra with dims ``(order, integration, spectral)`` (``integration``
    only for multi-integration input): jwst's x1d columns, ``wavelength``
    (µm, decreasing along ``spectral`` for order 1) and ``spectral_order``
    as coordinates.  Lazy for Dask input.

    """
    if soss_atoca:
        params = {"soss_width": soss_width, "soss_order_3": soss_order_3, **atoca_params}
        spectra = _atoca(ds, refs, params)
    else:
        spectra = soss_box_extract(ds, refs["pastasoss"], width=soss_width, order_3=soss_order_3)
    return _as_jwst_spectra(spectra, ds, multi="integration" in ds.dims)


def _as_jwst_spectra(spectra: xr.Dataset, ds: xr.Dataset, *, multi: bool) -> xr.Dataset:
    """Box/ATOCA sums -> every x1d column jwst writes for SOSS (zeros where it fills none)."""
    spectra = spectra.rename({"column": "spectral"})
    if not multi:
        spectra = spectra.isel(integration=0, drop=True)
    like = spectra["flux"]
    units = {"flux": "DN/s", "flux_error": "DN/s", "npixels": "", "dq": ""}
    out: dict[str, xr.DataArray] = {}
    for name in SPECTRUM_VARIABLES:
        if name in _FILLED:
            out[name] = spectra[name].astype(np.float64, copy=False)
        else:
            out[name] = _zeros(like, DQ_DTYPE if name == "dq" else np.float64)
        out[name].attrs = {"units": units.get(name, _unit_of(name))}
    wavelength = spectra["wavelength"].assign_attrs(units="um")
    attrs = {k: v for k, v in ds.attrs.items() if k != "wcs"}
    return xr.Dataset(
        out,
        coords={
            "wavelength": wavelength,
            "spectral_order": ("order", spectra["order"].values.astype(np.int32)),
        },
        attrs=attrs,
    ).drop_vars(["order", *(["integration"] if multi else [])], errors="ignore")


def _zeros(like: xr.DataArray, dtype: Any) -> xr.DataArray:
    """Zeros shaped as ``like``: a read-only broadcast of one zero for NumPy, lazy for Dask."""
    if isinstance(like.data, np.ndarray):
        return like.copy(data=np.broadcast_to(np.zeros((), dtype), like.shape))
    return xr.zeros_like(like, dtype=dtype)


def _unit_of(name: str) -> str:
    """DN/s for the flux-like columns, DN²/s² for the variances (jwst's units before photom)."""
    return "DN^2 / s^2" if "var" in name else "DN/s"
