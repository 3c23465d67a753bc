"""assign_wcs: attach the instrument model (a gwcs) and the pixel wavelengths.

One dispatcher for every mode: :data:`MODES` maps an ``EXP_TYPE`` to a
:class:`WcsMode` that names the reference types the mode needs and the
function that builds it.  Adding a mode is one entry::

    MODES["NRS_FIXEDSLIT"] = WcsMode(
        reftypes=("camera", "collimator", "disperser", "fore", "fpa", "ote", "wavelengthrange"),
        optional=("msa",),
        build="spec2x.wcs.nirspec_slits:assign_fixed_slits",
        dispaxis=1,
    )

``build`` is a callable (or ``"module:function"``, imported when first
used) ``build(ds, refs, **params) -> Dataset`` where ``refs`` maps each
reftype to an opened :class:`~spec2x.io.references.Reference` (None where it
is N/A) and ``params`` are this step's keyword parameters.  It returns ``ds``
with ``attrs["wcs"]`` (:func:`spec2x.wcs.store.set_wcs`) and the
``wavelength`` coordinate; the dispatcher records ``S_WCS``, the ``R_*``
keywords, ``SPECSYS`` and ``DISPAXIS``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ..errors import MissingReferenceError, UnsupportedModeError
from ..io.references import NOT_APPLICABLE, Reference, open_reference
from ._common import record_step

__all__ = ["MODES", "WcsMode", "assign_wcs", "from_chain"]

log = logging.getLogger(__name__)

Builder = Callable[..., xr.Dataset]


@dataclass(frozen=True)
class WcsMode:
    """How assign_wcs handles one exposure type.

    Attributes
    ----------
    reftypes : reference types the mode needs (an N/A one is an error).
    build : ``build(ds, refs, **params) -> Dataset``, or ``"module:function"``.
    optional : reference types used when given, N/A allowed.
    dispaxis : dispersion axis written as DISPAXIS (1 along x, 2 along y).
    """

    reftypes: tuple[str, ...]
    build: Builder | str
    optional: tuple[str, ...] = ()
    dispaxis: int = 1

    def builder(self) -> Builder:
        """The build function (importing it when given as text)."""
        if callable(self.build):
            return self.build
        module, _, name = self.build.partition(":")
        return getattr(importlib.import_module(module), name)


def _miri_lrs(ds: xr.Dataset, refs: Mapping[str, Reference | None], **_: Any) -> xr.Dataset:
    from ..wcs.miri_lrs import assign_lrs

    return assign_lrs(ds, refs["distortion"], refs["specwcs"])


_NRS_OPTICS = ("disperser", "wavelengthrange", "fpa", "camera", "collimator", "msa", "fore", "ote")

#: EXP_TYPE -> how to build its WCS.
MODES: dict[str, WcsMode] = {
    "MIR_LRS-FIXEDSLIT": WcsMode(("distortion", "specwcs"), _miri_lrs, dispaxis=2),
    "MIR_LRS-SLITLESS": WcsMode(("distortion", "specwcs"), _miri_lrs, dispaxis=2),
    "NRS_FIXEDSLIT": WcsMode(_NRS_OPTICS, "spec2x.wcs.nirspec_fs:assign_fixed_slits"),
    "NRS_BRIGHTOBJ": WcsMode(_NRS_OPTICS, "spec2x.wcs.nirspec_fs:assign_fixed_slits"),
}


def _mode(ds: xr.Dataset) -> tuple[str, WcsMode]:
    exp_type = str(ds.attrs.get("EXP_TYPE", "")).strip().upper()
    if exp_type not in MODES:
        raise UnsupportedModeError(
            f"assign_wcs: {ds.attrs.get('FILENAME', 'the exposure')} has EXP_TYPE={exp_type!r}, "
            f"which spec2x does not handle; supported: {', '.join(sorted(MODES))}"
        )
    return exp_type, MODES[exp_type]


def _open(reftype: str, value: Any) -> Reference | None:
    if value is None or isinstance(value, Reference):
        return value
    if str(value).strip().upper() in (NOT_APPLICABLE, ""):
        return None
    return open_reference(value, reftype)


def assign_wcs(
    ds: xr.Dataset,
    refs: Mapping[str, Reference | str | None],
    *,
    slit_y_low: float = -0.55,
    slit_y_high: float = 0.55,
    nrs_ifu_slice_wcs: bool = False,
) -> xr.Dataset:
    """Attach the WCS of the exposure's mode and the ``wavelength`` coordinate.

    Parameters
    ----------
    ds : exposure (``rate`` or ``rateints``) in any units.
    refs : reftype -> opened reference, path, or ``None``/``"N/A"``; the
        types needed depend on EXP_TYPE (MIRI LRS: ``distortion``, ``specwcs``).
    slit_y_low, slit_y_high : slit extent in slit units (NIRSpec only).
    nrs_ifu_slice_wcs : keep the slice-based IFU WCS (NIRSpec IFU only).

    Returns
    -------
    Dataset with ``attrs["wcs"]`` (a stored gwcs, see :mod:`spec2x.wcs.store`: 0-based data-array
    pixels -> RA, Dec deg, wavelength µm), coordinate ``wavelength`` (µm,
    NaN where a pixel has none), and ``S_WCS``, ``R_*``, ``SPECSYS``,
    ``DISPAXIS`` keywords.

    Raises
    ------
    UnsupportedModeError
        EXP_TYPE has no WCS builder.
    MissingReferenceError
        A reference type the mode needs is missing or N/A.
    """
    exp_type, mode = _mode(ds)
    opened: dict[str, Reference | None] = {}
    for reftype in mode.reftypes + mode.optional:
        ref = _open(reftype, refs.get(reftype))
        if ref is None and reftype in mode.reftypes:
            raise MissingReferenceError(
                f"assign_wcs for {exp_type} needs a {reftype} reference; give one "
                f"(--ref {reftype}=PATH)"
            )
        opened[reftype] = ref
    out = mode.builder()(
        ds,
        opened,
        slit_y_low=slit_y_low,
        slit_y_high=slit_y_high,
        nrs_ifu_slice_wcs=nrs_ifu_slice_wcs,
    )
    out = record_step(
        out,
        "assign_wcs",
        *opened.values(),
        extra={"SPECSYS": "BARYCENT", "DISPAXIS": mode.dispaxis},
    )
    if "wavelength" in out.coords:
        wl = out["wavelength"].values
        finite = np.isfinite(wl)
        span = f"{np.min(wl[finite]):.3f}-{np.max(wl[finite]):.3f} um" if finite.any() else "none"
        log.info("assign_wcs: %s WCS, wavelengths %s on %d pixels", exp_type, span, finite.sum())
    return out


def from_chain(ds: xr.Dataset, ctx: Any) -> xr.Dataset:
    """Chain adapter: fetch the mode's references from ``ctx`` and run :func:`assign_wcs`."""
    _, mode = _mode(ds)
    refs: dict[str, Reference | None] = {}
    for reftype in mode.reftypes:
        refs[reftype] = ctx.require_ref(reftype, ds)
    for reftype in mode.optional:
        try:
            refs[reftype] = ctx.ref(reftype, ds)
        except MissingReferenceError:
            refs[reftype] = None
    params = {
        k: ctx.params[k]
        for k in ("slit_y_low", "slit_y_high", "nrs_ifu_slice_wcs")
        if k in ctx.params
    }
    return assign_wcs(ds, refs, **params)
