"""pathloss: correct slit spectra for the light lost outside the slit.

A generic step: it checks the reference, asks the modes table which
implementation serves the exposure (``Mode.pathloss``) and calls it in its
instrument package:

- ``nirspec_slit``: NIRSpec fixed slits, :func:`spec2x.instruments.nirspec.pathloss.slit_pathloss`
  (divide by the point-source or uniform-source pathloss of each slit);
- ``nirspec_mos``: NIRSpec MOS slitlets, :func:`spec2x.instruments.nirspec.pathloss_mos.mos_pathloss`
  (the 1x1 or 1x3 shutter aperture by shutter state);
- ``nirspec_ifu``: NIRSpec IFU, :func:`spec2x.instruments.nirspec.pathloss_ifu.ifu_pathloss`
  (a centred source: the point-source or uniform-source curve at each pixel);
- ``lrs``: MIRI LRS fixed slit, :func:`spec2x.instruments.miri.lrs_pathloss.lrs_pathloss`
  (multiply by the point-source correction);
- ``soss``: NIRISS SOSS, :func:`spec2x.instruments.niriss.soss_pathloss.soss_pathloss`
  (a non-TSO exposure divided by the pathloss at the pupil-wheel position;
  skipped for time series, as jwst does).

An N/A reference skips the step, as in jwst.
"""

from __future__ import annotations

import importlib
import logging

import xarray as xr

from ..errors import UnsupportedModeError
from ..io.references import Reference
from ..modes import MODES, exp_type_of, lookup
from . import StepContext
from ._common import record_step

__all__ = ["IMPLEMENTATIONS", "from_chain", "pathloss"]

log = logging.getLogger(__name__)

#: ``Mode.pathloss`` -> ``"module:function"`` of its implementation (imported when used).
IMPLEMENTATIONS = {
    "lrs": "spec2x.instruments.miri.lrs_pathloss:lrs_pathloss",
    "nirspec_slit": "spec2x.instruments.nirspec.pathloss:slit_pathloss",
    "nirspec_mos": "spec2x.instruments.nirspec.pathloss_mos:mos_pathloss",
    "soss": "spec2x.instruments.niriss.soss_pathloss:soss_pathloss",
    "nirspec_ifu": "spec2x.instruments.nirspec.pathloss_ifu:ifu_pathloss",
}


def pathloss(
    ds: xr.Dataset,
    reference: Reference | None,
    *,
    inverse: bool = False,
    source_type: str | None = None,
    user_slit_loc: float | None = None,
    overwrite: bool = False,
) -> xr.Dataset:
    """Correct NIRSpec fixed-slit or MIRI LRS fixed-slit data for the slit pathloss.

    Parameters
    ----------
    ds : NIRSpec: slits product ``(slit, [integration,] y, x)`` with coords
        ``wavelength`` (µm) and per-slit ``slit_name``, ``srctype``,
        ``source_xpos``, ``source_ypos``; MIRI LRS: the exposure with its WCS.
    reference : opened ``pathloss`` reference; None (N/A) skips the step, as jwst.
    inverse : multiply instead of divide (NIRSpec; ignored for MIRI LRS, as jwst).
    source_type : ``"POINT"`` or ``"EXTENDED"`` to force the correction type
        for every slit (jwst ``source_type``); None uses ``srctype``.
    user_slit_loc : MIRI LRS only: target offset across the slit (arcsec).
    overwrite : write the results into the pixel arrays of ``ds`` (NumPy-backed
        data; NIRSpec slits only when every slit is corrected) instead of new
        ones, for a caller that owns them (the chain, :mod:`spec2x.ownership`):
        ``ds`` is then changed.

    Returns
    -------
    The corrected Dataset (see the implementation for the mode), ``S_PTHLOS``.

    Raises
    ------
    UnsupportedModeError
        The exposure type has no pathloss implementation in spec2x.
    """
    if reference is None:
        log.info("pathloss: no pathloss reference (N/A); step skipped")
        return record_step(ds, "pathloss", status="SKIPPED")
    exp_type = exp_type_of(ds)
    mode = lookup(exp_type)
    if mode is None or mode.pathloss is None:
        supported = ", ".join(k for k, m in MODES.items() if m.pathloss is not None)
        raise UnsupportedModeError(
            f"spec2x's pathloss handles {supported}, not EXP_TYPE={exp_type!r}"
        )
    module, name = IMPLEMENTATIONS[mode.pathloss].split(":")
    implementation = getattr(importlib.import_module(module), name)
    if mode.pathloss == "lrs":
        return implementation(ds, reference, user_slit_loc=user_slit_loc, overwrite=overwrite)
    return implementation(
        ds, reference, inverse=inverse, source_type=source_type, overwrite=overwrite
    )


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: the ``pathloss`` reference (N/A -> skipped) and the jwst parameters."""
    return pathloss(
        ds,
        ctx.ref("pathloss", ds),
        inverse=bool(ctx.params.get("inverse", False)),
        source_type=ctx.params.get("source_type"),
        user_slit_loc=ctx.params.get("user_slit_loc"),
        overwrite=ctx.owns_input,
    )


from_chain.may_overwrite_input = True  # type: ignore[attr-defined]  # spec2x.ownership
