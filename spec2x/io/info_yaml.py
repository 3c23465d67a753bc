"""The YAML tree of a product's ASDF extension for ``spec2x info``, every tag ignored.

``info`` needs the ``spec2x`` node and the WCS's place, not the WCS: a
multi-slit product's tree holds a gwcs per slit (1.6 MB of YAML for 18 MOS
slitlets, 0.35 s to build as Python objects).  :func:`read_tree` therefore
reads the top-level ``slits`` list as events only and keeps, of each slit,
whether its ``meta.wcs`` is set (``{"meta": {"wcs": True}}``, ``{}`` when
not); the rest of the tree is built whole.  A document it cannot split so
(a flow-style root, an alias into or out of ``slits``) is read whole.
"""

from __future__ import annotations

import re
from typing import Any

from .fits_cards import Decline

__all__ = ["read_tree"]

_DOC_START = re.compile(rb"^---(?=[ \r\n]).*$", re.M)
_TOP_KEY = re.compile(rb"^([A-Za-z_][\w-]*):(?=[ \r\n])", re.M)
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))


def read_tree(text: bytes) -> dict[str, Any]:
    """The tree of an ASDF file's YAML (``text``, up to its ``...`` end marker), each
    slit's WCS only marked (see the module); raises :class:`~spec2x.io.fits_cards.Decline`
    for text that is not a YAML mapping."""
    import yaml

    split = _split_slits(text)
    try:
        if split is not None:
            try:
                rest, slits = split
                tree = _load(rest)
                tree["slits"] = _wcs_marks(yaml.parse(slits, Loader=yaml.CBaseLoader))
                return tree
            except (yaml.YAMLError, Decline):
                pass  # an alias across the cut: the whole document
        return _load(text)
    except yaml.YAMLError as exc:  # the reader says what is wrong with it
        raise Decline from exc


def _load(text: bytes) -> dict[str, Any]:
    import yaml

    class Untagged(yaml.CSafeLoader):
        """YAML's safe loader reading any tagged node as its plain mapping, list or text."""

    def plain(loader: Untagged, suffix: str, node: Any) -> Any:
        # a generator, as YAML's own constructors: an anchor may point back to its parent
        if isinstance(node, yaml.MappingNode):
            mapping: dict[Any, Any] = {}
            yield mapping
            mapping.update(loader.construct_mapping(node))
        elif isinstance(node, yaml.SequenceNode):
            sequence: list[Any] = []
            yield sequence
            sequence.extend(loader.construct_sequence(node))
        else:
            yield loader.construct_scalar(node)

    Untagged.add_multi_constructor("", plain)  # YAML's own tags keep their constructors
    tree = yaml.load(text, Loader=Untagged)  # noqa: S506 (a safe loader)
    if not isinstance(tree, dict):
        raise Decline
    return tree


def _split_slits(text: bytes) -> tuple[bytes, bytes] | None:
    """(the document without its top-level ``slits``, a document of ``slits`` alone), None
    when the root is not a block mapping with one ``slits`` key at column 0."""
    start = _DOC_START.search(text)
    if start is None:
        return None
    head, body = text[: start.end() + 1], text[start.end() + 1 :]
    keys = list(_TOP_KEY.finditer(body))
    found = [i for i, m in enumerate(keys) if m.group(1) == b"slits"]
    if len(found) != 1 or not keys or body[: keys[0].start()].strip():
        return None
    i = found[0]
    stop = keys[i + 1].start() if i + 1 < len(keys) else _end(body)
    cut = body[keys[i].start() : stop]
    return head + body[: keys[i].start()] + body[stop:], b"--- \n" + cut + b"...\n"


def _end(body: bytes) -> int:
    """Where the ``...`` end marker of the body starts."""
    at = body.rfind(b"\n...")
    return len(body) if at < 0 else at + 1


def _wcs_marks(events: Any) -> list[dict[str, Any]]:
    """Of each item of the top-level ``slits`` list, whether ``meta.wcs`` is set, from the
    YAML events of a document holding that list alone."""
    import yaml

    stack: list[list[Any]] = []  # per open collection: [is mapping, current key/index, want key]
    marks: list[dict[str, Any]] = []
    anchors = set()
    for event in events:
        if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            stack.pop()
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        if isinstance(event, yaml.AliasEvent) and event.anchor not in anchors:
            raise Decline  # its anchor lies outside this document
        anchors.add(event.anchor)
        top = stack[-1] if stack else None
        if top is not None and top[0] and top[2]:
            if not isinstance(event, yaml.ScalarEvent):
                raise Decline  # a complex key
            top[1], top[2] = event.value, False
            continue
        if top is not None and top[0]:
            top[2] = True
        elif top is not None:
            top[1] += 1
        path = [entry[1] for entry in stack]
        if path == ["slits"] and not isinstance(event, yaml.SequenceStartEvent):
            raise Decline  # not a list of slits
        if len(path) == 2 and path[0] == "slits":
            marks.append({})
        if len(path) == 4 and path[0] == "slits" and path[2:] == ["meta", "wcs"]:
            null = isinstance(event, yaml.ScalarEvent) and event.value in _NULLS
            if not (null and event.implicit[0] and event.tag is None):
                marks[path[1]] = {"meta": {"wcs": True}}
        if isinstance(event, yaml.MappingStartEvent):
            stack.append([True, None, True])
        elif isinstance(event, yaml.SequenceStartEvent):
            stack.append([False, -1, False])
    return marks
