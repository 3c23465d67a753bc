"""The ASDF extension of a jwst FITS file: write it, read its tree fast.

jwst keeps the ASDF tree (the WCS, and meta with no FITS keyword) in one
``ASDF_METADATA`` cell of the ``ASDF`` extension.  A tree of plain YAML is read
with a YAML safe loader; a slits product's per-slit WCS (one gwcs per slit,
thousands for WFSS) is cut out of the YAML text unparsed and kept as each
slit's ASDF text, decoded only when a step asks for that slit's WCS
(:func:`split_slit_wcs`); anything else goes through ``asdf.open``.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import asdf
import numpy as np
import yaml
from asdf.tags.core import NDArrayType
from astropy.io import fits

from .._asdf import spec2x_asdf
from .._asdf_write import asdf_bytes
from ..wcs.store import StoredWcs
from .fits_wcs_group import split_node_wcs

__all__ = ["ASDF_EXTNAME", "asdf_hdu", "plain_asdf_tree", "read_asdf_tree", "split_slit_wcs"]

ASDF_EXTNAME = "ASDF"
#: Arrays of fewer elements are written in the YAML (a gwcs's coefficients), larger as blocks;
#: a slit's WCS without blocks is read as text, lazily (:func:`split_slit_wcs`).
_INLINE_BELOW = 4096


def asdf_hdu(tree: Mapping[str, Any]) -> fits.BinTableHDU:
    """jwst's ASDF extension: the ASDF file bytes in one ``ASDF_METADATA`` cell."""
    data = np.frombuffer(asdf_bytes(tree, inline_below=_INLINE_BELOW), dtype=np.uint8)[None, :]
    column = fits.Column(name="ASDF_METADATA", format=f"{data.shape[1]}B", array=data)
    return fits.BinTableHDU.from_columns([column], name=ASDF_EXTNAME)


def read_asdf_tree(hdul: Any) -> dict[str, Any]:
    """The tree of the ASDF extension (empty when there is none).

    ``hdul`` is an astropy ``HDUList`` or a :class:`~spec2x.io.fits_scan.ScanFile`.
    A tree of plain YAML (the only tags the core asdf/software/extension
    metadata ones, no binary blocks) is read with a YAML safe loader; any
    other goes through ``asdf.open``, every array in a binary block read at
    once: the tree outlives the ``AsdfFile``, and such an array left to load
    lazily fails once asdf has closed it (``Attempt to read block data from
    missing block``).  Arrays jwst keeps in the FITS extensions (``fits:SCI,1``
    sources) are never touched.  A slits tree's per-slit WCS are cut out
    first (:func:`split_slit_wcs`) and put back as
    :class:`~spec2x.wcs.store.StoredWcs` texts, decoded on first use; so is
    an exposure's mapping of WCS (the NIRSpec IFU slices,
    :func:`~spec2x.io.fits_wcs_group.split_node_wcs`), decoded as a whole.
    """
    if ASDF_EXTNAME not in hdul:
        return {}
    raw = hdul[ASDF_EXTNAME].data["ASDF_METADATA"][0].tobytes()
    end = _YAML_END.search(raw)
    text = raw[: end.start() + 1].decode("utf-8", "replace") if end else ""
    split = split_slit_wcs(text) if end else None
    if end is not None and split is None and (group := split_node_wcs(text)) is not None:
        tree = _parse(group[0].encode("utf-8") + raw[end.start() + 1 :])
        if isinstance(tree.get("spec2x"), dict):
            tree["spec2x"]["wcs"] = group[1]
            return tree
    if end is not None and split is not None:
        tree = _parse(split[0].encode("utf-8") + raw[end.start() + 1 :])
        slits = tree.get("slits")
        if isinstance(slits, list) and len(slits) == len(split[1]):
            for item, text in zip(slits, split[1], strict=True):
                if text is not None and isinstance(item, dict):
                    item.setdefault("meta", {})["wcs"] = StoredWcs(text=text)
            return tree
    return _parse(raw)


def _parse(raw: bytes) -> dict[str, Any]:
    """The tree of ASDF file bytes: plain YAML by a safe loader, else by asdf (blocks read)."""
    plain = plain_asdf_tree(raw)
    if plain is not None:
        return plain
    with warnings.catch_warnings(), spec2x_asdf():  # jwst validated it: no validation on read
        warnings.simplefilter("ignore")
        with asdf.open(
            io.BytesIO(raw), lazy_load=True, memmap=False, ignore_unrecognized_tag=True
        ) as af:
            return _blocks_read(af.tree)


