"""Slits products (``slit, [integration,] y, x``) as jwst MultiSlitModel / SlitModel files.

Each slit is written as its own set of extensions (``SCI``, ``ERR``, ``DQ``,
``VAR_*``, ``WAVELENGTH``, ``WHT``, ``CON`` ... with ``EXTVER`` = slit number),
cut back from the padded Dataset array to the slit's own ``ysize x xsize``.
Per-slit coords become the slit keywords jwst reads from each SCI header
(``SLTNAME``, ``SOURCEID``, ``SLTSTRT1`` ...).  Reading pads the cut-outs
again: NaN in float arrays, ``DO_NOT_USE | NON_SCIENCE`` in ``dq``, 0 in other
integer arrays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from astropy.io import fits

from ..datamodel import PADDING_DQ
from . import fits as F
from . import fits_layout as L
from . import fits_node as N
from .fits_keywords import EXPOSURE_SCI, SLIT_COORDS, SLIT_TREE

__all__ = ["read_slits", "slits_hdus"]

#: coord name -> slit keyword (contract names and jwst attribute names).
_KEYWORD_FOR = {name: kw for kw, name in SLIT_COORDS.items()}
_KEYWORD_FOR.update({"source_type": "SRCTYPE", "name": "SLTNAME", "bunit_data": "BUNIT"})
#: Per-slit WCS/photometry keywords a per-slit coord may carry (``s_region`` -> S_REGION).
_PER_SLIT_META = {kw.lower(): kw for kw in EXPOSURE_SCI}


def slit_keyword(name: str) -> str | None:
    """The SCI keyword a per-slit coord is written as (None: it rides in the spec2x node)."""
    return _KEYWORD_FOR.get(name) or _PER_SLIT_META.get(name)


def slits_hdus(ds: xr.Dataset, model: str, filename: str) -> list[Any]:
    """HDUs of a MultiSlitModel (or one-slit SlitModel) file."""
    primary, sci_kw, node = F.split_keywords(ds, model, filename)
    hdus: list[Any] = [primary]
    image_dims = ds["sci"].dims
    per_slit: dict[str, str] = {}
    for name, coord in ds.coords.items():
        name = str(name)
        if coord.dims == ("slit",) and (kw := slit_keyword(name)) is not None:
            values = coord.values
            if any(L.header_writable(kw, v) for v in values):
                per_slit[name] = kw
                node.dtypes[name] = values.dtype.str
                if not all(L.fits_able(kw, v) for v in values):
                    node.keep_coord(name, coord)  # the exact values win on reading
                continue
        if name in ("slit", "y", "x", "integration") or name.startswith("int_times_"):
            continue
        if not _is_slit_image(coord, image_dims):
            node.keep_coord(name, coord)
    node.check_index_coords(ds, rebuilt=_default_index(ds.sizes))
    node.extra["slit_coords"] = per_slit
    node.keep_shadowed(per_slit.values())
    ny, nx = ds.sizes["y"], ds.sizes["x"]
    names = [n for n in F._FIRST_VARS if n in ds] + [
        n for n in ds.data_vars if n not in F._FIRST_VARS
    ]
    images = [(n, ds[n], False) for n in names if _is_slit_image(ds[n], image_dims)]
    images += [
        (str(n), c, True)
        for n, c in ds.coords.items()
        if str(n) not in per_slit and _is_slit_image(c, image_dims)
    ]
    for n, da, _ in images:
        node.var_meta(str(n), da)
    for n in names:
        if not _is_slit_image(ds[n], image_dims):
            node.keep_coord(str(n), ds[n], variable=True)
    for i in range(ds.sizes["slit"]):
        ysize = _size(ds, "ysize", i, ny)
        xsize = _size(ds, "xsize", i, nx)
        keywords = dict(sci_kw)
        for n, kw in per_slit.items():
            value = ds.coords[n].values[i]
            if L.header_writable(kw, value):
                keywords[kw] = L.plain_value(value)
        units = _slit_units(ds, i, keywords.pop("BUNIT", None))
        for name, da, is_coord in images:
            one = da.isel(slit=i).transpose(
                *[d for d in image_dims if d in da.dims and d != "slit"]
            )
            data = np.asarray(one.data)[..., :ysize, :xsize]
            hdus.append(
                F.image_hdu(
                    data,
                    F._extname(str(name)),
                    extver=i + 1,
                    units=units.get(str(name)),
                    keywords=keywords if name == "sci" else None,
                    coord=is_coord and name != "wavelength",
                )
            )
    table, node.int_times_filled = F.int_times_hdu(ds)
    if table is not None:
        hdus.append(table)
    hdus.append(L.asdf_hdu(_tree(node, ds, model)))
    return hdus


def _slit_units(ds: xr.Dataset, i: int, bunit_data: Any) -> dict[str, Any]:
    """BUNIT of slit ``i``'s SCI and ERR: per-slit ``bunit_data``/``bunit_err``, else the units attrs.

    jwst's photom gives each NIRSpec fixed slit its own units (MJy for a
    point source, MJy/sr otherwise) and reads them back from these headers.
    """
    sci = bunit_data if bunit_data is not None else ds["sci"].attrs.get("units")
    err = bunit_data if bunit_data is not None else None
    if "bunit_err" in ds.coords and ds["bunit_err"].dims == ("slit",):
        value = ds["bunit_err"].values[i]
        err = L.plain_value(value) if L.header_writable("BUNIT", value) else err
    if err is None and "err" in ds:
        err = ds["err"].attrs.get("units")
    return {"sci": sci, "err": err}


def _tree(node: N.Spec2xNode, ds: xr.Dataset, model: str) -> dict[str, Any]:
    """The ASDF tree: the spec2x node, and per slit the meta jwst keeps there.

    jwst saves each slit of a MultiSlitModel with its own ``meta.model_type``
    (``SlitModel``; ``exp_to_source`` in ResampleSpecStep/Extract1dStep reads
    it), ``meta.date`` and ``meta.wcs``; its other meta come from the slit's
    SCI header.
    """
    tree = node.tree()
    wcs = ds.attrs.get("wcs")
    nslit = ds.sizes["slit"]
    objects: list[Any] = [None] * nslit
    if wcs is not None:
        stored = tree[N.SPEC2X_NODE]["wcs"] = N.wcs_objects(wcs)  # meta below: same objects
        names = [str(v) for v in ds.coords["slit_name"].values] if "slit_name" in ds.coords else []
        if not isinstance(stored, dict):
            objects = [stored] * nslit
        elif names:
            objects = [stored.get(n) for n in names]
    attrs = [_tree_attrs(ds, i) for i in range(nslit)]
    if model == "SlitModel":
        tree.update(attrs[0])
        if objects[0] is not None:
            tree["meta"] = {"wcs": objects[0]}
        return tree
    date = ds.attrs.get("DATE")
    date = date if isinstance(date, str) else _now()
    metas: list[dict[str, Any]] = []
    for obj in objects:
        meta: dict[str, Any] = {"date": date, "model_type": "SlitModel"}
        if obj is not None:
            meta["wcs"] = obj
        metas.append(meta)
    tree["slits"] = [{**a, "meta": meta} for a, meta in zip(attrs, metas, strict=True)]
    return tree


def _tree_attrs(ds: xr.Dataset, i: int) -> dict[str, Any]:
    """Slit ``i``'s attributes jwst keeps in the ASDF tree only (``slit_ymin`` ...)."""
    out: dict[str, Any] = {}
    for name, attr in SLIT_TREE.items():
        if name in ds.coords and ds[name].dims == ("slit",):
            value = L.plain_value(ds[name].values[i])
            if (
                isinstance(value, bool | int | str)
                or isinstance(value, float)
                and np.isfinite(value)
            ):
                out[attr] = value
    return out


