"""resample_spec: rectify a slit spectrum onto a regular (spatial, wavelength) grid (``_s2d``).

Modes: MIRI LRS fixed slit (the exposure's slit region) and NIRSpec fixed
slits (each slit of a slits product).  Output WCS and drizzle follow jwst
3.0.0 ``ResampleSpecStep`` for one exposure (Stage 2): pixfrac 1, square
kernel, inverse read-noise weights, output spatial scale equal to the input.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np
import xarray as xr

from .._kernels import resample_spec as _k
from ..datamodel import PADDING_DQ
from ..dq import DQ, DQ_DTYPE
from ..errors import ParameterError, StepOrderError, UnsupportedModeError
from ..instruments.nirspec.resample import nirspec_pixel_frames
from ..instruments.nirspec.resample_grid import grid_wcs, grid_world, output_grids
from ..modes import Mode, exp_type_of, mode_of
from ..wcs.footprint import s_region
from ..wcs.store import WCS_COORD, get_wcs, has_wcs, wcs_coord
from . import StepContext
from ._common import MSA_SLIT_LABELS, record_step, require

__all__ = ["from_chain", "resample_spec"]

log = logging.getLogger(__name__)

_BATCH = 64  # slits whose WCS is evaluated in one stacked call (bounds the memory)
_BAD = int(DQ.DO_NOT_USE | DQ.NON_SCIENCE)  # jwst good_bits "~DO_NOT_USE+NON_SCIENCE"
_IN_VARS = ("sci", "dq", "err", "var_poisson", "var_rnoise", "var_flat")
_OUT_VARS = ("sci", "err", "dq", "wht", "con", "var_poisson", "var_rnoise", "var_flat")
_SLIT_COORDS = (
    "slit_name",
    "source_id",
    "srctype",
    "source_xpos",
    "source_ypos",
    "source_ra",
    "source_dec",
)
#: Per-slit calibration labels of the cal slit its s2d keeps (photom's conversion and pixel
#: areas, units, the wavecorr/pathloss/barshadow flags), as jwst's resampled slit does.
_CAL_LABELS = (
    "photmjsr",
    "photuja2",
    "pixar_sr",
    "pixar_a2",
    "bunit_data",
    "wavelength_corrected",
    "pathloss_correction_type",
    "barshadow_corrected",
)
#: The cut-out's corner and size, which jwst's s2d keeps in SLTSTRT1/2 and SLTSIZE1/2
#: (the rectified image's own extent stays in ``xstart`` ... ``ysize``).
_CUTOUT = {f"cutout_{c}": c for c in ("xstart", "ystart", "xsize", "ysize")}


def resample_spec(
    ds: xr.Dataset,
    *,
    pixfrac: float = 1.0,
    kernel: Literal["square", "point"] = "square",
    fillval: str = "NAN",
    weight_type: Literal["ivm"] | None = "ivm",
    pixel_scale_ratio: float = 1.0,
    pixel_scale: float | None = None,
    output_shape: tuple[int, int] | None = None,
) -> xr.Dataset:
    """Resample slit spectra to a rectified grid.

    Parameters
    ----------
    ds : calibrated exposure ``(y, x)`` (MIRI LRS fixed slit) or slits
        ``(slit, y, x)`` (NIRSpec FS) with a WCS (``attrs["wcs"]``).
    pixfrac, kernel, weight_type : drizzle options (jwst defaults).
    fillval : value of output pixels no input reached (``"NAN"`` only).
    pixel_scale_ratio, pixel_scale, output_shape : only the defaults (1.0,
        None, None) are supported.

    Returns
    -------
    s2d Dataset ``(slit, y, x)`` (padded to a common shape when several):
    ``sci err dq wht con var_poisson var_rnoise var_flat`` in the input units,
    a ``wavelength`` coord from each output WCS (stored per slit), attrs
    DATAMODL ``SlitModel`` (one slit) or ``MultiSlitModel``.  Slits keep
    their labels and calibration keywords (PHOTMJSR, BUNIT, PTHLOSS ...),
    their cut-out's corner and size as ``cutout_xstart`` ...
    ``cutout_ysize`` (jwst's SLTSTRT1/2, SLTSIZE1/2 of the s2d), and an
    ``s_region`` (S_REGION) each, the sky box of their output grid.

    Notes
    -----
    The input is read whole (a slit's output grid depends on its data for
    NIRSpec); Dask-backed input is computed in batches of slits.  ``dq`` is
    DO_NOT_USE where no input pixel landed (jwst writes zeros there).  The
    output grid is the mode's ``resample_grid`` (:mod:`spec2x.modes`).

    Raises
    ------
    UnsupportedModeError
        Multi-integration data, or an EXP_TYPE not in the modes table.
    """
    if pixel_scale_ratio != 1.0 or pixel_scale is not None or output_shape is not None:
        raise ParameterError(
            "resample_spec: only pixel_scale_ratio=1.0, pixel_scale=None and output_shape=None "
            "are supported (the jwst defaults)"
        )
    if str(fillval).upper() != "NAN":
        raise ParameterError("resample_spec: only fillval='NAN' is supported")
    require(ds, "sci", "dq", "var_poisson", "var_rnoise", "var_flat", step="resample_spec")
    if not has_wcs(ds):
        raise StepOrderError(
            f"resample_spec: {ds.attrs.get('FILENAME', 'input')} has no WCS; run assign_wcs"
        )
    if "integration" in ds.dims:
        raise UnsupportedModeError(
            "resample_spec: multi-integration data are not resampled (as jwst)"
        )
    exp_type = exp_type_of(ds)
    mode = mode_of(ds, step="resample_spec")
    drizzle = {"pixfrac": pixfrac, "kernel": kernel, "weight_type": weight_type}
    if "slit" in ds.dims:
        n = ds.sizes["slit"]
        batches = [_batch(ds, start, min(start + _BATCH, n)) for start in range(0, n, _BATCH)]
    else:
        name = str(ds.attrs.get("SLTNAME") or exp_type)
        dispaxis = int(ds.attrs.get("DISPAXIS", mode.dispaxis))
        batches = [[(_arrays(ds), name, get_wcs(ds), dispaxis)]]
    products = []
    for batch in batches:
        inputs = [_inputs(arrays) for arrays, *_ in batch]
        wcss = [wcs for _, _, wcs, _ in batch]
        if mode.resample_grid == "nirspec":  # every slit of the batch at once
            products += _nirspec(inputs, wcss, drizzle)
        else:
            products += [
                _interpolated(p, wcs, dispaxis, mode, drizzle)
                for p, (_, _, wcs, dispaxis) in zip(inputs, batch, strict=True)
            ]
    names = [name for batch in batches for _, name, _, _ in batch]
    out = _assemble(ds, products, names, "slit" in ds.dims)
    log.info(
        "resample_spec: %d slit(s) rectified to %s", len(products), tuple(out["sci"].shape[1:])
    )
    return record_step(out, "resample_spec")


def _arrays(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """The arrays of ``ds`` drizzle needs (``sci dq var_*``, ``err`` when present), computed."""
    return {k: np.asarray(ds[k].values) for k in _IN_VARS if k in ds}


def _batch(
    ds: xr.Dataset, start: int, stop: int
) -> list[tuple[dict[str, np.ndarray], str, Any, int]]:
    """Slits ``start`` to ``stop`` of a slits product: each slit's arrays cut to its size,
    its name, WCS and dispersion axis (the batch's arrays computed at once)."""
    sub = ds.isel(slit=slice(start, stop))
    arrays = _arrays(sub)
    n = stop - start

    def per_slit(coord: str, default: Any) -> list[Any]:
        return list(sub[coord].values) if coord in sub.coords else [default] * n

    names = (
        [str(v) for v in sub["slit_name"].values]
        if "slit_name" in sub.coords
        else [str(i) for i in range(start, stop)]
    )
    heights, widths = per_slit("ysize", ds.sizes["y"]), per_slit("xsize", ds.sizes["x"])
    dispaxes = per_slit("dispaxis", ds.attrs.get("DISPAXIS", 1))
    return [
        ({k: a[i, : int(heights[i]), : int(widths[i])] for k, a in arrays.items()}, names[i],
         get_wcs(ds, slit=names[i]), int(dispaxes[i]))
        for i in range(n)
    ]  # fmt: skip


def _inputs(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """A slit image's arrays for drizzle: ``sci`` and the variances NaN where any is invalid
    or DO_NOT_USE, ``good`` the pixels drizzle may use."""
    sci = np.asarray(arrays["sci"], dtype=np.float32)
    dq = arrays["dq"]
    variances = {
        k: np.asarray(arrays[k], dtype=np.float32)
        for k in ("var_poisson", "var_rnoise", "var_flat")
    }
    err = arrays["err"] if "err" in arrays else np.zeros_like(sci)
    bad = np.isnan(sci) | np.isnan(err) | ((dq & DQ_DTYPE(DQ.DO_NOT_USE)) != 0)
    for v in variances.values():
        bad |= np.isnan(v)
    return {
        "sci": np.where(bad, np.nan, sci),
        "variances": {k: np.where(bad, np.nan, v) for k, v in variances.items()},
        "good": ~bad & ((dq & _BAD) == 0),
    }


def _nirspec(
    inputs: list[dict[str, Any]], wcss: list[Any], drizzle: dict[str, Any]
) -> list[dict[str, Any]]:
    """Drizzle NIRSpec slits: their WCSs on their pixels, their output grids and drizzle's
    pixel maps computed for all at once (:mod:`spec2x.instruments.nirspec.resample_grid`,
    :func:`spec2x._kernels.resample_spec.output_pixmaps`), then each drizzled."""
    frames = nirspec_pixel_frames(wcss, [p["sci"].shape for p in inputs])
    grids = output_grids(wcss, [p["sci"] for p in inputs], frames)
    out_wcss = [grid_wcs(grid) for grid in grids]
    pixmaps = _k.output_pixmaps([f[1] for f in frames], out_wcss)
    del frames  # the pixel maps are all drizzle needs of them
    out = []
    for p, wcs, grid, out_wcs, pixmap in zip(inputs, wcss, grids, out_wcss, pixmaps,
                                             strict=True):  # fmt: skip
        arrays = _k.drizzle_slit(p["sci"], p["good"], p["variances"], wcs, grid.shape,
                                 pixmap=pixmap, **drizzle)  # fmt: skip
        ra, dec, wavelength = grid_world(grid)  # the sky position depends on the row only
        out.append(_product(arrays, out_wcs, np.broadcast_to(wavelength, grid.shape),
                            s_region(ra, dec)))  # fmt: skip
    return out


def _interpolated(
    p: dict[str, Any], wcs: Any, dispaxis: int, mode: Mode, drizzle: dict[str, Any]
) -> dict[str, Any]:
    """Drizzle one slit onto jwst's interpolated output WCS (MIRI LRS)."""
    out_wcs = _k.interpolated_output_wcs(wcs, dispaxis, mode.wavelength_decreasing)
    shape = tuple(int(n) for n in out_wcs.array_shape)
    world = _k.pixel_world(wcs, p["sci"].shape)
    pixmap = _k.output_pixmap(world, out_wcs)
    arrays = _k.drizzle_slit(p["sci"], p["good"], p["variances"], wcs, shape, pixmap=pixmap,
                             **drizzle)  # fmt: skip
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float64)
    ra, dec, wavelength = (np.asarray(w, dtype=np.float64) for w in out_wcs(xx, yy))
    return _product(arrays, out_wcs, wavelength, s_region(ra, dec))


def _product(
    arrays: dict[str, np.ndarray], wcs: Any, wavelength: np.ndarray, region: str | None
) -> dict[str, Any]:
    """One resampled slit: its arrays, output WCS, wavelengths and S_REGION (jwst's
    ``update_s_region_spectral``: the sky box of the output grid)."""
    shape = tuple(int(n) for n in wavelength.shape)
    return {"arrays": arrays, "wcs": wcs, "wavelength": wavelength, "s_region": region,
            "shape": shape}  # fmt: skip


def _assemble(
    ds: xr.Dataset, products: list[dict[str, Any]], names: list[str], slits: bool
) -> xr.Dataset:
    ny = max(p["shape"][0] for p in products)
    nx = max(p["shape"][1] for p in products)
    n = len(products)
    dims = ("slit", "y", "x")
    data: dict[str, np.ndarray] = {}
    for name in _OUT_VARS:
        if name == "dq":
            data[name] = np.full((n, ny, nx), PADDING_DQ, DQ_DTYPE)
        elif name == "con":
            data[name] = np.zeros((n, ny, nx), np.int32)
        else:  # wht too: padding is NaN in every float array (spec2x.slits), as read back
            data[name] = np.full((n, ny, nx), np.nan, np.float32)
    wl = np.full((n, ny, nx), np.nan)
    for i, p in enumerate(products):
        h, w = p["shape"]
        a = p["arrays"]
        for name in ("sci", "err", "wht", "con", "var_poisson", "var_rnoise", "var_flat"):
            data[name][i, :h, :w] = a[name]
        data["dq"][i, :h, :w] = np.where(np.isnan(a["sci"]), DQ_DTYPE(DQ.DO_NOT_USE), DQ_DTYPE(0))
        wl[i, :h, :w] = p["wavelength"]
    units = ds["sci"].attrs.get("units", "")
    var_units = ds["var_poisson"].attrs.get("units", "")
    unit_of = {
        "sci": units,
        "err": units,
        "dq": "",
        "wht": "",
        "con": "",
        "var_poisson": var_units,
        "var_rnoise": var_units,
        "var_flat": var_units,
    }
    out = xr.Dataset(
        {k: (dims, v, {"units": unit_of[k]}) for k, v in data.items()},
        coords={"y": np.arange(ny), "x": np.arange(nx), "wavelength": (dims, wl, {"units": "um"})},
    )
    coords: dict[str, Any] = {
        "slit_name": ("slit", np.asarray(names)),
        "xstart": ("slit", np.ones(n, np.int32)),
        "ystart": ("slit", np.ones(n, np.int32)),
        "xsize": ("slit", np.array([p["shape"][1] for p in products], np.int32)),
        "ysize": ("slit", np.array([p["shape"][0] for p in products], np.int32)),
    }
    for c in (*_SLIT_COORDS[1:], *MSA_SLIT_LABELS, "shutter_id", *_CAL_LABELS):
        if slits and c in ds.coords and ds[c].dims == ("slit",):
            coords[c] = ("slit", ds[c].values)
        elif not slits and c == "srctype" and ds.attrs.get("SRCTYPE") is not None:
            coords[c] = ("slit", np.asarray([ds.attrs["SRCTYPE"]]))
    if slits and "pixar_sr" in ds.coords:  # jwst: the nominal area, in arcsec^2 again
        coords["pixar_a2"] = ("slit", ds["pixar_sr"].values * np.rad2deg(3600.0) ** 2)
    regions = [p["s_region"] for p in products]
    if slits and None not in regions:
        coords["s_region"] = ("slit", np.asarray(regions))
    for c, cut in _CUTOUT.items():
        if slits and cut in ds.coords and ds[cut].dims == ("slit",):
            coords[c] = ("slit", ds[cut].values)
    out = out.assign_coords(coords)
    attrs = {k: v for k, v in ds.attrs.items() if k != "wcs"}
    attrs["DATAMODL"] = "MultiSlitModel" if slits else "SlitModel"
    out.attrs = attrs
    return out.assign_coords({WCS_COORD: wcs_coord([p["wcs"] for p in products])})


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: drizzle parameters from the context (no reference files)."""
    if ctx.params.get("output_wcs") not in (None, "") or ctx.params.get("single"):
        raise ParameterError(
            "resample_spec: output_wcs and single=True are not supported by spec2x; "
            "leave them at their defaults ('' and False)"
        )
    names = (
        "pixfrac",
        "kernel",
        "fillval",
        "weight_type",
        "pixel_scale_ratio",
        "pixel_scale",
        "output_shape",
    )
    kwargs = {k: ctx.params[k] for k in names if k in ctx.params}
    return resample_spec(ds, **kwargs)
