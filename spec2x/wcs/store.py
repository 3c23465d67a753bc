"""Keep a gwcs.WCS with a Dataset: ``attrs["wcs"]``, or a ``wcs`` coord per slit.

An exposure keeps its WCS in ``attrs["wcs"]``: a :class:`StoredWcs`, or (a
NIRSpec exposure after assign_wcs, which has no ``slit`` dim yet) a dict slit
name -> :class:`StoredWcs`.  A slits product keeps one WCS per slit in the
object coord ``wcs`` on the ``slit`` dim, so ``isel``/``sel``/``concat`` carry
it like any other per-slit value; a slits product still holding the older
attrs dict (files written before 2026-12) is read as well.  Plain ASDF text
(``str``) is accepted everywhere too, and is what Zarr stores.  A :class:`StoredWcs` carries the
gwcs object, its ASDF text (YAML, arrays inline), or both, and makes the other
only when asked: steps pass objects along and never pay for text; writers ask
for the text (Zarr) or the object (FITS); two values are equal when their
texts are, so Datasets compare as before.  Encoding a NIRSpec slit WCS costs
a tenth of a second or more and decoding more, so every text this process
made or read is also remembered with its object.  Neither direction runs
asdf's schema validation (see :mod:`spec2x._asdf_write`); the tests
validate what is written.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from threading import Lock
from typing import Any

import numpy as np
import xarray as xr
import yaml

from ..errors import StepOrderError

__all__ = [
    "StoredWcs",
    "clear_cache",
    "copy_pipeline",
    "get_wcs",
    "has_wcs",
    "set_wcs",
    "slit_wcs",
    "stored_wcs",
    "wcs_coord",
    "wcs_from_text",
    "wcs_object",
    "wcs_to_text",
    "with_wcs_coord",
]

WCS_ATTR = "wcs"
#: The per-slit WCS coord of a slits product (object dtype, one StoredWcs per slit).
WCS_COORD = "wcs"

_CACHE_SIZE = 256
_cache: OrderedDict[str, Any] = OrderedDict()
_lock = Lock()


def _remember(text: str, wcs: Any) -> None:
    with _lock:
        _cache[text] = wcs
        _cache.move_to_end(text)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def wcs_to_text(wcs: Any) -> str:
    """Serialise a gwcs object (or any ASDF-serialisable tree node) to ASDF text."""
    from .._asdf_write import asdf_bytes  # asdf imported where a WCS is written

    text = asdf_bytes({"wcs": wcs}, inline_arrays=True).decode("utf-8")
    _remember(text, wcs)
    return text


def wcs_from_text(text: str, blocks: bytes = b"") -> Any:
    """Inverse of :func:`wcs_to_text` (remembered: the same text decodes once).

    ``blocks``: the binary blocks that follow the YAML (``...``) when the text
    points at some (``source: N``; a NIRSpec IFU slice map).
    """
    with _lock:
        if text in _cache:
            _cache.move_to_end(text)
            return _cache[text]
    import asdf  # where a WCS is decoded, not when products are only read

    from .._asdf import spec2x_asdf

    with spec2x_asdf():
        raw = io.BytesIO(text.encode("utf-8") + blocks)
        with asdf.open(raw, lazy_load=False, memmap=False) as af:
            wcs = af.tree["wcs"]
    _remember(text, wcs)
    return wcs


def clear_cache() -> None:
    """Forget every remembered WCS (tests use it to time or check decoding)."""
    with _lock:
        _cache.clear()


class StoredWcs:
    """A gwcs as ``attrs["wcs"]`` keeps it: the object, its ASDF text, or both.

    Treat it as immutable: :attr:`wcs` is shared by every reader of the value
    (change a copy, see :func:`copy_pipeline`).  Pickles as its text.
    """

    __slots__ = ("_text", "_wcs")

    def __init__(self, wcs: Any = None, text: str | None = None) -> None:
        if wcs is None and text is None:
            raise ValueError("StoredWcs needs a gwcs object or its ASDF text")
        self._wcs = wcs
        self._text = text

    @property
    def wcs(self) -> Any:
        """The gwcs object (decoded from the text on first use)."""
        if self._wcs is None:
            self._wcs = wcs_from_text(self._text)  # type: ignore[arg-type]
        return self._wcs

    @property
    def text(self) -> str:
        """The ASDF text (encoded from the object on first use)."""
        if self._text is None:
            self._text = wcs_to_text(self._wcs)
        return self._text

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredWcs):
            if self is other or (self._wcs is not None and self._wcs is other._wcs):
                return True
            return same_asdf_text(self.text, other.text)
        if isinstance(other, str):
            return same_asdf_text(self.text, other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> StoredWcs:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> StoredWcs:
        return self

    def __getstate__(self) -> dict[str, str]:
        return {"text": self.text}

    def __setstate__(self, state: dict[str, str]) -> None:
        self._wcs = None
        self._text = state["text"]

    def __repr__(self) -> str:
        frames = getattr(self._wcs, "available_frames", None)
        return f"StoredWcs({' -> '.join(frames)})" if frames else "StoredWcs(<ASDF text>)"


def same_asdf_text(a: str, b: str) -> bool:
    """True when two ASDF texts hold the same tree (YAML anchors and layout aside).

    A WCS read back from a file shares fewer Python objects than the one
    written, so asdf writes it with fewer ``&id``/``*id`` anchors; the trees
    are the same.  An anchor may also point back to an enclosing node (a
    ``Mapping`` whose inverse's inverse is itself), so the YAML node graphs
    are compared, cycles included, rather than built into Python objects.
    The file's own metadata (``asdf_library``, ``history``: which asdf wrote
    it) is not part of the tree compared: a WCS cut out of a product file
    (:func:`spec2x.io.fits_asdf.split_wcs`) has none.
    """
    if a == b:
        return True
    return _same_node(_root(a), _root(b), set())


_FILE_KEYS = ("asdf_library", "history")
_CORE_SCALARS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool")


def _root(text: str) -> yaml.Node:
    """The YAML node graph of ``text`` (aliases are the same node objects), file keys dropped."""
    node = yaml.compose(text, Loader=yaml.CSafeLoader)
    if isinstance(node, yaml.MappingNode):
        kept = [(k, v) for k, v in node.value if k.value not in _FILE_KEYS]
        node = yaml.MappingNode(node.tag, kept)
    return node


def _same_node(a: yaml.Node, b: yaml.Node, seen: set[tuple[int, int]]) -> bool:
    """Equality of two node graphs; a pair met again on a cycle is taken as equal."""
    if a is b or (id(a), id(b)) in seen:
        return True
    if type(a) is not type(b) or a.tag != b.tag:
        return False
    if isinstance(a, yaml.ScalarNode):
        if a.value == b.value:
            return True
        return a.tag in _CORE_SCALARS and yaml.safe_load(a.value) == yaml.safe_load(b.value)
    seen.add((id(a), id(b)))
    if isinstance(a, yaml.SequenceNode):
        return len(a.value) == len(b.value) and all(
            _same_node(x, y, seen) for x, y in zip(a.value, b.value, strict=True)
        )
    left = {_key(k): v for k, v in a.value}
    right = {_key(k): v for k, v in b.value}
    return left.keys() == right.keys() and all(
        _same_node(v, right[k], seen) for k, v in left.items()
    )


def _key(node: yaml.Node) -> Any:
    return node.value if isinstance(node, yaml.ScalarNode) else id(node)


def stored_wcs(wcs: Any) -> StoredWcs:
    """A gwcs object (or its ASDF text) for ``attrs["wcs"]``; text is made only when asked."""
    if isinstance(wcs, StoredWcs):
        return wcs
    return StoredWcs(text=wcs) if isinstance(wcs, str) else StoredWcs(wcs=wcs)


def wcs_object(value: StoredWcs | str) -> Any:
    """The gwcs object of one stored value (text decoded once per process)."""
    return value.wcs if isinstance(value, StoredWcs) else wcs_from_text(value)


def set_wcs(ds: xr.Dataset, wcs: Any, slit: str | None = None) -> xr.Dataset:
    """Return a copy of ``ds`` carrying ``wcs`` (for one ``slit`` when given).

    On a slits product the WCS of ``slit`` goes into the ``wcs`` coord (the
    slit found by ``slit_name``); on an exposure into ``attrs["wcs"]``.
    """
    value = stored_wcs(wcs)
    if slit is not None and "slit" in ds.dims and "slit_name" in ds.coords:
        names = np.asarray(ds["slit_name"].values).astype(str)
        where = np.flatnonzero(names == str(slit))
        if where.size:
            out = with_wcs_coord(ds, always=True)
            values = np.array(out[WCS_COORD].values, dtype=object)
            values[where] = value
            return out.assign_coords({WCS_COORD: ("slit", values)})
    attrs = dict(ds.attrs)
    if slit is None:
        attrs[WCS_ATTR] = value
    else:
        existing = attrs.get(WCS_ATTR)
        # a single WCS already there (an exposure whose WCS is being rebuilt per slit) goes
        per_slit = dict(existing) if isinstance(existing, dict) else {}
        per_slit[slit] = value
        attrs[WCS_ATTR] = per_slit
    return _with_attrs(ds, attrs)


def wcs_coord(values: Any) -> tuple[str, np.ndarray]:
    """``(dim, values)`` for :meth:`xarray.Dataset.assign_coords`: one stored WCS (or None) per slit."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = None if v is None else stored_wcs(v)
    return ("slit", out)


