"""Exposure files (ImageModel/CubeModel layouts) and the per-extension pieces every layout shares.

Writing: the primary HDU and the keywords of the SCI header
(:func:`split_keywords`), one image extension (:func:`image_hdu`), the
``INT_TIMES`` table.  Reading: primary + SCI keywords (:func:`merged_attrs`),
the contract's default units, ``INT_TIMES`` coords, and an exposure file as a
Dataset (:func:`read_exposure`).  The slits, spectra and cube layouts build on
these; :mod:`spec2x.io.fits` chooses among them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from astropy.io import fits

from ..errors import InputFileError
from ..wcs.footprint import spectral_region
from ..wcs.ifu_selector import ifu_meta_wcs, slice_map_array
from . import fits_layout as L
from .fits_asdf import asdf_hdu
from .fits_images import Chunks, block_chunks, image_shape, read_all
from .fits_keywords import in_sci_header
from .fits_names import COORD_FLAG
from .fits_node import Spec2xNode, apply_node, default_coords
from .fits_raw import RawImageHDU, make_header
from .fits_scan import ScanFile, is_image_extension
from .fits_stripe_times import is_stripe_times, stripe_times_coords, stripe_times_hdu

__all__ = [
    "COORD_FLAG",
    "FIRST_VARS",
    "Chunks",
    "default_units",
    "exposure_hdus",
    "extname",
    "image_hdu",
    "int_times_coords",
    "int_times_hdu",
    "merged_attrs",
    "read_exposure",
    "split_keywords",
]

#: The variables written first, in jwst's extension order.
FIRST_VARS = ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat")
#: attrs key holding primary-header values hidden by a same-named SCI keyword
#: (jwst keeps the guide-star V2_REF etc. in the primary header, the aperture's in SCI).
PRIMARY_DUPLICATES = "PRIMARY_DUPLICATES"


def primary_hdu(
    header_kw: Mapping[str, Any],
    model: str,
    filename: str,
    duplicates: Mapping[str, Any] | None = None,
) -> fits.PrimaryHDU:
    """Primary HDU: DATAMODL, FILENAME, then every keyword jwst reads from the primary header."""
    items = {"DATAMODL": model, "FILENAME": filename, "TELESCOP": "JWST"}
    items.update({k: v for k, v in header_kw.items() if k not in items or k == "TELESCOP"})
    for key, value in (duplicates or {}).items():
        if L.header_writable(key, value):
            items[key] = L.plain_value(value)
    return fits.PrimaryHDU(header=make_header(items))


def split_keywords(
    ds: xr.Dataset, model: str, filename: str
) -> tuple[fits.PrimaryHDU, dict[str, Any], Spec2xNode]:
    """The primary HDU, the keywords of the (first) SCI header, and the spec2x node.

    Every keyword goes to the header jwst reads it from, rounded where a
    header must round it; the node keeps the exact value of whatever the
    header cannot hold exactly.
    """
    header_kw, rest = L.split_attrs(ds.attrs)
    hidden = ds.attrs.get(PRIMARY_DUPLICATES)
    if not isinstance(hidden, Mapping) or all(L.fits_able(k, v) for k, v in hidden.items()):
        rest.pop(PRIMARY_DUPLICATES, None)
    primary_kw = {k: v for k, v in header_kw.items() if not in_sci_header(k)}
    sci_kw = {k: v for k, v in header_kw.items() if in_sci_header(k)}
    primary = primary_hdu(
        primary_kw, model, filename, hidden if isinstance(hidden, Mapping) else None
    )
    return primary, sci_kw, Spec2xNode(ds, rest)


def image_hdu(
    data: Any,
    extname: str,
    *,
    units: str | None = None,
    extver: int | None = None,
    keywords: Mapping[str, Any] | None = None,
    coord: bool = False,
    shared: str = "",
) -> RawImageHDU | fits.ImageHDU:
    """One image extension (numbers written slab by slab, Dask data computed so; DQ uint32
    stored jwst's way).

    ``shared`` is card text (:func:`~spec2x.io.fits_raw.card_images`) of
    keywords many extensions carry, formatted once.
    """
    items: dict[str, Any] = dict(keywords or {})
    if isinstance(units, str) and L.fits_able("UNITS", units):
        items["BUNIT"] = units
    if coord:
        items[COORD_FLAG] = True
    if RawImageHDU.writable(data):  # Dask data stay lazy: written slab by slab
        return RawImageHDU(data, extname, extver, items, shared)
    array = np.asarray(data)
    if shared:
        items.update(fits.Header.fromstring(shared))
    hdu = fits.ImageHDU(data=array, header=make_header(items), name=extname)
    if extver is not None:
        hdu.ver = extver
    return hdu


def extname(name: str) -> str:
    """The jwst extension name of a Dataset variable."""
    return L.EXTNAMES.get(name, name.upper())


def exposure_hdus(ds: xr.Dataset, model: str, filename: str) -> list[Any]:
    """HDUs of an ImageModel/CubeModel file for an exposure Dataset."""
    primary, sci_kw, node = split_keywords(ds, model, filename)
    image_dims = ds["sci"].dims
    hdus: list[Any] = [primary]
    names = [n for n in FIRST_VARS if n in ds]
    names += [str(n) for n in ds.data_vars if n not in FIRST_VARS]
    for name in names:
        da = ds[name]
        if not _is_image(da, image_dims):
            node.keep_coord(name, da, variable=True)
            continue
        hdus.append(
            image_hdu(
                da.transpose(*_order(da.dims, image_dims)).data,
                extname(name),
                units=da.attrs.get("units") if name in ("sci", "err") else None,
                keywords=sci_kw if name == "sci" else None,
            )
        )
        node.var_meta(name, da)
    for key, da in ds.coords.items():
        name = str(key)
        if name in ("y", "x", "integration") or name.startswith("int_times_"):
            continue
        if is_stripe_times(name):
            continue
        if _is_image(da, image_dims):
            hdus.append(
                image_hdu(
                    da.transpose(*_order(da.dims, image_dims)).data,
                    extname(name),
                    coord=True,
                )
            )
            node.var_meta(name, da)
        else:
            node.keep_coord(name, da)
    node.check_index_coords(ds)
    table, node.int_times_filled = int_times_hdu(ds)
    hdus += [t for t in (table, stripe_times_hdu(ds)) if t is not None]
    meta_wcs = ifu_meta_wcs(ds)
    mapper = [] if meta_wcs is None else [slice_map_array(meta_wcs)]
    tree = node.tree(wcs=ds.attrs.get("wcs"), meta_wcs=meta_wcs)
    region = spectral_region(ds)
    if region is not None:  # jwst's cube_build reads S_REGION only with it
        tree.setdefault("meta", {})["wcsinfo"] = {"spectral_region": region}
    hdus.append(asdf_hdu(tree, compress=mapper))
    return hdus


def _is_image(da: xr.DataArray, image_dims: tuple[Any, ...]) -> bool:
    return da.ndim >= 2 and set(da.dims) <= set(image_dims) and {"y", "x"} <= set(da.dims)


def _order(dims: tuple[Any, ...], image_dims: tuple[Any, ...]) -> list[Any]:
    return [d for d in image_dims if d in dims]


#: INT_TIMES columns jwst's schema requires, in order.
INT_TIMES_COLUMNS = (
    ("integration_number", np.int32),
    ("int_start_MJD_UTC", np.float64),
    ("int_mid_MJD_UTC", np.float64),
    ("int_end_MJD_UTC", np.float64),
    ("int_start_BJD_TDB", np.float64),
    ("int_mid_BJD_TDB", np.float64),
    ("int_end_BJD_TDB", np.float64),
)


def int_times_hdu(ds: xr.Dataset) -> tuple[fits.BinTableHDU | None, list[str]]:
    """The INT_TIMES table from the ``int_times_<column>`` coords, and the columns filled in.

    jwst requires all seven standard columns: missing ones are filled
    (``integration_number`` from the ``integration`` coord, times NaN) and
    listed so the reader can drop them again.
    """
    given = {
        str(n)[len("int_times_") :]: str(n) for n in ds.coords if str(n).startswith("int_times_")
    }
    if not given or "integration" not in ds.dims:
        return None, []
    nint = ds.sizes["integration"]
    names, arrays, filled = [], [], []
    for col, dtype in INT_TIMES_COLUMNS:
        names.append(col)
        if col in given:
            arrays.append(np.asarray(ds.coords[given[col]].values))
            continue
        filled.append(col)
        if col == "integration_number" and "integration" in ds.coords:
            arrays.append(np.asarray(ds.coords["integration"].values, dtype=dtype))
        else:
            arrays.append(np.full(nint, np.nan if dtype is np.float64 else 0, dtype=dtype))
    for col, coord in given.items():
        if col not in names:
            names.append(col)
            arrays.append(np.asarray(ds.coords[coord].values))
    table = np.rec.fromarrays(arrays, names=",".join(names))  # type: ignore[call-overload]
    return fits.BinTableHDU(data=table, name="INT_TIMES"), filled


def read_exposure(
    path: Path,
    hdul: fits.HDUList | ScanFile,
    model: str,
    chunks: Chunks,
    dims: tuple[str, ...] | None = None,
) -> xr.Dataset:
    """An ImageModel/CubeModel/IFUImageModel (or IFUCubeModel, given ``dims``) file as a Dataset."""
    sci = hdul["SCI"]
    ndim = sci.header.get("NAXIS", 0)
    if ndim not in (2, 3) or dims is not None and len(dims) != ndim:
        raise InputFileError(
            f"{path}: SCI has {ndim} dimensions; an exposure needs 2 (rate) or 3 (rateints)"
        )
    if dims is None:
        dims = ("y", "x") if ndim == 2 else ("integration", "y", "x")
    shape = image_shape(sci.header)
    attrs = merged_attrs(hdul[0].header, sci.header)
    if ndim == 3:
        check_integration_range(path, attrs, shape[0])
    attrs["FILENAME"] = path.name
    attrs.setdefault("DATAMODL", model or ("ImageModel" if ndim == 2 else "CubeModel"))
    block = block_chunks(dims, shape, sci, chunks)
    data_vars: dict[str, Any] = {}
    coords: dict[str, Any] = {}
    images = []
    for hdu in hdul:
        if not is_image_extension(hdu) or hdu.header.get("NAXIS", 0) < 2:
            continue
        hshape = image_shape(hdu.header)
        if hshape == shape[-len(hshape) :]:
            images.append((hdu, dims[-len(hshape) :]))
    arrays = read_all(path, images, block)
    for (hdu, hdims), arr in zip(images, arrays, strict=True):
        name = L.VARNAMES.get(hdu.name, hdu.name.lower())
        units = hdu.header.get("BUNIT")
        var_attrs = {"units": units} if units is not None else {}
        is_coord = hdu.name == "WAVELENGTH" or bool(hdu.header.get(COORD_FLAG, False))
        (coords if is_coord else data_vars)[name] = (hdims, arr, var_attrs)
    default_units(data_vars, attrs)
    sizes = dict(zip(dims, shape, strict=True))
    for name, values in default_coords(attrs, sizes).items():
        coords[name] = (name, values)
    if "INT_TIMES" in hdul and dims[0] == "integration":
        coords.update(int_times_coords(hdul["INT_TIMES"], shape[0]))
    if dims[0] == "integration":
        coords.update(stripe_times_coords(hdul))
    ds = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    return apply_node(ds, hdul)


def check_integration_range(path: Path, attrs: Mapping[str, Any], nint: int) -> None:
    """Refuse a time series whose INTSTART/INTEND (1-based, inclusive: the integrations of
    the exposure this file holds, a segment's) are not ``nint`` integrations within 1 ...
    NINTS; without both keywords nothing is checked.

    Raises
    ------
    InputFileError
        The range does not exist in the exposure, or is not the file's integrations.
    """
    start, end, total = (attrs.get(k) for k in ("INTSTART", "INTEND", "NINTS"))
    if not isinstance(start, int) or not isinstance(end, int):
        return
    within = 1 <= start <= end and (not isinstance(total, int) or end <= total)
    if within and end - start + 1 == nint:
        return
    raise InputFileError(
        f"{path}: INTSTART={start}, INTEND={end} (NINTS={total}) name integrations "
        f"{start} to {end}, but SCI holds {nint}: that integration range does not exist "
        "in this file; give the segment its own INTSTART/INTEND (INTEND - INTSTART + 1 "
        "integrations, within 1 ... NINTS), or the file those keywords were written for"
    )


def merged_attrs(primary: fits.Header, sci: fits.Header) -> dict[str, Any]:
    """Primary + SCI keywords (SCI wins); primary values it hides kept under PRIMARY_DUPLICATES."""
    first = L.header_attrs(primary, primary=True)
    second = L.header_attrs(sci)
    hidden = {k: first[k] for k in second if k in first and first[k] != second[k]}
    attrs = {**first, **second}
    if hidden:
        attrs[PRIMARY_DUPLICATES] = hidden
    return attrs


def default_units(data_vars: dict[str, Any], attrs: Mapping[str, Any]) -> None:
    """jwst keeps BUNIT on SCI and ERR only: give variances and DQ the contract's units."""
    sci_units = data_vars["sci"][2].get("units") if "sci" in data_vars else None
    for name, (_dims, _arr, var_attrs) in data_vars.items():
        if "units" in var_attrs:
            continue
        if name == "dq":
            var_attrs["units"] = ""
        elif name.startswith("var_") and sci_units:
            var_attrs["units"] = f"({sci_units})^2"


def int_times_coords(hdu: Any, nint: int) -> dict[str, Any]:
    """INT_TIMES columns as ``int_times_<column>`` coords on ``integration``."""
    data = hdu.data
    if data is None or len(data) != nint:
        return {}
    return {
        f"int_times_{c}": ("integration", L.native(np.asarray(data[c]))) for c in data.dtype.names
    }
