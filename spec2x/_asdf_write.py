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
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import asdf
import asdf.yamlutil

from ._asdf import spec2x_asdf

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


def _install() -> None:
    with _install_lock:
        current = getattr(asdf.yamlutil, "schema", None)
        if current is None or isinstance(current, _SchemaModule):
            return
        if callable(getattr(current, "validate", None)):
            asdf.yamlutil.schema = _SchemaModule(current)  # type: ignore[attr-defined]


@contextmanager
def _unvalidated() -> Iterator[None]:
    _install()
    before = getattr(_local, "skip", False)
    _local.skip = True
    try:
        yield
    finally:
        _local.skip = before


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
    tree : the top-level mapping (gwcs objects, astropy models, arrays, plain values).
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
    buf = io.BytesIO()
    with spec2x_asdf() as config, _unvalidated():
        if inline_below is not None:
            config.array_inline_threshold = inline_below
        af = asdf.AsdfFile(dict(tree))
        for array in compress:
            af.set_array_compression(array, "zlib")
        if inline_arrays:
            af.write_to(buf, all_array_storage="inline")
        else:
            af.write_to(buf)
    return buf.getvalue()
