"""extract_1d helpers: aperture parameters from the EXTRACT1D reference, per-spectrum facts.

``extract_parameters`` follows jwst 3.0.0 ``get_extract_parameters``: the
first aperture whose ``id`` is the slit name (or ``ANY``) and whose
``spectral_order`` fits; user parameters override the reference; defaults
for what neither gives.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ReferenceMismatchError
from ..modes import exp_type_of, lookup
from ..wcs.store import WCS_COORD, StoredWcs, get_wcs, has_wcs, slit_wcs, stored_wcs

__all__ = ["extract_parameters", "source_info", "spectrum_info"]

log = logging.getLogger(__name__)

ANY = "ANY"


def extract_parameters(
    ref: dict[str, Any] | None,
    shape: tuple[int, int],
    slit_name: str,
    spectral_order: int,
    exp_type: str,
    *,
    smoothing_length: int | None = None,
    bkg_fit: str | None = None,
    bkg_order: int | None = None,
    subtract_background: bool | None = None,
    use_source_posn: bool | None = None,
    position_offset: float = 0.0,
) -> dict[str, Any] | None:
    """Extraction parameters for one spectrum; None when only another order is described.

    Raises
    ------
    ReferenceMismatchError
        When the reference has no aperture for ``slit_name``.
    """
    ny, nx = shape
    if ref is None:
        return _whole_image(shape, spectral_order)
    aper, described = _find_aperture(ref, slit_name, spectral_order)
    if aper is None:
        if described:
            log.info(
                "spectral order %s of %s not in the extract1d reference; skipped",
                spectral_order,
                slit_name,
            )
            return None
        raise ReferenceMismatchError(
            f"the extract1d reference has no aperture for {slit_name!r} (EXP_TYPE {exp_type}); "
            "give an extract1d file for this mode, or extract1d_ref=None to extract the whole image"
        )
    p: dict[str, Any] = {
        "spectral_order": spectral_order,
        "xstart": aper.get("xstart", 0),
        "xstop": aper.get("xstop", nx - 1),
        "ystart": aper.get("ystart", 0),
        "ystop": aper.get("ystop", ny - 1),
        "src_coeff": _copy_coeffs(aper.get("src_coeff")),
        "bkg_coeff": _copy_coeffs(aper.get("bkg_coeff")),
    }
    p.update(_background(aper, p["bkg_coeff"] is not None, subtract_background, bkg_fit, bkg_order))
    p["independent_var"] = str(aper.get("independent_var", "pixel")).lower()
    use = use_source_posn
    if use is None:
        use = aper.get("use_source_posn")
    if use is None:
        mode = lookup(exp_type)
        use = mode is not None and mode.source_position
    p["use_source_posn"] = bool(use)
    p["position_offset"] = float(position_offset)
    p["trace"] = None
    p["extract_width"] = aper.get("extract_width")
    sm = smoothing_length if smoothing_length is not None else aper.get("smoothing_length", 0)
    p["smoothing_length"] = _smoothing(sm)
    return p


def _whole_image(shape: tuple[int, int], spectral_order: int) -> dict[str, Any]:
    """The parameters with no extract1d reference: the whole image, no background."""
    ny, nx = shape
    return {
        "spectral_order": spectral_order,
        "xstart": 0,
        "xstop": nx - 1,
        "ystart": 0,
        "ystop": ny - 1,
        "extract_width": None,
        "src_coeff": None,
        "bkg_coeff": None,
        "smoothing_length": 0,
        "bkg_fit": None,
        "bkg_order": 0,
        "subtract_background": False,
        "use_source_posn": False,
        "position_offset": 0.0,
        "independent_var": "pixel",
        "trace": None,
    }


def _find_aperture(
    ref: dict[str, Any], slit_name: str, spectral_order: int
) -> tuple[dict[str, Any] | None, bool]:
    """The first target aperture for the slit and order; and whether the slit is described at all."""
    described = False
    for aper in ref.get("apertures", []):
        aid = aper.get("id")
        if aid is None or aid == "dummy" or not (aid == slit_name or ANY in (aid, slit_name)):
            continue
        if aper.get("region_type", "target") != "target":
            continue
        described = True
        if aper.get("spectral_order", spectral_order) in (spectral_order, ANY):
            return aper, True
    return None, described


def _background(
    aper: dict[str, Any],
    has_bkg_coeff: bool,
    subtract_background: bool | None,
    bkg_fit: str | None,
    bkg_order: int | None,
) -> dict[str, Any]:
    """subtract_background, bkg_fit, bkg_order: the user's, else the aperture's (jwst rules).

    Background regions in the reference switch subtraction on unless the user
    says otherwise; ``bkg_fit="mean"`` is a polynomial of order 0.
    """
    subtract = subtract_background
    if has_bkg_coeff and subtract is None:
        subtract = True
    order = bkg_order
    fit = None
    if subtract:
        fit = aper.get("bkg_fit", "poly") if bkg_fit is None else bkg_fit
        if bkg_fit == "mean":
            fit, order = "poly", 0
    return {
        "subtract_background": bool(subtract),
        "bkg_fit": fit,
        "bkg_order": aper.get("bkg_order", 0) if order is None else order,
    }


def _smoothing(value: Any) -> int:
    """The smoothing length jwst uses: 0, or an odd number of at least 3 (warned when changed)."""
    sm = int(np.round(value))
    if sm != 0:
        if sm < 3:
            log.warning("smoothing length %d is not allowed; using 0", sm)
            sm = 0
        elif sm % 2 == 0:
            sm -= 1
            log.warning("even smoothing lengths are not supported; using %d", sm)
    return sm


def _copy_coeffs(coeffs: Any) -> list[list[float]] | None:
    return None if coeffs is None else [list(map(float, c)) for c in coeffs]


def _slit_value(
    ds: xr.Dataset, name: str, index: int | None, attr: str | None, default: Any
) -> Any:
    if index is not None and name in ds.coords and "slit" in ds.variables[name].dims:
        value = ds.variables[name].values[index]  # the Variable: no DataArray per slit
        if not (isinstance(value, float) and np.isnan(value)):
            return value.item() if hasattr(value, "item") else value
    if attr is not None and ds.attrs.get(attr) is not None:
        return ds.attrs[attr]
    return default


def _order(ds: xr.Dataset, i: int) -> Any:
    """Slit ``i``'s spectral order: ``spectral_order`` coord (``sporder`` in older products)."""
    name = "spectral_order" if "spectral_order" in ds.coords else "sporder"
    return _slit_value(ds, name, i, "SPORDER", 1)


