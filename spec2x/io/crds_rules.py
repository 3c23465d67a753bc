"""CRDS rules files (``.pmap``, ``.imap``, ``.rmap``) read without the ``crds`` package.

A rules file is Python-literal text: ``header = {...}`` and ``selector =
Match({...})`` (an ``.rmap``) or a plain dict (``.pmap``: instrument ->
``.imap``; ``.imap``: reference type -> ``.rmap`` or ``"N/A"``).  The
selection follows ``crds.core.selectors``:

- ``Match`` binds each parkey of the rmap to the dataset's (conditioned)
  value.  Patterns are conditioned too (``ANY`` is ``*``, a ``GENERIC``
  subarray is ``N/A``, numbers compare as floats).  Per key, a pattern
  ``N/A`` is "don't care" (weight 0); a literal,
  ``|`` alternatives or a ``*`` glob that fits is a match (weight 1); a
  dataset value ``*`` matches anything and ``N/A`` is "don't care".
  Candidates are tried from the heaviest down; a candidate whose nested
  ``UseAfter`` has no date early enough gives way to the next.  Equally
  heavy ``UseAfter`` candidates are merged (on the same date the greater
  file name wins); two equally heavy files are ambiguous.
- ``UseAfter`` picks the latest date not after the dataset's
  ``META.OBSERVATION.DATE`` + ``TIME``.
- A result ``N/A``, or no match in an rmap whose header says
  ``reffile_required: NO``, is N/A.

Only these constructs are read here; an rmap using others (regular
expressions, ``#...#`` relations, ``between``, relevance expressions,
substitutions) raises :class:`UnsupportedModeError` asking for the ``crds``
package, which :mod:`spec2x.io.crds_cache` uses when it is installed.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import InputFileError, MissingReferenceError, UnsupportedModeError

__all__ = ["RulesFile", "condition_value", "read_rules", "select_from_rmap"]

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DONT_CARE = {"N/A", "NOT APPLICABLE", "NOT_APPLICABLE", ""}
_UNSUPPORTED_HEADER = ("rmap_relevance", "parkey_relevance", "substitutions", "rmap_omit",
                       "reference_to_dataset", "hooks")  # fmt: skip


@dataclass(frozen=True)
class RulesFile:
    """A parsed rules file: its ``header`` dict and ``selector`` (nested ``(kind, dict)``)."""

    path: Path
    header: dict[str, Any]
    selector: Any


def condition_value(value: Any) -> str:
    """A dataset value as CRDS matches it: upper-case text, numbers as floats, N/A, ``*``."""
    if isinstance(value, bool):
        return "T" if value else "F"
    text = str(value).strip().upper()
    if _NUMBER.match(text):
        text = str(float(text))
    if text in _DONT_CARE:
        return "N/A"
    if text == "ANY":
        return "*"
    return {"TRUE": "T", "FALSE": "F"}.get(text, text)


def _literal(node: ast.AST, path: Path) -> Any:
    """A rules-file expression: literals, and ``Match({...})``/``UseAfter({...})`` calls."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1:
        return (node.func.id, _literal(node.args[0], path))
    if isinstance(node, ast.Dict):
        return {
            _literal(k, path): _literal(v, path)
            for k, v in zip(node.keys, node.values, strict=True)
            if k is not None
        }
    try:
        return ast.literal_eval(node)
    except ValueError as exc:
        raise InputFileError(f"CRDS rules file {path}: cannot read {ast.dump(node)[:80]}") from exc


def read_rules(path: str | Path) -> RulesFile:
    """Parse a ``.pmap``/``.imap``/``.rmap`` file."""
    path = Path(path)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError) as exc:
        raise InputFileError(f"cannot read CRDS rules file {path}: {exc}") from exc
    values: dict[str, Any] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            values[stmt.targets[0].id] = _literal(stmt.value, path)
    if "header" not in values or "selector" not in values:
        raise InputFileError(f"CRDS rules file {path} lacks a header or a selector")
    return RulesFile(path, values["header"], values["selector"])


def _pattern(pattern: Any, key: str) -> str:
    """An rmap match value as crds conditions it (``ANY`` -> ``*``, numbers as floats,
    ``GENERIC`` subarray -> ``N/A``)."""
    if isinstance(pattern, tuple | list):
        return "|".join(condition_value(v) for v in pattern)
    text = str(pattern).strip()
    if text.startswith(("(", "#", "{")) or text.upper().startswith(("BETWEEN ", "NOT ")):
        raise UnsupportedModeError(
            f"CRDS pattern {pattern!r} needs the crds package: pip install 'spec2x[crds]'"
        )
    if key in ("META.SUBARRAY.NAME", "SUBARRAY") and text.upper() == "GENERIC":
        return "N/A"
    return "|".join(condition_value(a) for a in text.split("|"))


