"""asdf's tree conversion and PyYAML's representer, lean, for the trees spec2x writes.

Writing a slits product converts one gwcs per slit: thousands of astropy
models, and tens of thousands of YAML nodes.  Two generic walks cost most of
it, not the converters: asdf's ``custom_tree_to_tagged_tree`` visits every
node (scalars included) through ``treeutil.walk_and_modify``, a generator and
a context manager per node; PyYAML's ``represent_data`` looks up each value's
representer along its type's MRO, and asdf's ``AsdfDumper`` wraps it again.

:func:`tagged_tree` converts the tree as asdf does, step for step: each
object that asdf has a converter for goes through that converter's
``select_tag`` / ``to_yaml_tree`` (the same serialization context: blocks
assigned, extensions marked used, generators drained at the end), and the
result's children are converted into new containers of the same classes; an
object met twice gives the same converted node (one YAML anchor), cycles
included (the node is remembered before its children are converted).
:func:`lean_dumper` has the dumper build the YAML nodes of the basic types (``str``,
``int``, ``float``, ``bool``, ``None``, ``dict``, ``list`` and asdf's tagged
ones) as PyYAML and asdf's dumper do, sorting keys, flow styles and aliases
included, and hands any other value to the dumper's own method.  The YAML
written is byte for byte asdf's (``tests/nirspec/test_asdf_fast.py``).
:mod:`spec2x._asdf_write` uses both only inside its writes.
"""

from __future__ import annotations

import threading
from collections import ChainMap, OrderedDict
from collections.abc import Callable
from types import GeneratorType
from typing import Any

from asdf import tagged
from asdf.util import get_class_name
from yaml import MappingNode, ScalarNode, SequenceNode

__all__ = [
    "Deferred",
    "convert_deferred",
    "converted",
    "extensions_used",
    "forget_conversion",
    "lean_dumper",
    "tagged_tree",
]

try:  # asdf's lazy tree nodes (asdf 3.1 and later), walked as asdf walks them
    from asdf.lazy_nodes import AsdfDictNode, AsdfListNode, AsdfOrderedDictNode

    _DICTS: tuple[type, ...] = (dict, AsdfDictNode)
    _LISTS: tuple[type, ...] = (list, AsdfListNode)
    _LAZY: tuple[type, ...] = (AsdfDictNode, AsdfListNode)
    _LAZY_ORDERED: tuple[type, ...] = (AsdfOrderedDictNode,)
except ImportError:  # an asdf without them
    _DICTS, _LISTS, _LAZY, _LAZY_ORDERED = (dict,), (list,), (), ()


class _Walk:
    """One conversion: asdf's serialization context, the converted nodes, the generators."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.manager = context.extension_manager
        self.done: dict[int, tuple[Any, Any]] = {}  # id(original) -> (original, converted)
        self.generators: list[Any] = []
        self.converters: dict[type, Any] = {}

    def converter(self, typ: type) -> Any:
        """asdf's converter for ``typ`` (None: not a custom type)."""
        try:
            return self.converters[typ]
        except KeyError:
            handled = self.manager.handles_type(typ)
            found = self.manager.get_converter_for_type(typ) if handled else None
            self.converters[typ] = found
            return found

    def convert(self, obj: Any, converter: Any) -> Any:
        """``obj`` through its converter (and any it hands over to), as a tagged node."""
        ctx = self.context
        tag = converter.select_tag(obj, ctx)
        used = set()
        while tag is None:  # this converter makes another object, for another converter
            used.add(converter)
            obj = converter.to_yaml_tree(obj, tag, ctx)
            try:
                converter = self.manager.get_converter_for_type(type(obj))
            except KeyError:
                return obj
            if converter in used:
                raise TypeError("Conversion cycle detected")
            tag = converter.select_tag(obj, ctx)
        ctx.assign_object(obj)
        node = converter.to_yaml_tree(obj, tag, ctx)
        ctx.assign_blocks()
        if isinstance(node, GeneratorType):
            self.generators.append(node)
            node = next(node)
        if isinstance(node, dict):
            out: Any = tagged.TaggedDict(node, tag)
        elif isinstance(node, list):
            out = tagged.TaggedList(node, tag)
        elif isinstance(node, str):
            out = tagged.TaggedString(node)
            out._tag = tag
        else:
            raise TypeError(f"Converter returned illegal node type: {get_class_name(node)}")
        ctx._mark_extension_used(converter.extension)
        return out

    def walk(self, node: Any) -> Any:
        """``node`` converted, its children walked into new containers (asdf's preorder walk)."""
        key = id(node)
        seen = self.done.get(key)
        if seen is not None:
            return seen[1]
        converter = self.converter(type(node))
        value: Any = node if converter is None else self.convert(node, converter)
        out: Any
        if isinstance(value, _DICTS):
            out = _new_container(value, dict)
            self.done[key] = (node, out)
            mapping: Any = value  # a dict or asdf's lazy dict node
            for k, v in mapping.items():
                out[k] = self.walk(v)
            return out
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            out = value.__class__([self.walk(v) for v in value])
            if isinstance(value, tagged.Tagged):
                out._tag = value._tag
        elif isinstance(value, _LISTS):
            out = _new_container(value, list)
            self.done[key] = (node, out)
            items: Any = value  # a list or asdf's lazy list node
            out.extend(self.walk(v) for v in items)
            return out
        else:
            out = value
        self.done[key] = (node, out)
        return out

    def drain(self) -> None:
        """Run the rest of every converter that yielded its node (they may add more)."""
        while self.generators:
            generators, self.generators = self.generators, []
            for generator in generators:
                for _ in generator:
                    pass


