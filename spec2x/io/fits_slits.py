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

from ..errors import InputFileError
from ..wcs.store import WCS_ATTR, WCS_COORD, wcs_coord, with_wcs_coord
from . import fits_exposure as E
from . import fits_images as I
from . import fits_layout as L
from . import fits_node as N
from .fits_asdf import asdf_hdu, read_asdf_tree
from .fits_keywords import CUTOUT_COORDS, EXPOSURE_SCI, SLIT_COORDS, SLIT_TREE, absent_for_slit
from .fits_raw import card_images
from .fits_scan import is_image_extension
from .fits_slits_wcs import DEFERRED_WCS, deferred_wcs

__all__ = ["read_slits", "slits_hdus"]

#: coord name -> slit keyword (contract names and jwst attribute names).
_KEYWORD_FOR = {name: kw for kw, name in SLIT_COORDS.items()}
_KEYWORD_FOR.update({"source_type": "SRCTYPE", "name": "SLTNAME", "bunit_data": "BUNIT"})
_KEYWORD_FOR.update({name: kw for kw, name in CUTOUT_COORDS.items()})
#: The spectral order of each slit (WFSS: a source per order) is SPORDER in its SCI header,
#: named as on spectra (x1d ``spectral_order``), not ``sporder``.
_KEYWORD_FOR["spectral_order"] = "SPORDER"
#: Per-slit WCS/photometry keywords a per-slit coord may carry (``s_region`` -> S_REGION).
_PER_SLIT_META = {kw.lower(): kw for kw in EXPOSURE_SCI}


def slit_keyword(name: str) -> str | None:
    """The SCI keyword a per-slit coord is written as (None: it rides in the spec2x node)."""
    return _KEYWORD_FOR.get(name) or _PER_SLIT_META.get(name)


def slits_hdus(
    ds: xr.Dataset, model: str, filename: str, parts: list[xr.Dataset] | None = None
) -> list[Any]:
    """HDUs of a MultiSlitModel (or one-slit SlitModel) file.

    ``parts`` are the padded groups of a grouped product (:mod:`spec2x.slits`)
    and ``ds`` then a Dataset of every slit's per-slit coords (images cut to
    one pixel); each slit is written from its own group, at its own size.
    """
    parts = [ds] if parts is None else parts
    primary, sci_kw, node = E.split_keywords(ds, model, filename)
    hdus: list[Any] = [primary]
    image_dims = ds["sci"].dims
    per_slit = _per_slit_keywords(ds, node)
    for part in parts:
        _index_coords(node, part, grouped=len(parts) > 1)
    node.extra["slit_coords"] = per_slit
    if len(parts) > 1:
        node.extra["slit_groups"] = [[p.sizes["slit"], p.sizes["y"], p.sizes["x"]] for p in parts]
    node.keep_shadowed(per_slit.values())
    names = [n for n in E.FIRST_VARS if n in ds] + [
        n for n in ds.data_vars if n not in E.FIRST_VARS
    ]
    images = [(str(n), False) for n in names if _is_slit_image(ds[n], image_dims)]
    images += [
        (str(n), True)
        for n, c in ds.coords.items()
        if str(n) not in per_slit and _is_slit_image(c, image_dims)
    ]
    for image, _ in images:
        node.var_meta(image, ds[image])
    for n in names:
        if not _is_slit_image(ds[n], image_dims):
            node.keep_coord(str(n), ds[n], variable=True)
    shared = card_images({k: v for k, v in sci_kw.items() if k not in per_slit.values()})
    slit_values = {n: ds.coords[n].values for n in per_slit}  # looked up once, not per slit
    quadrants = ds["quadrant"].values if "quadrant" in ds.coords else None
    first = 0
    for part in parts:
        arrays = _part_arrays(part, images)
        sizes = zip(_sizes(part, "ysize", "y"), _sizes(part, "xsize", "x"), strict=True)
        for i, (ysize, xsize) in enumerate(sizes):
            keywords = {}
            own = {} if quadrants is None else {"quadrant": quadrants[first + i]}
            for n, kw in per_slit.items():
                value = slit_values[n][first + i]
                if absent_for_slit(kw, own):
                    continue
                if L.header_writable(kw, value):
                    keywords[kw] = L.plain_value(value)
                elif kw in sci_kw:
                    keywords[kw] = sci_kw[kw]
            units = _slit_units(ds, first + i, keywords.pop("BUNIT", None))
            cut = {n: a[i, ..., :ysize, :xsize] for n, a in arrays.items()}
            hdus += _slit_images(cut, first + i, images, keywords, units, shared)
        first += part.sizes["slit"]
    table, node.int_times_filled = E.int_times_hdu(ds)
    if table is not None:
        hdus.append(table)
    hdus.append(asdf_hdu(_tree(node, ds, model)))
    return hdus


