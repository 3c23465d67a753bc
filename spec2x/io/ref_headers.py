"""The selector keywords of a reference file: FITS primary header, ASDF ``meta``, JSON top level.

Split from :mod:`spec2x.io.references` (which re-exports :func:`read_header`
and :func:`open_asdf_reference`); nothing here opens a file's data.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..errors import InputFileError, malformed_input

__all__ = ["is_asdf", "open_asdf_reference", "read_header"]


def is_asdf(path: str) -> bool:
    """Whether ``path`` is an ASDF file (its magic bytes)."""
    with open(path, "rb") as f:
        return f.read(5) == b"#ASDF"


def _is_json(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(64).lstrip()[:1] == b"{"


def _json_header(path: str) -> dict[str, Any]:
    """Top-level scalar keywords of a JSON reference file (jwst's extract1d format), uppercase."""
    import json

    with open(path, encoding="utf-8") as f:
        tree = json.load(f)
    header: dict[str, str | int | float | None] = {
        k.upper(): v for k, v in tree.items() if isinstance(v, str | int | float | bool)
    }
    meta = tree.get("meta") if isinstance(tree.get("meta"), dict) else {}
    if meta:
        instrument = meta.get("instrument", {}) or {}
        header.setdefault("REFTYPE", meta.get("reftype"))
        header.setdefault("INSTRUME", instrument.get("name"))
        header.setdefault("DETECTOR", instrument.get("detector"))
        header.setdefault("EXP_TYPE", (meta.get("exposure", {}) or {}).get("type"))
    return {k: v for k, v in header.items() if v is not None}


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Primary header keywords (FITS) or ``meta`` selectors (ASDF, JSON), uppercase, of a reference file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InputFileError(f"reference file {path} does not exist")
    with malformed_input(path, "reference file", "is it a CRDS FITS, ASDF or JSON file?"):
        if _is_json(path):
            return _json_header(path)
        if is_asdf(path):
            return _asdf_header(path)
        from astropy.io import fits

        with fits.open(path, memmap=False) as hdul:
            return {
                k.upper(): v
                for k, v in hdul[0].header.items()
                if k and k not in ("COMMENT", "HISTORY")
            }


def open_asdf_reference(path: str, **options: Any) -> Any:
    """``asdf.open`` of a reference file without schema validation (a few tenths of a
    second per NIRSpec optical model); the readers check the keys they use instead."""
    import asdf

    from .._asdf import spec2x_asdf

    with spec2x_asdf():
        return asdf.open(path, memmap=False, **options)


def _section(path: str, node: Any, key: str) -> Mapping[str, Any]:
    """``node[key]`` of an ASDF tree, a mapping (empty if absent); else an error naming the file."""
    value = node.get(key) if isinstance(node, Mapping) else None
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputFileError(
            f"{path}: its ASDF {key!r} is a {type(value).__name__}, not a mapping of keywords; "
            "give a CRDS-format reference file"
        )
    return value


def _asdf_header(path: str) -> dict[str, Any]:
    # Only ``meta`` is needed: the YAML tree read as plain data, its tags ignored, so no asdf
    # extension is loaded (nor the packages they import) to select references.
    from asdf.util import load_yaml

    tree = load_yaml(path, tagged=False)
    meta = _section(path, tree, "meta")
    instrument = _section(path, meta, "instrument")
    exposure = _section(path, meta, "exposure")
    subarray = _section(path, meta, "subarray")
    header = {
        "REFTYPE": meta.get("reftype"),
        "INSTRUME": instrument.get("name"),
        "DETECTOR": instrument.get("detector"),
        "FILTER": instrument.get("filter"),
        "GRATING": instrument.get("grating"),
        "PUPIL": instrument.get("pupil"),
        "BAND": instrument.get("band"),
        "CHANNEL": instrument.get("channel"),
        "EXP_TYPE": exposure.get("type") or meta.get("exp_type"),
        "P_EXP_TY": exposure.get("p_exptype"),
        "SUBARRAY": subarray.get("name"),
        "PEDIGREE": meta.get("pedigree"),
        "USEAFTER": meta.get("useafter"),
        "DESCRIP": meta.get("description"),
    }
    return {k: v for k, v in header.items() if v is not None}
