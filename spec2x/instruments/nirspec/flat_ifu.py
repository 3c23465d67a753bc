"""The NIRSpec IFU flat field: fflat x sflat x dflat at each pixel's wavelength, all slices at once.

Called by :func:`spec2x.steps.flat_field.flat_field` for ``NRS_IFU``.
jwst 3.0.0 (``flat_for_nirspec_ifu``) builds the flat slice by slice on each
slice's bounding box and writes it where the slice has a wavelength, later
slices over earlier ones.  Here the 30 boxes are one padded block
(:mod:`.ifu_boxes`), the flat of every box pixel comes from the same kernel as
the slits' (:func:`.flat_kernel.slit_flat`, each box a "slit"), and the boxes
are pasted in slice order.  Every table takes its first row (jwst reads the
fast-variation row by name only for fixed slits).

What differs from jwst: nothing in the numbers; the interpolated flat is not
kept (``save_interpolated_flat``).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import xarray as xr

from ...dq import DQ
from ...errors import UnsupportedModeError
from ...io.references import NOT_APPLICABLE, reference_keyword
from ...modes import exp_type_of, lookup
from ...steps._common import record_step, require
from ...steps._scale import scale_by
from . import flat_kernel as kern
from .flat import FlatArg, open_components
from .ifu_boxes import SliceBoxes, slice_boxes

__all__ = ["ifu_flat", "ifu_flat_arrays"]

log = logging.getLogger(__name__)

_DNU = np.uint32(DQ.DO_NOT_USE)


def ifu_flat_arrays(
    boxes: SliceBoxes,
    components: list[kern.FlatComponent | None],
    shape: tuple[int, int] = (2048, 2048),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The full-frame IFU flat, its DQ and error (jwst ``flat_for_nirspec_ifu``).

    Parameters
    ----------
    boxes : the slice boxes and their wavelengths (:func:`.ifu_boxes.slice_boxes`).
    components : fore, spectrograph, detector (None: N/A, unity).
    shape : detector shape.

    Returns
    -------
    flat (float32; NaN outside the slices and where ``DO_NOT_USE``), dq
    (uint32), err (float32; NaN where the flat is).
    """
    rows = [np.zeros(boxes.x0.size, np.intp)] * 3
    fbox, dbox, ebox = kern.slit_flat(
        boxes.wavelength,
        boxes.x0,
        boxes.y0,
        boxes.xsize,
        boxes.ysize,
        *rows,
        components=components,
        dispaxis=1,
    )
    flat = np.full(shape, np.nan, np.float32)
    err = np.full(shape, np.nan, np.float32)
    dq = np.zeros(shape, np.uint32)
    for s in range(boxes.x0.size):
        good, yy, xx = boxes.full_frame(s)
        flat[yy, xx] = fbox[s][good]
        err[yy, xx] = ebox[s][good]
        dq[yy, xx] |= dbox[s][good]
    bad = (dq & _DNU) != 0
    flat[bad] = np.nan
    err[bad] = np.nan
    dq[~np.isfinite(flat)] |= _DNU
    return flat, dq, err


def ifu_flat(
    ds: xr.Dataset,
    fflat: FlatArg,
    sflat: FlatArg,
    dflat: FlatArg,
    *,
    inverse: bool = False,
    user_supplied_flat: Any = None,
) -> xr.Dataset:
    """Flat-field a NIRSpec IFU exposure with the flat built from the f-, s- and d-flats.

    Parameters
    ----------
    ds : IFU exposure ``(y, x)`` in DN/s after assign_wcs (one gwcs per slice).
    fflat, sflat, dflat : opened references; None or ``"N/A"`` make that
        component unity, but not all three.
    inverse : multiply by the flat instead of dividing.
    user_supplied_flat : not supported (must be None).

    Returns
    -------
    Dataset with ``sci`` and the variances corrected, ``var_flat`` from the
    flat error, the flat's DQ OR-ed in; every pixel outside the slices NaN
    with ``DO_NOT_USE`` (as jwst).  ``S_FLAT`` and the references recorded.

    Raises
    ------
    MissingReferenceError
        All three components are N/A.
    UnsupportedModeError
        The exposure is not NIRSpec IFU, or ``user_supplied_flat`` is given.
    ReferenceMismatchError
        A reference is not a NIRSpec flat.
    """
    require(ds, "sci", "err", "dq", "var_poisson", "var_rnoise", step="flat_field")
    mode = lookup(exp_type_of(ds))
    if mode is None or mode.layout != "ifu":
        raise UnsupportedModeError(
            f"the NIRSpec IFU flat handles IFU exposures, not EXP_TYPE={exp_type_of(ds)!r}"
        )
    if user_supplied_flat is not None:
        raise UnsupportedModeError(
            "a pre-computed (user-supplied) NIRSpec flat is not supported; give fflat, sflat "
            "and dflat instead"
        )
    refs = {"fflat": fflat, "sflat": sflat, "dflat": dflat}
    opened = open_components(ds, mode, refs)
    components = [opened[name][0] for name in refs]
    shape = (ds.sizes["y"], ds.sizes["x"])
    flat, fdq, ferr = ifu_flat_arrays(slice_boxes(ds), components, shape)
    dims = ("y", "x")
    out = scale_by(
        ds,
        xr.Variable(dims, flat),
        operation="multiply" if inverse else "divide",
        factor_err=xr.Variable(dims, ferr),
        factor_dq=xr.Variable(dims, fdq),
        finite_only=True,
    )
    extra = {reference_keyword(name): NOT_APPLICABLE for name in refs if opened[name][1] is None}
    used = [opened[name][1] for name in refs]
    log.info("flat_field: NIRSpec IFU flat for 30 slices")
    return record_step(out, "flat_field", *used, extra=extra)