def _index_coords(node: N.Spec2xNode, part: xr.Dataset, grouped: bool) -> None:
    """Keep the dim coords of ``part`` the reader would not rebuild.

    Groups share one node, so a group's plain ``0..n-1`` index of another integer
    type is kept as its dtype only (a kept coord would carry one group's size).
    """
    rebuilt = _default_index(part.sizes)
    if grouped:
        for dim, want in rebuilt.items():
            index = part.coords.get(dim)
            if index is not None and not index.attrs and np.array_equal(index.values, want):
                node.dtypes[dim] = index.dtype.str
                rebuilt[dim] = index.values
    node.check_index_coords(part, rebuilt=rebuilt)


def _per_slit_keywords(ds: xr.Dataset, node: N.Spec2xNode) -> dict[str, str]:
    """Per-slit coord -> the SCI keyword it is written as; the node keeps what headers cannot."""
    image_dims = ds["sci"].dims
    per_slit: dict[str, str] = {}
    extent = {SLIT_COORDS[kw] for kw, name in CUTOUT_COORDS.items() if name in ds.coords}
    for key, coord in ds.coords.items():
        name = str(key)
        if name == WCS_COORD:
            continue  # written as ASDF objects in the tree, see _tree
        if name in extent:  # an s2d's image extent: its keyword holds the cut-out's
            node.keep_coord(name, coord)
            continue
        if coord.dims == ("slit",) and (kw := slit_keyword(name)) is not None:
            values = coord.values
            if any(L.header_writable(kw, v) for v in values):
                per_slit[name] = kw
                node.var_meta(name, coord)  # dtype and attrs (units ...)
                if not all(L.fits_able(kw, v) for v in values):
                    node.keep_coord(name, coord)  # the exact values win on reading
                continue
        if name in ("slit", "y", "x", "integration") or name.startswith("int_times_"):
            continue
        if not _is_slit_image(coord, image_dims):
            node.keep_coord(name, coord)
    return per_slit


def _slit_images(
    arrays: dict[str, np.ndarray],
    k: int,
    images: list[tuple[str, bool]],
    keywords: dict[str, Any],
    units: dict[str, Any],
    shared: str,
) -> list[Any]:
    """The image HDUs of slit ``k`` of the file, from its cut-out of each of ``arrays``.

    ``arrays`` are the slit's images cut to its own size (from its group's
    :func:`_part_arrays`); ``shared`` is the card text of the SCI keywords
    every slit carries.
    """
    return [
        E.image_hdu(
            arrays[name],
            E.extname(name),
            extver=k + 1,
            units=units.get(name),
            keywords=keywords if name == "sci" else None,
            coord=is_coord and name != "wavelength",
            shared=shared if name == "sci" else "",
        )
        for name, is_coord in images
        if name in arrays  # a group without it: jwst writes an extension only where a slit has one
    ]


def _part_arrays(part: xr.Dataset, images: list[tuple[str, bool]]) -> dict[str, np.ndarray]:
    """Every image of a group as one NumPy array, ``slit`` first, then the order of ``sci``."""
    order = [d for d in part["sci"].dims if d != "slit"]
    out = {}
    for name, _ in images:
        if name not in part.variables:
            continue
        da = part[name]
        out[name] = np.asarray(da.transpose("slit", *[d for d in order if d in da.dims]).data)
    return out


