"""asdf's YAML dump of a tagged tree, as a stream of events rather than a graph of nodes.

PyYAML dumps a document in two passes over a graph of nodes: the
representer makes a node of every value (every scalar, key and container),
then the serializer walks the whole graph once to find the nodes met twice
(YAML anchors) before it emits any.  So the whole document exists twice
over in memory while it is written: the tagged tree and its nodes.

:func:`dump_all` writes the same document from the tagged tree directly:
one pass names the values met twice (by identity, as the representer
aliases them; numbered as PyYAML's serializer numbers them), then each value
becomes its YAML events as it is written (the scalars', mappings' and
sequences' tags, implicit flags, styles, key order and flow styles as
PyYAML's safe representer and asdf's dumper give them), handed to the
dumper's emitter (libyaml's, when PyYAML has it).  Nothing of a value
outlives its own events but the values with an anchor.  Values of any other
type go through the dumper's own ``represent_data`` and their nodes are
emitted as PyYAML's serializer emits them.  The bytes are PyYAML's.

A :class:`~spec2x._asdf_fast.Deferred` value (each cut-out WCS of a WFSS
``_cal``) is converted only when it is reached, its own values met twice
named then, and let go once written; so the converted trees of thousands
of gwcs (about 0.1 MB each, with the objects the conversion keeps alive)
never exist at once.  :mod:`spec2x._asdf_write` uses this module only
inside its writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from asdf import tagged
from yaml import MappingNode, ScalarNode, SequenceNode
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from ._asdf_fast import Deferred, convert_deferred, converted, extensions_used

__all__ = ["DeferredRetry", "dump_all"]


class DeferredRetry(Exception):
    """A :class:`~spec2x._asdf_fast.Deferred` value cannot be written as deferred (the tree
    is to be written again with every value converted first)."""


_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ = (
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")
)
_FLOW_STYLES = {"flow": True, "block": False}
_SCALAR_STYLES = {"inline": '"', "folded": ">", "literal": "|"}
#: Values PyYAML's safe representer never aliases (a new node each time).
_UNALIASED = (str, bytes, bool, int, float, type(None))
#: Types never given an anchor: the above, and asdf's tagged strings (written in full each
#: time, as asdf's own writer writes them: ``tests/nirspec/test_asdf_fast.py``).
_NEVER_ALIASED = frozenset((*_UNALIASED, tagged.TaggedString))
#: Other types written as plain scalars (NumPy's; :mod:`spec2x._asdf_write` adds its tokens).
PLAIN_TYPES: tuple[type, ...] = (np.generic,)
#: A scalar's text -> whether it reads back as a plain ``str`` (PyYAML's implicit resolvers).
_CACHE_MAX = 65536


def dump_all(documents: Any, stream: Any, Dumper: Any, **kwds: Any) -> None:  # noqa: N803
    """``yaml.dump_all`` of asdf's tagged trees (its arguments), written as events."""
    dumper = Dumper(
        stream,
        default_style=kwds.get("default_style"),
        default_flow_style=kwds.get("default_flow_style", False),
        canonical=kwds.get("canonical"),
        indent=kwds.get("indent"),
        width=kwds.get("width"),
        allow_unicode=kwds.get("allow_unicode"),
        line_break=kwds.get("line_break"),
        encoding=kwds.get("encoding"),
        version=kwds.get("version"),
        tags=kwds.get("tags"),
        explicit_start=kwds.get("explicit_start"),
        explicit_end=kwds.get("explicit_end"),
        sort_keys=kwds.get("sort_keys", True),
    )
    try:
        dumper.open()
        for data in documents:
            _Writer(dumper, kwds).document(data)
        dumper.close()
    finally:
        dumper.dispose()