def _recorded_order(value: Any) -> int:
    """The order a spectrum records (SPORDER): the slit's own, 0 for PRISM as jwst writes
    it; 1 when unknown."""
    return 1 if value is None else int(value)


def _spectral_order(value: Any, mode: Any) -> int:
    """A slit's order; a missing one (or 0 outside grism modes, as spec2x had it) is 1.
    A grism's order 0 stays 0 (extract_1d passes it over, as jwst does)."""
    if value is None or (not int(value) and not (mode is not None and mode.wfss)):
        return 1
    return int(value)


def _wcs_of_slit(
    ds: xr.Dataset, i: int, name: str, per_slit: dict[str, Any] | None
) -> StoredWcs | str | None:
    """The stored WCS of slit ``i``: by position in the ``wcs`` coord (a WFSS source's orders
    share its name), else by name."""
    if WCS_COORD in ds.coords and ds.variables[WCS_COORD].dims == ("slit",):
        value: StoredWcs | str | None = ds.variables[WCS_COORD].values[i]
        return value
    return per_slit.get(name) if per_slit else None


def spectrum_info(ds: xr.Dataset) -> list[dict[str, Any]]:
    """What extract_1d needs to know about each spectrum (one per slit, or one); its ``wcs``
    the stored WCS (:func:`spec2x.wcs.store.wcs_object` makes the gwcs where it is used)."""
    exp_type = exp_type_of(ds)
    mode = lookup(exp_type)
    default_disp = 1 if mode is None else (mode.dispaxis or 1)
    per_slit = slit_wcs(ds)
    items = []
    if "slit" in ds.dims:
        wavelengths = ds["wavelength"].transpose("slit", ...).values
        for i in range(ds.sizes["slit"]):
            name = str(_slit_value(ds, "slit_name", i, None, str(i)))
            ny = int(_slit_value(ds, "ysize", i, None, ds.sizes["y"]) or ds.sizes["y"])
            nx = int(_slit_value(ds, "xsize", i, None, ds.sizes["x"]) or ds.sizes["x"])
            wcs = _wcs_of_slit(ds, i, name, per_slit)
            items.append(
                {
                    "index": i,
                    "slit_name": name,
                    "source_id": int(_slit_value(ds, "source_id", i, None, 0) or 0),
                    "source_type": _srctype(_slit_value(ds, "srctype", i, "SRCTYPE", None)),
                    "spectral_order": _spectral_order(_order(ds, i), mode),
                    "recorded_order": _recorded_order(_order(ds, i)),
                    "dispaxis": int(_slit_value(ds, "dispaxis", i, "DISPAXIS", default_disp)),
                    "pixar_sr": _pixar(_slit_value(ds, "pixar_sr", i, "PIXAR_SR", None)),
                    "shape": (min(ny, ds.sizes["y"]), min(nx, ds.sizes["x"])),
                    "wavelength": wavelengths[i],
                    "wcs": wcs,
                }
            )
        return items
    name = ds.attrs.get("SLTNAME") or exp_type
    if mode is not None and mode.primary_slit_keyword and not ds.attrs.get("SLTNAME"):
        name = ds.attrs.get(mode.primary_slit_keyword) or exp_type
    items.append(
        {
            "index": None,
            "slit_name": str(name),
            "source_id": int(ds.attrs.get("SOURCEID", 0) or 0),
            "source_type": _srctype(ds.attrs.get("SRCTYPE")),
            "spectral_order": int(ds.attrs.get("SPORDER", 1) or 1),
            "recorded_order": _recorded_order(ds.attrs.get("SPORDER")),
            "dispaxis": int(ds.attrs.get("DISPAXIS", default_disp) or default_disp),
            "pixar_sr": _pixar(ds.attrs.get("PIXAR_SR")),
            "shape": (ds.sizes["y"], ds.sizes["x"]),
            "wavelength": ds["wavelength"].values,
            "wcs": stored_wcs(get_wcs(ds)) if per_slit is None and has_wcs(ds) else None,
        }
    )
    return items


def _srctype(value: Any) -> str | None:
    return None if value in (None, "") else str(value).upper()


def _pixar(value: Any) -> float:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return 1.0  # jwst's fallback (the flux is then not in Jy)
    return float(value)


def source_info(ds: xr.Dataset, item: dict[str, Any]) -> tuple[float | None, float | None]:
    """The source position the WCS projects: dithered RA/Dec (``Mode.dithered_source``, MIRI)
    or the position in the slit (NIRSpec)."""
    mode = lookup(exp_type_of(ds))
    if mode is not None and mode.dithered_source:
        ra, dec = ds.attrs.get("DITH_RA"), ds.attrs.get("DITH_DEC")
        return (None if ra is None else float(ra), None if dec is None else float(dec))
    i = item["index"]
    x = _slit_value(ds, "source_xpos", i, "SRCXPOS", None)
    y = _slit_value(ds, "source_ypos", i, "SRCYPOS", None)
    return (None if x is None else float(x), None if y is None else float(y))
