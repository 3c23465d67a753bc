"""The ASDF extension of a jwst FITS file: write it, read its tree fast.

jwst keeps the ASDF tree (the WCS, and meta with no FITS keyword) in one
``ASDF_METADATA`` cell of the ``ASDF`` extension.  A tree of plain YAML is read
with a YAML safe loader; every WCS in it (the exposure's, or one gwcs per
slit, thousands for WFSS) is cut out of the YAML text unparsed and kept as
its ASDF text, decoded only when a step asks for it (:func:`split_wcs`: so
``spec2x info`` and reading a product build no gwcs); anything else goes
through ``asdf.open``.
"""

from __future__ import annotations

import io
import re
import textwrap
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn

import numpy as np
import yaml
from astropy.io import fits

from .._asdf import spec2x_asdf
from ..wcs.store import StoredWcs
from .fits_wcs_group import group_members, split_node_wcs

__all__ = [
    "ASDF_EXTNAME",
    "asdf_hdu",
    "plain_asdf_tree",
    "read_asdf_tree",
    "split_shared_wcs",
    "split_wcs",
]

ASDF_EXTNAME = "ASDF"
#: Arrays of fewer elements are written in the YAML (a gwcs's coefficients), larger as blocks;
#: a slit's WCS without blocks is read as text, lazily (:func:`split_wcs`).
_INLINE_BELOW = 4096


def asdf_hdu(tree: Mapping[str, Any], compress: Sequence[Any] = ()) -> fits.BinTableHDU:
    """jwst's ASDF extension: the ASDF file bytes in one ``ASDF_METADATA`` cell.

    ``compress``: arrays of the tree written as zlib-compressed blocks.
    """
    from .._asdf_write import asdf_bytes  # asdf imported where an ASDF tree is written

    written = asdf_bytes(tree, inline_below=_INLINE_BELOW, compress=compress)
    data = np.frombuffer(written, dtype=np.uint8)[None, :]
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
    sources) are never touched.  Every WCS of the tree (the exposure's, each
    slit's) is cut out first (:func:`split_wcs`) and put back as a
    :class:`~spec2x.wcs.store.StoredWcs` text, decoded on first use; WCS that
    share YAML anchors (NIRSpec slitlets sharing their optics) are cut out
    together and decoded as a whole on the first use of any
    (:func:`split_shared_wcs`); so is the spec2x node's mapping of WCS (the
    NIRSpec IFU slices, :func:`~spec2x.io.fits_wcs_group.split_node_wcs`).
    """
    if ASDF_EXTNAME not in hdul:
        return {}
    try:
        raw = hdul[ASDF_EXTNAME].data["ASDF_METADATA"][0].tobytes()
    except AssertionError as exc:  # astropy asserts on a column definition it cannot take
        raise ValueError(f"{ASDF_EXTNAME} extension: malformed table ({exc})") from exc
    end = _YAML_END.search(raw)
    if end is None:
        return _parse(raw)
    text = raw[: end.start() + 1].decode("utf-8", "replace")
    group = split_node_wcs(text, _binary_blocks(raw[end.end() :]))
    split = _stored_wcs(group[0] if group is not None else text)
    if group is None and split is None:
        return _parse(raw)
    rest, stored = split if split is not None else (group[0], {})  # type: ignore[index]
    after = raw[end.start() + 1 :] if _BLOCK_SOURCE.search(rest) else b"...\n"
    tree = _parse(rest.encode("utf-8") + after)
    tree = _put_back(tree, stored)
    if group is not None:
        if not isinstance(tree.get("spec2x"), dict):
            return _parse(raw)
        tree["spec2x"]["wcs"] = group[1]
    return tree  # type: ignore[no-any-return]


def _binary_blocks(after_yaml: bytes) -> bytes:
    """The binary blocks that follow an ASDF file's YAML, without the block index (its offsets
    are the whole file's)."""
    index = after_yaml.find(b"#ASDF BLOCK INDEX")
    return after_yaml if index < 0 else after_yaml[:index]


