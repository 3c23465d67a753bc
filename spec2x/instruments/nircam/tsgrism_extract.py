"""extract_2d for the NIRCam grism time series (``NRC_TSGRISM``): the one source's cut-out.

A time series has one bright source at the aperture's reference point, no
catalogue.  jwst 3.0.0 (``extract_2d.grisms._extract_tso_tsgrism_object``)
takes the order of the ``wavelengthrange``'s ``extract_orders`` row for the
filter (one order only), keeps every column of the subarray and rows
``0 ... min(height - 1, SUBSIZE2)`` (``height``: ``tsgrism_extract_height``,
else the subarray height: the whole subarray), and gives the cut-out a WCS
taking cut-out pixels ``(x, y)``: ``Mapping((0, 1, 0)) | Shift(0) &
Shift(ymin) & Const1D(order)`` before the exposure's ``grism_detector ->
direct_image`` transform.  The source position written on the cut-out
(``SRCXPOS``, ``XREF_SCI``) is the dither offset (``XOFFSET``, ``YOFFSET``,
arcsec in the ideal frame) taken back through the imaging distortion
(jwst's ``compute_tso_offset_center``); ``SRCYPOS`` and ``YREF_SCI`` are 34,
the row the instrument team puts the trace on.  The cut-out's ``wavelength``
(µm, float32 as jwst stores it) comes from its WCS on every pixel.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from gwcs.wcstools import grid_from_bounding_box
from stdatamodels.jwst.transforms.models import IdealToV2V3

from ...errors import (
    InputFileError,
    ParameterError,
    ReferenceMismatchError,
    StepOrderError,
    UnsupportedModeError,
)
from ...io.references import Reference
from ...modes import exp_type_of
from ...slits import Slits, to_tree
from ...steps._common import record_step
from ...steps._cutouts import stack_cutouts
from ...wcs.store import WCS_ATTR, WCS_COORD, get_wcs, stored_wcs, wcs_coord
from ..nirspec.fs import SLITS_ATTR
from .dhs_extract import extract_dhs
from .dhs_wcs import is_dhs
from .tso_frames import tso_cutout_wcs

__all__ = [
    "TRACE_ROW",
    "extract_tsgrism",
    "tsgrism_from_chain",
    "tsgrism_order",
    "tso_source_x",
]

log = logging.getLogger(__name__)

#: The cut-out row jwst records as the source's (``SRCYPOS``, ``YREF_SCI``).
TRACE_ROW = 34


def tsgrism_order(
    ref: Reference, attrs: Mapping[str, Any], extract_orders: Sequence[int] | None
) -> int:
    """The one spectral order extracted: ``extract_orders`` or the reference's row for FILTER.

    Raises
    ------
    ReferenceMismatchError
        The ``wavelengthrange`` is not for the exposure's type (its EXP_TYPE or
        P_EXP_TY; jwst requires NRC_TSGRISM) or has no row for the filter.
    ParameterError
        More than one order asked for (jwst: not implemented for time series).
    """
    tree = ref.content if isinstance(ref.content, dict) else {}
    exp_type = exp_type_of(attrs)
    types = {exp_type_of(ref.header)} | {
        t.strip().upper() for t in str(ref.header.get("P_EXP_TY", "")).split("|")
    }
    if "extract_orders" not in tree or exp_type not in types:
        raise ReferenceMismatchError(
            f"wavelengthrange {ref.name} is not for {exp_type} (EXP_TYPE "
            f"{exp_type_of(ref.header) or 'missing'}); give the time-series wavelengthrange"
        )
    filter_name = str(attrs.get("FILTER", ""))
    if extract_orders is None:
        rows = [list(orders) for name, orders in tree["extract_orders"] if name == filter_name]
        if not rows:
            raise ReferenceMismatchError(
                f"wavelengthrange {ref.name} has no extract_orders row for FILTER={filter_name!r}"
            )
        extract_orders = rows[-1]
    orders = [int(o) for o in np.atleast_1d(extract_orders)]
    if len(orders) != 1:
        raise ParameterError(
            f"extract_2d: extract_orders={orders}: a NIRCam grism time series is extracted "
            "in one order only (jwst 3.0.0 does not implement several); give one"
        )
    return orders[0]


def tso_source_x(attrs: dict[str, Any], wcs: Any) -> float:
    """The source's direct-image column (0-based) from the dither offset (jwst's
    ``compute_tso_offset_center``): ideal (XOFFSET, YOFFSET) arcsec -> V2, V3 -> pixel.

    Raises
    ------
    InputFileError
        A pointing or offset keyword is missing.
    """
    keys = ("V3I_YANG", "V2_REF", "V3_REF", "VPARITY", "XOFFSET", "YOFFSET")
    missing = [k for k in keys if attrs.get(k) is None]
    if missing:
        raise InputFileError(
            f"{attrs.get('FILENAME', 'the exposure')}: extract_2d of NRC_TSGRISM needs "
            f"{', '.join(missing)} (the source offset from the aperture reference point)"
        )
    to_v2v3 = IdealToV2V3(*(float(attrs[k]) for k in keys[:4]))
    v2, v3 = to_v2v3(float(attrs["XOFFSET"]), float(attrs["YOFFSET"]))
    return float(wcs.get_transform("v2v3", "direct_image")(v2, v3, np.nan, 1)[0])


def _one(value: Any, dtype: Any) -> tuple[str, np.ndarray]:
    """A per-slit coord of the one slit."""
    return ("slit", np.array([value], dtype))


def extract_tsgrism(ds: xr.Dataset, order: int, *, height: int | None = None) -> Slits:
    """Cut the time series' trace out (all columns, the bottom ``height`` rows).

    Parameters
    ----------
    ds : NRC_TSGRISM exposure after assign_wcs (``[integration,] y, x``).
    order : the spectral order (:func:`tsgrism_order`).
    height : cut-out height in rows (jwst's ``tsgrism_extract_height``; None:
        the subarray height).

    Returns
    -------
    A one-slit product (``DATAMODL`` SlitModel) ``(slit, [integration,] y, x)``
    with ``wavelength`` (µm) and the coords ``slit_name`` ("1") ``source_id``
    (1) ``spectral_order xstart ystart xsize ysize`` (1-based starts)
    ``source_xpos source_ypos`` and ``wcs``.

    Raises
    ------
    StepOrderError
        assign_wcs has not run.
    ParameterError
        ``height`` is not positive.
    """
    if ds.attrs.get(WCS_ATTR) is None:
        raise StepOrderError("extract_2d needs the NRC_TSGRISM grism WCS: run assign_wcs first")
    if is_dhs(ds.attrs):
        raise UnsupportedModeError("a DHS time series is cut out by stripe (dhs_extract)")
    ny, nx = ds.sizes["y"], ds.sizes["x"]
    height = ny if height is None else int(height)
    if height < 1:
        raise ParameterError(f"extract_2d: tsgrism_extract_height={height} must be >= 1")
    wcs = get_wcs(ds)
    source_x = tso_source_x(ds.attrs, wcs)
    ymax = min(height - 1, ny)  # jwst's limit (SUBSIZE2), one past the last row when height > ny
    rows = min(ymax + 1, ny)
    shape = (rows, nx)
    cut_wcs = tso_cutout_wcs(wcs, 0, order, shape)
    x, y = grid_from_bounding_box(cut_wcs.bounding_box)
    lam = np.asarray(cut_wcs(x, y)[2], dtype=np.float32)
    out = stack_cutouts(ds, [(0, 0, rows, nx, shape)], shape)
    attrs = {k: v for k, v in ds.attrs.items() if k not in (WCS_ATTR, SLITS_ATTR)}
    attrs.update(DATAMODL="SlitModel", SPORDER=order, XREF_SCI=source_x + 1, YREF_SCI=TRACE_ROW)
    out = out.assign_coords(
        wavelength=(("slit", "y", "x"), lam[None], {"units": "um"}),
        slit_name=_one("1", str),
        source_id=_one(1, np.int32),
        spectral_order=_one(order, np.int32),
        xstart=_one(1, np.int32),
        ystart=_one(1, np.int32),
        xsize=_one(nx, np.int32),
        ysize=_one(rows, np.int32),
        source_xpos=_one(source_x, np.float64),
        source_ypos=_one(float(TRACE_ROW), np.float64),
    )
    out = out.assign_coords({WCS_COORD: wcs_coord([stored_wcs(cut_wcs)])})
    out.attrs = attrs
    log.info("extract_2d: NRC_TSGRISM order %d, rows 0-%d, %d columns", order, rows - 1, nx)
    return to_tree([record_step(out, "extract_2d")])


def tsgrism_from_chain(ds: xr.Dataset, ctx: Any) -> Slits:
    """Chain adapter: the ``wavelengthrange``, ``extract_orders`` and ``tsgrism_extract_height``."""
    order = tsgrism_order(
        ctx.require_ref("wavelengthrange", ds),
        ds.attrs,
        ctx.params.get("extract_orders"),
    )
    if is_dhs(ds.attrs):
        return extract_dhs(ds, order)  # jwst: tsgrism_extract_height not used for DHS
    return extract_tsgrism(ds, order, height=ctx.params.get("tsgrism_extract_height"))
