"""``scale_by``: the labelled wrapper of :func:`spec2x._kernels.scale.scale`.

Every step that multiplies or divides by a correction (flat_field, the
NIRSpec flat, photom, pathloss, barshadow, fringe) calls this one
function, so NumPy- and Dask-backed exposures get the same numbers.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import xarray as xr

from .._kernels import scale as kernel
from .._kernels.scale import Operation

__all__ = ["scale_by"]

_NAMES = ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat")
_OPTIONAL = ("factor_var", "factor_err", "factor_dq", "where")

Factor = xr.DataArray | xr.Variable


def _call(
    *arrays: np.ndarray, given: tuple[str, ...], finite_only: bool = False, **options: Any
) -> tuple[np.ndarray, ...]:
    """Positional arrays from ``apply_ufunc`` -> the kernel's arguments -> its non-None results."""
    named = dict(zip(given, arrays, strict=True))
    args: list[Any] = [named.get(n) for n in _NAMES] + [named["factor"]]
    factors: dict[str, Any] = {k: named.get(k) for k in _OPTIONAL if k != "where"}
    if finite_only and all(np.shape(a) == np.shape(named["sci"]) for a in arrays):
        results = kernel.scale_where_finite(*args, operation=options["operation"], **factors)
    else:
        results = kernel.scale(
            *args,
            **factors,
            where=named.get("where"),
            operation=options["operation"],
            match_nans=options["match_nans"],
            overwrite=options["overwrite"],
        )
    return tuple(r for r in results if r is not None)


def scale_by(
    ds: xr.Dataset,
    factor: Factor,
    *,
    operation: Operation = "multiply",
    factor_var: Factor | None = None,
    factor_err: Factor | None = None,
    factor_dq: Factor | None = None,
    where: Factor | None = None,
    match_nans: bool = True,
    finite_only: bool = False,
    overwrite: bool = False,
) -> xr.Dataset:
    """Multiply or divide ``sci``, ``err`` and the variances of ``ds`` by ``factor``.

    Parameters
    ----------
    ds : Dataset with ``sci err dq var_poisson var_rnoise`` and optionally
        ``var_flat``, any dims.
    factor : dimensionless correction whose dims are a subset of ``ds``'s
        (e.g. ``(slit, y, x)`` against ``(slit, integration, y, x)``).
    operation : ``"multiply"`` or ``"divide"``.
    factor_var, factor_err : variance or error of the factor (a flat field;
        one or neither): sets ``var_flat`` and recomputes ``err``; see
        :func:`spec2x._kernels.scale.scale`.
    factor_dq : DQ bits OR-ed into ``dq``.
    where : bool; where False the data pass unchanged.
    match_nans : make NaN and ``DO_NOT_USE`` agree afterwards (jwst does for
        every step here but barshadow and fringe).
    finite_only : compute only where ``factor`` is finite (the same numbers,
        :func:`spec2x._kernels.scale.scale_where_finite`) when the factor has
        the data's shape and neither ``where`` nor ``match_nans=False`` is
        given: for a factor NaN on most pixels (the NIRSpec IFU flat).
    overwrite : write the results into the pixel arrays of ``ds`` (NumPy-backed
        only; Dask-backed data ignore it): for a caller that owns them, such as
        a step told so by the chain (``StepContext.owns_input``).  ``ds`` then
        holds the results too.  Not with ``where`` or ``finite_only``.

    Returns
    -------
    A new Dataset: the pixel variables replaced (same dims, dtypes, attrs;
    ``var_flat`` created with ``var_poisson``'s attrs when a factor error
    is given and the input had none), everything else shared.  Lazy on Dask;
    no dimension needs to be unchunked.
    """
    names = [n for n in _NAMES if n in ds.data_vars]
    extras = {
        "factor_var": factor_var,
        "factor_err": factor_err,
        "factor_dq": factor_dq,
        "where": where,
    }
    given = (*names, "factor", *(k for k in _OPTIONAL if extras[k] is not None))
    inputs = [ds[n].variable for n in names] + [_variable(factor)]
    inputs += [_variable(a) for a in extras.values() if a is not None]
    outputs = list(names)
    if "var_flat" not in names and (factor_var is not None or factor_err is not None):
        outputs.append("var_flat")
    dtypes = [ds[n].dtype if n in ds else ds["sci"].dtype for n in outputs]
    overwrite = overwrite and all(ds[n].chunks is None for n in names)
    results = xr.apply_ufunc(
        functools.partial(
            _call,
            given=given,
            operation=operation,
            match_nans=match_nans,
            finite_only=finite_only and match_nans and where is None,
            overwrite=overwrite,
        ),
        *inputs,
        output_core_dims=[[]] * len(outputs),
        dask="parallelized",
        output_dtypes=dtypes,
    )
    dims = ds["sci"].dims
    new = {}
    for name, var in zip(outputs, results, strict=True):
        attrs = ds[name].attrs if name in ds else ds["var_poisson"].attrs
        var = var.transpose(*(ds[name].dims if name in ds else dims))
        var.attrs = dict(attrs)
        new[name] = var
    return ds.assign(new)


def _variable(a: Any) -> Any:
    """The bare Variable (no coords to align) of a DataArray; Variables and scalars as they are."""
    return a.variable if isinstance(a, xr.DataArray) else a
