"""Where each catalogue source's spectrum falls on a grism exposure: one box per source and order.

The direct-image catalogue gives each source's sky centroid and the four
corners of its minimal sky bounding box.  The grism WCS
(:mod:`spec2x.wcs.grism`) maps the corners, at the shortest and longest
wavelength of each order (from the ``wavelengthrange`` reference), to the
dispersed image; the box spanning them is the source's cut-out for that
order.  jwst 3.0.0 (``create_grism_bbox`` and ``extract_grism_objects``)
does this one source at a time; here every source of an order goes
through the WCS in one call, and the box rules
(:mod:`spec2x._kernels.grism_boxes`) run on arrays.

The result is a table (a Dataset on dim ``box``) in jwst's slit order:
sources by increasing magnitude (``numpy.argsort``, as jwst), then orders in
the order asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .._kernels.grism_boxes import clip_to_detector, order_boxes
from ..io.refs_grism import WfssWavelengthRange
from ..io.source_catalog import SourceCatalog

__all__ = ["grism_boxes", "order_ranges", "select_sources"]

log = logging.getLogger(__name__)


def order_ranges(
    ranges: WfssWavelengthRange, element: str, orders: Sequence[int] | None = None
) -> dict[int, tuple[float, float]]:
    """order -> (low, high) µm of ``element`` (NIRCam: FILTER, NIRISS: PUPIL) for ``orders``
    (None: the file's ``extract_orders`` of the element), as jwst's ``create_grism_bbox``.

    Raises
    ------
    ReferenceMismatchError
        The file has no row for the element or an order.
    """
    element = str(element).strip().upper()
    chosen = ranges.orders_for(element) if orders is None else tuple(int(o) for o in orders)
    return ranges.for_orders(element, chosen)


def select_sources(
    catalog: SourceCatalog,
    *,
    mmag_extract: float | None = None,
    source_ids: Sequence[int] | None = None,
) -> np.ndarray:
    """Indices of the sources to extract: brighter than ``mmag_extract`` and in ``source_ids``.

    A source whose magnitude is NaN is kept (jwst compares ``abmag >= limit``).
    """
    limit = 999.0 if mmag_extract is None else float(mmag_extract)
    with np.errstate(invalid="ignore"):
        keep = ~(catalog.abmag >= limit)
    if source_ids is not None:
        keep &= np.isin(catalog.label, np.atleast_1d(np.asarray(source_ids)))
    return np.flatnonzero(keep)


def _order_positions(
    sky_to_grism: Any,
    catalog: SourceCatalog,
    index: np.ndarray,
    order: int,
    lam: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """(source, 8) dispersed x, y of the sky-box corners at both ends of the order's range."""
    ra = catalog.corner_ra[index].ravel()
    dec = catalog.corner_dec[index].ravel()
    xs, ys = [], []
    for wavelength in lam:
        x, y, *_ = sky_to_grism(ra, dec, wavelength, order)
        xs.append(np.reshape(x, (index.size, 4)))
        ys.append(np.reshape(y, (index.size, 4)))
    return np.hstack(xs), np.hstack(ys)


def _cross_centre(
    sky_to_grism: Any,
    catalog: SourceCatalog,
    index: np.ndarray,
    order: int,
    lam: tuple[float, float],
    dispaxis: int,
) -> np.ndarray:
    """Cross-dispersion position of each point source's centroid at the middle wavelength."""
    x, y, *_ = sky_to_grism(catalog.ra[index], catalog.dec[index], (lam[0] + lam[1]) / 2, order)
    centre = np.asarray(x if dispaxis == 2 else y, dtype=np.float64).reshape(index.size)
    return np.where(catalog.is_extended[index], np.nan, centre)


def grism_boxes(
    wcs: Any,
    catalog: SourceCatalog,
    ranges: Mapping[int, tuple[float, float]],
    *,
    shape: tuple[int, int],
    dispaxis: int,
    mmag_extract: float | None = None,
    source_ids: Sequence[int] | None = None,
    half_height: float | None = None,
    nbright: int | None = None,
) -> xr.Dataset:
    """The box of every source and order whose spectrum reaches the detector.

    Parameters
    ----------
    wcs : the exposure's grism gwcs (frames ``grism_detector`` ... ``world``).
    catalog : the direct-image source catalogue.
    ranges : order -> (shortest, longest) wavelength µm, in the order to extract.
    shape : (ny, nx) of the dispersed image.
    dispaxis : 1 (dispersion along x) or 2 (along y), the exposure's ``DISPAXIS``.
    mmag_extract : extract only sources brighter (smaller AB magnitude).
    source_ids : extract only these catalogue labels.
    half_height : cross-dispersion half height (pixels) of point-source boxes
        (None: from the sky box, as for extended sources).
    nbright : extract only the ``nbright`` brightest sources.

    Returns
    -------
    Dataset on dim ``box`` (one per source and order): ``source_id``,
    ``order``, ``xmin``, ``xmax``, ``ymin``, ``ymax`` (the box in full-array
    pixels, jwst's ``order_bounding``, may reach off the detector),
    ``partial``, ``xstart``, ``ystart``, ``xsize``, ``ysize`` (the cut-out,
    0-based, clamped to the detector), ``extract`` (extract_2d makes a
    cut-out), ``xcentroid``, ``ycentroid`` (direct-image pixel of the
    centroid), ``ra``, ``dec`` (deg), ``abmag``, ``is_extended``,
    ``wavelength_min``, ``wavelength_max`` (µm).
    """
    index = select_sources(catalog, mmag_extract=mmag_extract, source_ids=source_ids)
    sky_to_grism = wcs.backward_transform
    orders = list(ranges)
    per_order = []
    for order in orders:
        x, y = _order_positions(sky_to_grism, catalog, index, order, ranges[order])
        cross = None
        if half_height is not None:
            cross = _cross_centre(sky_to_grism, catalog, index, order, ranges[order], dispaxis)
        per_order.append(order_boxes(x, y, shape, dispaxis, cross=cross, half_height=half_height))
    boxes = {k: np.stack([b[k] for b in per_order], axis=1) for k in per_order[0]} if orders else {}
    any_order = boxes["keep"].any(axis=1) if orders else np.zeros(index.size, bool)
    kept = index[any_order]
    rank = np.argsort(catalog.abmag[kept])
    if nbright is not None:
        rank = rank[:nbright]
    rows = np.flatnonzero(any_order)[rank]
    sources = index[rows]
    table = _table(wcs, catalog, sources, {k: v[rows] for k, v in boxes.items()}, orders, ranges)
    table = _with_cutouts(table, shape)
    log.info(
        "grism boxes: %d source(s) of %d, %d box(es), %d cut-out(s)",
        sources.size,
        len(catalog),
        table.sizes["box"],
        int(table["extract"].sum()),
    )
    return table


def _table(
    wcs: Any,
    catalog: SourceCatalog,
    sources: np.ndarray,
    boxes: Mapping[str, np.ndarray],
    orders: list[int],
    ranges: Mapping[int, tuple[float, float]],
) -> xr.Dataset:
    """One row per kept (source, order), source-major."""
    keep = boxes["keep"] if orders else np.zeros((sources.size, 0), bool)
    src_i, ord_i = np.nonzero(keep)
    which = sources[src_i]
    xc, yc = _centroids(wcs, catalog, sources)
    lam = np.array([ranges[o] for o in orders], dtype=np.float64).reshape(len(orders), 2)
    columns: dict[str, Any] = {
        "source_id": catalog.label[which],
        "order": np.asarray(orders, dtype=np.int64)[ord_i],
        **{k: boxes[k][src_i, ord_i] for k in ("xmin", "xmax", "ymin", "ymax", "partial")},
        "xcentroid": xc[src_i],
        "ycentroid": yc[src_i],
        "ra": catalog.ra[which],
        "dec": catalog.dec[which],
        "abmag": catalog.abmag[which],
        "is_extended": catalog.is_extended[which],
        "wavelength_min": lam[ord_i, 0],
        "wavelength_max": lam[ord_i, 1],
    }
    units = {"xcentroid": "pixel", "ycentroid": "pixel", "ra": "deg", "dec": "deg"}
    units.update(wavelength_min="um", wavelength_max="um")
    return xr.Dataset(
        {k: ("box", v, {"units": units[k]} if k in units else {}) for k, v in columns.items()}
    )


def _centroids(
    wcs: Any, catalog: SourceCatalog, sources: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Direct-image pixel (x, y) of each source's sky centroid, one scalar call per source.

    jwst's ``create_grism_bbox`` calls the transform source by source; an
    array call rounds differently (1e-13 pixel), enough to move a float32
    cut-out wavelength by one step at the trace ends.
    """
    to_detector = wcs.get_transform("world", "detector")
    xy = np.empty((2, sources.size), dtype=np.float64)
    for k, i in enumerate(sources):
        x, y, *_ = to_detector(float(catalog.ra[i]), float(catalog.dec[i]), 1, 1)
        xy[:, k] = float(x), float(y)
    return xy[0], xy[1]


def _with_cutouts(table: xr.Dataset, shape: tuple[int, int]) -> xr.Dataset:
    """Add extract_2d's cut-out of each box: start, size and whether it is non-empty."""
    ystart, ysize, y_ok = clip_to_detector(table["ymin"].values, table["ymax"].values, shape[0])
    xstart, xsize, x_ok = clip_to_detector(table["xmin"].values, table["xmax"].values, shape[1])
    return table.assign(
        xstart=("box", xstart),
        ystart=("box", ystart),
        xsize=("box", xsize),
        ysize=("box", ysize),
        extract=("box", x_ok & y_ok),
    )
