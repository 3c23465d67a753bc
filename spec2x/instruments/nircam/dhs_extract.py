"""extract_2d for a NIRCam DHS time series: one cut-out per stripe.

jwst 3.0.0 (``extract_2d.grisms._extract_tso_dhs_object``) cuts each stripe
out on its own, in the one order, into a MultiSlitModel whose slits are
named by the stripe number: on the long-wave detector stripes 1 ... n, the
rows each was read into (:func:`.stripes.stripe_ranges`, science frame, the
last row of each range dropped as jwst's slice; a subarray read along
columns: its column ranges taken as rows, as jwst's) and every column; on a
short-wave detector each stripe label the WCS gives a pixel, the box of its
pixels.  Each cut-out gets jwst's WCS (``Mapping((0, 1, 0)) | Shift(xmin) &
Shift(ymin) & Const1D(order)`` before the exposure's ``grism_detector ->
direct_image``) and float32 wavelengths from it; XSTART is 1 whatever the
cut-out's first column, as jwst writes it.  No source position is written
(jwst sets none for DHS).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import xarray as xr
from gwcs.wcstools import grid_from_bounding_box

from ...errors import StepOrderError
from ...slits import Slits, to_tree
from ...steps._common import record_step
from ...steps._cutouts import stack_cutouts
from ...wcs.store import WCS_ATTR, WCS_COORD, get_wcs, stored_wcs, wcs_coord
from ..nirspec.fs import SLITS_ATTR
from .dhs_wcs import dhs_stripe_count
from .stripes import slow_dim, stripe_ranges
from .tso_frames import tso_cutout_wcs

__all__ = ["dhs_boxes", "extract_dhs"]

log = logging.getLogger(__name__)


def dhs_boxes(
    attrs: dict[str, Any], shape: tuple[int, int], wcs: Any
) -> list[tuple[int, int, int, int, int]]:
    """(stripe, first column, first row, columns, rows) of each stripe's cut-out (0-based).

    Long wave: stripes 1 ... n, the subarray rows each was read into (science
    frame, jwst's slice end dropped), every column.  Short wave: each stripe
    label the WCS gives a pixel (increasing), the box of its pixels.
    """
    ny, nx = shape
    xsize, ysize = int(attrs.get("SUBSIZE1") or nx), int(attrs.get("SUBSIZE2") or ny)
    out: list[tuple[int, int, int, int, int]] = []
    if "LONG" in str(attrs.get("DETECTOR", "")).upper():
        # the slow axis's subarray ranges taken as rows, as jwst's (a subarray read
        # along columns too)
        ranges = stripe_ranges(attrs, nx if slow_dim(attrs) == "x" else ny).science_subarray()
        for i in range(dhs_stripe_count(attrs)):
            first, stop = ranges[i]
            ymin, ymax = max(first, 0), min(stop - 1, ysize)
            out.append((i + 1, 0, ymin, min(nx - 1, xsize) + 1, min(ymax + 1, ny) - ymin))
        return out
    yy, xx = np.mgrid[0:ny, 0:nx]
    labels = wcs.get_transform("grism_detector", "direct_image")(xx, yy, np.ones_like(xx))[-1]
    for stripe in np.unique(labels[np.isfinite(labels)]).astype(int):
        ys, xs = np.nonzero(labels == stripe)
        xmin, xmax = max(int(xs.min()), 0), min(int(xs.max()), xsize)
        ymin, ymax = max(int(ys.min()), 0), min(int(ys.max()), ysize)
        out.append((int(stripe), xmin, ymin, min(xmax + 1, nx) - xmin, min(ymax + 1, ny) - ymin))
    return out


def extract_dhs(ds: xr.Dataset, order: int) -> Slits:
    """Cut each stripe of a DHS time series out (see the module).

    Parameters
    ----------
    ds : NRC_TSGRISM DHS exposure after assign_wcs (``[integration,] y, x``).
    order : the spectral order (:func:`.tsgrism_extract.tsgrism_order`).

    Returns
    -------
    A MultiSlitModel product ``(slit, [integration,] y, x)``, one slit per
    stripe, with ``wavelength`` (µm) and the coords ``slit_name`` (the
    stripe) ``source_id`` (1) ``spectral_order xstart ystart xsize ysize``
    (1-based starts) and ``wcs``.

    Raises
    ------
    StepOrderError
        assign_wcs has not run.
    """
    if ds.attrs.get(WCS_ATTR) is None:
        raise StepOrderError("extract_2d needs the NRC_TSGRISM DHS WCS: run assign_wcs first")
    ny, nx = ds.sizes["y"], ds.sizes["x"]
    wcs = get_wcs(ds)
    boxes = dhs_boxes(dict(ds.attrs), (ny, nx), wcs)
    rows, cols = max(b[4] for b in boxes), max(b[3] for b in boxes)
    lams, wcss = [], []
    for stripe, xmin, ymin, width, height in boxes:
        cut = tso_cutout_wcs(wcs, ymin, order, (height, width), xmin=xmin)
        x, y = grid_from_bounding_box(cut.bounding_box)
        lam = np.full((rows, cols), np.nan, np.float32)
        lam[:height, :width] = np.asarray(cut(x, y)[2], np.float32)
        lams.append(lam)
        wcss.append(stored_wcs(cut))
        log.info("extract_2d: DHS stripe %d, order %d, rows %d-%d, columns %d-%d", stripe,
                 order, ymin, ymin + height - 1, xmin, xmin + width - 1)  # fmt: skip
    out = stack_cutouts(ds, [(b[2], b[1], b[4], b[3], (b[4], b[3])) for b in boxes], (rows, cols))
    n = len(boxes)
    attrs = {k: v for k, v in ds.attrs.items() if k not in (WCS_ATTR, SLITS_ATTR)}
    attrs.update(DATAMODL="MultiSlitModel")
    out = out.assign_coords(
        wavelength=(("slit", "y", "x"), np.stack(lams), {"units": "um"}),
        slit_name=("slit", np.array([str(b[0]) for b in boxes])),
        source_id=("slit", np.ones(n, np.int32)),
        spectral_order=("slit", np.full(n, order, np.int32)),
        # jwst's build_grism_submodel writes XSTART 1 whatever the first column (the WCS
        # holds the shift)
        xstart=("slit", np.ones(n, np.int32)),
        ystart=("slit", np.array([b[2] + 1 for b in boxes], np.int32)),
        xsize=("slit", np.array([b[3] for b in boxes], np.int32)),
        ysize=("slit", np.array([b[4] for b in boxes], np.int32)),
    )
    out = out.assign_coords({WCS_COORD: wcs_coord(wcss)})
    out.attrs = attrs
    return to_tree([record_step(out, "extract_2d")])
