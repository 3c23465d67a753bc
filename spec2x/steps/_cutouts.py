"""Cut-outs of an exposure's pixel arrays, stacked along ``slit`` and padded (extract_2d)."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from .._kernels import extract_2d as kern
from ..datamodel import PADDING_DQ, PIXEL_VARIABLES

__all__ = ["stack_cutouts"]


def stack_cutouts(
    ds: xr.Dataset, boxes: list[tuple[Any, ...]], shape: tuple[int, int]
) -> xr.Dataset:
    """Cut every (y, x) pixel variable into (slit, [integration,] y, x).

    ``boxes`` are ``(y0, x0, ny, nx, (ny, nx))`` (0-based corner, size) of
    each cut-out, ``shape`` the padded (y, x) size; padding is NaN (dq
    ``DO_NOT_USE | NON_SCIENCE``).
    """
    y0 = np.array([b[0] for b in boxes])
    x0 = np.array([b[1] for b in boxes])
    ny = np.array([b[4][0] for b in boxes])
    nx = np.array([b[4][1] for b in boxes])
    variables = {}
    for name in [v for v in PIXEL_VARIABLES if v in ds.data_vars]:
        da = ds[name]
        if da.chunks is not None:  # the cut needs whole images: (y, x) in one chunk
            da = da.chunk({"y": -1, "x": -1})
        fill = PADDING_DQ if name == "dq" else np.nan
        cut = xr.apply_ufunc(
            kern.cutouts,
            da.rename(y="_y", x="_x"),
            input_core_dims=[["_y", "_x"]],
            output_core_dims=[["slit", "y", "x"]],
            kwargs={"y0": y0, "x0": x0, "ny": ny, "nx": nx, "shape": shape, "fill": fill},
            dask="parallelized",
            output_dtypes=[da.dtype],
            dask_gufunc_kwargs={"output_sizes": {"slit": len(boxes), "y": shape[0], "x": shape[1]}},
            keep_attrs=True,
        )
        order = ("slit", *[d for d in da.dims if d not in ("y", "x")], "y", "x")
        variables[name] = cut.transpose(*order)
    out = xr.Dataset(variables)
    return out.assign_coords(
        y=("y", np.arange(shape[0], dtype=np.int32)), x=("x", np.arange(shape[1], dtype=np.int32))
    )