def _new_container(node: Any, plain: type) -> Any:
    """An empty container of ``node``'s class (a plain one for asdf's lazy nodes), tag kept."""
    if isinstance(node, _LAZY_ORDERED):
        out: Any = OrderedDict()
    elif isinstance(node, _LAZY):
        out = plain()
    else:
        out = node.__class__()
    if isinstance(node, tagged.Tagged):
        out._tag = node._tag
    return out


class Deferred:
    """A value of the tree converted only as it is written (:mod:`spec2x._asdf_stream`).

    The tree conversion leaves it as it is; the YAML writer converts ``value``
    when it reaches it, writes it and lets go of its converted nodes, so the
    thousands of slit WCS of a WFSS ``_cal`` are never all converted at once.
    Objects it shares with the values converted before (``shared``: the
    exposure's WCS steps every cut-out uses) are written once, with a YAML
    anchor where first met; any other object met by two deferred values is
    written in each (the same numbers).
    """

    __slots__ = ("shared", "value")

    def __init__(self, value: Any, shared: tuple[Any, ...] = ()) -> None:
        self.value = value
        self.shared = shared


_walks = threading.local()


def tagged_tree(tree: Any, ctx: Any, _serialization_context: Any = None) -> Any:
    """asdf's ``yamlutil.custom_tree_to_tagged_tree``: ``tree`` as tagged basic types
    (:class:`Deferred` values left for :func:`convert_deferred`)."""
    from asdf.extension._serialization_context import BlockAccess

    context = _serialization_context
    if context is None:
        context = ctx._create_serialization_context(BlockAccess.WRITE)
    walk = _Walk(context)
    out = walk.walk(tree)
    walk.drain()
    if getattr(_walks, "last", None) is None:  # the tree's, not asdf's own later ones (history)
        _walks.last = walk
    return out


def converted(original: Any) -> Any:
    """The node the last :func:`tagged_tree` of this thread made of ``original`` (None: none)."""
    walk = getattr(_walks, "last", None)
    seen = None if walk is None else walk.done.get(id(original))
    return None if seen is None else seen[1]


def convert_deferred(deferred: Deferred) -> tuple[Any, int]:
    """``deferred.value`` converted as :func:`tagged_tree` of this thread would have (the
    objects it converted before give the same nodes; the others are new and forgotten
    once written), and the number of asdf extensions used so far."""
    walk = getattr(_walks, "last", None)
    if walk is None:
        raise RuntimeError("a deferred value is written only after its tree is converted")
    local = _Walk(walk.context)
    local.converters = walk.converters
    local.done = ChainMap({}, walk.done)  # type: ignore[assignment]
    out = local.walk(deferred.value)
    local.drain()
    return out, len(walk.context._extensions_used)


def extensions_used() -> int:
    """How many asdf extensions this thread's last conversion has used so far."""
    walk = getattr(_walks, "last", None)
    return 0 if walk is None else len(walk.context._extensions_used)


def forget_conversion() -> None:
    """Let go of this thread's last conversion (its nodes, the originals it kept alive)."""
    _walks.last = None


# ------------------------------------------------------------------------ YAML nodes

