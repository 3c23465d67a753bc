"""pixel_replace: estimate the flux of bad pixels in 2-D spectra (jwst 3.0.0's PixelReplaceStep).

Off by default in calwebb_spec2 (``skip = True``); when turned on it runs on a
copy of the calibrated data (the ``cal`` product is kept as it was), before
resample_spec, cube_build and extract_1d, for every mode.  Two algorithms:

``mingrad`` (jwst's default)
    each non-finite pixel becomes the mean of its two neighbours along the
    row or the column, whichever pair differs least (any layout: slits, a
    whole image, an IFU detector image, every integration at once);
``fit_profile``
    each ``DO_NOT_USE`` pixel of a spatial profile is taken from the median
    normalised profile of ``n_adjacent_cols`` profiles on each side, scaled
    to the profile's good pixels (slits and images; not IFU data, for which
    jwst needs the slice region map).

Replaced pixels gain ``FLUX_ESTIMATED`` and lose ``DO_NOT_USE`` (unless
``NON_SCIENCE``); errors and variances are estimated alike (variances as
errors).  ``trace_model`` (needs adaptive_trace_model) is refused.  The step's
output is saved as ``_pixel_replace`` with ``--save-steps``.
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from ..datamodel import PIXEL_VARIABLES
from ..dq import DQ
from ..errors import ParameterError, UnsupportedModeError
from ..modes import mode_of
from . import StepContext
from ._common import record_step, require
from ._pixel_replace_algos import fit_profile, interior, mingrad

__all__ = ["from_chain", "pixel_replace"]

log = logging.getLogger(__name__)


def _check(ds: xr.Dataset, algorithm: str, n_adjacent_cols: int) -> None:
    """Refuse what spec2x does not do (``trace_model``; ``fit_profile`` on IFU data)."""
    if algorithm == "trace_model":
        raise UnsupportedModeError(
            "pixel_replace: algorithm 'trace_model' needs adaptive_trace_model, which spec2x "
            "does not implement yet; use algorithm 'mingrad' or 'fit_profile'"
        )
    if algorithm not in ("mingrad", "fit_profile"):
        raise ParameterError(f"pixel_replace: unknown algorithm {algorithm!r}")
    if algorithm == "fit_profile":
        if n_adjacent_cols < 1:
            raise ParameterError("pixel_replace: n_adjacent_cols must be at least 1")
        if mode_of(ds).layout == "ifu":
            raise UnsupportedModeError(
                "pixel_replace: algorithm 'fit_profile' on IFU data (by slice region) is not "
                "implemented in spec2x; use algorithm 'mingrad'"
            )


def _per_slit(ds: xr.Dataset, name: str, default: int) -> xr.DataArray:
    """A per-slit coord as ints ``(slit,)``, or the exposure's value ``()``."""
    if "slit" in ds.dims and name in ds.coords:
        return xr.DataArray(ds[name].variable.to_base_variable().astype(np.int64))
    return xr.DataArray(np.int64(default))


def _replace_block(
    *arrays: np.ndarray, names: tuple[str, ...], algorithm: str, n_adjacent_cols: int
) -> tuple[np.ndarray, ...]:
    """The algorithm on a block of 2-D spectra ``(..., y, x)``: the planes named ``names``
    then each spectrum's ``ysize``, ``xsize`` and ``dispaxis`` (broadcast over ``...``).
    Returns new planes (the inputs are not changed)."""
    *inputs, ysize, xsize, dispaxis = arrays
    planes = {n: np.array(a) for n, a in zip(names, inputs, strict=True)}
    if algorithm == "mingrad":
        mingrad(planes, interior(planes["sci"].shape, ysize, xsize))
    else:
        lead = planes["sci"].shape[:-2]
        sizes = [np.broadcast_to(v, lead) for v in (ysize, xsize, dispaxis)]
        for index in np.ndindex(lead):
            ny, nx, axis = (int(v[index]) for v in sizes)
            fit_profile({n: p[index][:ny, :nx] for n, p in planes.items()}, axis, n_adjacent_cols)
    return tuple(planes[n] for n in names)


def pixel_replace(
    ds: xr.Dataset, algorithm: str = "mingrad", n_adjacent_cols: int = 3
) -> xr.Dataset:
    """Estimate the flux of the bad pixels of an exposure or a slits product.

    Parameters
    ----------
    ds : calibrated exposure ``([integration,] y, x)`` or slits
        ``(slit, [integration,] y, x)`` (any flux unit; ``err`` in the same
        unit, variances in its square); ``DISPAXIS`` (or a per-slit
        ``dispaxis``) gives the dispersion axis.  NumPy or Dask: each 2-D
        spectrum is independent, so Dask blocks along ``slit`` and
        ``integration`` stay lazy (``y`` and ``x`` are one chunk).
    algorithm : ``"mingrad"`` or ``"fit_profile"`` (see the module docstring).
    n_adjacent_cols : profiles on each side used by ``fit_profile``.

    Returns
    -------
    A new Dataset with ``sci``, ``err``, ``dq`` and the variances replaced at
    the estimated pixels; ``S_PXREPL`` ``COMPLETE``.

    Raises
    ------
    UnsupportedModeError
        ``trace_model``, or ``fit_profile`` on IFU data.
    ParameterError
        An unknown algorithm or ``n_adjacent_cols < 1``.
    """
    _check(ds, algorithm, n_adjacent_cols)
    require(ds, "sci", "err", "dq", step="pixel_replace")
    names = tuple(v for v in PIXEL_VARIABLES if v in ds.data_vars)
    dims = ds["sci"].dims
    planes = [ds[n].transpose(*dims).variable.to_base_variable() for n in names]
    sizes = [
        _per_slit(ds, "ysize", ds.sizes["y"]),
        _per_slit(ds, "xsize", ds.sizes["x"]),
        _per_slit(ds, "dispaxis", int(ds.attrs.get("DISPAXIS", 1) or 1)),
    ]
    results = xr.apply_ufunc(
        _replace_block,
        *(xr.DataArray(p) for p in planes),
        *sizes,
        input_core_dims=[["y", "x"]] * len(planes) + [[]] * len(sizes),
        output_core_dims=[["y", "x"]] * len(planes),
        kwargs={"names": names, "algorithm": algorithm, "n_adjacent_cols": n_adjacent_cols},
        dask="parallelized",
        output_dtypes=[p.dtype for p in planes],
        dask_gufunc_kwargs={"allow_rechunk": True},
    )
    out = ds.copy()
    for n, result in zip(names, results, strict=True):
        out[n] = ds[n].copy(data=result.transpose(*ds[n].dims).data)
    if out["dq"].chunks is None:
        est = np.uint32(DQ.FLUX_ESTIMATED)
        new = (out["dq"].values & est) & ~(ds["dq"].values & est)
        log.info("pixel_replace (%s): %d pixels replaced", algorithm, np.count_nonzero(new))
    return record_step(out, "pixel_replace")


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: ``algorithm`` and ``n_adjacent_cols`` from the step parameters."""
    return pixel_replace(
        ds,
        algorithm=str(ctx.params.get("algorithm", "mingrad")),
        n_adjacent_cols=int(ctx.params.get("n_adjacent_cols", 3)),
    )
