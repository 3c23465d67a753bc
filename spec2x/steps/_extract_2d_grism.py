"""extract_2d for wide-field slitless exposures: one cut-out per catalogue source and order.

The boxes come from :func:`spec2x.wcs.grism_boxes.grism_boxes` (jwst's
``create_grism_bbox`` rules, all sources at once); each box inside the
detector is cut out of every pixel array, as jwst 3.0.0's
``extract_grism_objects`` does, and the thousands of cut-outs of very
different shapes go to padded groups (:mod:`spec2x.slits`).  Each cut-out's
WCS is the exposure's grism WCS after a ``grism_slit`` frame that shifts to
the cut-out's corner and fixes the source position and order (jwst's
``Mapping((0, 1, 0, 0, 0)) | Shift & Shift & Const1D & Const1D & Const1D``),
kept as those numbers (:class:`spec2x.wcs.cutout.CutoutWcs`, a gwcs made only
when asked); its ``wavelength`` plane (float32, as jwst's) comes from the
dispersion model, one call per cut-out (jwst's).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..errors import InputFileError, StepOrderError
from ..io.fits_keywords import image_wcs_keyword
from ..io.refs_grism import WfssWavelengthRange, grism_reference
from ..io.source_catalog import SourceCatalog, read_source_catalog
from ..modes import lookup
from ..slits import MIN_PIXELS, Slits, plan_groups, to_tree
from ..wcs.cutout import CutoutWcs
from ..wcs.grism_boxes import grism_boxes, order_ranges
from ..wcs.store import WCS_ATTR, WCS_COORD, get_wcs, stored_wcs, wcs_coord
from ._common import record_step
from ._cutouts import stack_cutouts

__all__ = ["catalog_path", "extract_grism", "grism_from_chain"]

log = logging.getLogger(__name__)

#: Most padded pixels of one group of cut-outs (a float32 plane of 16 MB).
GROUP_PIXELS = 4_000_000


def _box_columns(table: xr.Dataset) -> list[tuple[float, float, float, float, int, int, int]]:
    """(xstart, ystart, xcentroid, ycentroid, order, ny, nx) of each box, as Python scalars
    (one pass over the table instead of an ``isel`` per box)."""
    names = ("xstart", "ystart", "xcentroid", "ycentroid", "order", "ysize", "xsize")
    cols = [table[n].values for n in names]
    return [
        (float(x0), float(y0), float(xc), float(yc), int(o), int(ny), int(nx))
        for x0, y0, xc, yc, o, ny, nx in zip(*cols, strict=True)
    ]


def _wavelengths(
    det2det: Any,
    rows: list[tuple[float, float, float, float, int, int, int]],
    shape: tuple[int, int],
) -> np.ndarray:
    """(cut-out, y, x) wavelength µm of every cut-out of a group (NaN in the padding).

    One dispersion-model call per cut-out, on its own pixel grid, as jwst's
    ``compute_wfss_wavelength``: the NIRISS models take the first pixel's
    source position and order for all their inputs.  float32 as jwst keeps
    them: photom's dispersion (µm per pixel) is the gradient of these values,
    and matches jwst's only from the same rounding.
    """
    lam = np.full((len(rows), *shape), np.nan, dtype=np.float32)
    for k, (x0, y0, xc, yc, order, ny, nx) in enumerate(rows):
        yy, xx = np.indices((ny, nx), dtype=np.float64)
        size = (ny, nx)
        lam[k, :ny, :nx] = det2det(
            xx + x0, yy + y0, np.full(size, xc), np.full(size, yc), np.full(size, order)
        )[2]
    return lam


def extract_grism(
    ds: xr.Dataset,
    catalog: SourceCatalog,
    ranges: WfssWavelengthRange,
    *,
    extract_orders: Sequence[int] | None = None,
    source_ids: Sequence[int] | None = None,
    half_height: float | None = 5,
    mmag_extract: float | None = None,
    nbright: int | None = 1000,
    max_padding: float = 1.25,
    min_pixels: int = MIN_PIXELS,
) -> Slits:
    """Cut every catalogue source's spectrum (each order) out of a WFSS exposure.

    Parameters
    ----------
    ds : dispersed exposure after assign_wcs (``y, x``), with the grism WCS and ``DISPAXIS``.
    catalog : the direct-image source catalogue.
    ranges : the ``wavelengthrange`` reference (orders and µm range per filter).
    extract_orders : the orders (None: the reference's ``extract_orders``).
    source_ids : extract only these catalogue labels.
    half_height : cross-dispersion half height (pixels) of point-source boxes
        (jwst's ``wfss_extract_half_height``; None: from the sky box).
    mmag_extract : only sources brighter than this AB magnitude.
    nbright : only the ``nbright`` brightest sources.
    max_padding, min_pixels : padded grouping of the cut-outs (:func:`spec2x.slits.plan_groups`).

    Returns
    -------
    Slits product ``(slit, y, x)`` in jwst's slit order (sources by magnitude,
    then orders), a DataTree of padded groups: the pixel arrays of each
    cut-out, ``wavelength`` (µm), per-slit coords ``slit_name`` (the source
    id, as jwst names them) ``source_id spectral_order xstart ystart xsize
    ysize`` (1-based starts) ``source_xpos source_ypos`` (direct-image
    pixel) ``source_ra source_dec`` (deg) ``is_extended`` and ``wcs``.

    Raises
    ------
    StepOrderError
        assign_wcs has not run.
    InputFileError
        No box of any source lies on the detector.
    """
    if ds.attrs.get(WCS_ATTR) is None or "DISPAXIS" not in ds.attrs:
        raise StepOrderError("extract_2d needs the grism WCS of a WFSS exposure: run assign_wcs")
    wcs = get_wcs(ds)
    mode = lookup(str(ds.attrs.get("EXP_TYPE", "")))
    element = ds.attrs.get("FILTER" if mode is None else mode.filter_keyword)
    shape = (ds.sizes["y"], ds.sizes["x"])
    table = grism_boxes(
        wcs,
        catalog,
        order_ranges(ranges, str(element), extract_orders),
        shape=shape,
        dispaxis=int(ds.attrs["DISPAXIS"]),
        mmag_extract=mmag_extract,
        source_ids=source_ids,
        half_height=half_height,
        nbright=nbright,
    )
    table = table.isel(box=np.flatnonzero(table["extract"].values))
    if table.sizes["box"] == 0:
        raise InputFileError(
            f"extract_2d: no source of {catalog.name} disperses onto {ds.attrs.get('FILENAME', '')}"
            "; check that the catalogue is the direct image of this exposure (SCATFILE)"
        )
    return _cutouts(ds, wcs, table, max_padding, min_pixels)


def _cutouts(
    ds: xr.Dataset, wcs: Any, table: xr.Dataset, max_padding: float, min_pixels: int
) -> Slits:
    """The padded groups of cut-outs of ``table``'s boxes."""
    det2det = wcs.get_transform(wcs.input_frame.name, "detector")
    parent = stored_wcs(ds.attrs[WCS_ATTR])
    # the direct image's celestial WCS keywords (assign_wcs's SIP fit) stay with the image
    attrs = {k: v for k, v in ds.attrs.items() if k != WCS_ATTR and not image_wcs_keyword(k)}
    attrs["DATAMODL"] = "MultiSlitModel"
    ysize, xsize = table["ysize"].values, table["xsize"].values
    boxes = [
        (int(r0), int(c0), int(h), int(w), (int(h), int(w)))
        for r0, c0, h, w in zip(
            table["ystart"].values, table["xstart"].values, ysize, xsize, strict=True
        )
    ]
    parts = []
    for members in _bounded(plan_groups(list(ysize), list(xsize), max_padding, min_pixels), table):
        rows = table.isel(box=members)
        shape = (int(ysize[members].max()), int(xsize[members].max()))
        part = stack_cutouts(ds, [boxes[k] for k in members], shape)
        scalars = _box_columns(rows)
        lam = _wavelengths(det2det, scalars, shape)
        coords: dict[str, Any] = {"wavelength": (("slit", "y", "x"), lam, {"units": "um"})}
        part = part.assign_coords({**coords, **_slit_coords(rows)})
        slit_wcs = [CutoutWcs(parent, numbers) for numbers in scalars]
        part = part.assign_coords({WCS_COORD: wcs_coord(slit_wcs)})
        part.attrs = dict(attrs)
        parts.append(record_step(part, "extract_2d"))
    log.info(
        "extract_2d: %d cut-out(s) of %d source(s) in %d padded group(s)",
        table.sizes["box"],
        np.unique(table["source_id"].values).size,
        len(parts),
    )
    return to_tree(parts)


def _bounded(groups: list[np.ndarray], table: xr.Dataset) -> list[np.ndarray]:
    """Each padded group split into runs of at most ``GROUP_PIXELS`` padded pixels: photom
    and extract_1d work a group at a time, so their temporaries stay this small however
    many cut-outs the exposure has."""
    ysize, xsize = table["ysize"].values, table["xsize"].values
    out = []
    for members in groups:
        per_slit = int(ysize[members].max()) * int(xsize[members].max())
        step = max(1, GROUP_PIXELS // per_slit)
        out += [members[k : k + step] for k in range(0, members.size, step)]
    return out


def _slit_coords(rows: xr.Dataset) -> dict[str, tuple[str, np.ndarray]]:
    """jwst's per-slit metadata of WFSS cut-outs (starts 1-based)."""
    sid = rows["source_id"].values.astype(np.int32)
    return {
        "slit_name": ("slit", sid.astype(str)),
        "source_id": ("slit", sid),
        "spectral_order": ("slit", rows["order"].values.astype(np.int32)),
        "xstart": ("slit", (rows["xstart"].values + 1).astype(np.int32)),
        "ystart": ("slit", (rows["ystart"].values + 1).astype(np.int32)),
        "xsize": ("slit", rows["xsize"].values.astype(np.int32)),
        "ysize": ("slit", rows["ysize"].values.astype(np.int32)),
        "source_xpos": ("slit", rows["xcentroid"].values.astype(np.float64)),
        "source_ypos": ("slit", rows["ycentroid"].values.astype(np.float64)),
        "source_ra": ("slit", rows["ra"].values.astype(np.float64)),
        "source_dec": ("slit", rows["dec"].values.astype(np.float64)),
        "is_extended": ("slit", rows["is_extended"].values.astype(bool)),
    }


def catalog_path(ds: xr.Dataset, ctx: Any) -> str:
    """The source catalogue: the association's ``sourcecat`` member, else ``SCATFILE``."""
    given = ctx.extra.get("sourcecat")
    if given:
        return os.fspath(given if isinstance(given, str | os.PathLike) else given[0])
    name = str(ds.attrs.get("SCATFILE") or "")
    if not name or name.upper() in ("N/A", "NONE"):
        raise InputFileError(
            f"{ds.attrs.get('FILENAME', 'the exposure')}: extract_2d needs the source catalogue; "
            "set SCATFILE or add a 'sourcecat' member to the association"
        )
    return name


def grism_from_chain(ds: xr.Dataset, ctx: Any) -> Slits:
    """Chain adapter for WFSS: jwst's extract_2d WFSS parameters and the ``wavelengthrange``."""
    p = ctx.params
    ranges = grism_reference(
        ctx.require_ref("wavelengthrange", ds), "wavelengthrange", WfssWavelengthRange, ds.attrs
    )
    orders = p.get("extract_orders")
    return extract_grism(
        ds,
        read_source_catalog(catalog_path(ds, ctx)),
        ranges,
        extract_orders=None if orders is None else [int(o) for o in np.atleast_1d(orders)],
        source_ids=p.get("source_ids"),
        half_height=p.get("wfss_extract_half_height", 5),
        mmag_extract=p.get("wfss_mmag_extract"),
        nbright=p.get("wfss_nbright", 1000),
    )