def _now() -> str:
    """The current UTC time as jwst writes ``meta.date`` (ISO, milliseconds)."""
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "")


def _is_slit_image(da: xr.DataArray, image_dims: tuple[Any, ...]) -> bool:
    return {"slit", "y", "x"} <= set(da.dims) and set(da.dims) <= set(image_dims)


def _size(ds: xr.Dataset, name: str, i: int, full: int) -> int:
    if name not in ds.coords:
        return full
    value = int(ds.coords[name].values[i])
    return full if value <= 0 else min(value, full)


def _default_index(sizes: Any) -> dict[str, np.ndarray]:
    out = {d: np.arange(sizes[d], dtype=np.int32) for d in ("y", "x") if d in sizes}
    if "integration" in sizes:
        out["integration"] = np.arange(1, sizes["integration"] + 1, dtype=np.int32)
    return out


# --------------------------------------------------------------------------- read


def read_slits(path: Path, hdul: fits.HDUList, model: str, chunks: Any) -> xr.Dataset:
    """A MultiSlitModel/SlitModel file as a slits Dataset (cut-outs padded to one shape)."""
    sci_hdus = [hdu for hdu in hdul if hdu.name == "SCI"]
    if not sci_hdus:
        raise F.InputFileError(f"{path}: no SCI extension; pass a jwst slits (cal/s2d) product")
    ndim = sci_hdus[0].header.get("NAXIS", 0)
    if ndim not in (2, 3):
        raise F.InputFileError(
            f"{path}: SCI has {ndim} dimensions; a slit cut-out needs 2 or 3 (with integrations)"
        )
    core = ("y", "x") if ndim == 2 else ("integration", "y", "x")
    shapes = [F._shape(h.header) for h in sci_hdus]
    full = tuple(max(s[k] for s in shapes) for k in range(ndim))
    vers = [h.ver for h in sci_hdus]
    tree = L.read_asdf_tree(hdul)
    node = dict(tree.get(N.SPEC2X_NODE) or {})
    slit_coords = dict(node.get("slit_coords") or {})
    headers = [h.header for h in sci_hdus]
    attrs = F.merged_attrs(hdul[0].header, headers[0])
    coords: dict[str, Any] = {}
    if slit_coords:
        wanted = {name: kw for name, kw in slit_coords.items()}
    else:
        wanted = {name: kw for kw, name in SLIT_COORDS.items() if any(kw in h for h in headers)}
        for kw in EXPOSURE_SCI:
            values = [h.get(kw) for h in headers]
            if any(v != values[0] for v in values):
                wanted[kw.lower()] = kw
        if len({h.get("BUNIT") for h in headers}) > 1:  # photom: MJy or MJy/sr per slit
            wanted["bunit_data"] = "BUNIT"
    for name, kw in wanted.items():
        attrs.pop(kw, None)
        coords[name] = ("slit", np.array([_fill(h.get(kw), kw) for h in headers]))
    attrs["FILENAME"] = path.name
    attrs.setdefault("DATAMODL", model or "MultiSlitModel")
    dims = ("slit", *core)
    data_vars: dict[str, Any] = {}
    extnames = [h.name for h in hdul if isinstance(h, fits.ImageHDU) and h.ver in vers]
    for ext in dict.fromkeys(extnames):
        by_ver = {h.ver: h for h in hdul if h.name == ext and isinstance(h, fits.ImageHDU)}
        if not all(v in by_ver for v in vers):
            continue
        first = by_ver[vers[0]]
        if first.header.get("NAXIS", 0) != ndim:
            continue
        name = L.VARNAMES.get(ext, ext.lower())
        hdus = [by_ver[v] for v in vers]
        if chunks is None:
            arr: Any = np.stack([_padded(path, h, full) for h in hdus])
        else:
            arr = _lazy_stack(path, hdus, core, full, chunks)
        units = first.header.get("BUNIT")
        var_attrs = {"units": units} if units is not None else {}
        is_coord = ext == "WAVELENGTH" or bool(first.header.get(F.COORD_FLAG, False))
        (coords if is_coord else data_vars)[name] = (dims, arr, var_attrs)
    F._default_units(data_vars, attrs)
    for d, index in _default_index(dict(zip(core, full, strict=True))).items():
        coords[d] = (d, index)
    if "INT_TIMES" in hdul and ndim == 3:
        coords.update(F.int_times_coords(hdul["INT_TIMES"], full[0]))
    ds = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    names = [str(v) for v in ds.coords["slit_name"].values] if "slit_name" in ds.coords else None
    if names is None:
        names = [str(i + 1) for i in range(len(vers))]
    out = N.apply_node(ds, hdul, slits=names if model != "SlitModel" else None, tree=tree)
    wcs = out.attrs.get("wcs")
    if model == "SlitModel" and wcs is not None and not isinstance(wcs, dict) and names:
        if "wcs_text" not in node and "wcs" not in node:
            out.attrs["wcs"] = {names[0]: out.attrs["wcs"]}
    return out


