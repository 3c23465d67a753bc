"""fringe: divide MIRI MRS data by the fringe flat (reference type ``fringe``).

As jwst 3.0.0's ``apply_fringe``: NaN in the fringe flat counts as 1 (no
correction); ``sci`` and ``err`` are divided by it, the variances by its
square; its DQ is not used (jwst: it does not describe bad science pixels)
and NaN and ``DO_NOT_USE`` are not matched afterwards.  An N/A reference
skips the step.
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from ..datamodel import PIXEL_VARIABLES
from ..errors import ReferenceMismatchError
from ..io.references import Reference
from ..io.refs_pixel import FlatImage
from . import StepContext
from ._common import record_step, require
from ._scale import scale_by

__all__ = ["fringe", "from_chain"]

log = logging.getLogger(__name__)


def fringe(ds: xr.Dataset, reference: Reference | None, *, overwrite: bool = False) -> xr.Dataset:
    """Correct an exposure for fringing by dividing by the fringe flat.

    Parameters
    ----------
    ds : exposure ``([integration,] y, x)`` (any unit).
    reference : the opened ``fringe`` reference; None (N/A) skips the step.
    overwrite : write the results into the pixel arrays of ``ds`` (NumPy-backed
        data) instead of new ones, for a caller that owns them (the chain,
        :mod:`spec2x.ownership`): ``ds`` is changed.

    Returns
    -------
    Dataset with ``sci``/``err`` divided by the fringe flat :math:`f` and
    ``var_poisson``, ``var_rnoise``, ``var_flat`` by :math:`f^2`; DQ
    unchanged; ``S_FRINGE`` ``COMPLETE`` (or ``SKIPPED``).

    Raises
    ------
    ReferenceMismatchError
        Not a fringe image, of another detector, channel or band, or it does
        not cover the exposure's pixels.
    """
    if reference is None:
        log.warning("fringe: no fringe reference (N/A); step skipped")
        return record_step(ds, "fringe", status="SKIPPED")
    require(ds, *PIXEL_VARIABLES[:5], step="fringe")
    content = reference.content
    if not isinstance(content, FlatImage):
        raise ReferenceMismatchError(
            f"{reference.name} is a {reference.reftype} reference, not a fringe flat"
        )
    reference.check_matches(ds.attrs, ("INSTRUME", "DETECTOR", "CHANNEL", "BAND"))
    iy = np.asarray(ds["y"].values, np.int64) - (content.ystart - 1)
    ix = np.asarray(ds["x"].values, np.int64) - (content.xstart - 1)
    ny, nx = content.sci.shape
    if iy.min() < 0 or ix.min() < 0 or iy.max() >= ny or ix.max() >= nx:
        raise ReferenceMismatchError(
            f"fringe reference {reference.name} ({ny}x{nx} from x={content.xstart}, "
            f"y={content.ystart}) does not cover the pixels of "
            f"{ds.attrs.get('FILENAME', 'the exposure')}; give the fringe flat of this band"
        )
    flat = content.sci[np.ix_(iy, ix)]
    flat = np.where(np.isnan(flat), np.float32(1.0), flat)
    factor = xr.Variable(("y", "x"), flat)
    out = scale_by(ds, factor, operation="divide", match_nans=False, overwrite=overwrite)
    log.info("fringe: divided by %s", reference.name)
    return record_step(out, "fringe", reference)


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: the ``fringe`` reference (N/A skips the step)."""
    return fringe(ds, ctx.ref("fringe", ds), overwrite=ctx.owns_input)


from_chain.may_overwrite_input = True  # type: ignore[attr-defined]  # spec2x.ownership
