"""Before the first step runs: can spec2x calibrate this exposure, with these references?

:func:`check_mode` refuses, in one line, an exposure type whose chain spec2x
does not have (naming the types it calibrates, from the modes table).
:func:`check_references` looks up every reference file the chain will ask
for and reports all that are missing in one :class:`MissingReferenceError`,
so that no step runs on an exposure that cannot be finished.  The lookups are
those the steps make (:data:`STEP_REFERENCES`); a type a step can do without
(:mod:`spec2x.io.ref_rules`) is not missing when the folder lacks it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import MissingReferenceError, UnsupportedModeError
from .io.references import SELECTORS, ReferenceSet
from .modes import Mode
from .registry import calibrated_exp_types

__all__ = ["STEP_REFERENCES", "check_mode", "check_references", "needed_references"]

#: ``(reftype, N/A is an error)`` pairs a step asks for: f(mode, step parameters).
Needs = Callable[[Mode, Mapping[str, Any]], Sequence[tuple[str, bool]]]


def _flat(mode: Mode, params: Mapping[str, Any]) -> Sequence[tuple[str, bool]]:
    if params.get("user_supplied_flat") is not None or mode.flat is None:
        return ()
    types = ("fflat", "sflat", "dflat") if mode.flat == "nirspec" else ("flat",)
    return [(t, False) for t in types]


#: step -> the references it asks for (as its ``from_chain`` does).
STEP_REFERENCES: dict[str, Needs] = {
    "assign_wcs": lambda mode, _: [(t, True) for t in mode.wcs_reftypes],
    "msa_flagging": lambda mode, _: [("msaoper", False)],
    "bkg_subtract": lambda mode, _: [("bkg", False)] if mode.reference_background else [],
    "wavecorr": lambda mode, _: [("wavecorr", False)] if mode.wavecorr else [],
    # the grism orders cut out (WFSS: and their ranges; NRC_TSGRISM: extract_orders)
    "extract_2d": lambda mode, _: (
        [("wavelengthrange", True)] if mode.wfss or mode.extract_2d_impl else []
    ),
    "flat_field": _flat,
    "straylight": lambda mode, _: [("mrsxartcorr", False)],
    "fringe": lambda mode, _: [("fringe", False)],
    "pathloss": lambda mode, _: [("pathloss", False)],
    "barshadow": lambda mode, _: [("barshadow", False)],
    "photom": lambda mode, _: [("photom", False), ("area", False)],
    "cube_build": lambda mode, _: [("cubepar", True)],
    "extract_1d": lambda mode, p: (
        [("extract1d", False)] + ([("apcorr", False)] if p.get("apply_apcorr", True) else [])
    ),
}


def check_mode(mode: Mode, name: str) -> None:
    """Raise :class:`UnsupportedModeError` unless spec2x calibrates ``mode`` end to end.

    Parameters
    ----------
    mode : the exposure's mode.
    name : the file, named in the message.
    """
    calibrated = calibrated_exp_types()
    if mode.exp_type not in calibrated:
        raise UnsupportedModeError(
            f"{name} is {mode.exp_type}, which this spec2x does not calibrate yet; "
            f"it calibrates {', '.join(calibrated)} (see docs/status.md)"
        )


def needed_references(
    mode: Mode, chain: Sequence[str], params: Mapping[str, Mapping[str, Any]]
) -> list[tuple[str, str, bool]]:
    """``(step, reftype, N/A is an error)`` for every reference the chain asks for, in order."""
    out = []
    for step in chain:
        needs = STEP_REFERENCES.get(step)
        if needs is not None:
            out += [(step, t, hard) for t, hard in needs(mode, params.get(step, {}))]
    return out


def check_references(
    attrs: Mapping[str, Any],
    mode: Mode,
    chain: Sequence[str],
    refs: ReferenceSet,
    params: Mapping[str, Mapping[str, Any]],
) -> None:
    """Look up every reference the chain needs; raise one error naming all that are missing.

    Raises
    ------
    MissingReferenceError
        One or more references cannot be found (or are N/A where a step
        cannot do without them, or are ambiguous in the folder).
    """
    problems: dict[str, str] = {}
    for step, reftype, hard in needed_references(mode, chain, params):
        if reftype in problems:
            continue
        try:
            found = refs.find(reftype, attrs, step)
        except MissingReferenceError as exc:  # none in the folder, or several that fit
            problems[reftype] = step if str(exc).startswith("no ") else f"{step}: {exc}"
            continue
        if found is None and hard:
            problems[reftype] = f"{step}, given as N/A"
        elif found is not None and "://" not in found and not os.path.exists(found):
            problems[reftype] = f"{step}: {found} does not exist"
    if not problems:
        return
    name = os.path.basename(str(attrs.get("FILENAME") or "the exposure"))
    listed = "; ".join(f"{t} ({why})" for t, why in problems.items())
    where = f" in {refs.directory}" if refs.directory is not None else ""
    selectors = ", ".join(f"{k}={attrs[k]}" for k in SELECTORS if attrs.get(k) is not None)
    raise MissingReferenceError(
        f"{name} needs {len(problems)} reference(s) not found{where} for {selectors}: {listed}; "
        "give each with --ref TYPE=PATH (TYPE=N/A where it does not apply) or add it to the "
        "--refs folder; nothing was run"
    )
