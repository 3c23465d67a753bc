"""asdf's tree conversion, lean, for the trees spec2x writes.

Writing a slits product converts one gwcs per slit: thousands of astropy
models, and tens of thousands of YAML nodes.  A generic walk costs most of
the conversion, not the converters: asdf's ``custom_tree_to_tagged_tree``
visits every node (scalars included) through ``treeutil.walk_and_modify``, a
generator and a context manager per node.

:func:`tagged_tree` converts the tree as asdf does, step for step: each
object that asdf has a converter for goes through that converter's
``select_tag`` / ``to_yaml_tree`` (the same serialization context: blocks
assigned, extensions marked used, generators drained at the end), and the
result's children are converted into new containers of the same classes; an
object met twice gives the same converted node (one YAML anchor), cycles
included (the node is remembered before its children are converted).
:class:`Deferred` values are left as they are, converted by
:func:`convert_deferred` when the YAML writer (:mod:`spec2x._asdf_stream`)
reaches them.  The YAML written is byte for byte asdf's
(``tests/nirspec/test_asdf_fast.py``).  :mod:`spec2x._asdf_write` uses it
only inside its writes.
"""

from __future__ import annotations

import threading
from collections import ChainMap, OrderedDict
from collections.abc import Callable
from types import GeneratorType
from typing import Any

import numpy as np
from asdf import tagged
from asdf.util import get_class_name

__all__ = [
    "Deferred",
    "Stamp",
    "Template",
    "convert_deferred",
    "converted",
    "extensions_used",
    "forget_conversion",
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

    def original(self) -> Any:
        """The value itself (a :class:`Stamp`'s made)."""
        value = self.value
        return value.template.make(value.numbers) if isinstance(value, Stamp) else value


class Template:
    """Values made by one function of a few numbers, converted by copying one's tree.

    ``make(numbers)`` makes a value (a WFSS cut-out's gwcs), ``leaves(numbers)``
    the floats its converted tree holds that depend on the numbers.  The value
    of ``probe`` (numbers whose leaves are all different and met nowhere else
    in its tree) is converted once per tree written; a :class:`Stamp`'s
    converted tree is a copy of that one with its own leaves in place of the
    probe's (the same types), the nodes the probe shares with the tree
    converted before (the exposure's WCS steps) shared as they are.  When a
    probe's leaf is not found in its tree each value is converted as usual.
    """

    __slots__ = ("_index", "_node", "_own", "_walk", "leaves", "make", "probe")

    def __init__(
        self,
        make: Callable[[Any], Any],
        leaves: Callable[[Any], tuple[float, ...]],
        probe: Any,
    ) -> None:
        self.make = make
        self.leaves = leaves
        self.probe = probe
        self._walk: _Walk | None = None
        self._node: Any = None
        self._own: set[int] = set()
        self._index = {v: k for k, v in enumerate(leaves(probe))}

    def node(self, numbers: Any, walk: _Walk) -> Any:
        """The converted tree of ``make(numbers)`` (``walk``: the tree's conversion)."""
        if self._walk is not walk:
            self._convert(walk)
        if self._node is None:
            return _convert_alone(self.make(numbers), walk)
        return _Copy(self._own, self._index, self.leaves(numbers)).node(self._node)

    def _convert(self, walk: _Walk) -> None:
        own: dict[int, tuple[Any, Any]] = {}
        node = _convert_alone(self.make(self.probe), walk, own)
        self._walk, self._own = walk, {id(pair[1]) for pair in own.values()}
        found = {k for _, out in own.values() if (k := _leaf(out, self._index)) is not None}
        self._node = node if len(found) == len(self._index) else None


def _leaf(value: Any, index: dict[float, int]) -> int | None:
    """Which probe leaf ``value`` is (None: not a float, or none)."""
    if type(value) is float or isinstance(value, np.floating):
        return index.get(float(value))
    return None


class _Copy:
    """A template's converted tree copied: its own containers new, its leaves replaced."""

    def __init__(self, own: set[int], index: dict[float, int], leaves: tuple[float, ...]) -> None:
        self.own = own
        self.index = index
        self.leaves = leaves
        self.memo: dict[int, Any] = {}

    def node(self, node: Any) -> Any:
        k = _leaf(node, self.index)
        if k is not None:
            return type(node)(self.leaves[k])
        key = id(node)
        if key not in self.own or isinstance(node, str):
            return node  # a node of the tree converted before, or a string
        if key in self.memo:
            return self.memo[key]
        if type(node) is tuple:
            out: Any = tuple(self.node(v) for v in node)
            self.memo[key] = out
            return out
        if isinstance(node, tagged.Tagged):
            cls: Any = type(node)
            out = cls.__new__(cls)
            out.__dict__.update(node.__dict__)  # its tag, flow style, property order
            self.memo[key] = out
            data = node.data  # type: ignore[attr-defined]
            out.data = (
                {k: self.node(v) for k, v in data.items()}
                if isinstance(data, dict)
                else [self.node(v) for v in data]
            )
            return out
        out = type(node)()
        self.memo[key] = out
        if isinstance(node, dict):
            out.update((k, self.node(v)) for k, v in node.items())
        else:
            out.extend(self.node(v) for v in node)
        return out


class Stamp:
    """A value of a :class:`Template`: its numbers (its converted tree the template's copy)."""

    __slots__ = ("numbers", "template")

    def __init__(self, template: Template, numbers: Any) -> None:
        self.template = template
        self.numbers = numbers


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
    value = deferred.value
    if isinstance(value, Stamp):
        return value.template.node(value.numbers, walk), extensions_used()
    return _convert_alone(value, walk), extensions_used()


def _convert_alone(value: Any, walk: _Walk, own: dict[int, tuple[Any, Any]] | None = None) -> Any:
    """``value`` converted as ``walk`` would have, the nodes it made (``own``) kept apart."""
    local = _Walk(walk.context)
    local.converters = walk.converters
    local.done = ChainMap({} if own is None else own, walk.done)  # type: ignore[assignment]
    out = local.walk(value)
    local.drain()
    return out


def extensions_used() -> int:
    """How many asdf extensions this thread's last conversion has used so far."""
    walk = getattr(_walks, "last", None)
    return 0 if walk is None else len(walk.context._extensions_used)


def forget_conversion() -> None:
    """Let go of this thread's last conversion (its nodes, the originals it kept alive)."""
    _walks.last = None
