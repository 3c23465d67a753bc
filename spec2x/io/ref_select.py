"""Which reference file fits an exposure: CRDS-style selector matching.

A reference's selector keywords (:data:`SELECTORS`) fit an exposure when each
is a wildcard (``ANY``, ``N/A`` ...), equals the exposure's value or lists it
in a ``|``-separated choice; EXP_TYPE is matched on ``P_EXP_TY`` when the
file has one.  Used by :class:`spec2x.io.references.ReferenceSet` (a folder
of files) and :meth:`spec2x.io.references.Reference.check_matches`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["SELECTORS", "describe", "fits_exposure", "rank", "selector_matches"]

#: Keywords a reference file may be selected on; ``ANY`` / ``N/A`` in the
#: reference match everything; ``|``-separated lists match any member.
SELECTORS = (
    "INSTRUME",
    "DETECTOR",
    "EXP_TYPE",
    "FILTER",
    "GRATING",
    "PUPIL",
    "BAND",
    "CHANNEL",
    "SUBARRAY",
    "LAMP",
    "OPMODE",
)
_WILDCARDS = {"ANY", "N/A", "NONE", "GENERIC", ""}


def _selector(header: Mapping[str, Any], key: str) -> Any:
    """A reference's selector value; EXP_TYPE is matched on P_EXP_TY (CRDS's pattern) when given."""
    if key == "EXP_TYPE" and header.get("P_EXP_TY"):
        return str(header["P_EXP_TY"]).strip().strip("|")
    return header.get(key)


def selector_matches(ref_value: Any, exp_value: Any) -> bool:
    """Whether a reference's selector value ``ref_value`` admits the exposure's ``exp_value``."""
    if ref_value is None or str(ref_value).strip().upper() in _WILDCARDS:
        return True
    if exp_value is None:
        return False
    choices = {c.strip().upper() for c in str(ref_value).split("|")}
    return str(exp_value).strip().upper() in choices or bool(choices & _WILDCARDS)


def fits_exposure(hdr: Mapping[str, Any], attrs: Mapping[str, Any]) -> bool:
    """Whether a reference with header ``hdr`` may serve an exposure with ``attrs``.

    A full-frame file (``SUBARRAY=FULL``) serves every subarray: the steps cut it.
    """
    for key in SELECTORS:
        value = _selector(hdr, key)
        if key == "SUBARRAY" and str(value or "").strip().upper() == "FULL":
            continue
        if not selector_matches(value, attrs.get(key)):
            return False
    return True


def rank(hdr: Mapping[str, Any], attrs: Mapping[str, Any]) -> tuple[bool, bool, int]:
    """Higher is a better fit: the exposure's own subarray; any file but a full-frame one
    standing in for a subarray; then the fewest wildcards."""
    theirs = str(hdr.get("SUBARRAY", "")).strip().upper()
    ours = str(attrs.get("SUBARRAY", "")).strip().upper()
    stand_in = theirs == "FULL" and ours not in ("FULL", "")
    specific = sum(
        str(hdr.get(k, "")).upper() not in _WILDCARDS and "|" not in str(hdr.get(k, ""))
        for k in SELECTORS
    )
    return theirs == ours, not stand_in, specific


def describe(attrs: Mapping[str, Any]) -> str:
    """The exposure's selector keywords, as messages name it (``INSTRUME=MIRI, ...``)."""
    return ", ".join(f"{k}={attrs.get(k)}" for k in SELECTORS if attrs.get(k) is not None)
