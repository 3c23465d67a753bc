"""barshadow: correct extended sources in MSA slitlets for the shadows of the shutter bars.

jwst 3.0.0's ``barshadow`` (BarShadowStep): only for the exposure types the
modes table marks (``Mode.barshadow``: NIRSpec MOS); other types, or a
``barshadow`` reference that is N/A, skip the step.  The correction itself
is :func:`spec2x.instruments.nirspec.barshadow.bar_shadow`.
"""

from __future__ import annotations

import logging
from typing import Any

import xarray as xr

from ..errors import ReferenceMismatchError
from ..instruments.nirspec.barshadow import Barshadow, bar_shadow
from ..io.references import Reference
from ..modes import exp_type_of, lookup
from ._common import record_step, require

__all__ = ["barshadow", "from_chain"]

log = logging.getLogger(__name__)


def barshadow(
    ds: xr.Dataset,
    reference: Reference | None,
    *,
    inverse: bool = False,
    source_type: str | None = None,
    overwrite: bool = False,
) -> xr.Dataset:
    """Divide the extended-source slitlets by the bar shadow at each pixel.

    Parameters
    ----------
    ds : MOS slits product ``(slit, [integration,] y, x)`` after extract_2d
        and srctype (per-slit ``shutter_state``, ``slit_yscale``, ``srctype``,
        and the per-slit WCS).
    reference : opened ``barshadow`` reference; None (N/A) skips the step.
    inverse : multiply instead of divide (jwst ``inverse``).
    source_type : ``"POINT"`` or ``"EXTENDED"`` for every slit (jwst
        ``source_type``); None uses each slit's ``srctype``.
    overwrite : write the results into the pixel arrays of ``ds`` (NumPy-backed
        data) instead of new ones, for a caller that owns them (the chain,
        :mod:`spec2x.ownership`): ``ds`` is changed.

    Returns
    -------
    The corrected Dataset (``sci``, ``err``, variances; ``dq`` unchanged),
    ``barshadow`` (slit, y, x) and per-slit ``barshadow_corrected``;
    ``S_BARSHA`` COMPLETE, or SKIPPED.

    Notes
    -----
    With :math:`B(y, \\lambda)` the shadow of the slitlet's shutters at slit
    position :math:`y` (shutter heights) and wavelength :math:`\\lambda`:
    :math:`S' = S / B`, :math:`\\sigma' = \\sigma / B`, :math:`V' = V / B^2`.
    """
    exp_type = exp_type_of(ds)
    mode = lookup(exp_type)
    applies = mode is not None and mode.barshadow
    if not applies or reference is None:
        why = "no barshadow reference (N/A)" if applies else f"not for EXP_TYPE={exp_type}"
        log.info("barshadow: %s; step skipped", why)
        return record_step(ds, "barshadow", status="SKIPPED")
    if not isinstance(reference.content, Barshadow):
        raise ReferenceMismatchError(
            f"{reference.name} is a {reference.reftype} reference, not a barshadow; "
            "give the barshadow file"
        )
    require(
        ds,
        "sci",
        "err",
        "dq",
        coords=("slit_name", "shutter_state", "slit_yscale", "xsize", "ysize"),
        step="barshadow",
    )
    out = bar_shadow(ds, reference, inverse=inverse, source_type=source_type, overwrite=overwrite)
    log.info(
        "barshadow: %d of %d slitlets corrected (%s)",
        int(out["barshadow_corrected"].sum()),
        ds.sizes["slit"],
        reference.name,
    )
    return record_step(out, "barshadow", reference)


def from_chain(ds: xr.Dataset, ctx: Any) -> xr.Dataset:
    """Chain adapter: the ``barshadow`` reference (N/A -> skipped) and the step's parameters."""
    mode = lookup(exp_type_of(ds))
    reference = ctx.ref("barshadow", ds) if mode is not None and mode.barshadow else None
    return barshadow(
        ds,
        reference,
        inverse=bool(ctx.params.get("inverse", False)),
        source_type=ctx.params.get("source_type"),
        overwrite=ctx.owns_input,
    )


from_chain.may_overwrite_input = True  # type: ignore[attr-defined]  # spec2x.ownership
