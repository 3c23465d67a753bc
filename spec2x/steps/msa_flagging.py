"""msa_flagging: flag the pixels that light through failed-open MSA shutters reaches (NIRSpec).

jwst 3.0.0's ``msa_flagging`` (MSAFlagOpenStep): the failed-open shutters of
the ``msaoper`` reference are traced through the NIRSpec optical model
(:mod:`spec2x.instruments.nirspec.msa_flagging`) and the pixels their
spectra cover get ``MSA_FAILED_OPEN`` in ``dq`` (every integration); nothing
else changes.  With ``msaoper`` N/A the step is skipped, as in jwst.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import xarray as xr

from ..dq import DQ
from ..instruments.nirspec.msa_flagging import failed_open_mask
from ..instruments.nirspec.slits import NIRSPEC_OPTICAL_REFTYPES
from ..io.references import Reference
from ._common import record_step, require

__all__ = ["from_chain", "msa_flagging"]

log = logging.getLogger(__name__)


def msa_flagging(
    ds: xr.Dataset, msaoper: Reference | None, refs: Mapping[str, Reference]
) -> xr.Dataset:
    """Flag ``MSA_FAILED_OPEN`` where failed-open shutters' spectra land.

    Parameters
    ----------
    ds : NIRSpec exposure (``[integration,] y, x``) with ``dq`` and its keywords.
    msaoper : opened ``msaoper`` reference; None (N/A) skips the step.
    refs : the NIRSpec optical references (disperser, wavelengthrange, fpa,
        camera, collimator, msa, fore, ote), as for assign_wcs.

    Returns
    -------
    A new Dataset with ``dq`` OR-ed with ``MSA_FAILED_OPEN`` on the affected
    pixels and ``S_MSAFLG`` (COMPLETE, or SKIPPED without a reference).
    """
    require(ds, "dq", step="msa_flagging")
    if msaoper is None:
        log.warning("msa_flagging: no msaoper reference (N/A); step skipped")
        return record_step(ds, "msa_flagging", status="SKIPPED")
    mask = failed_open_mask(ds.attrs, refs, msaoper, (ds.sizes["y"], ds.sizes["x"]))
    flags = xr.DataArray(mask, dims=("y", "x")) * ds["dq"].dtype.type(DQ.MSA_FAILED_OPEN)
    dq = (ds["dq"] | flags.astype(ds["dq"].dtype)).transpose(*ds["dq"].dims)
    dq.attrs = dict(ds["dq"].attrs)
    log.info("msa_flagging: %d pixel(s) flagged MSA_FAILED_OPEN", int(mask.sum()))
    return record_step(ds.assign(dq=dq), "msa_flagging", msaoper)


def from_chain(ds: xr.Dataset, ctx: Any) -> xr.Dataset:
    """Chain adapter: the msaoper reference, and the optical ones only when it is given."""
    msaoper = ctx.ref("msaoper", ds)
    if msaoper is None:
        return msa_flagging(ds, None, {})
    refs = {t: ctx.require_ref(t, ds) for t in NIRSPEC_OPTICAL_REFTYPES}
    return msa_flagging(ds, msaoper, refs)