def _parse(raw: bytes) -> dict[str, Any]:
    """The tree of ASDF file bytes: plain YAML by a safe loader, else by asdf (blocks read)."""
    plain = plain_asdf_tree(raw)
    if plain is not None:
        return plain
    import asdf  # only for a tree the YAML loader cannot read

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
    from asdf.tags.core import NDArrayType  # asdf is imported: it read the tree

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


def _ndarray(loader: _CoreTagsLoader, suffix: str, node: yaml.Node) -> Any:
    """A core ``ndarray`` that only points at a FITS extension (``source: fits:SCI,1``, as
    jwst writes; read as a dict), or holds its numbers inline (a NumPy array, as asdf reads
    it); any other (a binary block, strides, a mask, strings) is left to asdf."""
    keys = {k.value: v for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}
    source, data, datatype = keys.get("source"), keys.get("data"), keys.get("datatype")
    if data is None:
        if not isinstance(source, yaml.ScalarNode) or not source.value.startswith("fits:"):
            _refuse(loader, node)
        return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if (
        source is not None
        or set(keys) - {"data", "datatype", "shape", "byteorder"}
        or not isinstance(datatype, yaml.ScalarNode)
        or datatype.value not in _INLINE_TYPES
    ):
        _refuse(loader, node)
    values = loader.construct_sequence(data, deep=True)  # type: ignore[arg-type]
    array = np.array(values, dtype=_INLINE_TYPES[datatype.value])
    if "shape" in keys:
        array = array.reshape(loader.construct_sequence(keys["shape"]))  # type: ignore[arg-type]
    return array


#: asdf's names of the numeric types an inline ndarray is read as (asdf -> NumPy).
_INLINE_TYPES = {
    f"{kind}{bits}": f"{kind}{bits}" for kind, sizes in (("int", (8, 16, 32, 64)),
    ("uint", (8, 16, 32, 64)), ("float", (32, 64)), ("complex", (64, 128))) for bits in sizes
} | {"bool8": "bool"}  # fmt: skip


def _refuse(loader: _CoreTagsLoader, node: yaml.Node) -> NoReturn:
    raise yaml.constructor.ConstructorError(
        None, None, f"left to asdf: {node.tag}", node.start_mark
    )


for _tag in ("asdf", "software", "extension_metadata", "history_entry"):
    _CoreTagsLoader.add_multi_constructor(f"tag:stsci.edu:asdf/core/{_tag}-", _core_mapping)
_CoreTagsLoader.add_multi_constructor("tag:stsci.edu:asdf/core/ndarray-", _ndarray)
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
#: A tagged ``wcs:`` block in the YAML of a tree: the exposure's ``meta.wcs``, a slit's, ...
_WCS_LINE = re.compile(r"^(?P<indent> *)wcs: (?:&(?P<anchor>id\d+) )?(?P<tag>![^\s&*]+)\s*$")
_BLOCK_SOURCE = re.compile(r"^\s*source: \d+\s*$", re.MULTILINE)
_PLACEHOLDER = "spec2x:stored-wcs:{}"


def _stored_wcs(yaml_text: str) -> tuple[str, dict[str, StoredWcs]] | None:
    """:func:`split_wcs`, else :func:`split_shared_wcs`, on one cutting of the text: the
    text left and placeholder -> stored WCS (None: neither can cut the text)."""
    cut = _cut(yaml_text)
    if cut is None:
        return None
    alone = _alone(cut)
    if alone is None:
        return _together(cut)
    rest, texts = alone
    return rest, {key: StoredWcs(text=text) for key, text in texts.items()}


_Cut = tuple[str, str, list[tuple[str, str, str]]]


def _cut(yaml_text: str) -> _Cut | None:
    """:func:`_wcs_blocks` of a text with some WCS whose rest needs none of them."""
    cut = _wcs_blocks(yaml_text)
    if cut is None or not cut[2] or _unresolved(cut[1]):
        return None
    return cut