def _match(pattern: str, value: str) -> int:
    """1 match, 0 don't care, -1 no match (crds ``Matcher.match``)."""
    if pattern == "N/A":
        return 0
    if value == "*":
        return 1
    if value == "N/A":
        return 0
    return 1 if any(fnmatch.fnmatchcase(value, a) for a in pattern.split("|")) else -1


def _observed(header: Mapping[str, str]) -> datetime:
    date = header.get("META.OBSERVATION.DATE", "UNDEFINED")
    time = header.get("META.OBSERVATION.TIME", "00:00:00")
    try:
        return datetime.fromisoformat(
            f"{date}T{time if time not in ('UNDEFINED', 'N/A') else '00:00:00'}"
        )
    except ValueError:
        # a LookupError, as a failed match: an rmap whose type is not required then says N/A
        raise LookupError(
            f"the exposure's DATE-OBS/TIME-OBS ({date!r} {time!r}) cannot be read, and CRDS "
            "selects by date: set DATE-OBS (YYYY-MM-DD) and TIME-OBS"
        ) from None


def _use_after(table: Mapping[str, Any], header: Mapping[str, str]) -> Any:
    when = _observed(header)
    dates = sorted((datetime.fromisoformat(str(k).replace(" ", "T")), v) for k, v in table.items())
    chosen = [v for d, v in dates if d <= when]
    if not chosen:
        raise LookupError(f"no UseAfter date before {when.isoformat(' ')}")
    return chosen[-1]


def _merge_use_after(tables: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Equally good ``UseAfter`` tables as one; on the same date the greater (newer) file name wins."""
    merged: dict[str, Any] = {}
    for table in tables:
        for date, choice in table.items():
            key = str(date).replace("T", " ")
            if key not in merged or str(choice) > str(merged[key]):
                merged[key] = choice
    return merged


def _choose(selector: Any, parkeys: tuple[tuple[str, ...], ...], header: Mapping[str, str]) -> Any:
    """Resolve a nested ``(kind, table)`` selector to a file name (LookupError: none fits)."""
    if isinstance(selector, str):
        return selector
    kind, table = selector
    if kind == "UseAfter":
        return _use_after(table, header)
    if kind != "Match":
        raise UnsupportedModeError(f"CRDS selector {kind} needs the crds package")
    keys = parkeys[0]
    weighted: dict[int, list[Any]] = {}
    for pattern, choice in table.items():
        patterns = pattern if isinstance(pattern, tuple) else (pattern,)
        marks = [
            _match(_pattern(p, k), header.get(k, "UNDEFINED"))
            for p, k in zip(patterns, keys, strict=True)
        ]
        if min(marks, default=0) >= 0:
            weighted.setdefault(sum(marks), []).append(choice)
    for weight in sorted(weighted, reverse=True):
        choices = weighted[weight]
        if len(choices) > 1:
            if not all(isinstance(c, tuple) and c[0] == "UseAfter" for c in choices):
                raise MissingReferenceError(f"more than one CRDS match at equal weight: {choices}")
            choices = [("UseAfter", _merge_use_after([c[1] for c in choices]))]
        try:
            return _choose(choices[0], parkeys[1:], header)
        except LookupError:
            continue
    raise LookupError("no match found")


def select_from_rmap(rmap: RulesFile, header: Mapping[str, str]) -> str | None:
    """The reference file an ``.rmap`` selects for a conditioned header; None for N/A.

    Raises
    ------
    MissingReferenceError
        No match and the rmap does not say the type may be left out.
    UnsupportedModeError
        The rmap uses a construct read only by the crds package.
    """
    used = [k for k in _UNSUPPORTED_HEADER if k in rmap.header]
    if used:
        raise UnsupportedModeError(
            f"{rmap.path.name} uses {', '.join(used)}, read only by the crds package: "
            "pip install 'spec2x[crds]'"
        )
    parkeys = tuple(tuple(str(k).upper() for k in group) for group in rmap.header["parkey"])
    try:
        name = _choose(rmap.selector, parkeys, header)
    except LookupError as exc:
        if str(rmap.header.get("reffile_required", "NONE")).upper() in ("YES", "NONE"):
            raise MissingReferenceError(
                f"{rmap.path.name} has no {rmap.header.get('filekind', '').lower()} reference for "
                f"this exposure ({exc})"
            ) from None
        return None
    return None if str(name).upper() == "N/A" else str(name)
