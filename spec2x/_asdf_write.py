"""Write ASDF trees that spec2x builds, without asdf's schema validation.

asdf validates every tree it writes against the schemas of all its tags; for a
NIRSpec slit WCS that is about 60 % of the cost of writing it, paid again at
every step that stores a new WCS and at every product write.  spec2x writes
only trees it builds itself from asdf's own converters (gwcs, astropy models,
``stdatamodels.jwst.transforms``), and its tests open what it writes with
validation on (``tests/io/test_io_asdf_write.py``), so its writes skip it.

asdf calls ``schema.validate`` from ``asdf.yamlutil.dump_tree``; spec2x puts a
thin stand-in for that module there once, which skips ``validate`` only inside
:func:`asdf_bytes` in the calling thread and otherwise hands every call to
asdf.  Other code (and other threads) writing ASDF at the same time is still
validated.  Should a later asdf stop looking ``validate`` up there, writes are
simply validated again (slower, same bytes).

Arrays written inline (in the YAML) are the other cost: asdf turns each into
a list and walks and represents every number as a YAML node, a thousand per
NIRSpec slit WCS (its ``Tabular1D`` along the slit), most of the time of
writing a MOS product.  Inside :func:`asdf_bytes` asdf's
``numpy_array_to_list`` (imported by its ndarray converter at each call;
spec2x wraps it once, unchanged outside :func:`asdf_bytes`) gives, for a numeric array of :data:`_FLOW_MIN` numbers or more, a token
instead; the numbers are formatted as a YAML flow sequence by NumPy's
``tolist`` and PyYAML's float rules (:func:`_flow_text`: the same values
asdf would write, on one line) and put in place of the token once the YAML
is written.  A file with binary blocks then loses its optional block index
(the blocks moved; asdf reads them in order without it).

Inside :func:`asdf_bytes` asdf's tree conversion is spec2x's lean
equivalent (:mod:`spec2x._asdf_fast`, the same bytes), the YAML is written as
events from the converted tree, without PyYAML's graph of nodes
(:mod:`spec2x._asdf_stream`; ``STREAM``: the same bytes), and
Python's cyclic garbage collector is paused: a slits product's tree becomes
hundreds of thousands of containers that live until the YAML is written, and
each full collection they trigger walks every object of the process (the
calibrated exposure's included), half the CPU of writing a 100-slitlet MOS
``_cal``.  The collector is turned back on when the last thread writing
leaves, if it was on when the first came in.
"""

from __future__ import annotations

import gc
import io
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import asdf
import asdf.tags.core.ndarray
import asdf.yamlutil

from . import _asdf_stream
from ._asdf import spec2x_asdf
from ._asdf_fast import Deferred, forget_conversion, tagged_tree
from ._asdf_stream import DeferredRetry

__all__ = ["asdf_bytes"]

_local = threading.local()
_install_lock = threading.Lock()


