"""The ``spec2x`` node of the ASDF extension: what FITS headers cannot hold exactly.

Non-header attrs (NaN, unicode, nested values), variable attrs, dtypes of
coords, coords with no FITS home, and the WCS (as ASDF objects; ``meta.wcs`` for
jwst is the same object, written once) ride here, so a
spec2x -> FITS -> spec2x round trip is exact.  Files written by jwst have no
such node and are read with defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import xarray as xr

from ..wcs.store import StoredWcs, wcs_object
from . import fits_layout as L
from .fits_asdf import read_asdf_tree

__all__ = ["SPEC2X_NODE", "Spec2xNode", "apply_node", "default_coords", "plain"]

SPEC2X_NODE = "spec2x"


def default_coords(attrs: Mapping[str, Any], sizes: Mapping[Any, int]) -> dict[str, np.ndarray]:
    """y, x (0-based full-frame pixels from SUBSTRT1/2) and integration (1..n) as the reader makes them."""
    out: dict[str, np.ndarray] = {}
    for dim, key in (("y", "SUBSTRT2"), ("x", "SUBSTRT1")):
        if dim in sizes:
            start = int(attrs.get(key, 1)) - 1
            out[dim] = np.arange(start, start + sizes[dim], dtype=np.int32)
    if "integration" in sizes:
        out["integration"] = np.arange(1, sizes["integration"] + 1, dtype=np.int32)
    return out  # a cube's wavelength axis is not rebuilt: the spec2x node keeps it


class Spec2xNode:
    """Collects what FITS headers cannot hold exactly, for the ``spec2x`` ASDF node."""

    def __init__(self, ds: xr.Dataset, rest: Mapping[str, Any]) -> None:
        self.attrs = dict(rest)
        self.source_attrs = ds.attrs
        self.var_attrs: dict[str, Any] = {}
        self.dtypes: dict[str, str] = {}
        self.coords: dict[str, Any] = {}
        self.data_vars: dict[str, Any] = {}
        self.int_times_filled: list[str] = []
        self.extra: dict[str, Any] = {}
        if "TELESCOP" not in ds.attrs:
            self.extra["added_keywords"] = ["TELESCOP"]

    def var_meta(self, name: str, da: xr.DataArray) -> None:
        self.var_attrs[name] = dict(da.attrs)
        self.dtypes[name] = da.dtype.str

    def keep_shadowed(self, keywords: Iterable[str]) -> None:
        """Keep exposure attrs named like a per-slit/per-spectrum keyword (the header holds those)."""
        for key in keywords:
            if key in self.source_attrs:
                self.attrs[key] = self.source_attrs[key]

    def keep_coord(self, name: str, da: xr.DataArray, variable: bool = False) -> None:
        entry = {"dims": [str(d) for d in da.dims], "data": _asdf_array(da.values)}
        entry["attrs"] = dict(da.attrs)
        (self.data_vars if variable else self.coords)[name] = entry

    def check_index_coords(
        self, ds: xr.Dataset, rebuilt: Mapping[str, np.ndarray] | None = None
    ) -> None:
        """Keep dim coords that the reader would not rebuild identically from the headers."""
        expected = dict(rebuilt) if rebuilt is not None else default_coords(ds.attrs, ds.sizes)
        absent = [d for d in expected if d in ds.dims and d not in ds.coords]
        if absent:  # the reader would add them: say they were not there
            known = self.extra.setdefault("absent_coords", [])
            known += [d for d in absent if d not in known]
        for name in ds.dims:
            if name not in ds.coords:
                continue
            values = ds.coords[name].values
            want = expected.get(str(name))
            if (
                want is None
                or want.dtype != values.dtype
                or not np.array_equal(want, values)
                or ds.coords[name].attrs
            ):
                self.keep_coord(str(name), ds.coords[name])
        for name in ds.coords:
            if str(name).startswith("int_times_"):
                self.var_meta(str(name), ds.coords[name])

    def tree(
        self, wcs: Any = None, extra: Mapping[str, Any] | None = None, meta_wcs: Any = None
    ) -> dict[str, Any]:
        """The ASDF tree: this node, ``wcs`` (a stored WCS, or one per slit) and ``meta.wcs``.

        ``meta.wcs`` (the WCS jwst reads) is ``wcs`` itself when that is one
        WCS, else ``meta_wcs`` when given (a NIRSpec IFU exposure's
        coordinate-based WCS, :mod:`spec2x.wcs.ifu_selector`); this node comes
        first in the tree, so YAML anchors shared by the two are all defined here.
        """
        node = {
            "version": 1,
            "attrs": self.attrs,
            "var_attrs": self.var_attrs,
            "dtypes": self.dtypes,
            "coords": self.coords,
            "data_vars": self.data_vars,
            "int_times_filled": self.int_times_filled,
            **self.extra,
        }
        tree: dict[str, Any] = {SPEC2X_NODE: node}
        if wcs is not None:
            node["wcs"] = wcs_objects(wcs)
            if not isinstance(wcs, Mapping):
                tree["meta"] = {"wcs": node["wcs"]}
            elif meta_wcs is not None:
                tree["meta"] = {"wcs": meta_wcs}
        tree.update(extra or {})
        return tree


def wcs_objects(value: Any) -> Any:
    """A stored WCS as gwcs objects for the ASDF tree (a dict per slit stays a dict, a list a list)."""
    if isinstance(value, Mapping):
        return {str(k): wcs_object(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [None if v is None else wcs_object(v) for v in value]
    return wcs_object(value)


def _stored(value: Any) -> Any:
    """gwcs objects read from the tree as stored WCS values (a list: one per slit, in order)."""
    if isinstance(value, Mapping):
        return {str(k): stored_wcs_object(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [None if v is None else stored_wcs_object(v) for v in value]
    return stored_wcs_object(value)


def stored_wcs_object(value: Any) -> StoredWcs:
    """A gwcs object read from a tree as a StoredWcs (one already, from :func:`read_asdf_tree`: as is)."""
    return value if isinstance(value, StoredWcs) else StoredWcs(wcs=value)


def _asdf_array(values: np.ndarray) -> Any:
    if values.dtype.kind in "US":
        return [str(v) for v in values.ravel()] if values.ndim <= 1 else values.tolist()
    if values.dtype.kind == "O":
        return values.tolist()
    return np.ascontiguousarray(values)


def apply_node(
    ds: xr.Dataset,
    hdul: Any,
    slits: list[str] | None = None,
    tree: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Apply the ``spec2x`` ASDF node (exact attrs, dtypes, extra coords) and the WCS.

    ``hdul`` is an astropy ``HDUList`` or a :class:`~spec2x.io.fits_scan.ScanFile`;
    ``tree`` its ASDF tree when the caller has read it already.
    """
    if tree is None:
        tree = read_asdf_tree(hdul)
    node = tree.get(SPEC2X_NODE) or {}
    attrs = dict(ds.attrs)
    for key in node.get("added_keywords") or []:
        attrs.pop(key, None)
    attrs.update({k: plain(v) for k, v in (node.get("attrs") or {}).items()})
    if node.get("wcs") is not None:
        attrs["wcs"] = _stored(node["wcs"])
    elif node.get("wcs_text") is not None:  # written by spec2x before 2026-11-27
        attrs["wcs"] = plain(node["wcs_text"])
    else:
        wcs = _tree_wcs(tree, slits)
        if wcs is not None:
            attrs["wcs"] = wcs
    coords = {
        name: (tuple(e["dims"]), _values(e["data"]), plain(e.get("attrs") or {}))
        for name, e in (node.get("coords") or {}).items()
    }
    data_vars = {
        name: (tuple(e["dims"]), _values(e["data"]), plain(e.get("attrs") or {}))
        for name, e in (node.get("data_vars") or {}).items()
    }
    var_attrs = plain(node.get("var_attrs") or {})
    dtypes = dict(node.get("dtypes") or {})
    filled = [f"int_times_{c}" for c in node.get("int_times_filled") or []]
    filled += [str(c) for c in node.get("absent_coords") or []]
    dropped = [c for c in filled if c in ds.coords]
    if dropped:
        ds = ds.drop_vars(dropped)
    out = ds.assign_coords(coords).assign(data_vars) if coords or data_vars else ds
    variables = out.variables
    for name, va in var_attrs.items():
        if name in variables:
            variables[name].attrs = dict(va)  # the Dataset's own variable, as out[name].attrs = ...
    for name, dt in dtypes.items():
        if name in out.variables and out.variables[name].dtype != np.dtype(dt):
            cast = out[name].astype(np.dtype(dt))
            out = (
                out.assign_coords({name: cast}) if name in out.coords else out.assign({name: cast})
            )
    out.attrs = attrs
    return out


def _tree_wcs(tree: Mapping[str, Any], slits: list[str] | None) -> Any:
    """The gwcs of a jwst file (a list, one per slit in order, for multi-slit products)."""
    if slits is None:
        wcs = (tree.get("meta") or {}).get("wcs")
        return None if wcs is None else stored_wcs_object(wcs)
    items = list(tree.get("slits") or [])[: len(slits)]
    out = [((item or {}).get("meta") or {}).get("wcs") for item in items]
    out += [None] * (len(slits) - len(out))
    return _stored(out) if any(w is not None for w in out) else None


def _values(data: Any) -> np.ndarray:
    if isinstance(data, list):
        return np.asarray(data)
    return L.native(np.array(data))


def plain(value: Any) -> Any:
    """Convert ASDF's lazy containers back to dict/list/ndarray."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return (
            type(value)(plain(v) for v in value)
            if isinstance(value, tuple)
            else [plain(v) for v in value]
        )
    if hasattr(value, "__array__") and not isinstance(value, np.generic | str):
        return np.array(value)
    return value
