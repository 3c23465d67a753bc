"""WFSS spectra as jwst 3.0.0's ``_x1d`` (``WFSSMultiSpecModel``): one table per order.

jwst's extract_1d gathers a WFSS exposure's spectra
(``jwst.datamodels.utils.wfss_multispec.make_wfss_multiexposure``) into one
``EXTRACT1D`` table per exposure group and spectral order (``EXPGRPID``
``<group>_<order>``, ``SPORDER``, ``DISPAXIS``, ``EFFEXPTM``, ``EFFINTTM``):
a row per source (sorted by ``SOURCE_ID``), the spectral columns vectors as
long as the order's longest spectrum (NaN after ``N_ALONGDISP``), and the
source metadata columns of stdatamodels' ``wfss_spectable`` schema.  The
spec2x node keeps what the tables do not hold (the order of the spectra,
the per-spectrum coords, the padding), so reading gives the Dataset back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from astropy.io import fits

from . import fits_exposure as E
from . import fits_layout as L
from . import fits_node as N
from .fits_asdf import asdf_hdu
from .fits_names import column_name, var_name
from .fits_raw import RawTableHDU, make_header
from .fits_spectra import COLUMNS, spectra_tables

__all__ = ["WFSS_MODEL", "read_wfss_spectra", "wfss_spectra_hdus"]

WFSS_MODEL = "WFSSMultiSpecModel"
#: Source metadata columns (after the spectral ones): column -> (coord, FITS format, default).
_META: dict[str, tuple[str | None, str, Any]] = {
    "N_ALONGDISP": (None, "J", 0),
    "SOURCE_TYPE": ("source_type", "20A", ""),
    "SOURCE_XPOS": ("source_xpos", "D", np.nan),
    "SOURCE_YPOS": ("source_ypos", "D", np.nan),
    "SOURCE_RA": ("source_ra", "D", np.nan),
    "SOURCE_DEC": ("source_dec", "D", np.nan),
    "EXTRACT2D_XSTART": ("extract2d_xstart", "J", 0),
    "EXTRACT2D_YSTART": ("extract2d_ystart", "J", 0),
    "EXTRACT2D_XSTOP": ("extract2d_xstop", "J", 0),
    "EXTRACT2D_YSTOP": ("extract2d_ystop", "J", 0),
}
_DTYPES: dict[str, Any] = {"J": np.uint32, "20A": "U20", "D": np.float64}
_VECTOR_DEFAULT = {"dq": 1, "npixels": np.nan}
#: Bytes of a table's rows made and written at a time.
_SLAB_BYTES = 8 * 2**20


def _group_id(attrs: dict[str, Any]) -> str:
    """jwst's ``attrs_to_group_id``: ``jw<program><obs><visit>_<visitgrp><seq><act>_<exposure>``
    (the keyword strings as they are)."""

    def k(key: str) -> str:
        return str(attrs.get(key, "") or "")

    return (
        f"jw{k('PROGRAM')}{k('OBSERVTN')}{k('VISIT')}_{k('VISITGRP')}{k('SEQ_ID')}{k('ACT_ID')}"
        f"_{k('EXPOSURE')}"
    )


def _lengths(ds: xr.Dataset) -> np.ndarray:
    good = np.isfinite(np.asarray(ds["wavelength"].broadcast_like(ds["flux"]).values))
    last = np.where(good.any(axis=1), good.shape[1] - np.argmax(good[:, ::-1], axis=1), 0)
    return np.asarray(last, np.int64)


class _Padded:
    """One spectral column of an order's table, made a slab of rows at a time: the spectra
    ``rows`` of ``values`` cut at their lengths, ``fill`` after (NaN, or DQ 1 as jwst).

    ``chunks`` tells :class:`~spec2x.io.fits_raw.RawTableHDU` how many rows to
    write at once (set by :func:`_table_hdu`), so the table is never whole in memory.
    """

    def __init__(self, values: np.ndarray, rows: np.ndarray, lengths: np.ndarray,
                 width: int, fill: Any, dtype: Any) -> None:  # fmt: skip
        self.values, self.rows, self.lengths = values, rows, lengths
        self.width, self.fill, self.dtype = width, fill, np.dtype(dtype)
        self.chunks = ((max(1, rows.size),),)

    def __len__(self) -> int:
        return int(self.rows.size)

    def __getitem__(self, part: slice) -> np.ndarray:
        rows = self.rows[part]
        out = np.full((rows.size, self.width), self.fill, self.dtype)
        for j, (r, n) in enumerate(zip(rows, self.lengths[rows], strict=True)):
            out[j, :n] = self.values[r, :n]
        return out


def _columns(
    ds: xr.Dataset, rows: np.ndarray, lengths: np.ndarray, variables: list[str]
) -> dict[str, tuple[Any, str, Any]]:
    """The EXTRACT1D columns of the spectra ``rows`` (one order, sorted by source id):
    name -> (values, FITS format, unit); the spectral ones :class:`_Padded`."""
    width = max(int(lengths[rows].max()), 1)
    cols: dict[str, tuple[Any, str, Any]] = {
        "SOURCE_ID": (ds["source_id"].values[rows].astype(np.int32), "J", None)
    }
    for v in ["wavelength", *variables]:
        values = ds[v].broadcast_like(ds["flux"]).values
        dtype = np.uint32 if v == "dq" else np.float64
        column = _Padded(values, rows, lengths, width, _VECTOR_DEFAULT.get(v, np.nan), dtype)
        fmt = f"{width}{'J' if v == 'dq' else 'D'}"
        cols[column_name(v)] = (column, fmt, ds[v].attrs.get("units") or None)
    for col, (coord, fmt, default) in _META.items():
        dtype = _DTYPES[fmt]
        if coord is None:  # N_ALONGDISP
            values = lengths[rows].astype(np.uint32)
        elif coord in ds.coords:
            values = np.asarray(ds[coord].values[rows]).astype(dtype)
        else:
            values = np.full(rows.size, default, dtype)
        cols[col] = (values, fmt, None)
    return cols


def _table_hdu(
    cols: dict[str, tuple[Any, str, Any]], header: dict[str, Any], extver: int
) -> RawTableHDU:
    """The table written slab by slab: astropy's header of its first row, then every row."""
    first = [
        fits.Column(name, fmt, array=np.asarray(values[:1]), unit=unit)
        for name, (values, fmt, unit) in cols.items()
    ]
    template = fits.BinTableHDU.from_columns(first, header=make_header(header), name="EXTRACT1D")
    template.ver = extver
    data = [np.char.encode(v, "ascii") if v.dtype.kind == "U" else v for v, _, _ in cols.values()]
    table = RawTableHDU(template, data, len(data[0]))
    slab = ((max(1, _SLAB_BYTES // table.dtype.itemsize),),)  # rows of about 8 MB
    for column in data:
        if isinstance(column, _Padded):
            column.chunks = slab
    return table


def wfss_spectra_hdus(ds: xr.Dataset, filename: str) -> list[Any]:
    """HDUs of a WFSS x1d: primary, one EXTRACT1D per order, the spec2x node."""
    primary, sci_kw, node = E.split_keywords(ds, WFSS_MODEL, filename)
    hdus: list[Any] = [primary]
    if sci_kw:
        hdus.append(fits.ImageHDU(header=make_header(sci_kw), name="SCI"))
    variables = [v for v in COLUMNS if v in ds.data_vars]
    lengths = _lengths(ds)
    orders = np.asarray(ds["spectral_order"].values)
    ids = np.asarray(ds["source_id"].values)
    placement = np.zeros((ds.sizes["slit"], 2), np.int64)
    group = _group_id(ds.attrs)
    for t, order in enumerate(np.unique(orders)):
        rows = np.flatnonzero(orders == order)
        rows = rows[np.argsort(ids[rows], kind="stable")]
        placement[rows, 0], placement[rows, 1] = t, np.arange(rows.size)
        header = {"FILENAME": filename, "EXPGRPID": f"{group}_{int(order)}",
                  "DISPAXIS": int(ds.attrs.get("DISPAXIS", 1)), "SPORDER": int(order)}  # fmt: skip
        for kw in ("EFFEXPTM", "EFFINTTM"):
            if ds.attrs.get(kw) is not None:
                header[kw] = ds.attrs[kw]
        hdus.append(_table_hdu(_columns(ds, rows, lengths, variables), header, t + 1))
    for name, coord in ds.coords.items():
        if str(name) != "wavelength":
            node.keep_coord(str(name), coord)
    for v in ["wavelength", *variables]:
        node.var_meta(v, ds[v])
    pad = {}
    for v in ["wavelength", *variables]:
        values = ds[v].broadcast_like(ds["flux"]).values
        short = np.flatnonzero(lengths < ds.sizes["spectral"])
        if short.size:
            pad[v] = L.plain_value(values[short[0], lengths[short[0]]])
    node.extra.update(
        {"wfss_placement": placement.tolist(), "spectral": ds.sizes["spectral"], "pad_fill": pad}
    )
    hdus.append(asdf_hdu(node.tree()))
    return hdus


def read_wfss_spectra(path: Path, hdul: fits.HDUList) -> xr.Dataset:
    """A WFSS x1d (jwst's or spec2x's) as a spectra Dataset ``(slit, spectral)``."""
    tables, attrs, tree = spectra_tables(path, hdul)
    node = N.plain(dict(tree.get(N.SPEC2X_NODE) or {}))
    placement = node.get("wfss_placement") or [
        [t, r] for t, table in enumerate(tables) for r in range(len(table.data))
    ]
    length = int(node.get("spectral") or max(len(t.data["WAVELENGTH"][0]) for t in tables))
    pad = node.get("pad_fill") or {}
    names = ["WAVELENGTH"] + [c for c in tables[0].columns.names if var_name(c) in COLUMNS]
    columns: dict[str, list[np.ndarray]] = {var_name(c): [] for c in names}
    meta: dict[str, list[Any]] = {"source_id": [], "spectral_order": [], "source_type": []}
    for t, r in placement:
        row = tables[t].data[r]
        n = int(row["N_ALONGDISP"])
        for c in names:
            v = var_name(c)
            values = L.native(np.asarray(row[c]))[:n]
            fill = pad.get(v, np.nan if values.dtype.kind == "f" else 0)
            columns[v].append(np.pad(values, (0, length - n), constant_values=fill))
        meta["source_id"].append(int(row["SOURCE_ID"]))
        meta["spectral_order"].append(int(tables[t].header.get("SPORDER", 1)))
        meta["source_type"].append(str(row["SOURCE_TYPE"]).strip())
    dims = ("slit", "spectral")
    coords: dict[str, Any] = {k: ("slit", np.array(v)) for k, v in meta.items()}
    coords["slit_name"] = ("slit", np.array([str(i) for i in meta["source_id"]]))
    coords["wavelength"] = (dims, np.stack(columns.pop("wavelength")))
    data_vars = {v: (dims, np.stack(parts)) for v, parts in columns.items()}
    attrs["DATAMODL"] = WFSS_MODEL
    return N.apply_node(xr.Dataset(data_vars, coords=coords, attrs=attrs), hdul, tree=tree)