def with_wcs_coord(ds: xr.Dataset, always: bool = False) -> xr.Dataset:
    """``ds`` with its per-slit WCS in the ``wcs`` coord (moved there from an attrs dict).

    A slits product without any WCS is returned as it is, or with a coord of
    ``None`` when ``always``; so is an exposure (no ``slit`` dim).
    """
    if "slit" not in ds.dims or WCS_COORD in ds.coords:
        return ds
    stored = ds.attrs.get(WCS_ATTR)
    if stored is None and not always:
        return ds
    names = (
        np.asarray(ds["slit_name"].values).astype(str)
        if "slit_name" in ds.coords
        else np.array([], str)
    )
    if isinstance(stored, dict):
        values = [stored.get(n) for n in names]
    elif stored is not None and ds.sizes["slit"] == 1:
        values = [stored]
    else:
        values = [None] * ds.sizes["slit"]
    out = ds.assign_coords({WCS_COORD: wcs_coord(values)})
    if stored is not None:
        out.attrs = {k: v for k, v in ds.attrs.items() if k != WCS_ATTR}
    return out


def has_wcs(ds: xr.Dataset) -> bool:
    """True when ``ds`` carries a WCS (in attrs, or for at least one slit in the coord)."""
    if ds.attrs.get(WCS_ATTR) is not None:
        return True
    return WCS_COORD in ds.coords and any(v is not None for v in ds[WCS_COORD].values.ravel())


