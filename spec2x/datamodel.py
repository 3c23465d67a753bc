"""The Dataset contract: names, dims, coords, attrs and units of every product.

An exposure is an :class:`xarray.Dataset` whose attrs are the FITS keywords of
the exposure (uppercase, primary + SCI header) and whose variables are the
pixel arrays of a jwst ``_rate``/``_rateints``/``_cal`` file.  This module
says what each product must hold, builds the empty shapes, and checks them.

Products
--------
exposure  ``(y, x)`` or ``(integration, y, x)``; coords ``y``, ``x`` are 0-based
          full-frame detector pixels (a subarray starts at ``SUBSTRT - 1``).
slits     ``(slit, y, x)``: cut-outs padded to a common shape; per-slit coords
          on ``slit`` (``slit_name``, ``xstart`` ... 1-based like jwst, and
          ``wcs``, each slit's stored gwcs).  ``y`` and ``x`` are 0-based
          pixels within the cut-out; padding is NaN and
          ``DO_NOT_USE | NON_SCIENCE`` in ``dq``.  Slits of very different
          shapes are held as a DataTree of such Datasets (:mod:`spec2x.slits`).
spectra   ``([slit|order], [integration], spectral)`` with ``wavelength``.
cube      ``(wavelength, y, x)``.

The WCS of an exposure travels in ``attrs["wcs"]`` (for a NIRSpec exposure
before extract_2d a mapping ``slit_name -> WCS``), that of a slits product in
its per-slit ``wcs`` coord, as :class:`spec2x.wcs.store.StoredWcs` values (the
gwcs, written out as ASDF text or an ASDF object) or as that ASDF text; see
:mod:`spec2x.wcs.store`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import xarray as xr

from ._lazy_dask import defer_dask_array
from .dq import DQ, DQ_DTYPE
from .errors import InputFileError

defer_dask_array()  # spec2x's NumPy path does not import dask.array

__all__ = [
    "CUBE_VARIABLES",
    "PIXEL_VARIABLES",
    "SPECTRUM_VARIABLES",
    "VARIANCES",
    "ProductKind",
    "kind",
    "make_exposure",
    "required_variables",
    "validate",
]

ProductKind = Literal["exposure", "slits", "spectra", "cube"]

#: Pixel arrays of exposures and slits, in jwst's extension order.
PIXEL_VARIABLES = ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat")
VARIANCES = ("var_poisson", "var_rnoise", "var_flat")

#: Columns of a jwst x1d spectrum table (lowercase names of the FITS columns).
SPECTRUM_VARIABLES = (
    "flux",
    "flux_error",
    "flux_var_poisson",
    "flux_var_rnoise",
    "flux_var_flat",
    "surf_bright",
    "sb_error",
    "sb_var_poisson",
    "sb_var_rnoise",
    "sb_var_flat",
    "dq",
    "background",
    "bkg_error",
    "bkg_var_poisson",
    "bkg_var_rnoise",
    "bkg_var_flat",
    "npixels",
)
CUBE_VARIABLES = ("sci", "err", "dq", "weightmap")

#: Per-slit coords on the ``slit`` dim (jwst SlitModel attributes, lowercase).
SLIT_COORDS = (
    "slit_name",
    "source_id",
    "xstart",
    "ystart",
    "xsize",
    "ysize",
    "srctype",
    "source_xpos",
    "source_ypos",
)

PADDING_DQ = int(DQ.DO_NOT_USE | DQ.NON_SCIENCE)


def kind(ds: xr.Dataset) -> ProductKind:
    """Which product ``ds`` is, from its dims."""
    if "spectral" in ds.dims:
        return "spectra"
    if "slit" in ds.dims:
        return "slits"
    if "wavelength" in ds.dims:
        return "cube"
    return "exposure"


def make_exposure(
    sci: Any,
    *,
    err: Any | None = None,
    dq: Any | None = None,
    var_poisson: Any | None = None,
    var_rnoise: Any | None = None,
    var_flat: Any | None = None,
    attrs: Mapping[str, Any] | None = None,
    xstart: int = 1,
    ystart: int = 1,
    int_times: Mapping[str, Any] | None = None,
    units: str = "DN/s",
) -> xr.Dataset:
    """Build an exposure Dataset from arrays (NumPy or Dask).

    Parameters
    ----------
    sci : array (ny, nx) or (nint, ny, nx), count rate in ``units``.
    err, dq, var_poisson, var_rnoise, var_flat : arrays of the same shape;
        missing variances are zero, missing ``err`` is the root of their sum,
        missing ``dq`` is zero.
    attrs : FITS keywords (uppercase).
    xstart, ystart : 1-based position of the first pixel on the full frame
        (``SUBSTRT1``, ``SUBSTRT2``).
    int_times : for rateints, columns of the INT_TIMES table by name, each of
        length nint (``integration_number``, ``int_mid_MJD_UTC`` ...).
    units : units of ``sci`` and ``err``.
    """
    sci = _as_array(sci, np.float32)
    dims: tuple[str, ...] = ("y", "x") if sci.ndim == 2 else ("integration", "y", "x")
    if sci.ndim not in (2, 3):
        raise InputFileError(f"SCI must be 2-D or 3-D, got shape {sci.shape}")
    zeros = np.zeros(sci.shape, np.float32)
    variances = {
        "var_poisson": zeros if var_poisson is None else _as_array(var_poisson, np.float32),
        "var_rnoise": zeros if var_rnoise is None else _as_array(var_rnoise, np.float32),
        "var_flat": zeros if var_flat is None else _as_array(var_flat, np.float32),
    }
    if err is None:
        err = np.sqrt(sum(variances.values())).astype(np.float32)
    err = _as_array(err, np.float32)
    dq = np.zeros(sci.shape, DQ_DTYPE) if dq is None else _as_array(dq, DQ_DTYPE)
    ny, nx = sci.shape[-2:]
    coords: dict[str, Any] = {
        "y": ("y", np.arange(ystart - 1, ystart - 1 + ny, dtype=np.int32)),
        "x": ("x", np.arange(xstart - 1, xstart - 1 + nx, dtype=np.int32)),
    }
    if sci.ndim == 3:
        coords["integration"] = ("integration", np.arange(1, sci.shape[0] + 1, dtype=np.int32))
        for name, col in (int_times or {}).items():
            coords[f"int_times_{name}"] = ("integration", np.asarray(col))
    data_vars = {
        "sci": (dims, sci, {"units": units}),
        "err": (dims, err, {"units": units}),
        "dq": (dims, dq, {"units": ""}),
    }
    for name, arr in variances.items():
        data_vars[name] = (dims, arr, {"units": f"({units})^2"})
    ds = xr.Dataset(data_vars, coords=coords, attrs=dict(attrs or {}))
    ds.attrs.setdefault("SUBSTRT1", xstart)
    ds.attrs.setdefault("SUBSTRT2", ystart)
    ds.attrs.setdefault("SUBSIZE1", nx)
    ds.attrs.setdefault("SUBSIZE2", ny)
    return ds


def _as_array(a: Any, dtype: Any) -> Any:
    if hasattr(a, "dask") or type(a).__module__.startswith("dask"):
        return a.astype(dtype)
    return np.asarray(a, dtype=dtype)


def required_variables(ds: xr.Dataset) -> tuple[str, ...]:
    """The variables the contract asks of ``ds``, by product kind.

    A count-rate exposure (``_rate``/``_rateints``) or slits cut from one
    has no ``var_flat`` until flat_field has run (``S_FLAT = 'COMPLETE'``);
    spectra need ``flux`` and ``wavelength``; cubes :data:`CUBE_VARIABLES`.
    """
    found = kind(ds)
    if found == "spectra":
        return ("flux", "wavelength")
    if found == "cube":
        return CUBE_VARIABLES
    if str(ds.attrs.get("S_FLAT", "")).strip().upper() == "COMPLETE":
        return PIXEL_VARIABLES
    return tuple(v for v in PIXEL_VARIABLES if v != "var_flat")


def _pixel_problems(ds: xr.Dataset, found: ProductKind) -> list[str]:
    """Dims and dtype of the pixel variables, the ``y``/``x`` coords, the per-slit coords."""
    problems = []
    core = ("y", "x") if found == "exposure" else ("slit", "y", "x")
    for name in PIXEL_VARIABLES:
        dims = ds[name].dims if name in ds else None
        if dims is not None and (
            dims[-2:] != ("y", "x") or (found == "slits" and dims[0] != "slit")
        ):
            problems.append(f"{name!r} has dims {dims}, expected (..., {', '.join(core)})")
    if "dq" in ds and ds["dq"].dtype != DQ_DTYPE:
        problems.append(f"'dq' has dtype {ds['dq'].dtype}, expected uint32")
    coords = [("coordinate", n) for n in ("y", "x")]
    if found == "slits":
        coords += [
            ("per-slit coordinate", n) for n in ("slit_name", "xstart", "ystart", "xsize", "ysize")
        ]
    problems += [f"{what} {name!r} is missing" for what, name in coords if name not in ds.coords]
    return problems


def validate(ds: xr.Dataset, expected: ProductKind | None = None) -> xr.Dataset:
    """Check ``ds`` against the contract; return it unchanged or raise saying what is wrong.

    The variables required depend on the product (:func:`required_variables`):
    a ``_rateints`` has no ``var_flat``, a ``_cal`` does.

    Raises
    ------
    InputFileError
        Listing every problem found (missing variable, wrong dims or dtype,
        missing coord or units).
    """
    found = kind(ds)
    problems: list[str] = []
    if expected is not None and found != expected:
        problems.append(f"expected a {expected} product, got a {found} (dims {tuple(ds.dims)})")
    problems += [
        f"{name!r} is missing" for name in required_variables(ds) if name not in ds.variables
    ]
    if found in ("exposure", "slits"):
        problems += _pixel_problems(ds, found)
    problems += [
        f"{name!r} has no 'units' attribute"
        for name in ("sci", "err", "flux")
        if name in ds and "units" not in ds[name].attrs
    ]
    if problems:
        label = ds.attrs.get("FILENAME", "dataset")
        raise InputFileError(
            f"{label} does not follow the spec2x data contract: " + "; ".join(problems)
        )
    return ds
