"""assign_wcs: attach the instrument model (a gwcs) and the pixel wavelengths.

One dispatcher for every mode: the modes table (:mod:`spec2x.modes`) names,
for each exposure type, the reference types its WCS needs
(``Mode.wcs_reftypes``), the function that builds it (``Mode.wcs_build``) and
the dispersion axis.  ``build`` is a callable (or ``"module:function"``,
imported when first used) ``build(ds, refs, **params) -> Dataset`` where
``refs`` maps each reftype to an opened
:class:`~spec2x.io.references.Reference` and ``params`` are this step's
keyword parameters.  It returns ``ds`` with ``attrs["wcs"]``
(:func:`spec2x.wcs.store.set_wcs`) and the ``wavelength`` coordinate; the
dispatcher records ``S_WCS``, the ``R_*`` keywords, ``SPECSYS`` and
``DISPAXIS``.  A WFSS exposure also gets the FITS TAN-SIP approximation of
its direct-image WCS in its WCS keywords (``sip_approx``, as jwst:
:mod:`spec2x.wcs.imaging_sip`, imported only then); a fit that fails is a
warning and no keywords.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import xarray as xr

from ..errors import MissingReferenceError, UnsupportedModeError
from ..io.references import NOT_APPLICABLE, Reference, open_reference
from ..modes import MODES, Mode, mode_of
from ._common import record_step

__all__ = ["assign_wcs", "builder", "from_chain"]

log = logging.getLogger(__name__)

Builder = Callable[..., xr.Dataset]


def builder(mode: Mode) -> Builder:
    """The WCS build function of ``mode`` (imported when given as ``"module:function"``).

    Raises
    ------
    UnsupportedModeError
        spec2x has no WCS for this exposure type yet.
    """
    build = mode.wcs_build
    if build is None:
        known = ", ".join(sorted(k for k, m in MODES.items() if m.wcs_build is not None))
        raise UnsupportedModeError(
            f"assign_wcs: spec2x cannot build the WCS of EXP_TYPE={mode.exp_type} yet; "
            f"supported: {known}"
        )
    if callable(build):
        return build
    module, _, name = build.partition(":")
    return getattr(importlib.import_module(module), name)


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
    sip_approx: bool = True,
    **sip: Any,
) -> xr.Dataset:
    """Attach the WCS of the exposure's mode and the ``wavelength`` coordinate.

    Parameters
    ----------
    ds : exposure (``rate`` or ``rateints``) in any units.
    refs : reftype -> opened reference, path, or ``None``/``"N/A"``; the
        types needed depend on EXP_TYPE (MIRI LRS: ``distortion``, ``specwcs``).
    slit_y_low, slit_y_high : slit extent in slit units (NIRSpec only).
    nrs_ifu_slice_wcs : keep the slice-based IFU WCS (NIRSpec IFU only).
    sip_approx : WFSS only: write the TAN-SIP approximation of the direct-image WCS
        (``CRPIX``, ``CRVAL``, ``CTYPE``, ``CD``, ``A_``/``B_``/``AP_``/``BP_`` ...).
    sip : the fit's ``sip_max_pix_error``, ``sip_degree``, ``sip_max_inv_pix_error``,
        ``sip_inv_degree``, ``sip_npoints``
        (:func:`spec2x.wcs.imaging_sip.sip_keywords`; jwst's defaults when not given).

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
    mode = mode_of(ds, step="assign_wcs")
    exp_type = mode.exp_type
    build = builder(mode)
    opened: dict[str, Reference | None] = {}
    for reftype in mode.wcs_reftypes:
        ref = _open(reftype, refs.get(reftype))
        if ref is None:
            raise MissingReferenceError(
                f"assign_wcs for {exp_type} needs a {reftype} reference; give one "
                f"(--ref {reftype}=PATH)"
            )
        opened[reftype] = ref
    for reftype in mode.wcs_optional_reftypes:
        ref = _open(reftype, refs.get(reftype))
        if ref is not None:
            opened[reftype] = ref
    out = build(
        ds,
        opened,
        slit_y_low=slit_y_low,
        slit_y_high=slit_y_high,
        nrs_ifu_slice_wcs=nrs_ifu_slice_wcs,
    )
    if mode.wcs_sip and sip_approx:
        out = _with_sip(out, opened, sip)
    out = record_step(
        out,
        "assign_wcs",
        *opened.values(),
        extra={"SPECSYS": "BARYCENT", "DISPAXIS": mode.dispaxis or int(out.attrs["DISPAXIS"])},
    )
    if "wavelength" in out.coords:
        wl = out["wavelength"].values
        finite = np.isfinite(wl)
        span = f"{np.min(wl[finite]):.3f}-{np.max(wl[finite]):.3f} um" if finite.any() else "none"
        log.info("assign_wcs: %s WCS, wavelengths %s on %d pixels", exp_type, span, finite.sum())
    return out


def _with_sip(ds: xr.Dataset, refs: Mapping[str, Any], sip: Mapping[str, Any]) -> xr.Dataset:
    from ..wcs.imaging_sip import imaging_wcs, sip_keywords, with_sip

    try:
        wcs = imaging_wcs(ds.attrs, refs, (ds.sizes["y"], ds.sizes["x"]))
        keywords = sip_keywords(wcs, ds.attrs, **sip)
    except (ValueError, RuntimeError) as exc:
        log.warning(
            "assign_wcs: failed to update the WCS keywords with the FITS SIP approximation: %s",
            exc.args[0] if exc.args else exc,
        )
        return ds
    out = ds.copy()
    out.attrs = with_sip(ds.attrs, keywords)
    return out


def from_chain(ds: xr.Dataset, ctx: Any) -> xr.Dataset:
    """Chain adapter: fetch the mode's references from ``ctx`` and run :func:`assign_wcs`."""
    mode = mode_of(ds, step="assign_wcs")
    builder(mode)  # an unsupported mode says so before any reference is looked up
    refs: dict[str, Reference | None] = {t: ctx.require_ref(t, ds) for t in mode.wcs_reftypes}
    refs.update({t: ctx.ref(t, ds) for t in mode.wcs_optional_reftypes})
    params = {
        k: ctx.params[k]
        for k in (
            "slit_y_low",
            "slit_y_high",
            "nrs_ifu_slice_wcs",
            "sip_approx",
            "sip_max_pix_error",
            "sip_degree",
            "sip_max_inv_pix_error",
            "sip_inv_degree",
            "sip_npoints",
        )
        if k in ctx.params
    }
    return assign_wcs(ds, refs, **params)