class _Writer:
    """One document's events, written as its tagged tree is walked."""

    def __init__(self, dumper: Any, kwds: dict[str, Any]) -> None:
        self.dumper = dumper
        self.emit = dumper.emit
        self.kwds = kwds
        self.sort = dumper.sort_keys
        self.flow_default = dumper.default_flow_style
        self.style_default = dumper.default_style
        self.names: dict[int, str] = {}  # id(value) -> its anchor, for those met twice
        self.anchors: dict[int, str] = {}  # id(value or node) -> its anchor, once written
        self.keep: list[Any] = []  # the fallback nodes written with an anchor, kept alive
        self.plain_str: dict[str, bool] = {}
        self.extensions = 0

    def document(self, data: Any) -> None:
        self.extensions = extensions_used()
        self.shared(data)
        kw = self.kwds
        self.emit(
            DocumentStartEvent(
                explicit=kw.get("explicit_start"), version=kw.get("version"), tags=kw.get("tags")
            )
        )
        self.value(data)
        self.emit(DocumentEndEvent(explicit=kw.get("explicit_end")))
        self.dumper.represented_objects = {}
        self.dumper.object_keeper = []
        self.dumper.alias_key = None

    def shared(self, root: Any) -> None:
        """Name (``self.names``) the values met more than once under ``root`` as PyYAML's
        serializer numbers its anchors: in the order they are met the second time, walking
        the document in the order it is written.  Values named before are not walked
        again (a deferred value's own pass); the objects a :class:`Deferred` shares with
        the tree are named too (its later copies are aliases of them)."""
        seen: set[int] = set()
        names = self.names
        stack = [root]
        while stack:
            value = stack.pop()
            typ = type(value)
            if typ in _NEVER_ALIASED or (typ is tuple and not value):
                continue
            key = id(value)
            if key in names:
                continue
            if key in seen:
                self.name(key, value)
                continue
            seen.add(key)
            if typ is dict or typ is tagged.TaggedDict:
                stack.extend(v for _, v in reversed(self.pairs(value)[2]))
            elif typ is list or typ is tuple or typ is tagged.TaggedList:
                stack.extend(reversed(value.data if typ is tagged.TaggedList else value))
            elif typ is Deferred:
                for original in value.shared:
                    node = converted(original)
                    if node is not None and id(node) not in names:
                        self.name(id(node), node)
            elif isinstance(value, dict):  # an OrderedDict (an omap) or another mapping
                stack.extend(reversed(list(value.values())))

    def name(self, key: int, value: Any) -> None:
        self.names[key] = f"id{len(self.names) + 1:03d}"
        self.keep.append(value)  # its id stays its own while the document is written

    def anchor(self, key: int) -> str | None:
        """The anchor of a value met more than once, now written (None for the others)."""
        name = self.names.get(key)
        if name is not None:
            self.anchors[key] = name
        return name

    def deferred(self, data: Deferred) -> None:
        """A :class:`Deferred` value converted, its values met twice named, written, let go."""
        node, extensions = convert_deferred(data)
        if extensions != self.extensions:
            raise DeferredRetry("a deferred value used an asdf extension the tree did not")
        self.shared(node)
        self.value(node)

    # ------------------------------------------------------------------ values
    def value(self, data: Any) -> None:
        """``data``'s events: a scalar, a container (or its alias), or any other value."""
        typ = type(data)
        if typ is str:
            self.scalar(_STR, data, self.style_default)
        elif typ is float:
            self.scalar(_FLOAT, _float_text(self.dumper, data), self.style_default)
        elif typ is int:
            self.scalar(_INT, str(data), self.style_default)
        elif typ is bool:
            self.scalar(_BOOL, "true" if data else "false", self.style_default)
        elif data is None:
            self.scalar(_NULL, "null", self.style_default)
        elif id(data) in self.anchors:
            self.emit(AliasEvent(self.anchors[id(data)]))
        elif typ is dict or typ is tagged.TaggedDict:
            self.mapping(data)
        elif typ is list or typ is tuple or typ is tagged.TaggedList:
            self.sequence(data)  # a tuple as PyYAML's safe representer writes it: a list
        elif typ is Deferred:
            self.deferred(data)
        elif typ is tagged.TaggedString:
            style = _SCALAR_STYLES.get(data.style)
            self.scalar(data._tag, data.data, self.style_default if style is None else style)
        else:
            self.other(data)

    def scalar(self, tag: str, text: str, style: Any, anchor: str | None = None) -> None:
        """A scalar's event with PyYAML's serializer's implicit flags."""
        if tag == _STR:
            plain = self.plain_str.get(text)
            if plain is None:
                plain = self.dumper.resolve(ScalarNode, text, (True, False)) == _STR
                if len(self.plain_str) >= _CACHE_MAX:
                    self.plain_str.clear()
                self.plain_str[text] = plain
            implicit = (plain, True)
        else:
            implicit = (self.dumper.resolve(ScalarNode, text, (True, False)) == tag, False)
        self.emit(ScalarEvent(anchor, tag, implicit, text, style=style))

    def pairs(self, data: Any) -> tuple[str, Any, list[tuple[Any, Any]]]:
        """A dict's or TaggedDict's tag, flow style (None: PyYAML's choice) and (key, value)
        pairs in the order written: sorted as PyYAML's ``represent_mapping`` sorts them,
        then a TaggedDict's property order first."""
        items = data.data if type(data) is tagged.TaggedDict else data
        pairs = list(items.items())
        if self.sort:
            try:
                pairs = sorted(pairs)
            except TypeError:
                pass
        if type(data) is tagged.TaggedDict:
            tag, flow = data._tag, _FLOW_STYLES.get(data.flow_style)
            if data.property_order:
                first = [(k, items[k]) for k in data.property_order if k in items]
                listed = set(data.property_order)
                pairs = first + [(k, v) for k, v in pairs if k not in listed]
        else:
            tag, flow = _MAP, None
        return tag, flow, pairs

    def mapping(self, data: Any) -> None:
        """A dict (``tag:yaml.org,2002:map``) or asdf's TaggedDict, as PyYAML's representer
        and asdf's dumper write them."""
        tag, flow, pairs = self.pairs(data)
        if flow is None:
            flow = (
                all(_plain(k) and _plain(v) for k, v in pairs)
                if self.flow_default is None
                else self.flow_default
            )
        anchor = self.anchor(id(data))
        self.emit(MappingStartEvent(anchor, tag, tag == _MAP, flow_style=flow))
        for k, v in pairs:
            self.value(k)
            self.value(v)
        self.emit(MappingEndEvent())

    def sequence(self, data: Any) -> None:
        """A list or tuple, or asdf's TaggedList (its tag and flow style)."""
        if type(data) is tagged.TaggedList:
            tag, flow, items = data._tag, _FLOW_STYLES.get(data.flow_style), data.data
        else:
            tag, flow, items = _SEQ, None, data
        if flow is None:
            flow = all(_plain(v) for v in items) if self.flow_default is None else self.flow_default
        anchor = self.anchor(id(data))
        self.emit(SequenceStartEvent(anchor, tag, tag == _SEQ, flow_style=flow))
        for v in items:
            self.value(v)
        self.emit(SequenceEndEvent())

    # ------------------------------------------------------------ other values
    def other(self, data: Any) -> None:
        """Any other value: the dumper's own node of it, emitted as PyYAML's serializer does."""
        dumper = self.dumper
        node = dumper.represent_data(data)
        for event in self.node_events(node, self.anchor(id(data))):
            self.emit(event)

    def node_events(self, node: Any, anchor: str | None) -> Iterator[Any]:
        if id(node) in self.anchors and anchor is None:
            yield AliasEvent(self.anchors[id(node)])
            return
        if anchor is not None:
            self.anchors[id(node)] = anchor
            self.keep.append(node)
        resolve = self.dumper.resolve
        if isinstance(node, ScalarNode):
            implicit = (
                node.tag == resolve(ScalarNode, node.value, (True, False)),
                node.tag == resolve(ScalarNode, node.value, (False, True)),
            )
            yield ScalarEvent(anchor, node.tag, implicit, node.value, style=node.style)
        elif isinstance(node, SequenceNode):
            implicit = node.tag == resolve(SequenceNode, node.value, True)
            yield SequenceStartEvent(anchor, node.tag, implicit, flow_style=node.flow_style)
            for item in node.value:
                yield from self.node_events(item, None)
            yield SequenceEndEvent()
        elif isinstance(node, MappingNode):
            implicit = node.tag == resolve(MappingNode, node.value, True)
            yield MappingStartEvent(anchor, node.tag, implicit, flow_style=node.flow_style)
            for key, value in node.value:
                yield from self.node_events(key, None)
                yield from self.node_events(value, None)
            yield MappingEndEvent()


def _plain(value: Any) -> bool:
    """Whether ``value``'s node is a plain scalar (PyYAML's "best" flow style asks it of every
    item): every scalar but a styled TaggedString; no container."""
    if isinstance(value, _UNALIASED):
        return True
    if isinstance(value, tagged.TaggedString):
        return _SCALAR_STYLES.get(value.style) is None
    return isinstance(value, PLAIN_TYPES)


def _float_text(dumper: Any, data: float) -> str:
    """PyYAML's ``represent_float`` text."""
    if data != data:
        return ".nan"
    if data == dumper.inf_value:
        return ".inf"
    if data == -dumper.inf_value:
        return "-.inf"
    value = repr(data).lower()
    if "." not in value and "e" in value:
        value = value.replace("e", ".0e", 1)
    return value