def slit_wcs(ds: xr.Dataset) -> dict[str, StoredWcs | str] | None:
    """The per-slit WCS by slit name (coord or older attrs dict); None for one WCS or none."""
    if WCS_COORD in ds.coords and "slit_name" in ds.coords:
        names = np.asarray(ds["slit_name"].values).astype(str).ravel()
        values = ds[WCS_COORD].values.ravel()
        return {n: v for n, v in zip(names, values, strict=True) if v is not None}
    stored = ds.attrs.get(WCS_ATTR)
    return dict(stored) if isinstance(stored, dict) else None


def _with_attrs(ds: xr.Dataset, attrs: dict[str, Any]) -> xr.Dataset:
    out = ds.copy(deep=False)
    out.attrs = attrs
    return out


def copy_pipeline(wcs: Any) -> Any:
    """A new gwcs.WCS with the frames and transforms of ``wcs`` (shared, not copied).

    A WCS from :func:`get_wcs` is shared by every reader of the same text, so
    a step that changes it works on a copy.  Replacing or inserting steps
    (``set_transform``, ``insert_frame``) or setting the bounding box of a new
    first transform touches only the copy; a deep copy of a NIRSpec slit WCS
    costs a tenth of a second.  Never mutate a transform taken from it.
    """
    import gwcs

    return gwcs.WCS([(step.frame, step.transform) for step in wcs.pipeline], name=wcs.name)


def get_wcs(ds: xr.Dataset, slit: str | None = None) -> Any:
    """The gwcs of ``ds`` (of one ``slit``); a clear error when assign_wcs has not run."""
    per_slit = slit_wcs(ds)
    if per_slit is None:
        stored = ds.attrs.get(WCS_ATTR)
        if stored is None and WCS_COORD in ds.coords and ds[WCS_COORD].size == 1:
            stored = ds[WCS_COORD].values.ravel()[0]  # one slit selected with isel(slit=i)
        if stored is None:
            raise StepOrderError(
                f"{ds.attrs.get('FILENAME', 'this exposure')} has no WCS: run assign_wcs first"
            )
        return wcs_object(stored)
    if slit is None:
        raise StepOrderError("this product holds one WCS per slit: pass slit=NAME")
    if slit not in per_slit:
        raise StepOrderError(f"no WCS for slit {slit!r}; slits with a WCS: {sorted(per_slit)}")
    return wcs_object(per_slit[slit])
