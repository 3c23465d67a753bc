"""JWST data-quality bits by name, and helpers.

The table follows the JWST pixel DQ definitions (``stdatamodels.dqflags``):
bit values are powers of two stored in ``uint32`` arrays.

On arrays, use a flag as ``DQ_DTYPE(DQ.X)`` (or :func:`has_flag`): a bare
``DQ.X`` is an ``IntFlag``, which NumPy does not treat as a Python int, so
``dq & DQ.X``, ``dq | DQ.X`` or ``np.where(m, DQ.X, 0)`` on a ``uint32``
array allocate a full ``int64`` array (``tests/core/test_dq.py`` pins this).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntFlag
from typing import Any

import numpy as np

__all__ = ["DQ", "DQ_DTYPE", "combine", "dq_names", "has_flag", "interpret"]


class DQ(IntFlag):
    """JWST pixel data-quality flags."""

    GOOD = 0
    DO_NOT_USE = 2**0
    SATURATED = 2**1
    JUMP_DET = 2**2
    DROPOUT = 2**3
    OUTLIER = 2**4
    PERSISTENCE = 2**5
    AD_FLOOR = 2**6
    CHARGELOSS = 2**7
    RESERVED = 2**8
    NON_SCIENCE = 2**9
    DEAD = 2**10
    HOT = 2**11
    WARM = 2**12
    LOW_QE = 2**13
    RC = 2**14
    TELEGRAPH = 2**15
    NONLINEAR = 2**16
    BAD_REF_PIXEL = 2**17
    NO_FLAT_FIELD = 2**18
    NO_GAIN_VALUE = 2**19
    NO_LIN_CORR = 2**20
    NO_SAT_CHECK = 2**21
    UNRELIABLE_BIAS = 2**22
    UNRELIABLE_DARK = 2**23
    UNRELIABLE_SLOPE = 2**24
    UNRELIABLE_FLAT = 2**25
    OPEN = 2**26
    ADJ_OPEN = 2**27
    FLUX_ESTIMATED = 2**28
    MSA_FAILED_OPEN = 2**29
    OTHER_BAD_PIXEL = 2**30
    REFERENCE_PIXEL = 2**31


#: Aliases used in reference files and in jwst code.
_ALIASES = {"FLUX_ESTIMATED": DQ.FLUX_ESTIMATED, "UNRELIABLE_RESET": DQ.UNRELIABLE_BIAS}

DQ_DTYPE = np.uint32


def dq_names(value: int) -> list[str]:
    """Names of the flags set in one DQ value, lowest bit first."""
    value = int(value)
    return [flag.name for flag in DQ if flag and value & flag and flag.name is not None]


def interpret(names: str | Iterable[str] | int) -> int:
    """Turn flag names (``"DO_NOT_USE,NON_SCIENCE"`` or a list) or an int into a bit mask.

    Raises
    ------
    KeyError
        For an unknown name, listing the valid ones.
    """
    if isinstance(names, int | np.integer):
        return int(names)
    if isinstance(names, str):
        names = [n for n in names.replace("+", ",").split(",") if n.strip()]
    mask = 0
    for raw in names:
        name = raw.strip().upper()
        if name in DQ.__members__:
            mask |= int(DQ[name])
        elif name in _ALIASES:
            mask |= int(_ALIASES[name])
        else:
            raise KeyError(f"unknown DQ flag {raw!r}; valid names are {', '.join(DQ.__members__)}")
    return mask


def combine(*arrays: np.ndarray | int) -> np.ndarray:
    """Bitwise OR of DQ arrays (or scalars), as ``uint32``."""
    out: np.uint32 | np.ndarray = np.uint32(0)
    for a in arrays:
        out = np.bitwise_or(out, np.asarray(a, dtype=DQ_DTYPE))
    return np.asarray(out, dtype=DQ_DTYPE)


def has_flag(dq: Any, flags: str | Iterable[str] | int) -> Any:
    """True where any of ``flags`` is set in ``dq`` (NumPy, Dask or xarray)."""
    return (dq & DQ_DTYPE(interpret(flags))) != 0