class _SchemaModule:
    """``asdf.schema`` as ``asdf.yamlutil`` sees it: ``validate`` skipped when asked."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def validate(self, *args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "skip", False):
            return None
        return self._real.validate(*args, **kwargs)


class _YamlModule:
    """PyYAML as ``asdf.yamlutil`` sees it: ``dump_all`` writes events from the tagged tree
    (:func:`spec2x._asdf_stream.dump_all`) inside :func:`asdf_bytes`."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.dump_all = _lean(real.dump_all, self._dump_all)

    def _dump_all(self, *args: Any, **kwargs: Any) -> None:
        dump = _asdf_stream.dump_all if STREAM else self._real.dump_all
        dump(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


#: Inline arrays of at least this many numbers are written by :func:`_flow_text`.
_FLOW_MIN = 16
_TOKEN = "spec2x-inline-{}-{}"
_TOKEN_RE = re.compile(rb"spec2x-inline-(\d+)-(\d+)")
_BLOCK_INDEX = b"#ASDF BLOCK INDEX"


class _Flow:
    """An inline array's YAML text, written as a token and replaced after the dump."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


_asdf_stream.PLAIN_TYPES += (_Flow,)


def _represent_flow(dumper: Any, data: _Flow) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data.token)


#: A float written without a point before its exponent (``1e-05``: PyYAML writes
#: ``1.0e-05``): the digits after ``[``, a space or a minus sign and before ``e``.
_BARE_MANTISSA = re.compile(r"([ \[-])(\d+)e")
#: The other tokens of a Python list's ``repr`` that PyYAML's safe dumper writes otherwise.
_YAML_WORD = re.compile(r"nan|inf|True|False")
_YAML_FOR = {"nan": ".nan", "inf": ".inf", "True": "true", "False": "false"}


def _flow_text(values: Any) -> str:
    """A nested list of numbers as one YAML flow sequence, each number as PyYAML's safe
    dumper writes it (``.nan``, ``-.inf``, ``1.0e-05``, ``true``).

    The list's ``repr`` (Python's shortest float repr, as PyYAML's, in C) with
    the tokens PyYAML writes otherwise replaced; each pattern runs only on a
    text that holds its letter (most hold none of ``nan``, ``inf``, booleans).
    """
    text = repr(values)
    if "e" in text:
        text = _BARE_MANTISSA.sub(r"\1\2.0e", text)
    if "n" in text or "T" in text or "F" in text:
        text = _YAML_WORD.sub(lambda m: _YAML_FOR[m[0]], text)
    return text


def _array_to_list(real: Any) -> Any:
    """asdf's ``numpy_array_to_list``, giving a token for a numeric array inside :func:`asdf_bytes`."""

    def numpy_array_to_list(array: Any) -> Any:
        texts = getattr(_local, "flow", None)
        if texts is None or array.dtype.kind not in "biuf" or array.size < _FLOW_MIN:
            return real(array)
        texts.append(_flow_text(array.tolist()))  # numbers: what ``real`` lists, element by element
        return _Flow(_TOKEN.format(_local.flow_id, len(texts) - 1))

    numpy_array_to_list.spec2x_wrapped = real  # type: ignore[attr-defined]
    return numpy_array_to_list


#: Whether :func:`asdf_bytes` uses :mod:`spec2x._asdf_fast` (tests compare with asdf's own).
LEAN = True
#: Whether :func:`asdf_bytes` writes the YAML as events (:mod:`spec2x._asdf_stream`) rather
#: than through PyYAML's graph of nodes (tests compare the two).
STREAM = True


def _lean(real: Any, lean: Callable[..., Any]) -> Any:
    """``real`` (an asdf/PyYAML function), calling ``lean`` instead inside :func:`asdf_bytes`."""

    def either(*args: Any, **kwargs: Any) -> Any:
        if LEAN and getattr(_local, "skip", False):
            return lean(*args, **kwargs)
        return real(*args, **kwargs)

    either.spec2x_wrapped = real  # type: ignore[attr-defined]
    return either


def _install() -> None:
    with _install_lock:
        convert = getattr(asdf.yamlutil, "custom_tree_to_tagged_tree", None)
        if callable(convert) and not hasattr(convert, "spec2x_wrapped"):
            asdf.yamlutil.custom_tree_to_tagged_tree = _lean(convert, tagged_tree)
        module_yaml = getattr(asdf.yamlutil, "yaml", None)
        if module_yaml is not None and not isinstance(module_yaml, _YamlModule):
            asdf.yamlutil.yaml = _YamlModule(module_yaml)  # type: ignore[attr-defined]
        current = getattr(asdf.yamlutil, "schema", None)
        if current is not None and not isinstance(current, _SchemaModule):
            if callable(getattr(current, "validate", None)):
                asdf.yamlutil.schema = _SchemaModule(current)  # type: ignore[attr-defined]
        module = asdf.tags.core.ndarray
        real = getattr(module, "numpy_array_to_list", None)
        if callable(real) and not hasattr(real, "spec2x_wrapped"):
            asdf.yamlutil.AsdfDumper.add_representer(_Flow, _represent_flow)
            module.numpy_array_to_list = _array_to_list(real)


class _CollectorPause:
    """The garbage collector off while any thread is inside (a count, so that threads
    writing at once do not turn it back on under each other)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._was_on = False

    def __enter__(self) -> None:
        with self._lock:
            if self._inside == 0:
                self._was_on = gc.isenabled()
                gc.disable()
            self._inside += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._inside -= 1
            if self._inside == 0 and self._was_on:
                gc.enable()


_collector_paused = _CollectorPause()


@contextmanager
def _unvalidated() -> Iterator[list[str]]:
    """Schema validation off and inline arrays as tokens; yields the tokens' texts."""
    _install()
    before = getattr(_local, "skip", False), getattr(_local, "flow", None)
    _local.skip, _local.flow = True, []
    _local.flow_id = getattr(_local, "flow_id", 0) + 1
    try:
        yield _local.flow
    finally:
        _local.skip, _local.flow = before


def _put_arrays(raw: bytes, texts: list[str]) -> bytes:
    """The file bytes with each array token replaced by its flow sequence."""
    if not texts:
        return raw
    end = raw.find(b"\n...\n")
    end = len(raw) if end < 0 else end
    flow_id = str(_local.flow_id).encode("ascii")

    def text(m: re.Match[bytes]) -> bytes:
        return texts[int(m[2])].encode("ascii") if m[1] == flow_id else m[0]

    yaml_part = _TOKEN_RE.sub(text, raw[:end])
    rest = raw[end:]
    index = rest.find(_BLOCK_INDEX)
    if index >= 0:
        rest = rest[:index]
    return yaml_part + rest


def asdf_bytes(
    tree: Mapping[str, Any],
    *,
    inline_arrays: bool = False,
    inline_below: int | None = None,
    compress: Sequence[Any] = (),
) -> bytes:
    """The bytes of an ASDF file holding ``tree``, written without schema validation.

    Parameters
    ----------
    tree : the top-level mapping (gwcs objects, astropy models, arrays, plain values;
        :class:`~spec2x._asdf_fast.Deferred` values converted only as they are written).
    inline_arrays : write arrays as YAML lists (a pure-text file) rather than
        binary blocks after the YAML.
    inline_below : write arrays of fewer elements than this as YAML lists,
        larger ones as blocks.
    compress : arrays of the tree whose blocks are zlib-compressed (asdf's
        ``zlib``, which every asdf reads).

    Returns
    -------
    bytes
        A complete ASDF file, as ``asdf.AsdfFile(tree).write_to`` writes it.
    """
    with _collector_paused, spec2x_asdf() as config, _unvalidated() as texts:
        if inline_below is not None:
            config.array_inline_threshold = inline_below
        try:
            if LEAN and STREAM:
                try:
                    return _put_arrays(_write(tree, compress, inline_arrays), texts)
                except DeferredRetry:
                    del texts[:]
                    forget_conversion()
            return _put_arrays(_write(_resolved(tree), compress, inline_arrays), texts)
        finally:
            forget_conversion()


def _write(tree: Mapping[str, Any], compress: Sequence[Any], inline_arrays: bool) -> bytes:
    buf = io.BytesIO()
    af = asdf.AsdfFile(dict(tree))
    for array in compress:
        af.set_array_compression(array, "zlib")
    if inline_arrays:
        af.write_to(buf, all_array_storage="inline")
    else:
        af.write_to(buf)
    return buf.getvalue()


def _resolved(value: Any) -> Any:
    """``value`` (a tree) with every :class:`~spec2x._asdf_fast.Deferred` replaced by its value."""
    if isinstance(value, Deferred):
        return value.original()
    if type(value) is dict:
        return {k: _resolved(v) for k, v in value.items()}
    if type(value) is list:
        return [_resolved(v) for v in value]
    return value
