"""extract_1d helper: aperture corrections of the extracted spectra (jwst ``apply_apcorr``).

Point sources only; MIRI LRS tables are matched on SUBARRAY, NIRSpec FS/BOTS
tables on FILTER, GRATING and the slit name, NIRSpec MOS tables on FILTER and GRATING.  Sizes in arcsec are turned into
pixels with the cross-dispersion pixel scale of the WCS at the aperture centre
(stcal ``compute_scale``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from .._kernels import apcorr as _apcorr
from ..errors import ParameterError, ReferenceMismatchError, Spec2xWarning, UnsupportedModeError
from ..io.references import Reference
from ..modes import exp_type_of, lookup
from ..wcs.store import wcs_object

__all__ = ["apply_apcorr"]


def apply_apcorr(
    out: xr.Dataset,
    ds: xr.Dataset,
    ref: Reference,
    setups: list[dict[str, Any]],
    items: list[dict[str, Any]],
) -> xr.Dataset:
    """Multiply flux, surf_bright (and errors; variances by the square) by the aperture correction.

    The mode's ``apcorr`` layout (:data:`spec2x.modes.Mode.apcorr`) says how
    the table is matched and at which wavelength the arcsec sizes are turned
    into pixels (as jwst: the median of the valid wavelengths for NIRSpec
    tables, their minimum for MIRI LRS).
    """
    exp_type = exp_type_of(ds)
    mode = lookup(exp_type)
    layout = None if mode is None else mode.apcorr
    points = [str(it["source_type"]).upper() == "POINT" for it in items]
    if not any(points):
        return out
    if layout is None:
        raise UnsupportedModeError(f"aperture correction for {exp_type} is not supported")
    slits = "slit" in out.dims
    corrections = []
    for i, (st, it) in enumerate(zip(setups, items, strict=True)):
        sel = out.isel(slit=i) if slits else out
        if not points[i]:
            corrections.append(_bare(xr.ones_like(sel["npixels"])))
            continue
        try:
            corr = _CORRECTIONS[layout](sel, ds, ref, it, _arcsec_scale(ref, layout, st, it))
        except LookupError as exc:
            raise ReferenceMismatchError(
                f"apcorr reference {ref.name} has no single row for this exposure ({exc}); "
                "give an APCORR file made for this mode or apply_apcorr=False"
            ) from exc
        corrections.append(_bare(corr))
    c = xr.concat(corrections, dim="slit") if slits else corrections[0]
    c = c.transpose(*out["flux"].dims)
    new = {}
    for name in ("flux", "flux_error", "surf_bright", "sb_error"):
        new[name] = (out[name] * c.data).assign_attrs(out[name].attrs)
    for name in (
        "flux_var_poisson",
        "flux_var_rnoise",
        "flux_var_flat",
        "sb_var_poisson",
        "sb_var_rnoise",
        "sb_var_flat",
    ):
        new[name] = (out[name] * c.data**2).assign_attrs(out[name].attrs)
    return out.assign(new)


def _bare(da: xr.DataArray) -> xr.DataArray:
    return da.drop_vars(list(da.coords), errors="ignore")


def _arcsec_scale(
    ref: Reference, layout: str, setup: dict[str, Any], item: dict[str, Any]
) -> float:
    """Pixels per table size unit: 1 for sizes in pixels, else the cross-dispersion scale."""
    if not str(ref.content.get("sizeunit", "pixels")).lower().startswith("arcsec"):
        return 1.0
    valid_wl = setup["wavelength"][setup["valid"]]
    wl0 = float(_REFERENCE_WAVELENGTH[layout](valid_wl))
    location = (setup["ra"], setup["dec"], wl0)
    wcs = None if item["wcs"] is None else wcs_object(item["wcs"])
    return _pixel_scale_arcsec(wcs, location, setup["params"]["dispaxis"])


def _lrs_correction(
    sel: xr.Dataset, ds: xr.Dataset, ref: Reference, item: dict[str, Any], scale: float
) -> xr.DataArray:
    """MIRI LRS: the row of the exposure's SUBARRAY, on each pixel's npixels and wavelength."""
    row = _apcorr.select_row(ref.content["rows"], {"subarray": str(ds.attrs.get("SUBARRAY", ""))})
    func = _apcorr.lrs_correction(row, scale)
    return xr.apply_ufunc(
        func, sel["npixels"], sel["wavelength"], dask="parallelized", output_dtypes=[float]
    )


def _phase_correction(
    sel: xr.Dataset, ds: xr.Dataset, ref: Reference, item: dict[str, Any], scale: float
) -> xr.DataArray:
    """NIRSpec: the FILTER/GRATING row (FS/BOTS: and the slit's), from the first integration."""
    match = {"filter": str(ds.attrs.get("FILTER", "")), "grating": str(ds.attrs.get("GRATING", ""))}
    mode = lookup(exp_type_of(ds))
    if mode is not None and mode.apcorr == "nirspec_fs":
        match["slit"] = str(item["slit_name"])
    func = _apcorr.phase_correction(_phase_row(ref, ref.content["rows"], match), scale)
    first = sel.isel(integration=0) if "integration" in sel.dims else sel
    corr = xr.apply_ufunc(
        func,
        first["wavelength"],
        first["npixels"],
        input_core_dims=[["spectral"], ["spectral"]],
        output_core_dims=[["spectral"]],
        dask="parallelized",
        output_dtypes=[float],
    )
    return corr.broadcast_like(sel["npixels"])


#: ``Mode.apcorr`` -> the correction of one point-source spectrum.
_CORRECTIONS: dict[str, Callable[..., xr.DataArray]] = {
    "miri_lrs": _lrs_correction,
    "nirspec_fs": _phase_correction,
    "nirspec_mos": _phase_correction,
}
#: ``Mode.apcorr`` -> the wavelength (µm) at which arcsec sizes become pixels.
_REFERENCE_WAVELENGTH: dict[str, Callable[[np.ndarray], Any]] = {
    "miri_lrs": np.min,
    "nirspec_fs": np.median,
    "nirspec_mos": np.median,
}


def _phase_row(ref: Reference, rows: list[dict[str, Any]], match: dict[str, str]) -> Any:
    """The NIRSpec row for ``match``; warn when jwst (hence spec2x) cannot interpolate it."""
    row = _apcorr.select_row(rows, match)
    try:
        reason = _apcorr.phase_layout(row)
    except ValueError as exc:
        raise ReferenceMismatchError(
            f"apcorr reference {ref.name} ({', '.join(match.values())}): {exc}; give an APCORR "
            "file with that layout or set apply_apcorr=False"
        ) from None
    if reason is not None:
        warnings.warn(
            f"apcorr reference {ref.name} ({', '.join(match.values())}): {reason}. jwst 3.0.0 "
            "applies no aperture correction with this table, and neither does spec2x; to have "
            "it applied, write APCORR as (size, wavelength, pixphase) and SIZE as "
            "(size, wavelength) per row",
            Spec2xWarning,
            stacklevel=4,
        )
    return row


def _pixel_scale_arcsec(wcs: Any, location: tuple[float, float, float], dispaxis: int) -> float:
    """Cross-dispersion pixel scale (arcsec) at ``location`` (stcal ``compute_scale``)."""
    from astropy.coordinates import SkyCoord

    if wcs is None:
        raise ParameterError(
            "APCORR sizes in arcsec need a WCS to convert to pixels; run assign_wcs"
        )
    crpix = np.array(wcs.invert(*location, with_bounding_box=False))
    points = np.vstack((crpix, crpix + [1, 0], crpix + [0, 1])).T
    world = wcs(*points, with_bounding_box=False)
    c = SkyCoord(ra=world[0], dec=world[1], unit="deg")
    xscale = abs(c[0].separation(c[1]).value)
    yscale = abs(c[0].separation(c[2]).value)
    return float(yscale if dispaxis == 1 else xscale) * 3600.0
