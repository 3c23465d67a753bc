"""Which steps jwst 3.0.0's ``Spec2Pipeline`` runs on an exposure, and in which order.

:func:`chain_for` answers from ``EXP_TYPE`` (the mode's row in
:mod:`spec2x.modes`), whether the exposure has integrations (``rateints``),
the association members and the step parameters (``skip``);
:func:`jwst_calls` lists every step jwst calls for the mode (the ones that do
not run are recorded ``SKIPPED``); :func:`resume` continues after the last
step an input records as done.  :mod:`spec2x.pipeline` runs the chain (the
order is described there).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from .errors import UnsupportedModeError
from .modes import Mode, mode_of
from .registry import calibrated_exp_types, get_step

__all__ = [
    "PRODUCT_STEPS",
    "chain_for",
    "is_multi_int",
    "jwst_calls",
    "product_suffixes",
    "resume",
]

log = logging.getLogger(__name__)

_PREFIX = (
    "assign_wcs",
    "badpix_selfcal",
    "msa_flagging",
    "clean_flicker_noise",
    "imprint_subtract",
    "bkg_subtract",
)
#: Steps that work on a copy of the calibrated data, after ``cal`` is final.
PRODUCT_STEPS = ("adaptive_trace_model", "pixel_replace", "resample_spec", "cube_build",
                  "extract_1d")  # fmt: skip


def is_multi_int(exposure: xr.Dataset | Mapping[str, Any]) -> bool:
    """Whether the exposure is multi-integration (``rateints``; jwst's CubeModel)."""
    if isinstance(exposure, xr.Dataset):
        return "integration" in exposure.dims
    return str(exposure.get("DATAMODL", "")) == "CubeModel"


def _allowed(step: str, mode: Mode, members: Mapping[str, Sequence[Any]]) -> bool:
    """jwst's ``_step_verification``: may ``step`` run on this exposure at all?"""
    if step == "bkg_subtract":
        return mode.reference_background or len(members.get("background", ())) > 0
    if step == "imprint_subtract" and not members.get("imprint"):
        return False
    return mode.allows(step)


def jwst_calls(mode: Mode, multi: bool) -> tuple[str, ...]:
    """Every step Spec2Pipeline calls for the mode, in order, before any is skipped (the
    ones that do not run are recorded ``SKIPPED``, as jwst records them)."""
    tail = ["adaptive_trace_model", "pixel_replace"]
    if mode.product_step == "cube_build" or (mode.product_step == "resample_spec" and not multi):
        tail.append(mode.product_step)
    tail.append("extract_1d")
    if mode.photom_on_spectra:
        tail.append("photom")  # SOSS: photom converts the extracted spectra
    return (*_PREFIX, *mode.branch, *tail)


def resume(chain: Sequence[str], attrs: Mapping[str, Any], name: str = "the input") -> list[str]:
    """The steps of ``chain`` after the last one the input records as done.

    A calibrated product (jwst's or spec2x's ``_cal``, a ``--save-steps``
    output) carries ``S_* = 'COMPLETE'`` for the steps that made it; the chain
    continues after the last of them, so a user can go on from a product as
    from an intermediate file.  A rate file (no spec2 step done) runs all.
    """
    done = [
        i for i, step in enumerate(chain) if attrs.get(get_step(step).status_keyword) == "COMPLETE"
    ]
    if not done:
        return list(chain)
    rest = list(chain[done[-1] + 1 :])
    log.info(
        "%s has %s done: continuing with %s",
        name,
        chain[done[-1]],
        ", ".join(rest) if rest else "nothing (every step is done)",
    )
    return rest


def chain_for(
    exposure: xr.Dataset | Mapping[str, Any],
    params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    members: Mapping[str, Sequence[Any]] | None = None,
    multi_int: bool | None = None,
) -> list[str]:
    """The steps jwst 3.0.0's Spec2Pipeline runs on ``exposure``, in order.

    Parameters
    ----------
    exposure : the exposure, or its attrs (``EXP_TYPE``; ``DATAMODL`` says
        CubeModel for multi-integration data).
    params : step parameters; only ``skip`` matters here (defaults: jwst's).
    members : association members by role; ``background`` and ``imprint``
        members turn on bkg_subtract / imprint_subtract where jwst allows them.
    multi_int : override the multi-integration test.

    Raises
    ------
    UnsupportedModeError
        For an exposure type spec2x does not calibrate.
    """
    try:
        mode = mode_of(exposure, spec2=True)
    except UnsupportedModeError as exc:
        raise UnsupportedModeError(
            f"{exc}; spec2x calibrates {', '.join(calibrated_exp_types())}"
        ) from None
    members = members or {}
    multi = is_multi_int(exposure) if multi_int is None else multi_int

    def skipped(step: str) -> bool:
        value = (params or {}).get(step, {}).get("skip")
        return bool(get_step(step).param("skip").default if value is None else value)

    chain = [s for s in jwst_calls(mode, multi) if not skipped(s) and _allowed(s, mode, members)]
    if mode.product_step == "cube_build" and "cube_build" not in chain and "extract_1d" in chain:
        chain.remove("extract_1d")  # jwst: no cube, no 1-D extraction for IFU data
    if mode.photom_on_spectra and "extract_1d" not in chain and "photom" in chain:
        chain.remove("photom")  # jwst: no spectra, no photom for SOSS
    return chain


def product_suffixes(exposure: xr.Dataset | Mapping[str, Any]) -> dict[str, str]:
    """jwst's suffix for each product kind of this exposure (``cal`` -> ``calints`` ...)."""
    multi = is_multi_int(exposure)
    return {
        "cal": "calints" if multi else "cal",
        "s2d": "s2d",
        "s3d": "s3d",
        "x1d": "x1dints" if multi else "x1d",
    }
