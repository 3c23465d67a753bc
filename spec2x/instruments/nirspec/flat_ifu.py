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

import itertools
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

    Only the box pixels with a wavelength are computed (the kernel's values
    of every other box pixel are never pasted), all slices in one call.

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
    wavelength = boxes.wavelength
    wl = np.where(np.isnan(wavelength), 0.0, wavelength)
    wl_c, dwl = kern.clean_wavelength(wl, boxes.xsize)
    good = np.isfinite(wavelength)
    s, yb, xb = np.nonzero(good)  # slice by slice, as jwst pastes them
    yy, xx = kern.clamp_to_images(yb + boxes.y0[s], xb + boxes.x0[s], components)
    rows = [np.zeros(1, np.intp)] * 3
    wl, wl_c, dwl = (a[good][None] for a in (wl, wl_c, dwl))  # the pixels as one "slit"
    fpix, dpix, epix = kern.pixel_flat(wl, wl_c, dwl, yy[None], xx[None], rows, components)
    flat, dq, err = fpix[0].astype(np.float32), dpix[0], epix[0].astype(np.float32)
    return _paste(flat, dq, err, yy, xx, s, shape)


def _paste(
    fpix: np.ndarray,
    dpix: np.ndarray,
    epix: np.ndarray,
    yy: np.ndarray,
    xx: np.ndarray,
    slice_of: np.ndarray,
    shape: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pixels' flat, DQ and error on the full frame (what jwst's slice loop leaves).

    A pixel in two slices' boxes with a wavelength from both takes the later
    slice's flat and error and both DQs.  Outside the slices, and where
    ``DO_NOT_USE`` is set: NaN and ``DO_NOT_USE``.  ``slice_of`` (each
    pixel's slice) must be non-decreasing.
    """
    flat = np.full(shape, np.nan, np.float32)
    err = np.full(shape, np.nan, np.float32)
    index = yy * shape[1] + xx
    seen = np.zeros(flat.size, bool)
    seen[index] = True
    if np.count_nonzero(seen) == index.size:  # each pixel once: no slice order to keep
        bad = (dpix & _DNU) != 0
        fpix[bad] = np.nan
        epix[bad] = np.nan
        dq = np.full(shape, _DNU, np.uint32)
        flat.flat[index], err.flat[index] = fpix, epix
        dq.flat[index] = np.where(np.isfinite(fpix), dpix, dpix | _DNU)
        return flat, dq, err
    dq = np.zeros(shape, np.uint32)
    starts = np.searchsorted(slice_of, np.arange(slice_of[-1] + 2))
    for a, b in itertools.pairwise(starts):  # later slices over earlier ones
        flat.flat[index[a:b]] = fpix[a:b]
        err.flat[index[a:b]] = epix[a:b]
        dq.flat[index[a:b]] |= dpix[a:b]
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
