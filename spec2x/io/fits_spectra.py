"""1-D spectra as jwst x1d (MultiSpecModel) and x1dints (TSOMultiSpecModel) files.

One ``EXTRACT1D`` table per spectrum (per slit or order).  In an x1d table
each row is one wavelength; in an x1dints table each row is one integration
and the spectral columns are vectors (jwst 3.0 layout, ``N_ALONGDISP`` giving
the used length).  Column names are jwst's (``FLUX``, ``SB_ERROR``,
``BKGD_ERROR`` ...); Dataset variables are their lowercase names, with
``bkg_`` for jwst's ``BKGD_``.  Spectra shorter than the Dataset's
``spectral`` length end in NaN wavelengths, which are not written; the reader
pads them back with the values recorded at write time (NaN for spectra jwst
wrote).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from astropy.io import fits

from ..datamodel import SPECTRUM_VARIABLES
from . import fits_exposure as E
from . import fits_layout as L
from . import fits_node as N
from . import fits_stripe_times as ST
from .fits_asdf import asdf_hdu, read_asdf_tree
from .fits_keywords import absent_for_slit
from .fits_names import SPEC_COORD_NAMES, TSO_META, column_name, var_name
from .fits_raw import RawTableHDU, computed, make_header

__all__ = ["read_spectra", "spectra_hdus"]

#: x1d columns in jwst's order (Dataset names).
COLUMNS = SPECTRUM_VARIABLES
_TSO_DTYPES = {"INT_NUM": np.int32, "N_ALONGDISP": np.uint32, "SEGMENT": np.int32}
_KEYWORD_FOR = {name: kw for kw, name in SPEC_COORD_NAMES.items()}
_KEYWORD_FOR["srctype"] = "SRCTYPE"


def spectra_hdus(ds: xr.Dataset, model: str, filename: str) -> list[Any]:
    """HDUs of an x1d (MultiSpecModel) or x1dints (TSOMultiSpecModel) file."""
    flux_dims = ds["flux"].dims
    lead = [d for d in flux_dims if d not in ("integration", "spectral")]
    lead_dim = str(lead[0]) if lead else None
    tso = "integration" in flux_dims
    primary, sci_kw, node = E.split_keywords(ds, model, filename)
    hdus: list[Any] = [primary]
    if sci_kw:
        hdus.append(fits.ImageHDU(header=make_header(sci_kw), name="SCI"))
    order: list[str] = [lead_dim] if lead_dim else []
    order += (["integration"] if tso else []) + ["spectral"]
    variables = [v for v in COLUMNS if v in ds.data_vars]
    variables += [
        str(v) for v in ds.data_vars if v not in COLUMNS and set(ds[v].dims) == set(order)
    ]
    for name in ds.data_vars:
        if str(name) not in variables:
            node.keep_coord(str(name), ds[name], variable=True)
    per_spec, tso_cols = _coords(ds, node, lead_dim, tso, order)
    node.keep_shadowed(per_spec.values())
    filled = [c for c in COLUMNS if c not in ds.data_vars]
    node.extra.update(
        {
            "lead_dim": lead_dim,
            "spectrum_coords": per_spec,
            "tso_columns": tso_cols,
            "filled_columns": filled,
            "pad_fill": {},
        }
    )
    # the Variable's own transpose: the DataArray's would transpose every coord too
    arrays = {v: ds[v].variable.transpose(*order).data for v in variables}  # Dask stays lazy
    for v in variables:
        node.var_meta(v, ds[v])
    wl = ds["wavelength"].broadcast_like(ds["flux"]).transpose(*order).values
    node.var_meta("wavelength", ds["wavelength"])
    if set(ds["wavelength"].dims) != set(order):  # shared (SOSS: by order, not integration)
        node.extra["wavelength_dims"] = [str(d) for d in ds["wavelength"].dims]
    nspec = ds.sizes[lead_dim] if lead_dim else 1
    for i in range(nspec):
        pick = (i,) if lead_dim else ()
        wl_i = wl[pick]
        n = _written_length(wl_i, tso)
        if n < wl_i.shape[-1]:
            names = [v for v in ("wavelength", *variables) if v not in node.extra["pad_fill"]]
            sources = [wl_i if v == "wavelength" else arrays[v][pick] for v in names]
            firsts = computed([a[(0,) * (a.ndim - 1) + (n,)] for a in sources])
            for v, first in zip(names, firsts, strict=True):
                node.extra["pad_fill"][v] = L.plain_value(first[()])
        picked = {v: a[pick][..., :n] for v, a in arrays.items()}
        cols = _spectrum_columns(ds, picked, variables, wl_i[..., :n])
        header = _spectrum_header(ds, per_spec, lead_dim, i)
        if tso:
            cols = _tso_columns(ds, cols, tso_cols, n, lead_dim, i)
        hdus.append(_table_hdu(cols, header, tso, i + 1))
    table, node.int_times_filled = E.int_times_hdu(ds)  # x1dints: INT_TIMES, as jwst writes it
    hdus += [t for t in (table, ST.stripe_times_hdu(ds)) if t is not None]  # as jwst too
    tree = node.tree()
    if ds.attrs.get("wcs") is not None:
        tree[N.SPEC2X_NODE]["wcs"] = N.wcs_objects(ds.attrs["wcs"])
    hdus.append(asdf_hdu(tree))
    return hdus


def _unbroadcast(wavelength: xr.DataArray, dims: list[str]) -> xr.DataArray:
    """The wavelength on the ``dims`` it had when written (it is written on every row)."""
    extra = {d: 0 for d in wavelength.dims if d not in dims}
    return wavelength.isel(extra, drop=True).transpose(*dims)


def _written_length(wl: np.ndarray, tso: bool) -> int:
    """Length up to the last finite wavelength (of any integration): what is written."""
    if tso and wl.strides[0] == 0:  # the same on every row (SOSS): one row tells
        wl = wl[:1]
    good = np.isfinite(wl) if not tso else np.isfinite(wl).any(axis=0)
    return int(np.nonzero(good)[0][-1]) + 1 if good.any() else 0


def _spectrum_columns(
    ds: xr.Dataset, arrays: dict[str, np.ndarray], variables: list[str], wl: np.ndarray
) -> dict[str, tuple[np.ndarray, Any]]:
    """Column -> (values, units) of one spectrum: WAVELENGTH, jwst's columns, then the extras."""
    cols = {"WAVELENGTH": (wl, ds["wavelength"].attrs.get("units"))}
    for v in COLUMNS:
        if v in arrays:
            cols[column_name(v)] = (arrays[v], ds[v].attrs.get("units"))
        else:
            cols[column_name(v)] = (_default_column(v, wl), None)
    for v in variables:
        if v not in COLUMNS:
            cols[column_name(v)] = (arrays[v], ds[v].attrs.get("units"))
    return cols