def grouped_slits_hdus(tree: xr.DataTree, model: str, filename: str) -> list[Any]:
    """HDUs of a grouped slits product: one MultiSlitModel, every slit at its own size."""
    from ..slits import groups, merge

    parts = groups(tree)
    thin = merge([p.isel(y=slice(0, 1), x=slice(0, 1)) for p in parts])
    thin.attrs = {**parts[0].attrs, **{str(k): v for k, v in tree.attrs.items()}}
    return slits_hdus(thin, model, filename, parts)


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
    nslit = ds.sizes["slit"]
    objects: list[Any] = [None] * nslit
    if WCS_COORD in ds.coords or isinstance(ds.attrs.get(WCS_ATTR), dict):
        per_slit = list(with_wcs_coord(ds, always=True)[WCS_COORD].values)
        if any(w is not None for w in per_slit):  # in each slit's meta only (read lazily)
            if model != "SlitModel" and ds.attrs.get("EXP_TYPE") in DEFERRED_WCS:
                objects = deferred_wcs(per_slit)
            else:
                objects = N.wcs_objects(per_slit)
            if model == "SlitModel":
                tree[N.SPEC2X_NODE]["wcs"] = objects
    elif ds.attrs.get(WCS_ATTR) is not None:
        tree[N.SPEC2X_NODE]["wcs"] = one = N.wcs_objects(ds.attrs[WCS_ATTR])
        objects = [one] * nslit
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


def _sizes(ds: xr.Dataset, name: str, dim: str) -> list[int]:
    """Each slit's own size along ``dim`` (``ysize``/``xsize``; 0 or absent: the padded size)."""
    full = ds.sizes[dim]
    if name not in ds.coords:
        return [full] * ds.sizes["slit"]
    return [full if v <= 0 else min(int(v), full) for v in ds.coords[name].values]


def _default_index(sizes: Any) -> dict[str, np.ndarray]:
    out = {d: np.arange(sizes[d], dtype=np.int32) for d in ("y", "x") if d in sizes}
    if "integration" in sizes:
        out["integration"] = np.arange(1, sizes["integration"] + 1, dtype=np.int32)
    return out


# --------------------------------------------------------------------------- read


def read_slits(path: Path, hdul: fits.HDUList, model: str, chunks: Any) -> xr.Dataset | xr.DataTree:
    """A MultiSlitModel/SlitModel file as a slits Dataset (cut-outs padded to one shape).

    A file written from padded groups (:mod:`spec2x.slits`) reads back as the
    same DataTree of groups; each group's arrays are read into its own padded
    stack (eagerly when ``chunks`` is None), never into one stack of all.
    """
    tree = read_asdf_tree(hdul)
    plan = (tree.get(N.SPEC2X_NODE) or {}).get("slit_groups")
    if not plan:
        return _read_stack(path, hdul, model, chunks, tree)
    from ..slits import to_tree

    lazy = _read_stack(path, hdul, model, I.INDEXED if chunks is None else chunks, tree)
    parts, first = [], 0
    for n, ny, nx in plan:
        part = lazy.isel(slit=slice(first, first + n), y=slice(0, ny), x=slice(0, nx))
        parts.append(part.load() if chunks is None else part)
        first += n
    return to_tree(parts)


