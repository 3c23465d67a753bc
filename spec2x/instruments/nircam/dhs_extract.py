"""extract_2d for a NIRCam DHS time series (long wave): one cut-out per stripe.

jwst 3.0.0 (``extract_2d.grisms._extract_tso_dhs_object``) cuts each stripe
of a long-wave DHS subarray out on its own: the rows the stripe was read
into (:func:`.stripes.stripe_ranges`, science frame, the last row of each
range dropped as jwst's slice), every column, the one order; a
MultiSlitModel whose slits are named by the stripe number (1 ... n), each
with jwst's cut-out WCS (``Mapping((0, 1, 0)) | Shift(0) & Shift(ymin) &
Const1D(order)`` before the exposure's ``grism_detector -> direct_image``)
and float32 wavelengths from it.  No source position is written (jwst sets
none for DHS).
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr
from gwcs.wcstools import grid_from_bounding_box

from ...errors import StepOrderError, UnsupportedModeError
from ...slits import Slits, to_tree
from ...steps._common import record_step
from ...steps._cutouts import stack_cutouts
from ...wcs.store import WCS_ATTR, WCS_COORD, get_wcs, stored_wcs, wcs_coord
from ..nirspec.fs import SLITS_ATTR
from .dhs_wcs import dhs_stripe_count
from .stripes import stripe_ranges
from .tso_frames import tso_cutout_wcs

__all__ = ["dhs_boxes", "extract_dhs"]

log = logging.getLogger(__name__)


def dhs_boxes(attrs: dict, shape: tuple[int, int]) -> list[tuple[int, int, int]]:
    """(stripe, first row, rows) of each stripe's cut-out (0-based, science frame).

    Raises
    ------
    UnsupportedModeError
        A short-wave detector (its stripes come from the regions map: not built).
    """
    if "LONG" not in str(attrs.get("DETECTOR", "")).upper():
        raise UnsupportedModeError(
            f"DETECTOR={attrs.get('DETECTOR')!r}: spec2x cuts the DHS stripes of the long-wave "
            "detector only (NRCALONG)"
        )
    ranges = stripe_ranges(attrs, shape[0]).science_subarray()
    out = []
    for i in range(dhs_stripe_count(attrs)):
        first, stop = ranges[i]
        ymin, ymax = max(first, 0), min(stop - 1, int(attrs.get("SUBSIZE2") or shape[0]))
        out.append((i + 1, ymin, min(ymax + 1, shape[0]) - ymin))
    return out


def extract_dhs(ds: xr.Dataset, order: int) -> Slits:
    """Cut each stripe of a long-wave DHS time series out (see the module).

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
    boxes = dhs_boxes(dict(ds.attrs), (ny, nx))
    wcs = get_wcs(ds)
    rows = max(b[2] for b in boxes)
    lams, wcss = [], []
    for stripe, ymin, height in boxes:
        cut = tso_cutout_wcs(wcs, ymin, order, (height, nx))
        x, y = grid_from_bounding_box(cut.bounding_box)
        lam = np.full((rows, nx), np.nan, np.float32)
        lam[:height] = np.asarray(cut(x, y)[2], np.float32)
        lams.append(lam)
        wcss.append(stored_wcs(cut))
        log.info("extract_2d: DHS stripe %d, order %d, rows %d-%d", stripe, order, ymin,
                 ymin + height - 1)  # fmt: skip
    out = stack_cutouts(ds, [(b[1], 0, b[2], nx, (b[2], nx)) for b in boxes], (rows, nx))
    n = len(boxes)
    attrs = {k: v for k, v in ds.attrs.items() if k not in (WCS_ATTR, SLITS_ATTR)}
    attrs.update(DATAMODL="MultiSlitModel")
    out = out.assign_coords(
        wavelength=(("slit", "y", "x"), np.stack(lams), {"units": "um"}),
        slit_name=("slit", np.array([str(b[0]) for b in boxes])),
        source_id=("slit", np.ones(n, np.int32)),
        spectral_order=("slit", np.full(n, order, np.int32)),
        xstart=("slit", np.ones(n, np.int32)),
        ystart=("slit", np.array([b[1] + 1 for b in boxes], np.int32)),
        xsize=("slit", np.full(n, nx, np.int32)),
        ysize=("slit", np.array([b[2] for b in boxes], np.int32)),
    )
    out = out.assign_coords({WCS_COORD: wcs_coord(wcss)})
    out.attrs = attrs
    return to_tree([record_step(out, "extract_2d")])