def _spectrum_header(
    ds: xr.Dataset, per_spec: dict[str, str], lead_dim: str | None, i: int
) -> dict[str, Any]:
    """The per-spectrum keywords of spectrum ``i`` that a FITS header can hold."""
    header = {}
    own = {"quadrant": _spec_value(ds, "quadrant", lead_dim, i)} if "quadrant" in ds.coords else {}
    for name, kw in per_spec.items():
        value = _spec_value(ds, name, lead_dim, i)
        if absent_for_slit(kw, own):
            continue
        if L.header_writable(kw, value):
            header[kw] = L.plain_value(value)
    return header


def _default_column(var: str, wl: np.ndarray) -> np.ndarray:
    if var == "dq":
        return np.zeros(wl.shape, np.uint32)
    return np.full(wl.shape, np.nan if var != "npixels" else 0.0)


def _coords(
    ds: xr.Dataset, node: N.Spec2xNode, lead_dim: str | None, tso: bool, order: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Sort coords into per-spectrum keywords, x1dints columns and the spec2x node."""
    per_spec: dict[str, str] = {}
    tso_cols: dict[str, str] = {}
    tso_names = {name: col for col, name in TSO_META.items()}
    for name, coord in ds.coords.items():
        name = str(name)
        if name == "wavelength" or name in ds.dims:
            continue
        kw = _KEYWORD_FOR.get(name)
        spec_dims = (lead_dim,) if lead_dim else ()
        values = coord.values.ravel()
        if kw and coord.dims == spec_dims and any(L.header_writable(kw, v) for v in values):
            per_spec[name] = kw
            node.var_meta(name, coord)  # dtype and attrs (units ...)
            if not all(L.fits_able(kw, v) for v in values):
                node.keep_coord(name, coord)  # the exact values win on reading
        elif tso and name in tso_names and coord.dims == ("integration",):
            tso_cols[name] = tso_names[name]
            node.dtypes[name] = coord.dtype.str
        elif not name.startswith("int_times_") and not ST.is_stripe_times(name):
            node.keep_coord(name, coord)
    rebuilt = {"integration": np.arange(1, ds.sizes.get("integration", 0) + 1, dtype=np.int32)}
    node.check_index_coords(ds, rebuilt=rebuilt if tso else {})
    return per_spec, tso_cols


def _spec_value(ds: xr.Dataset, name: str, lead_dim: str | None, i: int) -> Any:
    values = ds.coords[name].values
    return values[i] if lead_dim else values[()]


def _tso_columns(
    ds: xr.Dataset, cols: dict[str, Any], tso_cols: dict[str, str], n: int, lead_dim: Any, i: int
) -> dict[str, Any]:
    nint = ds.sizes["integration"]
    given = {col: name for name, col in tso_cols.items()}
    out: dict[str, Any] = {}
    for col in ("INT_NUM", *cols, *[c for c in TSO_META if c != "INT_NUM"]):
        if col in cols:
            out[col] = cols[col]
        elif col in given:
            values = np.asarray(ds.coords[given[col]].values)
            out[col] = (values, "d" if col.startswith(("MJD", "TDB")) else None)
        elif col == "INT_NUM":
            out[col] = (np.arange(1, nint + 1, dtype=np.int32), None)
        elif col == "N_ALONGDISP":
            out[col] = (np.full(nint, n, np.uint32), None)
        elif col == "SEGMENT":
            out[col] = (np.full(nint, int(ds.attrs.get("EXSEGNUM", 1) or 1), np.int32), None)
        else:
            out[col] = (np.full(nint, np.nan), "d")
    return out


def _table_hdu(
    cols: dict[str, Any], header: dict[str, Any], tso: bool, extver: int
) -> fits.BinTableHDU | RawTableHDU:
    """The EXTRACT1D table; an x1dints one (a row per integration) written slab by slab."""
    rows = len(next(iter(cols.values()))[0]) if tso else 0
    firsts = computed([values[:1] if tso else values for values, _ in cols.values()])
    picked = {
        name: (first, units) for (name, (_, units)), first in zip(cols.items(), firsts, strict=True)
    }
    hdu = _astropy_table(picked, header, tso, extver)
    if tso and RawTableHDU.writable(hdu):
        return RawTableHDU(hdu, [values for values, _ in cols.values()], rows)
    if tso:
        hdu = _astropy_table(
            {k: (np.asarray(v), u) for k, (v, u) in cols.items()}, header, tso, extver
        )
    return hdu


def _astropy_table(
    cols: dict[str, Any], header: dict[str, Any], tso: bool, extver: int
) -> fits.BinTableHDU:
    fits_cols = []
    for name, (values, units) in cols.items():
        if name in _TSO_DTYPES:
            values = values.astype(_TSO_DTYPES[name])
        fmt = _format(values, tso)
        fits_cols.append(fits.Column(name=name, format=fmt, array=values, unit=units or None))
    hdu = fits.BinTableHDU.from_columns(fits_cols, header=make_header(header), name="EXTRACT1D")
    hdu.ver = extver
    return hdu


def _format(values: np.ndarray, tso: bool) -> str:
    if values.dtype.kind == "U":
        return f"{max(1, values.dtype.itemsize // 4)}A"
    code = {"f8": "D", "f4": "E", "u4": "J", "i4": "J", "i8": "K", "u8": "K", "i2": "I", "u1": "B"}
    base = code.get(values.dtype.str[1:], "D")
    if tso and values.ndim == 2:
        return f"{values.shape[1]}{base}"
    return base


# --------------------------------------------------------------------------- read


def spectra_tables(
    path: Path, hdul: fits.HDUList
) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
    """An x1d file's EXTRACT1D tables, its header attributes (``FILENAME`` set) and its
    ASDF tree."""
    tables = [h for h in hdul if h.name == "EXTRACT1D"]
    attrs = L.header_attrs(hdul[0].header, primary=True)
    if "SCI" in hdul:
        attrs = E.merged_attrs(hdul[0].header, hdul["SCI"].header)
    attrs["FILENAME"] = path.name
    return tables, attrs, read_asdf_tree(hdul)


def read_spectra(path: Path, hdul: fits.HDUList, model: str, chunks: Any) -> xr.Dataset:
    """An x1d/x1dints file as a spectra Dataset (NumPy; chunks along the leading dim if asked)."""
    tables, attrs, tree = spectra_tables(path, hdul)
    node = N.plain(dict(tree.get(N.SPEC2X_NODE) or {}))
    tso = bool(tables) and np.asarray(tables[0].data["WAVELENGTH"]).ndim == 2
    attrs.setdefault("DATAMODL", model or ("TSOMultiSpecModel" if tso else "MultiSpecModel"))
    lead_dim = (
        node.get("lead_dim", "slit" if len(tables) > 1 else None)
        if node
        else ("slit" if len(tables) > 1 else None)
    )
    per_spec = node.get("spectrum_coords") if node else None
    if per_spec is None:
        per_spec = {
            name: kw for kw, name in SPEC_COORD_NAMES.items() if any(kw in t.header for t in tables)
        }
    pad_fill = node.get("pad_fill") or {}
    filled = set(node.get("filled_columns") or [])
    length = max((_length(t) for t in tables), default=0)
    columns, units, meta_cols = _gather_columns(tables, tso, filled, pad_fill, length)
    dims = ([lead_dim] if lead_dim else []) + (["integration"] if tso else []) + ["spectral"]
    data_vars: dict[str, Any] = {}
    coords: dict[str, Any] = {}
    for name, parts in columns.items():
        stacked: np.ndarray = np.stack(parts) if lead_dim else parts[0]
        var_attrs = {"units": units[name]} if units[name] else {}
        (coords if name == "wavelength" else data_vars)[name] = (dims, stacked, var_attrs)
    for name, kw in per_spec.items():
        found = [t.header.get(kw) for t in tables]
        coords[name] = ((lead_dim,), np.array(found)) if lead_dim else ((), np.array(found[0]))
        attrs.pop(kw, None)
    if tso:
        coords.update(_integration_coords(tables, node, meta_cols))
    if tso and "INT_TIMES" in hdul:
        nint = np.asarray(tables[0].data["WAVELENGTH"]).shape[0]
        coords.update(E.int_times_coords(hdul["INT_TIMES"], nint))
    if tso:
        coords.update(ST.stripe_times_coords(hdul))
    ds = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    if node and node.get("wavelength_dims") is not None:
        ds = ds.assign_coords(wavelength=_unbroadcast(ds["wavelength"], node["wavelength_dims"]))
    out = N.apply_node(ds, hdul, tree=tree)
    if chunks is not None and lead_dim:
        out = out.chunk({lead_dim: 1} if chunks == "auto" else dict(chunks))
    elif chunks is not None:
        out = out.chunk(dict(chunks) if chunks != "auto" else "auto")
    return out


def _gather_columns(
    tables: list[Any], tso: bool, filled: set[str], pad_fill: dict[str, Any], length: int
) -> tuple[dict[str, list[np.ndarray]], dict[str, Any], dict[str, np.ndarray]]:
    """Each table's columns padded to ``length``: name -> per-table arrays, units, x1dints meta."""
    columns: dict[str, list[np.ndarray]] = {}
    units: dict[str, Any] = {}
    meta_cols: dict[str, np.ndarray] = {}
    for t in tables:
        for col in t.columns:
            values = L.native(np.asarray(t.data[col.name]))
            if tso and col.name in TSO_META:
                meta_cols.setdefault(col.name, values)
                continue
            name = "wavelength" if col.name == "WAVELENGTH" else var_name(col.name)
            if name in filled:
                continue
            fill = pad_fill.get(name, _reader_fill(values.dtype, name))
            pad = [(0, 0)] * (values.ndim - 1) + [(0, length - values.shape[-1])]
            columns.setdefault(name, []).append(np.pad(values, pad, constant_values=fill))
            units.setdefault(name, col.unit)
    return columns, units, meta_cols


def _integration_coords(
    tables: list[Any], node: dict[str, Any], meta_cols: dict[str, np.ndarray]
) -> dict[str, Any]:
    """``integration`` (1, 2, ...) and the x1dints per-integration columns as coords."""
    nint = len(tables[0].data) if tables else 0
    coords: dict[str, Any] = {
        "integration": ("integration", np.arange(1, nint + 1, dtype=np.int32))
    }
    tso_cols = node.get("tso_columns") if node else None
    if tso_cols is None:
        tso_cols = {name: col for col, name in TSO_META.items() if col in meta_cols}
    for name, col in tso_cols.items():
        coords[name] = ("integration", meta_cols[col])
    return coords


def _length(table: Any) -> int:
    wl = np.asarray(table.data["WAVELENGTH"])
    return int(wl.shape[-1]) if wl.ndim == 2 else len(wl)


def _reader_fill(dtype: np.dtype, name: str) -> Any:
    if dtype.kind in "fc":
        return np.nan
    return 0
