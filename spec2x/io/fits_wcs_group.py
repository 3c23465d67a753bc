"""A group of WCS in the spec2x ASDF node (NIRSpec IFU: one gwcs per slice), read lazily.

An IFU exposure keeps its 30 slice WCS as one mapping ``spec2x.wcs`` of the
ASDF tree.  The slices share transforms (YAML anchors across slices), so
they cannot be cut into one text each as a slits product's are
(:func:`spec2x.io.fits_asdf.split_wcs`); decoding all of them takes
seconds.  :func:`split_node_wcs` cuts the whole mapping out of the YAML
text unparsed and gives one :class:`~spec2x.wcs.store.StoredWcs` per slice that
decodes the mapping (once, for all of them) on the first use of any.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from ..wcs.store import StoredWcs, wcs_from_text, wcs_to_text

__all__ = ["group_members", "split_node_wcs"]

_ALIAS = re.compile(r"\*(id\d+)\b")
_ANCHOR = re.compile(r"&(id\d+)\b")
_BLOCK_SOURCE = re.compile(r"^\s*source: \d+\s*$", re.MULTILINE)
_MEMBER = re.compile(r"^    '?([^':\s]+)'?: ")
_META_WCS = re.compile(r"^  wcs: (&id\d+ )?!<tag:stsci.edu:gwcs/wcs-")


def split_node_wcs(yaml_text: str, blocks: bytes = b"") -> tuple[str, dict[str, StoredWcs]] | None:
    """The YAML without the spec2x node's WCS mapping, and that mapping's members (name ->
    stored WCS, all decoded together on the first use of any).

    A NIRSpec IFU file also holds ``meta.wcs``, the coordinate-based WCS jwst
    reads (:mod:`spec2x.wcs.ifu_selector`), made of the slices' own
    transforms: asdf writes ``meta`` first, so the YAML anchors the mapping
    uses are defined there.  That block is cut out too and decoded with the
    mapping (with the binary ``blocks`` that follow the YAML, its slice map);
    spec2x reads its slices from the mapping, never ``meta.wcs``.

    None when the text has no such mapping (a single WCS, no spec2x node), or
    when it cannot stand alone (YAML anchors shared with the rest of the
    tree, arrays in binary blocks outside ``meta.wcs``): then the whole tree
    goes through asdf.
    """
    lines = yaml_text.splitlines(keepends=True)
    try:
        node = lines.index("spec2x:\n")
        header_end = next(i for i, line in enumerate(lines) if line.startswith("--- "))
        start = next(i for i in range(node + 1, len(lines)) if lines[i] == "  wcs:\n"
                     or not lines[i].startswith("  "))  # fmt: skip
    except (ValueError, StopIteration):
        return None
    if lines[start] != "  wcs:\n" or start + 1 >= len(lines) or not _MEMBER.match(lines[start + 1]):
        return None
    end = _block_end(lines, start)
    block = "".join(ln[2:] for ln in lines[start + 1 : end])
    meta, cut = _meta_wcs(lines[:node])
    rest = "".join(cut + lines[node:start] + lines[end:])
    if _BLOCK_SOURCE.search(block) or (_BLOCK_SOURCE.search(meta) and not blocks):
        return None
    if set(_ALIAS.findall(meta + block)) - set(_ANCHOR.findall(meta + block)):
        return None
    if set(_ALIAS.findall(rest)) - set(_ANCHOR.findall(rest)):
        return None
    text = f"{''.join(lines[: header_end + 1])}{meta}wcs:\n{block}...\n"
    names = [m.group(1) for line in lines[start + 1 : end] if (m := _MEMBER.match(line))]
    return rest, group_members(text, names, blocks if _BLOCK_SOURCE.search(meta) else b"")


def group_members(text: str, names: list[str], blocks: bytes = b"") -> dict[str, StoredWcs]:
    """name -> stored WCS of the ``wcs`` mapping of the ASDF document ``text`` (followed by
    its binary ``blocks``), all decoded together on the first use of any."""
    group = _Group(text, blocks)
    return {name: _Member(group, name) for name in names}


def _block_end(lines: list[str], start: int) -> int:
    """The line after the block of ``lines[start]`` (a key at two spaces: lines at four or more)."""
    end = start + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    return end


def _meta_wcs(lines: list[str]) -> tuple[str, list[str]]:
    """``meta.wcs`` of the lines before the spec2x node, as ``meta_wcs: ...`` YAML, and the
    lines without it (and without ``meta:`` when nothing else is left in it); ``""`` and the
    lines as they are when there is none."""
    try:
        meta = lines.index("meta:\n")
    except ValueError:
        return "", lines
    start = next((i for i in range(meta + 1, len(lines)) if not lines[i].startswith("  ")
                  or _META_WCS.match(lines[i])), len(lines))  # fmt: skip
    if start == len(lines) or not _META_WCS.match(lines[start]):
        return "", lines
    end = _block_end(lines, start)
    text = "meta_" + "".join(ln[2:] for ln in lines[start:end])
    emptied = end >= len(lines) or not lines[end].startswith("  ")
    if emptied and start == meta + 1:
        return text, lines[:meta] + lines[end:]
    return text, lines[:start] + lines[end:]


class _Group:
    """The mapping's ASDF text, decoded once (thread-safe) into name -> gwcs."""

    def __init__(self, text: str, blocks: bytes = b"") -> None:
        self.text = text
        self.blocks = blocks
        self._lock = threading.Lock()
        self._decoded: dict[str, Any] | None = None

    def decoded(self) -> dict[str, Any]:
        with self._lock:
            if self._decoded is None:
                self._decoded = {
                    str(k): v for k, v in wcs_from_text(self.text, self.blocks).items()
                }
            return self._decoded


class _Member(StoredWcs):
    """One WCS of a :class:`_Group`: decodes the whole group on first use."""

    __slots__ = ("_group", "_key")

    def __init__(self, group: _Group, key: str) -> None:
        super().__init__(text="")  # placeholder: the text is encoded from the object on demand
        self._text = None
        self._group = group
        self._key = key

    def __reduce__(self) -> tuple[Any, ...]:
        return StoredWcs, (None, self.text)  # unpickled as a plain stored WCS, its own text

    @property
    def wcs(self) -> Any:
        if self._wcs is None:
            self._wcs = self._group.decoded()[self._key]
        return self._wcs

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = wcs_to_text(self.wcs)
        return self._text
