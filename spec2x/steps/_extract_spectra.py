"""extract_1d: turn boxcar sums into jwst's spectra (units, errors, DQ and labels).

From the kernel's per-spectrum sums (``flux``, ``background``, their
variances, ``npixels``) :func:`finish_spectra` makes the x1d Dataset as jwst
3.0.0 ``Extract1dStep`` writes it: surface brightness per pixel, flux density
in Jy for calibrated data (MJy for a NIRSpec point source), errors as the root
sum of the variances, DO_NOT_USE where the flux is NaN, the per-spectrum
labels (slit name, source, extraction limits, slit RA/Dec) and, for a time
series, the INT_TIMES columns.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import numpy as np
import xarray as xr

from .._kernels import extract_1d as _k
from ..dq import DQ, DQ_DTYPE
from ..modes import exp_type_of, lookup
from ._common import MSA_SLIT_LABELS

__all__ = ["finish_spectra"]

log = logging.getLogger(__name__)

_TIME_COLUMNS = {
    "integration_number": "int_num",
    "int_start_MJD_UTC": "mjd_beg",
    "int_mid_MJD_UTC": "mjd_avg",
    "int_end_MJD_UTC": "mjd_end",
    "int_start_BJD_TDB": "tdb_beg",
    "int_mid_BJD_TDB": "tdb_mid",
    "int_end_BJD_TDB": "tdb_end",
}


def _root_sum(variances: dict[str, xr.DataArray]) -> xr.DataArray:
    """Square root of the sum of ``variances``: the error they make up."""
    # numpy's stubs type a ufunc of a DataArray as an ndarray; xarray's
    # __array_ufunc__ makes it a DataArray.
    return cast(xr.DataArray, np.sqrt(sum(variances.values())))


def finish_spectra(
    ds: xr.Dataset,
    s: dict[str, xr.DataArray],
    setups: list[dict[str, Any]],
    items: list[dict[str, Any]],
    slits: bool,
) -> xr.Dataset:
    """Surface brightness, flux density, errors, DQ, units and per-spectrum coords (jwst rules).

    Parameters
    ----------
    ds : the 2-D input the spectra were extracted from (its attrs and INT_TIMES coords).
    s : the kernel's sums on ``spectral`` (DN/s, variances DN²/s²) plus ``wavelength`` (µm).
    setups : the extraction setup of each spectrum (aperture limits, dispaxis, RA/Dec).
    items : the description of each spectrum (slit name, source, PIXAR_SR).
    slits : one spectrum per ``slit`` (True) or a single spectrum.

    Returns
    -------
    The x1d Dataset: flux (Jy or DN/s), surf_bright (MJy/sr or DN/s), errors,
    variances, dq, background, npixels; ``wavelength`` and the labels as coords.
    """
    photom = str(ds.attrs.get("S_PHOTOM", "")).upper() == "COMPLETE"
    mode = lookup(exp_type_of(ds))
    in_mjy = mode is not None and mode.point_flux_density

    def per_spec(values: list[Any]) -> xr.DataArray | Any:
        return xr.DataArray(np.asarray(values), dims=("slit",)) if slits else values[0]

    point_mjy = per_spec([photom and it["source_type"] == "POINT" and in_mjy for it in items])
    pixar = per_spec([it["pixar_sr"] for it in items])
    npix = s["npixels"]
    npix_t = xr.where(npix > 0, npix, 1.0)
    sb = s["flux"] / npix_t
    sb_vars = {k: s[f"flux_{k}"] / npix_t**2 for k in ("var_poisson", "var_rnoise", "var_flat")}
    background = s["background"] / npix_t
    b_vars = {k: s[f"bkg_{k}"] / npix_t**2 for k in ("var_poisson", "var_rnoise", "var_flat")}
    f_vars = {k: s[f"flux_{k}"] for k in ("var_poisson", "var_rnoise", "var_flat")}
    flux = s["flux"]
    if photom:
        ext = 1.0e6 * pixar
        flux = xr.where(point_mjy, flux * 1.0e6, flux * ext)
        f_vars = {k: xr.where(point_mjy, v * 1.0e12, v * ext**2) for k, v in f_vars.items()}
        sb = xr.where(point_mjy, 0.0, sb)
        sb_vars = {k: xr.where(point_mjy, 0.0, v) for k, v in sb_vars.items()}
        background = xr.where(point_mjy, background / pixar, background)
        b_vars = {k: xr.where(point_mjy, v / pixar**2, v) for k, v in b_vars.items()}
        units = ("Jy", "Jy^2", "MJy/sr", "MJy^2 / sr^2")
    else:
        units = ("DN/s", "DN^2 / s^2", "DN/s", "DN^2 / s^2")
    fu, fvu, su, svu = units
    dq = xr.where(np.isnan(flux), DQ_DTYPE(DQ.DO_NOT_USE), DQ_DTYPE(0)).astype(DQ_DTYPE)
    data: dict[str, tuple[xr.DataArray, str]] = {
        "flux": (flux, fu),
        "flux_error": (_root_sum(f_vars), fu),
        **{f"flux_{k}": (v, fvu) for k, v in f_vars.items()},
        "surf_bright": (sb, su),
        "sb_error": (_root_sum(sb_vars), su),
        **{f"sb_{k}": (v, svu) for k, v in sb_vars.items()},
        "dq": (dq, ""),
        "background": (background, su),
        "bkg_error": (_root_sum(b_vars), su),
        **{f"bkg_{k}": (v, svu) for k, v in b_vars.items()},
        "npixels": (npix, ""),
    }
    wl = s["wavelength"]
    flux_dims = flux.dims
    if wl.dims != flux_dims:
        wl = wl.broadcast_like(flux).transpose(*flux_dims)
    variables = {}
    for name, (arr, unit) in data.items():
        arr = arr.drop_vars(list(arr.coords)).transpose(*flux_dims)  # no coords transposed
        arr.attrs = {"units": unit}
        variables[name] = arr
    out = xr.Dataset(variables)
    out = out.assign_coords(wavelength=(flux_dims, np.asarray(wl.values), {"units": "um"}))
    out = out.assign_coords(_spectrum_coords(ds, setups, items, slits))
    if "integration" in flux_dims:
        out = out.assign_coords(_time_coords(ds))
    attrs = {k: v for k, v in ds.attrs.items() if k not in ("wcs", "SRCTYPE")}
    attrs["DATAMODL"] = "TSOMultiSpecModel" if "integration" in ds.dims else "MultiSpecModel"
    mode = lookup(exp_type_of(ds))
    if mode is not None and mode.wfss and slits:
        attrs["DATAMODL"] = "WFSSMultiSpecModel"  # one table per order (jwst 3.0.0)
    out.attrs = attrs
    return out


def _spectrum_coords(
    ds: xr.Dataset, setups: list[dict[str, Any]], items: list[dict[str, Any]], slits: bool
) -> dict[str, Any]:
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "slit_name",
            "source_id",
            "source_type",
            "spectral_order",
            "dispersion_direction",
            "slit_ra",
            "slit_dec",
            "extraction_xstart",
            "extraction_xstop",
            "extraction_ystart",
            "extraction_ystop",
        )
    }
    for st, it in zip(setups, items, strict=True):
        lower, upper, left, right = st["limits"]
        horizontal = st["params"]["dispaxis"] == _k.HORIZONTAL
        lo, hi = (np.nan if v is None else float(v) + 1 for v in (lower, upper))
        le, ri = (np.nan if v is None else float(v) + 1 for v in (left, right))
        cols["slit_name"].append(str(it["slit_name"]))
        cols["source_id"].append(int(it["source_id"]))
        cols["source_type"].append(str(it["source_type"] or ""))
        cols["spectral_order"].append(int(it["recorded_order"]))
        cols["dispersion_direction"].append(int(st["params"]["dispaxis"]))
        cols["slit_ra"].append(st["ra"])
        cols["slit_dec"].append(st["dec"])
        cols["extraction_xstart"].append(le if horizontal else lo)
        cols["extraction_xstop"].append(ri if horizontal else hi)
        cols["extraction_ystart"].append(lo if horizontal else le)
        cols["extraction_ystop"].append(hi if horizontal else ri)
    if slits:
        out = {k: ("slit", np.asarray(v)) for k, v in cols.items()}
        if ds.attrs.get("DETECTOR"):  # jwst records it on every spectrum (DETECTOR)
            out["detector"] = ("slit", np.full(len(items), str(ds.attrs["DETECTOR"])))
        return {**out, **_slit_labels(ds, [int(it["index"]) for it in items])}
    return {k: v[0] for k, v in cols.items()}


def _slit_labels(ds: xr.Dataset, index: list[int]) -> dict[str, Any]:
    """The labels jwst copies from each slit to its spectrum: MSA labels and the
    wavecorr/pathloss/barshadow flags (the fixed slits of a MOS exposure, extracted as
    ``NRS_FIXEDSLIT``, carry them too); WFSS source position
    (direct-image pixel, deg) and cut-out extent (1-based start, stop = start + size).

    By slit position: a WFSS source's orders share its slit name.
    """
    mode = lookup(exp_type_of(ds))
    wfss = mode is not None and mode.wfss
    msa = mode is not None and mode.msa_slit_metadata or "slitlet_id" in ds.coords
    if not (msa or wfss):
        return {}
    labels = (*MSA_SLIT_LABELS, "source_xpos", "source_ypos", "source_ra", "source_dec",
              "wavelength_corrected", "pathloss_correction_type", "barshadow_corrected")  # fmt: skip
    out: dict[str, Any] = {
        c: ("slit", ds[c].values[index])
        for c in labels
        if c in ds.coords and ds[c].dims == ("slit",)
    }
    if wfss and all(f"{a}{k}" in ds.coords for a in "xy" for k in ("start", "size")):
        for a in "xy":
            start = np.asarray(ds[f"{a}start"].values[index], dtype=np.int64)
            out[f"extract2d_{a}start"] = ("slit", start)
            out[f"extract2d_{a}stop"] = ("slit", start + ds[f"{a}size"].values[index])
    return out


def _time_coords(ds: xr.Dataset) -> dict[str, Any]:
    """INT_TIMES columns as per-integration coords (jwst's INT_NUM, MJD-BEG ... lowercase)."""
    out: dict[str, Any] = {}
    nint = ds.sizes["integration"]
    table = {
        name: ds.coords[f"int_times_{name}"].values
        for name in _TIME_COLUMNS
        if f"int_times_{name}" in ds.coords
    }
    if not table:
        out["int_num"] = ("integration", np.asarray(ds["integration"].values))
        return out
    start = int(ds.attrs.get("INTSTART", 1) or 1) - 1
    numbers = table.get("integration_number")
    offset = start - (int(numbers[0]) - 1) if numbers is not None else 0
    if offset < 0 or offset + nint > len(next(iter(table.values()))):
        log.warning("extract_1d: INT_TIMES does not cover every integration; times not copied")
        return out
    for name, col in table.items():
        out[_TIME_COLUMNS[name]] = ("integration", np.asarray(col)[offset : offset + nint])
    return out
