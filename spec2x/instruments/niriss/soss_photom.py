"""photom on NIRISS SOSS spectra: each order's flux in MJy, as jwst 3.0.0 converts it.

jwst's ``PhotomStep`` runs after ``extract_1d`` for ``NIS_SOSS``: for each
order it takes the PHOTOM row of the exposure's FILTER, PUPIL and that
ORDER, and multiplies every integration's FLUX, FLUX_ERROR, BACKGROUND and
BKGD_ERROR by

.. math:: c(\\lambda) = \\text{photmj} \\; R(\\lambda) / t

(:math:`R` the relative response interpolated linearly at the spectrum's
wavelengths, 0 outside it; :math:`t` the time-dependence correction), and
the variance columns by :math:`c^2`.  The surface-brightness columns and DQ
are left as they are (jwst never fills them for SOSS).  Units become MJy.
A column broadcast along ``integration`` (the zero columns of
:func:`~spec2x.instruments.niriss.soss_extract.soss_extract_1d`) is scaled
on its one row and stays a broadcast: the same numbers, no memory per
integration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from ..._kernels import photom as kernel
from ...errors import ReferenceMismatchError
from ...io.refs_pixel import PhotomTable

__all__ = ["photom_spectra"]

_SCALED = ("flux", "flux_error", "background", "bkg_error")
_SQUARED = tuple(f"{p}_var_{k}" for p in ("flux", "bkg") for k in ("poisson", "rnoise", "flat"))


def _conversion(wavelength: np.ndarray, waves: np.ndarray, resp: np.ndarray) -> np.ndarray:
    """``R(λ)`` at ``wavelength`` (NaN -> no calibration -> 0), as jwst's 1-D conversion."""
    wl = np.where(np.isnan(wavelength), -1.0, wavelength)
    curve = np.interp(wl, waves, resp, left=np.nan, right=np.nan)
    return np.where(np.isnan(curve), 0.0, curve)


def photom_spectra(
    ds: xr.Dataset,
    response: Any,
    find_row: Callable[[Any, list[dict[str, Any]], str | None], int],
    *,
    time_correction: Callable[[xr.Dataset, Any, int], Any] | None = None,
) -> xr.Dataset:
    """Convert SOSS spectra (``order`` x [``integration``] x ``spectral``) from DN/s to MJy.

    Parameters
    ----------
    ds : the spectra of :func:`~spec2x.instruments.niriss.soss_extract.soss_extract_1d`.
    response : the ``photom`` reference (a PHOTOM table with ``order`` rows).
    find_row : ``(response, candidates, label) -> row`` (photom's row finder).
    time_correction : ``(ds, table, row) -> t`` dividing the scalar, or None.

    Returns
    -------
    The spectra in MJy (variances MJy²); the input is not changed.

    Raises
    ------
    ReferenceMismatchError
        ``response`` is not a PHOTOM table.
    MissingReferenceError
        No row for the filter, pupil and an order.
    """
    table = response.content
    if not isinstance(table, PhotomTable) or not table.columns:
        raise ReferenceMismatchError(
            f"{response.name} is not a photom table; SOSS spectra need the NIRISS SOSS photom file"
        )
    response.check_matches(ds.attrs, ("INSTRUME",))
    factors = []
    for order in ds["spectral_order"].values:
        match = {"filter": ds.attrs.get("FILTER"), "pupil": ds.attrs.get("PUPIL")}
        row = find_row(response, [{**match, "order": int(order)}], f"order {int(order)}")
        scalar = float(table.columns["photmj"][row])
        if time_correction is not None and table.timecoeff:
            scalar = scalar / float(time_correction(ds, table, row))
        nelem = int(table.columns["nelem"][row]) if "nelem" in table.columns else None
        waves, resp = kernel.response_curve(
            table.columns["wavelength"][row], table.columns["relresponse"][row], nelem
        )
        factors.append(scalar * _conversion(_order_wavelength(ds, order), waves, resp))
    factor = xr.DataArray(np.stack(factors), dims=("order", "spectral"))
    out = ds.copy()
    for name in _SCALED + _SQUARED:
        if name in ds.data_vars:
            f = factor if name in _SCALED else factor**2
            unit = "MJy" if name in _SCALED else "MJy^2"
            out[name] = _times(ds[name], f).assign_attrs(units=unit)
    return out


def _times(values: xr.DataArray, factor: xr.DataArray) -> xr.DataArray:
    """``values * factor`` on ``values``'s dims (attributes dropped); for NumPy ``values``
    broadcast along ``integration`` (stride 0), a read-only broadcast of its first row
    times ``factor``."""
    data, dims = values.data, values.dims
    broadcast = isinstance(data, np.ndarray) and "integration" in dims
    if not (broadcast and data.strides[dims.index("integration")] == 0):
        return (values * factor).transpose(*dims)
    axis = dims.index("integration")
    row = (values.isel(integration=0) * factor).transpose(*dims[:axis], *dims[axis + 1 :]).data
    out = values.copy(data=np.broadcast_to(np.expand_dims(row, axis), values.shape))
    out.attrs = {}
    return out


def _order_wavelength(ds: xr.Dataset, order: Any) -> np.ndarray:
    """The wavelengths (µm) of ``order``'s spectrum (its first integration's, as jwst reads them)."""
    index = int(np.flatnonzero(ds["spectral_order"].values == order)[0])
    wl = ds["wavelength"].isel(order=index)
    if "integration" in wl.dims:
        wl = wl.isel(integration=0)
    return np.asarray(wl.values, np.float64)
