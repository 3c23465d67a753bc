"""The spec2x exception family.

Every message names what is at fault (file, keyword, slit, reftype or step)
and what the user can do about it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

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


#: Top-level packages whose exceptions mean "this file's content could not be decoded".
_DECODERS = frozenset(
    {"astropy", "asdf", "asdf_astropy", "gwcs", "yaml", "zarr", "numcodecs", "struct"}
)
#: Built-in exceptions that decoding a malformed file raises (a missing key, a wrong type ...).
_DECODE_ERRORS = (
    ArithmeticError,
    AttributeError,
    EOFError,
    LookupError,
    OSError,
    TypeError,
    ValueError,
)


def is_decode_error(exc: BaseException) -> bool:
    """Whether ``exc`` is what reading a malformed file raises (not a spec2x error)."""
    if isinstance(exc, Spec2xError):
        return False
    if isinstance(exc, _DECODE_ERRORS):
        return True
    return type(exc).__module__.split(".")[0] in _DECODERS


@contextmanager
def malformed_input(path: object, what: str, remedy: str) -> Iterator[None]:
    """Turn the failures of decoding a malformed file into one :class:`InputFileError`.

    Used once at each reader's entry point, around the whole decoding, after
    the checks that give a more precise message; the original exception
    stays chained (``--debug`` shows where it came from).

    Parameters
    ----------
    path : the file, named in the message.
    what : what it should have been (``"flat reference"``, ``"Zarr store"``).
    remedy : what the user can do.
    """
    try:
        yield
    except Exception as exc:
        if not is_decode_error(exc):
            raise
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise InputFileError(f"{path}: not a readable {what} ({reason}); {remedy}") from exc


__all__ += ["is_decode_error", "malformed_input"]