def _read_stack(
    path: Path, hdul: fits.HDUList, model: str, chunks: Any, tree: dict[str, Any]
) -> xr.Dataset:
    """Every slit of the file in one stack padded to the largest (lazy unless ``chunks`` is None)."""
    sci_hdus = [hdu for hdu in hdul if hdu.name == "SCI"]
    if not sci_hdus:
        raise InputFileError(f"{path}: no SCI extension; pass a jwst slits (cal/s2d) product")
    ndim = sci_hdus[0].header.get("NAXIS", 0)
    if ndim not in (2, 3):
        raise InputFileError(
            f"{path}: SCI has {ndim} dimensions; a slit cut-out needs 2 or 3 (with integrations)"
        )
    core = ("y", "x") if ndim == 2 else ("integration", "y", "x")
    shapes = [I.image_shape(h.header) for h in sci_hdus]
    full = tuple(max(s[k] for s in shapes) for k in range(ndim))
    vers = [h.ver for h in sci_hdus]
    node = dict(tree.get(N.SPEC2X_NODE) or {})
    slit_coords = dict(node.get("slit_coords") or {})
    headers = [h.header for h in sci_hdus]
    attrs = E.merged_attrs(hdul[0].header, headers[0])
    coords: dict[str, Any] = {}
    if slit_coords:
        wanted = {name: kw for name, kw in slit_coords.items()}
    else:
        wanted = {name: kw for kw, name in SLIT_COORDS.items() if any(kw in h for h in headers)}
        for kw in EXPOSURE_SCI:
            values = [h.get(kw) for h in headers]
            if any(v != values[0] for v in values):
                wanted["spectral_order" if kw == "SPORDER" else kw.lower()] = kw
        if len({h.get("BUNIT") for h in headers}) > 1:  # photom: MJy or MJy/sr per slit
            wanted["bunit_data"] = "BUNIT"
    for name, kw in wanted.items():
        attrs.pop(kw, None)
        coords[name] = ("slit", np.array([_fill(h.get(kw), kw) for h in headers]))
    attrs["FILENAME"] = path.name
    attrs.setdefault("DATAMODL", model or "MultiSlitModel")
    data_vars: dict[str, Any] = {}
    extnames = [h.name for h in hdul if is_image_extension(h) and h.ver in vers]
    for ext in dict.fromkeys(extnames):
        by_ver = {h.ver: h for h in hdul if h.name == ext and is_image_extension(h)}
        if not all(v in by_ver for v in vers):
            continue
        first = by_ver[vers[0]]
        # an image of every integration, or one (y, x) image for all (a TSO's WAVELENGTH)
        naxis = first.header.get("NAXIS", 0)
        if naxis not in (ndim, ndim - 1) or naxis < 2:
            continue
        own = core[ndim - naxis :]
        hdus = [by_ver[v] for v in vers]
        arr = I.padded_stack(path, hdus, own, full[ndim - naxis :], chunks)
        units = first.header.get("BUNIT")
        var_attrs = {"units": units} if units is not None else {}
        is_coord = ext == "WAVELENGTH" or bool(first.header.get(E.COORD_FLAG, False))
        name = L.VARNAMES.get(ext, ext.lower())
        (coords if is_coord else data_vars)[name] = (("slit", *own), arr, var_attrs)
    E.default_units(data_vars, attrs)
    for d, index in _default_index(dict(zip(core, full, strict=True))).items():
        coords[d] = (d, index)
    if "INT_TIMES" in hdul and ndim == 3:
        coords.update(E.int_times_coords(hdul["INT_TIMES"], full[0]))
    ds = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    names = [str(v) for v in ds.coords["slit_name"].values] if "slit_name" in ds.coords else None
    if names is None:
        names = [str(i + 1) for i in range(len(vers))]
    out = N.apply_node(ds, hdul, slits=names if model != "SlitModel" else None, tree=tree)
    return _wcs_per_slit(out, one_slit=model == "SlitModel" and "wcs" not in node)


def _wcs_per_slit(ds: xr.Dataset, one_slit: bool) -> xr.Dataset:
    """Move the WCS read from the tree into the per-slit ``wcs`` coord.

    A list (spec2x since 2026-12, jwst files) is one WCS per slit in order; a
    dict (older spec2x files) is keyed by slit name; a single WCS is the slit's
    own in a jwst ``SlitModel`` (``one_slit``) and the whole product's otherwise.
    """
    wcs = ds.attrs.get(WCS_ATTR)
    if wcs is None or not (isinstance(wcs, list | dict) or one_slit):
        return ds
    attrs = {k: v for k, v in ds.attrs.items() if k != WCS_ATTR}
    if isinstance(wcs, dict):
        return with_wcs_coord(ds)
    values = wcs if isinstance(wcs, list) else [wcs]
    out = ds.assign_coords({WCS_COORD: wcs_coord(values)})
    out.attrs = attrs
    return out


#: Per-slit keywords holding text (a slit without one reads as "").
_TEXT_KEYWORDS = frozenset(
    ("SLTNAME", "SRCNAME", "SRCALIAS", "SRCTYPE", "SHUTSTA", "PTHLOSS", "BUNIT")
)


def _fill(value: Any, keyword: str) -> Any:
    if value is not None:
        return value
    return "" if keyword in _TEXT_KEYWORDS else np.nan
