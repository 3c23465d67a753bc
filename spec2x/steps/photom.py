"""photom: convert count rates to surface brightness (MJy/sr) or flux density (MJy).

Every table-based mode works the same way; a mode only says which PHOTOM
table row applies to the exposure (or to each slit): its ``photom_rows`` in
the modes table names one of :data:`ROW_SELECTORS`.  A new kind of row choice
is one entry::

    ROW_SELECTORS["nirspec_grating"] = lambda attrs, slit: [
        {"filter": attrs["FILTER"], "grating": attrs["GRATING"]}
    ]

Each candidate mapping is tried in turn (jwst falls back, e.g. MIRI
``subarray=GENERIC``).  The scalar column is ``photmjsr`` ((MJy/sr) per DN/s)
or ``photmj`` (MJy per DN/s, NIRSpec: divided by the pixel solid angle unless
the source is a point source).

A mode whose ``photom_image`` is set multiplies by a per-pixel conversion
image instead, made by its entry of :data:`IMAGE_IMPLEMENTATIONS` (MIRI MRS:
:func:`spec2x.instruments.miri.mrs_photom.mrs_conversion`, with the time- and
wavelength-dependent throughput loss).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from .._kernels import photom as kernel
from ..dq import DQ, DQ_DTYPE
from ..errors import ReferenceMismatchError, UnsupportedModeError
from ..instruments.nirspec.area import A2_TO_SR, slit_pixel_areas
from ..io.references import Reference
from ..io.refs_pixel import PhotomTable
from ..modes import MODES, Mode, exp_type_of, lookup
from . import StepContext
from ._common import record_step, require
from ._photom_labels import MJSR_TO_UJA2, area_image, label
from ._photom_rows import ROW_SELECTORS, find_row, row_conversions, source_types, time_correction
from ._scale import scale_by

__all__ = [
    "A2_TO_SR",
    "IMAGE_IMPLEMENTATIONS",
    "MJSR_TO_UJA2",
    "ROW_SELECTORS",
    "from_chain",
    "photom",
]

log = logging.getLogger(__name__)


#: ``Mode.photom_image`` -> ``"module:function"`` giving the conversion image, its DQ, the
#: time correction and PHOTMJSR (imported when used).
IMAGE_IMPLEMENTATIONS = {
    "mrs": "spec2x.instruments.miri.mrs_photom:mrs_conversion",
    "nrs_ifu": "spec2x.instruments.nirspec.photom_ifu:ifu_conversion",
}


#: Most padded pixels of grism cut-outs converted at once when written in place (their
#: float64 factor, its mask and the kernel's temporaries, ~30 bytes a pixel).
BLOCK_PIXELS = 1_000_000


def photom(
    ds: xr.Dataset,
    response: Reference,
    *,
    area: Reference | None = None,
    inverse: bool = False,
    source_type: str | None = None,
    apply_time_correction: bool = True,
    overwrite: bool = False,
) -> xr.Dataset:
    """Convert count rates to surface brightness or flux density.

    Parameters
    ----------
    ds : exposure or slits in DN/s with a ``wavelength`` coordinate (µm).
    response : the ``photom`` reference (relative response and scalar conversion;
        for MIRI MRS the per-pixel conversion image).
    area : the ``area`` reference: required for NIRSpec (pixel solid angle
        per slit); for other instruments its image becomes the ``area``
        variable and its PIXAR_SR/PIXAR_A2 the nominal pixel area.
    inverse : divide instead of multiply (undo photom).
    source_type : ``"POINT"`` or ``"EXTENDED"`` to override SRCTYPE / srctype.
    apply_time_correction : apply the TIMECOEFF_* throughput-loss tables at EXPMID
        (MIRI MRS: per wavelength, from the pixels' ``wavelength``).
    overwrite : write the results into the pixel arrays of ``ds`` (table-based
        modes, NumPy-backed data) instead of new ones, for a caller that owns
        them (the chain, :mod:`spec2x.ownership`): ``ds`` is changed.

    Returns
    -------
    Dataset in MJy/sr (MJy for NIRSpec point sources); variances scaled by
    the factor squared; ``DO_NOT_USE`` (and NaN) where the wavelength lies
    outside the response; PHOTMJSR, PHOTUJA2, PIXAR_SR, PIXAR_A2 as attrs
    (exposure) or per-slit coords ``photmjsr photuja2 pixar_sr pixar_a2
    bunit_data`` (slits).

    Notes
    -----
    .. math:: S(\\lambda) = C \\, R(\\lambda) \\, \\frac{\\text{DN}}{s},
        \\qquad V' = V \\, (C R)^2

    :math:`C` is ``photmjsr``, or ``photmj / PIXAR_SR`` for a NIRSpec
    extended source, over the time correction; :math:`R` is the relative
    response interpolated linearly at each pixel's wavelength.  An all-NaN
    integration comes out NaN with ``DO_NOT_USE``; nothing fails.  Where jwst
    leaves a slit with no PHOTOM row uncalibrated, spec2x raises.

    Raises
    ------
    MissingReferenceError
        No PHOTOM row for the filter/grating/slit/subarray, or no area file for NIRSpec.
    UnsupportedModeError
        EXP_TYPE has no row selector (see :data:`ROW_SELECTORS`).
    """
    exp_type = exp_type_of(ds)
    mode = lookup(exp_type)
    if mode is not None and mode.photom_on_spectra:
        from ..instruments.niriss.soss_photom import photom_spectra

        if inverse:
            log.warning("photom: jwst does not invert SOSS spectra; converting them")
        timed = time_correction if apply_time_correction else None
        out = photom_spectra(ds, response, find_row, time_correction=timed)
        return record_step(out, "photom", response)
    require(ds, "sci", "err", "dq", coords=("wavelength",), step="photom")
    if mode is not None and mode.photom_image is not None:
        return _photom_image(ds, mode, response, area, inverse, apply_time_correction)
    if mode is None or mode.photom_rows is None:
        raise _no_row_selector(exp_type)
    table = _photom_table(response, ds, exp_type)
    slits = "slit" in ds.dims
    if slits:
        require(ds, coords=("slit_name",), step="photom")
    names: list[str | None] = (
        [str(n) for n in ds["slit_name"].values] if slits else [ds.attrs.get("SLTNAME")]
    )
    pixar_sr, pixar_a2 = _pixel_areas(ds, mode.pixel_area, response, area, names)
    srctypes = source_types(ds, mode.per_slit_srctype, source_type, len(names))
    conv = row_conversions(
        ds, response, mode.photom_rows, names, srctypes, pixar_sr,
        apply_time_correction=apply_time_correction, photom_unit=mode.photom_unit,
    )  # fmt: skip
    scalars, units, curves = conv.scalars, conv.units, conv.curves
    applied = scalars if conv.unit_factor == 1.0 else [s * conv.unit_factor for s in scalars]
    factor: xr.DataArray | None = None
    if mode.photom_rows == "grism" and slits and overwrite and _in_memory(ds):
        out = _per_micron_in_place(ds, applied, curves, inverse)
    else:
        if mode.photom_rows == "grism":
            factor, no_cal = _per_micron(ds, applied, curves)
        else:
            factor, no_cal = _factor(ds, ds["wavelength"], applied, curves)
        out = _apply(ds, factor, no_cal, inverse, overwrite)
    out = label(out, scalars, units, pixar_sr, pixar_a2, inverse)
    if (
        factor is not None
        and mode.point_and_uniform
        and slits
        and "srctype" in ds.coords
        and "photmj" in table.columns
    ):
        uniform = [
            table.columns["photmj"][row] / (1.0 if sr is None else sr)
            for row, sr in zip(conv.rows, pixar_sr, strict=True)
        ]
        out = _point_and_uniform(out, ds, factor, uniform, curves)
    if (
        mode.pixel_area == "image"
        and not slits
        and area is not None
        and area.content.image is not None
    ):
        out = out.assign(area=area_image(ds, area))
    log.info(
        "photom: %s with %s, PHOTMJSR %s -> %s",
        exp_type,
        response.name,
        ", ".join(f"{s:.6g}" for s in sorted(set(scalars))) + f" ({len(scalars)} row(s))",
        "DN/s" if inverse else "/".join(sorted(set(units))),
    )
    return record_step(out, "photom", response, area)


def _no_row_selector(exp_type: str) -> UnsupportedModeError:
    supported = ", ".join(
        k for k, m in MODES.items() if m.photom_rows is not None or m.photom_image
    )
    return UnsupportedModeError(
        f"photom has no table row selector for EXP_TYPE={exp_type!r}; supported: "
        f"{supported} (set photom_rows in spec2x.modes)"
    )


def _photom_table(response: Reference, ds: xr.Dataset, exp_type: str) -> PhotomTable:
    """The PHOTOM table of ``response``, checked to fit the exposure's instrument."""
    response.check_matches(ds.attrs, ("INSTRUME",))
    table = response.content
    if not isinstance(table, PhotomTable):
        raise ReferenceMismatchError(
            f"{response.name} is a {response.reftype} reference, not a photom one"
        )
    if table.image is not None or not table.columns:
        raise UnsupportedModeError(
            f"photom reference {response.name} is image-based; {exp_type} needs a PHOTOM table"
        )
    return table


def _photom_image(
    ds: xr.Dataset,
    mode: Mode,
    response: Reference,
    area: Reference | None,
    inverse: bool,
    apply_time_correction: bool,
) -> xr.Dataset:
    """photom from a per-pixel conversion image (``Mode.photom_image``; MIRI MRS, NIRSpec IFU).

    As jwst: multiply by the image (divide when ``inverse``), then divide by
    the time correction when there is one (also when ``inverse``).
    """
    assert mode.photom_image is not None
    module, name = IMAGE_IMPLEMENTATIONS[mode.photom_image].split(":")
    conversion = getattr(importlib.import_module(module), name)
    sens, dq, correction, photmjsr = conversion(
        ds, response, area=area, apply_time_correction=apply_time_correction
    )
    if correction is None:
        factor = sens
    else:
        factor = sens.astype(np.float64) * correction if inverse else sens / correction
    out = scale_by(ds, factor, operation="divide" if inverse else "multiply", factor_dq=dq)
    pixar_sr, pixar_a2 = _pixel_areas(ds, mode.pixel_area, response, area, [None])
    out = label(out, [np.nan if photmjsr is None else photmjsr], ["MJy/sr"], pixar_sr,
                 pixar_a2, inverse)  # fmt: skip
    if photmjsr is None:
        out.attrs = {k: v for k, v in out.attrs.items() if k not in ("PHOTMJSR", "PHOTUJA2")}
    if area is not None and area.content.image is not None:
        out = out.assign(area=area_image(ds, area))
    log.info("photom: %s with %s (per-pixel image)", exp_type_of(ds), response.name)
    return record_step(out, "photom", response, area)


def _pixel_areas(
    ds: xr.Dataset,
    where: str,
    response: Reference,
    area: Reference | None,
    names: Sequence[str | None],
) -> tuple[list[float | None], list[float | None]]:
    """Nominal pixel area (sr, arcsec^2) of the exposure or of each slit (``Mode.pixel_area``)."""
    if where == "table":
        return slit_pixel_areas(ds, area, names)
    source = area.content if area is not None else response.content
    return [source.pixar_sr] * len(names), [source.pixar_a2] * len(names)


def _per_micron(
    ds: xr.Dataset, scalars: Sequence[Any], curves: Sequence[tuple[np.ndarray, np.ndarray]]
) -> tuple[xr.DataArray, xr.DataArray]:
    """A grism's conversion divided by the dispersion (µm per pixel) of each pixel, as jwst's
    ``include_dispersion``: the response is per µm, a pixel spans |dλ/dx| µm
    (:func:`spec2x._kernels.photom.grism_conversion`: one cut-out at a time)."""
    wl, args = _curves(ds, ds["wavelength"], scalars, curves)
    sizes = [
        ds[k].reset_coords(drop=True) if k in ds.coords else ds.sizes[d]
        for k, d in (("ysize", "y"), ("xsize", "x"))
    ]
    factor, no_cal = xr.apply_ufunc(
        kernel.grism_conversion,
        wl,
        *args,
        *sizes,
        input_core_dims=[["y", "x"], ["resp"], ["resp"], [], [], []],
        output_core_dims=[["y", "x"], ["y", "x"]],
        kwargs={"dispaxis": int(ds.attrs.get("DISPAXIS", 1))},
        dask="parallelized",
        output_dtypes=[np.float64, bool],
    )
    return factor, no_cal


def _in_memory(ds: xr.Dataset) -> bool:
    """Whether every variable of ``ds`` is NumPy-backed (written into in place)."""
    return all(v.chunks is None for v in ds.data_vars.values())


def _per_micron_in_place(
    ds: xr.Dataset,
    scalars: Sequence[Any],
    curves: Sequence[tuple[np.ndarray, np.ndarray]],
    inverse: bool,
) -> xr.Dataset:
    """:func:`_per_micron` and :func:`_apply` of grism cut-outs the caller owns, on runs of
    slits of at most :data:`BLOCK_PIXELS` padded pixels, written into the arrays of ``ds``:
    the float64 factor and its mask stay one block's however large the group (the same
    numbers, each cut-out converted on its own).  Returns ``ds`` with the results."""
    step = max(1, BLOCK_PIXELS // (ds.sizes["y"] * ds.sizes["x"]))
    for first in range(0, ds.sizes["slit"], step):
        block = slice(first, first + step)
        part = ds.isel(slit=block)
        factor, no_cal = _per_micron(part, scalars[block], curves[block])
        _apply(part, factor, no_cal, inverse, overwrite=True)
    return ds.copy(deep=False)


def _curves(
    ds: xr.Dataset,
    wavelength: xr.DataArray,
    scalars: Sequence[Any],
    curves: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[xr.DataArray, list[Any]]:
    """The wavelengths (with the ``slit`` dim of ``ds``) and the response curves (``resp``)
    and scalars, as the conversion kernels take them."""
    wl = wavelength.reset_coords(drop=True)
    if "slit" in ds.dims and "slit" not in wl.dims:
        wl = wl.expand_dims(slit=ds.sizes["slit"])
    if "slit" in ds.dims:
        width = max(len(w) for w, _ in curves)
        waves = np.full((len(curves), width), np.nan)
        resps = np.full((len(curves), width), np.nan)
        for i, (w, r) in enumerate(curves):
            waves[i, : len(w)], resps[i, : len(r)] = w, r
        return wl, [
            xr.DataArray(waves, dims=("slit", "resp")),
            xr.DataArray(resps, dims=("slit", "resp")),
            xr.DataArray(np.array(scalars), dims=("slit",)),
        ]
    w, r = curves[0]
    return wl, [xr.DataArray(w, dims="resp"), xr.DataArray(r, dims="resp"), scalars[0]]


def _factor(
    ds: xr.Dataset,
    wavelength: xr.DataArray,
    scalars: Sequence[Any],
    curves: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[xr.DataArray, xr.DataArray]:
    """Per-pixel conversion (dims of ``wavelength``, plus ``slit``) and the uncalibrated mask."""
    wl, args = _curves(ds, wavelength, scalars, curves)
    factor, no_cal = xr.apply_ufunc(
        kernel.conversion,
        wl,
        *args,
        input_core_dims=[["y", "x"], ["resp"], ["resp"], []],
        output_core_dims=[["y", "x"], ["y", "x"]],
        dask="parallelized",
        output_dtypes=[np.float64, bool],
    )
    return factor, no_cal


def _point_and_uniform(
    out: xr.Dataset,
    ds: xr.Dataset,
    factor: xr.DataArray,
    uniform: Sequence[Any],
    curves: Sequence[tuple[np.ndarray, np.ndarray]],
) -> xr.Dataset:
    """``photom_point``/``photom_uniform`` of fixed-slit point sources (for master background).

    As jwst: on slits whose own ``srctype`` is POINT, ``photom_point`` is the
    conversion applied and ``photom_uniform`` the extended-source conversion
    ``uniform`` (``photmj / PIXAR_SR``, without time correction) on the
    wavelengths before wavecorr (``wavelength_uncorrected`` when present);
    NaN on the other slits.
    """
    point = np.array([str(s).upper() == "POINT" for s in ds["srctype"].values])
    if not point.any():
        return out
    wl = ds["wavelength_uncorrected"] if "wavelength_uncorrected" in ds.coords else ds["wavelength"]
    ufactor, _ = _factor(ds, wl, uniform, curves)
    mask = xr.DataArray(point, dims="slit")
    return out.assign(
        photom_point=factor.where(mask).astype(np.float32).assign_attrs(units=""),
        photom_uniform=ufactor.where(mask).astype(np.float32).assign_attrs(units=""),
    )


def _apply(
    ds: xr.Dataset, factor: xr.DataArray, no_cal: xr.DataArray, inverse: bool, overwrite: bool
) -> xr.Dataset:
    return scale_by(
        ds,
        factor,
        operation="divide" if inverse else "multiply",
        factor_dq=no_cal * DQ_DTYPE(DQ.DO_NOT_USE),
        overwrite=overwrite,
    )


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: fetch ``photom`` and ``area``; N/A photom skips the step."""
    response = ctx.ref("photom", ds)
    if response is None:
        log.warning("photom: no photom reference (N/A); step skipped")
        return record_step(ds, "photom", status="SKIPPED")
    area = ctx.ref("area", ds)
    params = ctx.params
    return photom(
        ds,
        response,
        area=area,
        inverse=bool(params.get("inverse", False)),
        source_type=params.get("source_type"),
        apply_time_correction=bool(params.get("apply_time_correction", True)),
        overwrite=ctx.owns_input,
    )


from_chain.may_overwrite_input = True  # type: ignore[attr-defined]  # spec2x.ownership
