"""The spec2x exception family.

Every message names what is at fault (file, keyword, slit, reftype or step)
and what the user can do about it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "InputFileError",
    "MissingReferenceError",
    "ParameterError",
    "ReferenceMismatchError",
    "Spec2xError",
    "Spec2xWarning",
    "StepOrderError",
    "UnsupportedModeError",
]


class Spec2xError(Exception):
    """Root of every error spec2x raises on purpose."""


class InputFileError(Spec2xError):
    """An input file (exposure, association, product) is missing, unreadable or malformed."""


class ReferenceMismatchError(Spec2xError):
    """A reference file does not fit the exposure (detector, subarray, mode, format)."""


class MissingReferenceError(Spec2xError):
    """No reference file (or more than one) matches what a step needs."""


class UnsupportedModeError(Spec2xError):
    """The exposure type or instrument configuration is not handled (yet)."""


class StepOrderError(Spec2xError):
    """A step ran on data that lacks what an earlier step provides."""


class ParameterError(Spec2xError):
    """An unknown step or parameter, or a value of the wrong type."""

    @classmethod
    def unknown(cls, kind: str, name: str, known: Iterable[str], where: str = "") -> ParameterError:
        """The error for an unknown step or parameter ``name``, naming the closest known one."""
        known = list(known)
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
        return cls(f"unknown {kind} {name!r}{where}{hint}")


class OutputError(Spec2xError):
    """An output location cannot be written."""


class Spec2xWarning(UserWarning):
    """Something worth knowing that does not stop the calibration."""


__all__ += ["OutputError"]