_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ = (
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")
)
_FLOW_STYLES = {"flow": True, "block": False}
_SCALAR_STYLES = {"inline": '"', "folded": ">", "literal": "|"}


def _plain(node: Any) -> bool:
    return isinstance(node, ScalarNode) and not node.style


def _mapping(dumper: Any, data: Any, items: dict[Any, Any], tag: Any, flow: Any) -> MappingNode:
    """PyYAML's ``represent_mapping`` (``data`` remembered for aliases; keys sorted)."""
    value: list[tuple[Any, Any]] = []
    node = MappingNode(tag, value, flow_style=flow)
    dumper.represented_objects[id(data)] = node
    dumper.object_keeper.append(data)
    pairs = list(items.items())
    if dumper.sort_keys:
        try:
            pairs = sorted(pairs)
        except TypeError:
            pass
    best = True
    for k, v in pairs:
        key, item = dumper.represent_data(k), dumper.represent_data(v)
        best = best and _plain(key) and _plain(item)
        value.append((key, item))
    if flow is None:
        node.flow_style = best if dumper.default_flow_style is None else dumper.default_flow_style
    return node


def _sequence(dumper: Any, data: Any, items: list[Any], tag: Any, flow: Any) -> SequenceNode:
    """PyYAML's ``represent_sequence`` (``data`` remembered for aliases)."""
    value: list[Any] = []
    node = SequenceNode(tag, value, flow_style=flow)
    dumper.represented_objects[id(data)] = node
    dumper.object_keeper.append(data)
    best = True
    for v in items:
        item = dumper.represent_data(v)
        best = best and _plain(item)
        value.append(item)
    if flow is None:
        node.flow_style = best if dumper.default_flow_style is None else dumper.default_flow_style
    return node


def _tagged_mapping(dumper: Any, data: Any) -> MappingNode:
    """asdf's ``represent_mapping`` of a ``TaggedDict`` (its property order kept)."""
    node = _mapping(dumper, data, data.data, None, _FLOW_STYLES.get(data.flow_style))
    if data.property_order:
        pairs = {k.value: (k, v) for k, v in node.value}
        order = [pairs[k] for k in data.property_order if k in data]
        listed = set(data.property_order)
        node.value = order + [(k, v) for k, v in node.value if k.value not in listed]
    node.tag = data._tag
    return node


def _tagged_sequence(dumper: Any, data: Any) -> SequenceNode:
    node = _sequence(dumper, data, data.data, None, _FLOW_STYLES.get(data.flow_style))
    node.tag = data._tag
    return node


def _tagged_string(dumper: Any, data: Any) -> ScalarNode:
    return _scalar(dumper, data._tag, data.data, _SCALAR_STYLES.get(data.style))


def _scalar(dumper: Any, tag: Any, value: str, style: Any = None) -> ScalarNode:
    """PyYAML's ``represent_scalar`` of a value never aliased."""
    return ScalarNode(tag, value, style=dumper.default_style if style is None else style)


def _float(dumper: Any, data: float) -> Any:
    dumper.alias_key = None
    return dumper.represent_float(data)


_NODES: dict[type, Callable[[Any, Any], Any]] = {
    str: lambda dumper, data: _scalar(dumper, _STR, data),
    int: lambda dumper, data: _scalar(dumper, _INT, str(data)),
    bool: lambda dumper, data: _scalar(dumper, _BOOL, "true" if data else "false"),
    type(None): lambda dumper, data: _scalar(dumper, _NULL, "null"),
    float: _float,
    dict: lambda dumper, data: _mapping(dumper, data, data, _MAP, None),
    list: lambda dumper, data: _sequence(dumper, data, data, _SEQ, None),
    tagged.TaggedDict: _tagged_mapping,
    tagged.TaggedList: _tagged_sequence,
    tagged.TaggedString: _tagged_string,
}


def lean_dumper(dumper: Any) -> None:
    """Make ``dumper`` (asdf's ``AsdfDumper``, for one dump) build the nodes of basic types
    itself; any other value, and a container met before (its alias), go to the dumper's
    own ``represent_data``."""
    real = type(dumper).represent_data
    made = dumper.represented_objects

    def represent_data(data: Any) -> Any:
        make = _NODES.get(type(data))
        if make is None or id(data) in made:
            return real(dumper, data)
        return make(dumper, data)

    dumper.represent_data = represent_data