def _blocks_read(value: Any) -> Any:
    """``value`` with every array held in a binary block read now (the file closes after).

    Arrays pointing elsewhere (jwst's ``fits:SCI,1`` sources, other files)
    stay as asdf left them: nothing in spec2x reads them.
    """
    if isinstance(value, dict):
        return {k: _blocks_read(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blocks_read(v) for v in value]
    if isinstance(value, NDArrayType) and isinstance(getattr(value, "_source", None), int):
        return np.array(value)
    return value


class _CoreTagsLoader(yaml.CSafeLoader):
    """A YAML safe loader that also reads a few core ASDF tags (as dicts); any other tag fails."""


def _core_mapping(
    loader: _CoreTagsLoader, suffix: str, node: yaml.Node
) -> Iterator[dict[Any, Any]]:
    if not isinstance(node, yaml.MappingNode):
        raise yaml.constructor.ConstructorError(
            None, None, f"not a mapping: {node.tag}", node.start_mark
        )
    data: dict[Any, Any] = {}
    yield data
    data.update(loader.construct_mapping(node))


def _fits_array_reference(
    loader: _CoreTagsLoader, suffix: str, node: yaml.Node
) -> Iterator[dict[Any, Any]]:
    """An ndarray that only points at a FITS extension (``source: fits:SCI,1``), as jwst writes."""
    keys = {k.value: v for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}
    source = keys.get("source")
    if (
        "data" in keys
        or not isinstance(source, yaml.ScalarNode)
        or not source.value.startswith("fits:")
    ):
        _refuse(loader, node)
    yield from _core_mapping(loader, suffix, node)


def _refuse(loader: _CoreTagsLoader, node: yaml.Node) -> None:
    raise yaml.constructor.ConstructorError(
        None, None, f"left to asdf: {node.tag}", node.start_mark
    )


for _tag in ("asdf", "software", "extension_metadata", "history_entry"):
    _CoreTagsLoader.add_multi_constructor(f"tag:stsci.edu:asdf/core/{_tag}-", _core_mapping)
_CoreTagsLoader.add_multi_constructor("tag:stsci.edu:asdf/core/ndarray-", _fits_array_reference)
_CoreTagsLoader.add_constructor("tag:yaml.org,2002:omap", _refuse)  # asdf makes an OrderedDict
_YAML_END = re.compile(rb"\r?\n\.\.\.((\r?\n)|$)")  # asdf's end-of-tree marker


def plain_asdf_tree(raw: bytes) -> dict[str, Any] | None:
    """The tree of an ASDF file that holds plain YAML only, else None (use ``asdf.open``).

    Plain means: no binary blocks, and no tags but YAML's own, the core
    ``asdf``, ``software``, ``extension_metadata`` and ``history_entry`` ones,
    and ``ndarray`` entries that only point at a FITS extension (jwst's
    ``data: {source: fits:SCI,1}``); those are read as dicts, as nothing in
    spec2x looks into them.  Every other value is what ``asdf.open`` gives,
    since asdf's loader is the same YAML safe loader.
    """
    if not raw.startswith(b"#ASDF "):
        return None
    end = _YAML_END.search(raw)
    if end is None or raw[end.end() :].strip():
        return None
    try:
        tree = yaml.load(raw[: end.end()], Loader=_CoreTagsLoader)  # noqa: S506 (a safe loader)
    except Exception:  # an unknown tag, an odd document: asdf decides
        return None
    return tree if isinstance(tree, dict) else None


_ALIAS = re.compile(r"\*(id\d+)\b")
_ANCHOR = re.compile(r"&(id\d+)\b")
_WCS_LINE = re.compile(r"^    wcs: (?:&id\d+ )?(![^\s&*]+)\s*$")
_BLOCK_SOURCE = re.compile(r"^\s*source: \d+\s*$", re.MULTILINE)


def split_slit_wcs(yaml_text: str) -> tuple[str, list[str | None]] | None:
    """The YAML of a MultiSlitModel tree without its per-slit WCS, and each WCS as ASDF text.

    Every ``slits[i].meta.wcs`` block is cut out of the text (lines, by
    indentation) and made a document of its own (``wcs: ...`` under the
    file's own ``%TAG`` header), so opening the file never parses thousands
    of gwcs.  None when the text is not laid out so (no ``slits``, a WCS
    shared between slits through YAML anchors, arrays in binary blocks):
    then the whole tree goes through asdf.
    """
    lines = yaml_text.splitlines(keepends=True)
    try:
        start = lines.index("slits:\n")
        header_end = next(i for i, line in enumerate(lines) if line.startswith("--- "))
    except (ValueError, StopIteration):
        return None
    header = "".join(lines[: header_end + 1])
    kept, texts = lines[: start + 1], list[str | None]()
    i, key = start + 1, ""
    while i < len(lines) and lines[i][:1] in ("-", " "):
        line = lines[i]
        if line.startswith("- "):
            texts.append(None)
            key = line[2:].split(":", 1)[0]
        elif line.startswith("  ") and line[2:3] not in (" ", "-"):
            key = line[2:].split(":", 1)[0]
        found = _WCS_LINE.match(line) if key == "meta" and texts else None
        if found is None:
            kept.append(line)
            i += 1
            continue
        end = i + 1
        while end < len(lines) and (lines[end].startswith("     ") or not lines[end].strip()):
            end += 1
        block = "".join(ln[4:] for ln in lines[i + 1 : end])
        if set(_ALIAS.findall(block)) - set(_ANCHOR.findall(block)) or _BLOCK_SOURCE.search(block):
            return None
        texts[-1] = f"{header}wcs: {found.group(1)}\n{block}...\n"
        i = end
    rest = "".join(kept + lines[i:])
    if set(_ALIAS.findall(rest)) - set(_ANCHOR.findall(rest)):
        return None
    return rest, texts