#: Per-slit keywords holding text (a slit without one reads as "").
_TEXT_KEYWORDS = frozenset(
    ("SLTNAME", "SRCNAME", "SRCALIAS", "SRCTYPE", "SHUTSTA", "PTHLOSS", "BUNIT")
)


def _fill(value: Any, keyword: str) -> Any:
    if value is not None:
        return value
    return "" if keyword in _TEXT_KEYWORDS else np.nan


def _pad_value(dtype: np.dtype, name: str) -> Any:
    if name == "DQ":
        return PADDING_DQ
    return np.nan if dtype.kind in "fc" else 0


def _padded(path: Path, hdu: Any, full: tuple[int, ...]) -> np.ndarray:
    data = L.HDUSlab(path, hdu, F._image_dtype(hdu.header))[...]
    pad = [(0, f - n) for n, f in zip(data.shape, full, strict=True)]
    if not any(p[1] for p in pad):
        return data
    return np.pad(data, pad, constant_values=_pad_value(data.dtype, hdu.name))


def _lazy_stack(
    path: Path, hdus: list[Any], core: tuple[str, ...], full: tuple[int, ...], chunks: Any
) -> Any:
    """One Dask array over every slit's extension: one chunk per slit (and per integration block)."""
    import dask.array as dsa
    from dask.base import tokenize

    dtype = F._image_dtype(hdus[0].header)
    slabs = [L.HDUSlab(path, h, dtype) for h in hdus]
    stack = L.PaddedStack(slabs, (len(hdus), *full), _pad_value(dtype, hdus[0].name))
    want = {"slit": 1}
    if chunks != "auto":
        want.update(dict(chunks))
    spec = tuple(-1 if want.get(d) is None else want[d] for d in ("slit", *core))
    stat = path.stat()
    name = "fits-slits-" + tokenize(
        str(path.resolve()), stat.st_mtime_ns, hdus[0].name, [h.ver for h in hdus], spec
    )
    return dsa.from_array(
        stack, chunks=spec, name=name, meta=np.empty((0,) * stack.ndim, dtype), asarray=False
    )
