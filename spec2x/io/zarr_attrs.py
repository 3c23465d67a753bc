"""How spec2x's metadata sits in a Zarr store: attrs as JSON, and the completeness record.

Shared by the writer (:mod:`spec2x.io.zarr_store`) and the reader
(:mod:`spec2x.io.zarr_read`).  Attrs become JSON (NumPy scalars plain numbers,
tuples lists, listed under :data:`TUPLES` to come back as tuples); the root
attr :data:`WHOLE` is :data:`WRITING` while a store is written, then the number
of chunks stored per array (:func:`stored_chunks`), set last.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import OutputError
from ..wcs.store import StoredWcs

__all__ = [
    "TUPLES",
    "WCS_TEXTS",
    "WHOLE",
    "WRITING",
    "decode_attrs",
    "encode_attrs",
    "json_value",
    "stored_chunks",
]

#: attr listing attrs that were tuples (JSON has only lists).
TUPLES = "_spec2x_tuples"
#: attr marking the per-slit ``wcs`` coord, stored as ASDF texts ("" for a slit without one).
WCS_TEXTS = "_spec2x_wcs_texts"
#: root attr: "writing" while a store is written, then {array path: chunks stored}, set last.
WHOLE = "_spec2x_whole"
WRITING = "writing"


def json_value(value: Any) -> Any:
    """``value`` as JSON can hold it (a stored WCS as its ASDF text)."""
    if isinstance(value, StoredWcs):
        return value.text
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


def encode_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attrs as JSON, the names of tuple-valued ones under :data:`TUPLES`.

    Raises
    ------
    OutputError
        An attr JSON cannot hold.
    """
    out = {str(k): json_value(v) for k, v in attrs.items()}
    tuples = [str(k) for k, v in attrs.items() if isinstance(v, tuple)]
    if tuples:
        out[TUPLES] = tuples
    try:
        json.dumps(out, allow_nan=True)
    except TypeError as exc:
        raise OutputError(
            f"an attr cannot be stored as JSON in Zarr ({exc}); keep only numbers, strings, "
            "lists and dicts in attrs"
        ) from None
    return out


def decode_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attrs as written: tuples again, without the completeness record."""
    out = dict(attrs)
    out.pop(WHOLE, None)
    for key in out.pop(TUPLES, []):
        out[key] = tuple(out[key])
    return out


def stored_chunks(group: Any) -> dict[str, int]:
    """Array path -> number of chunks stored, for every array of a Zarr group and its subgroups."""
    import zarr

    return {
        path: int(node.nchunks_initialized)
        for path, node in group.members(max_depth=None)
        if isinstance(node, zarr.Array)
    }