def _wcs_blocks(yaml_text: str) -> _Cut | None:
    """The file's header, the text with every tagged ``wcs:`` block replaced by a quoted
    placeholder (with the block's anchor), and (placeholder, tag, block) of each block,
    its lines unindented to the ``wcs:`` key; None without a document start."""
    lines = yaml_text.splitlines(keepends=True)
    header_end = next((i for i, line in enumerate(lines) if line.startswith("--- ")), None)
    if header_end is None:
        return None
    kept, blocks = lines[: header_end + 1], list[tuple[str, str, str]]()
    i = header_end + 1
    while i < len(lines):
        found = _WCS_LINE.match(lines[i])
        if found is None:
            kept.append(lines[i])
            i += 1
            continue
        indent = len(found["indent"])
        end = i + 1
        while end < len(lines) and (lines[end][: indent + 1].isspace() or not lines[end].strip()):
            end += 1
        placeholder = _PLACEHOLDER.format(len(blocks))
        blocks.append(
            (placeholder, found["tag"], "".join(ln[indent:] for ln in lines[i + 1 : end]))
        )
        anchor = f"&{found['anchor']} " if found["anchor"] else ""
        kept.append(f"{found['indent']}wcs: {anchor}'{placeholder}'\n")
        i = end
    return "".join(lines[: header_end + 1]), "".join(kept), blocks


def _unresolved(text: str) -> set[str]:
    """The YAML aliases of ``text`` whose anchor is not in it."""
    return set(_ALIAS.findall(text)) - set(_ANCHOR.findall(text))


def split_wcs(yaml_text: str) -> tuple[str, dict[str, str]] | None:
    """The YAML of a tree with every WCS cut out, and each WCS as an ASDF text of its own.

    Every tagged ``wcs:`` block (an exposure's ``meta.wcs``, each
    ``slits[i].meta.wcs`` of a slits product) is cut out of the text (lines,
    by indentation) and made a document of its own (``wcs: ...`` under the
    file's own ``%TAG`` header); in the text left, a quoted placeholder
    string takes its place (with the block's anchor, so aliases of it, as
    spec2x's own node has, point at the same placeholder).  Opening a file
    then parses no gwcs (one per slit: thousands for WFSS).  Returns the text
    left and placeholder -> WCS text; None when there is no WCS or the text is
    not laid out so (a WCS sharing anchors with the rest of the tree or with
    another WCS, arrays in binary blocks).
    """
    cut = _cut(yaml_text)
    return None if cut is None else _alone(cut)


def _alone(cut: _Cut) -> tuple[str, dict[str, str]] | None:
    """:func:`split_wcs` of a cut text."""
    header, rest, blocks = cut
    if any(_unresolved(block) or _BLOCK_SOURCE.search(block) for _, _, block in blocks):
        return None
    return rest, {key: f"{header}wcs: {tag}\n{block}...\n" for key, tag, block in blocks}


def split_shared_wcs(yaml_text: str) -> tuple[str, dict[str, StoredWcs]] | None:
    """The YAML of a tree with its WCS cut out together, where they share YAML anchors.

    The slitlets of a NIRSpec MOS product share their optical transforms and
    frames (written once, aliases in the others), so no slitlet's WCS stands
    alone; the blocks of :func:`split_wcs` are made one document (a mapping
    placeholder -> WCS, in the file's order, so every anchor comes before its
    aliases), decoded as a whole on the first use of any
    (:func:`~spec2x.io.fits_wcs_group.group_members`).  None when there is no
    WCS, a block points at a binary block, or anchors are shared with the rest
    of the tree (then the whole tree goes through asdf).
    """
    cut = _cut(yaml_text)
    return None if cut is None else _together(cut)


def _together(cut: _Cut) -> tuple[str, dict[str, StoredWcs]] | None:
    """:func:`split_shared_wcs` of a cut text."""
    header, rest, blocks = cut
    members = "".join(
        f"  '{key}': {tag}\n{textwrap.indent(block, '  ')}" for key, tag, block in blocks
    )
    if _unresolved(members) or _BLOCK_SOURCE.search(members):
        return None
    return rest, group_members(f"{header}wcs:\n{members}...\n", [key for key, _, _ in blocks])


def _put_back(value: Any, stored: Mapping[str, StoredWcs]) -> Any:
    """``value`` (a tree) with each placeholder of :func:`split_wcs` replaced by its WCS."""
    if isinstance(value, dict):
        return {k: _put_back(v, stored) for k, v in value.items()}
    if isinstance(value, list):
        return [_put_back(v, stored) for v in value]
    if isinstance(value, str):
        return stored.get(value, value)
    return value
