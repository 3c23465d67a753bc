"""targ_centroid: the MIRI LRS source position from the TA verification image (jwst 3.0.0).

Off by default in calwebb_spec2 (``skip = True``); jwst allows it for
the MIRI LRS fixed slit and slitless only, after srctype.  The TA verification
image (the mode's ``ta_image`` type: the ``ta_file`` parameter or the
association's ``target_acquisition`` member) gives the source's position: a
2-D Gaussian fitted about the pixel of its dithered pointing (imager WCS:
``distortion`` and the TA filter's ``filteroffset``).  That position less the
TA image's dither offset and subarray origin, plus the science exposure's
dither offset (its WCS at the middle wavelength) and the TA filter's offset,
is the source's pixel in the science exposure: ``SRCXPOS``, ``SRCYPOS``
(0-based, the data array's pixels; pathloss of the fixed slit then centres
the source there), and ``TA_XPOS``, ``TA_YPOS`` its pixel in the TA image.

As in jwst, what stops it is logged as an error and the step is recorded
``SKIPPED`` (no TA file; another exposure type; a TA file that is not one TA
verification image; no WCS for it; no centroid).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import xarray as xr

from ..errors import ReferenceMismatchError, Spec2xError
from ..instruments.miri.refs import imager_distortion
from ..instruments.miri.ta_centroid import (
    FitFailed,
    dither_offset,
    fit_centroid,
    science_dither_offset,
    ta_transforms,
)
from ..io.references import Reference
from ..modes import MODES, exp_type_of, lookup
from ..wcs.store import get_wcs
from . import StepContext
from ._common import record_step

__all__ = ["from_chain", "targ_centroid"]

log = logging.getLogger(__name__)


def _skipped(ds: xr.Dataset, why: str) -> xr.Dataset:
    log.error("targ_centroid: %s; step SKIPPED", why)
    return record_step(ds, "targ_centroid", status="SKIPPED")


def _filter_offset(ref: Reference, filter_name: str) -> tuple[float, float] | None:
    from ..io.refs_grism import FilterOffset

    content = ref.content
    if not isinstance(content, FilterOffset):
        raise ReferenceMismatchError(f"filteroffset reference {ref.name} holds no filter table")
    return content.offset(filter_name, "")


def targ_centroid(
    ds: xr.Dataset,
    ta: xr.Dataset | None,
    *,
    distortion: Reference | None,
    filteroffset: Reference | None,
) -> xr.Dataset:
    """Set the source position of a MIRI LRS exposure from its TA verification image.

    Parameters
    ----------
    ds : MIRI LRS exposure with its WCS (after assign_wcs), ``DISPAXIS``.
    ta : the TA verification image (the mode's ``ta_image`` type, DN/s, one image), or None.
    distortion : the MIRI imager distortion for the TA image (None: N/A).
    filteroffset : the ``filteroffset`` for the TA image (None: N/A).

    Returns
    -------
    ``ds`` (data unchanged, Dask stays lazy) with ``SRCXPOS``, ``SRCYPOS`` (pixels of
    the science data array), ``TA_XPOS``, ``TA_YPOS`` (pixels of the TA image) and
    ``S_TACNTR = 'COMPLETE'``, or ``S_TACNTR = 'SKIPPED'`` with an error logged.

    Raises
    ------
    ReferenceMismatchError
        The ``filteroffset`` has no row for the TA image's filter (jwst fails too).
    """
    if ta is None:
        return _skipped(ds, "no target acquisition file provided")
    if str(ds.attrs.get("SRCTYPE", "")).upper() != "POINT":
        log.warning("targ_centroid is meant for point sources; SRCTYPE=%s", ds.attrs.get("SRCTYPE"))
    mode = lookup(exp_type_of(ds))
    if mode is None or mode.ta_image is None or not mode.allows("targ_centroid"):
        kinds = " and ".join(m.exp_type for m in MODES.values() if m.ta_image is not None)
        return _skipped(ds, f"only for {kinds} (EXP_TYPE={exp_type_of(ds)})")
    if exp_type_of(ta) != mode.ta_image or ta["sci"].ndim != 2:
        return _skipped(
            ds, f"the TA file must be one {mode.ta_image} image, not {exp_type_of(ta)} "
            f"{ta['sci'].shape}",
        )  # fmt: skip
    if distortion is None or filteroffset is None:
        return _skipped(ds, "no imager distortion or filteroffset for the TA image's WCS")
    ta_filter = str(ta.attrs.get("FILTER", ""))
    offset = _filter_offset(filteroffset, ta_filter)
    try:
        model = imager_distortion(distortion, ta.attrs)
        pixel_to_sky, v2v3_to_world = ta_transforms(ta.attrs, model, offset)
        expected, ta_dither = dither_offset(ta.attrs, pixel_to_sky.inverse, v2v3_to_world)
        x_ta, y_ta = fit_centroid(ta["sci"].values, expected)
        sci_dither = science_dither_offset(get_wcs(ds), ds.attrs, int(ds.attrs.get("DISPAXIS", 2)))
    except (FitFailed, Spec2xError) as exc:
        return _skipped(ds, str(exc))
    if offset is None:
        raise ReferenceMismatchError(
            f"filteroffset reference {filteroffset.name} has no row for FILTER={ta_filter} of "
            "the TA image"
        )
    xstart, ystart = int(ta.attrs.get("SUBSTRT1") or 1), int(ta.attrs.get("SUBSTRT2") or 1)
    # jwst's order of operations (full frame, less the TA dither, back to the subarray ...)
    x = x_ta + (xstart - 1) - ta_dither[0] - (xstart - 1) + sci_dither[0] + offset[0]
    y = y_ta + (ystart - 1) - ta_dither[1] - (ystart - 1) + sci_dither[1] + offset[1]
    log.info("targ_centroid: source at (%.2f, %.2f) in the TA image, (%.2f, %.2f) in %s",
             x_ta, y_ta, x, y, ds.attrs.get("FILENAME", "the exposure"))  # fmt: skip
    extra = {"SRCXPOS": x, "SRCYPOS": y, "TA_XPOS": x_ta, "TA_YPOS": y_ta}
    return record_step(ds, "targ_centroid", filteroffset, extra=extra)


def _open_ta(ta_file: Any) -> xr.Dataset | None:
    if ta_file is None or str(ta_file).lower() == "none":
        return None
    if isinstance(ta_file, xr.Dataset):
        return ta_file
    from ..io.fits import open_exposure

    return open_exposure(os.fspath(ta_file))


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: the TA image from ``ta_file`` (the pipeline fills it from the
    association's ``target_acquisition`` member); ``distortion`` and ``filteroffset``
    selected for the TA image, as jwst selects them."""
    ta = _open_ta(ctx.params.get("ta_file"))
    refs: dict[str, Reference | None] = {"distortion": None, "filteroffset": None}
    if ta is not None:
        log.info("targ_centroid: TA verification image %s", ctx.params.get("ta_file"))
        for reftype in refs:
            try:
                refs[reftype] = ctx.ref(reftype, ta)
            except Spec2xError as exc:
                log.debug("targ_centroid: no %s for the TA image (%s)", reftype, exc)
    return targ_centroid(ds, ta, **refs)
