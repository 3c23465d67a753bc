"""``spec2x info`` of an exposure, slits or spectra file from its headers: no NumPy, astropy nor xarray.

Importing xarray and astropy costs more than the 0.5 s ``spec2x info`` may
take, and describing a file needs neither: for an exposure (``_rate``,
``_rateints``, ``_cal``, ``_calints``: one SCI of 2 or 3 dimensions)
:func:`describe_headers` reads the headers (:mod:`spec2x.io.fits_cards`)
and the YAML of the ASDF extension (tags ignored: only the names in the
``spec2x`` node and whether there is a WCS matter) and gives what
:func:`spec2x.io.info.describe` gives from the Dataset
:func:`~spec2x.io.fits.open_product` would read: the same variables,
dtypes, units and coords, in the same order.  It answers None for anything
else (cubes, a card it does not parse plainly where a value is needed, a
truncated or odd file); the caller then reads the file.  Spectra (``_x1d``,
``_x1dints``) are described by :mod:`spec2x.io.info_spectra` and slits
(``_s2d``, a ``_cal`` of several slits) by :mod:`spec2x.io.info_slits` from
the same scan.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..step_spec import STATUS_KEYWORDS
from .fits_cards import BLOCK, COMMENTARY, UNDEFINED, Decline, card_images, data_size, fast_card
from .fits_names import COORD_FLAG, VARNAMES, image_dtype_name
from .info_slits import slits_layout
from .info_spectra import spectra_layout
from .info_yaml import read_tree

__all__ = ["MODE_KEYWORDS", "describe_headers"]

#: The keywords ``spec2x info`` shows as the mode.
MODE_KEYWORDS = (
    "INSTRUME",
    "DETECTOR",
    "EXP_TYPE",
    "FILTER",
    "GRATING",
    "PUPIL",
    "SUBARRAY",
    "CHANNEL",
    "BAND",
    "TSOVISIT",
)
#: Data models read as an exposure (the file's DATAMODL, or none).
_EXPOSURE_MODELS = ("", "ImageModel", "CubeModel", "IFUImageModel")
#: Data models read as slits (as :func:`spec2x.io.fits_products.is_multi` has them).
_SLITS_MODELS = ("MultiSlitModel", "SlitModel")
_STATUS = frozenset(STATUS_KEYWORDS.values())
_ATTRS = frozenset((*MODE_KEYWORDS, "DATAMODL", "SUBSTRT1", "SUBSTRT2"))
_EXTENSIONS = ("IMAGE", "BINTABLE")
_ODD = frozenset(("GROUPS", "ZIMAGE"))  # random groups, a compressed image
_UNPARSED = object()  # a card only astropy reads: declined where its value is needed
_YAML_END = re.compile(rb"\r?\n\.\.\.(?:\r?\n|$)")  # asdf's end-of-tree marker
_TYPESTR = {"f4": "float32", "f8": "float64", "i2": "int16", "i4": "int32", "i8": "int64",
            "u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64", "b1": "bool"}  # fmt: skip


@dataclass
class _Hdu:
    """One HDU: its first value of each keyword, its last one (the reader's attrs)."""

    index: int
    offset: int
    first: dict[str, Any] = field(default_factory=dict)
    last: dict[str, Any] = field(default_factory=dict)
    size: int = 0

    def get(self, key: str, default: Any = None) -> Any:
        value = self.first.get(key, default)
        if value is _UNPARSED:
            raise Decline
        return value

    @property
    def name(self) -> str:
        return str(self.get("EXTNAME", "" if self.index else "PRIMARY"))

    def shape(self) -> tuple[int, ...]:
        return tuple(int(self.get(f"NAXIS{i}")) for i in range(self.get("NAXIS", 0), 0, -1))


def describe_headers(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """:func:`spec2x.io.info.describe` of an exposure, slits or spectra file from its headers,
    None when the file must be read (cubes, or a file these headers do not describe
    exactly); spectra and slits files are described by :mod:`spec2x.io.info_spectra` and
    :mod:`spec2x.io.info_slits`."""
    try:
        with open(path, "rb") as f:
            hdus = _scan(f)
            names = [h.name for h in hdus]
            if "EXTRACT1D" in names:
                return _spectra(f, hdus, names)
            if names.count("SCI") > 1 or str(hdus[0].get("DATAMODL", "")) in _SLITS_MODELS:
                return _slits(f, hdus, names)
            return _exposure(f, hdus)
    except (OSError, ValueError, TypeError, LookupError, AttributeError, Decline):
        return None  # an odd header or node: the reader reads the file, or says what is wrong


def _scan(f: Any) -> list[_Hdu]:
    size = f.seek(0, 2)
    hdus: list[_Hdu] = []
    pos = 0
    while pos < size:
        f.seek(pos)
        images, nbytes = card_images(f)
        hdu = _Hdu(len(hdus), pos + nbytes)
        for image in images:
            pair = fast_card(image) if len(image) == 80 else None
            key, value = pair if pair is not None else (image[:8].rstrip(), _UNPARSED)
            if key in COMMENTARY or key == "CONTINUE":
                continue
            hdu.first.setdefault(key, value)
            hdu.last[key] = value
        first = next(iter(hdu.first), "")
        if hdu.index == 0 and (first != "SIMPLE" or hdu.get("SIMPLE") is not True):
            raise Decline
        if hdu.index and (first != "XTENSION" or hdu.get("XTENSION") not in _EXTENSIONS):
            raise Decline
        hdu.size = data_size(hdu)
        pos = hdu.offset + -(-hdu.size // BLOCK) * BLOCK
        if pos > size or hdu.name != hdu.name.strip().upper() or _ODD & hdu.first.keys():
            raise Decline  # truncated, odd: the reader says what is wrong
        hdus.append(hdu)
    return hdus


def _exposure(f: Any, hdus: list[_Hdu]) -> dict[str, Any] | None:
    names = [h.name for h in hdus]
    model = str(hdus[0].get("DATAMODL", ""))
    if "EXTRACT1D" in names or names.count("SCI") != 1 or model not in _EXPOSURE_MODELS:
        return None
    sci = hdus[names.index("SCI")]
    shape = sci.shape()
    if len(shape) not in (2, 3) or sci.get("XTENSION") != "IMAGE":
        return None
    dims = ("y", "x") if len(shape) == 2 else ("integration", "y", "x")
    attrs = _header_attrs(hdus[0]) | _header_attrs(sci)
    attrs.setdefault("DATAMODL", model or ("ImageModel" if len(shape) == 2 else "CubeModel"))
    arrays: dict[str, dict[str, Any]] = {}
    coords = {"x", "y", "integration"} & set(dims)
    for hdu in hdus:
        hshape = hdu.shape() if hdu.get("XTENSION") == "IMAGE" else ()
        if len(hshape) < 2 or hshape != shape[-len(hshape) :]:
            continue
        name = VARNAMES.get(hdu.name, hdu.name.lower())
        if hdu.name == "WAVELENGTH" or bool(hdu.get(COORD_FLAG, False)):
            coords.add(name)
            continue
        dtype = image_dtype_name(hdu.get("BITPIX"), hdu.get("BZERO", 0), hdu.get("BSCALE", 1))
        hdims = dims[-len(hshape) :]
        arrays[name] = {"dims": list(hdims), "shape": list(hshape), "dtype": dtype,
                        "units": hdu.get("BUNIT")}  # fmt: skip
    _default_units(arrays)
    if len(dims) == 3:
        coords |= _int_times(hdus, names, shape[0])
    wcs = _apply_node(_asdf_tree(f, hdus, names), attrs, arrays, coords, dims)
    if wcs is None:
        return None
    return _summary("exposure", attrs, dict(zip(dims, shape, strict=True)), arrays, coords, wcs)


def _spectra(f: Any, hdus: list[_Hdu], names: list[str]) -> dict[str, Any] | None:
    """An x1d or x1dints file (:func:`spec2x.io.info_spectra.spectra_layout`)."""
    tree = _asdf_tree(f, hdus, names)
    node = tree.get("spec2x") or {}
    if not isinstance(node, dict):
        return None
    layout = spectra_layout(hdus, node)
    attrs = _header_attrs(hdus[0])
    if "SCI" in names:  # spec2x's x1d keeps the exposure's keywords in an empty SCI
        attrs |= _header_attrs(hdus[names.index("SCI")])
    attrs.setdefault("DATAMODL", str(hdus[0].get("DATAMODL", "")) or layout.model)
    for kw in layout.per_spectrum.values():
        attrs.pop(kw, None)
    dims, coords = layout.dims, layout.coords
    if "integration" in dims:
        coords |= _int_times(hdus, names, layout.shape[dims.index("integration")])
    wcs = _apply_node(tree, attrs, layout.arrays, coords, dims)
    if wcs != "none" or "wcs" in coords:
        return None  # a WCS, or variables and coords the headers cannot say
    sizes = dict(zip(dims, layout.shape, strict=True))
    out = _summary("spectra", attrs, sizes, layout.arrays, coords, wcs)
    if layout.slits is not None:
        out["slits"] = layout.slits
    return out


def _slits(f: Any, hdus: list[_Hdu], names: list[str]) -> dict[str, Any] | None:
    """A slits file (:func:`spec2x.io.info_slits.slits_layout`)."""
    tree = _asdf_tree(f, hdus, names)
    model = str(hdus[0].get("DATAMODL", ""))
    layout = slits_layout(hdus, tree, model)
    attrs = _header_attrs(hdus[0]) | _header_attrs(hdus[names.index("SCI")])
    for kw in layout.keywords:
        attrs.pop(kw, None)
    attrs.setdefault("DATAMODL", model or "MultiSlitModel")
    sizes, coords = layout.sizes, layout.coords
    if "integration" in sizes:
        coords |= _int_times(hdus, names, sizes["integration"])
    _default_units(layout.arrays)
    if _apply_node(tree, attrs, layout.arrays, coords, list(sizes), slits=True) is None:
        return None
    out = _summary("slits", attrs, sizes, layout.arrays, coords, layout.wcs)
    if layout.slits is not None:
        out["slits"] = layout.slits
    return out


def _int_times(hdus: list[_Hdu], names: list[str], nint: int) -> set[str]:
    """The ``int_times_*`` coords of the INT_TIMES table (when it has a row an integration)."""
    if "INT_TIMES" not in names:
        return set()
    table = hdus[names.index("INT_TIMES")]
    if table.get("NAXIS2") != nint:
        return set()
    return {f"int_times_{table.get(f'TTYPE{i}')}" for i in range(1, int(table.get("TFIELDS")) + 1)}


def _summary(
    kind: str,
    attrs: dict[str, Any],
    sizes: dict[str, int],
    arrays: dict[str, dict[str, Any]],
    coords: set[str],
    wcs: str,
) -> dict[str, Any]:
    """:func:`spec2x.io.info.describe_dataset`'s summary from what the headers give."""
    return {
        "datamodel": attrs.get("DATAMODL"),
        "kind": kind,
        "mode": {k: attrs[k] for k in MODE_KEYWORDS if k in attrs},
        "dims": sizes,
        "arrays": arrays,
        "coords": sorted(coords),
        "steps": {
            step: attrs[key]
            for step, key in STATUS_KEYWORDS.items()
            if key in attrs and attrs[key] not in (None, "")
        },
        "references": {
            k: v for k, v in attrs.items() if k.startswith("R_") and isinstance(v, str) and v
        },
        "wcs": wcs,
    }


def _header_attrs(hdu: _Hdu) -> dict[str, Any]:
    """The keywords ``info`` shows, as the reader's attrs hold them (the last card of a
    keyword; no undefined value)."""
    out = {}
    for key, value in hdu.last.items():
        if key in _ATTRS or key in _STATUS or key.startswith("R_"):
            if value is _UNPARSED:
                raise Decline
            if value is not UNDEFINED:
                out[key] = value
    return out


def _default_units(arrays: dict[str, dict[str, Any]]) -> None:
    """:func:`spec2x.io.fits_exposure.default_units`: DQ's and the variances' units."""
    sci_units = arrays.get("sci", {}).get("units")
    for name, a in arrays.items():
        if a["units"] is None and name == "dq":
            a["units"] = ""
        elif a["units"] is None and name.startswith("var_") and sci_units:
            a["units"] = f"({sci_units})^2"


def _asdf_tree(f: Any, hdus: list[_Hdu], names: list[str]) -> dict[str, Any]:
    """The YAML of the ASDF extension, every tag ignored, each slit's WCS only marked
    (:func:`spec2x.io.info_yaml.read_tree`; {} when there is none)."""
    if "ASDF" not in names:
        return {}
    hdu = hdus[names.index("ASDF")]
    if hdu.get("TTYPE1") != "ASDF_METADATA" or hdu.get("NAXIS2") != 1:
        raise Decline
    if not re.fullmatch(r"\d+B", str(hdu.get("TFORM1")).strip()):
        raise Decline
    f.seek(hdu.offset)
    raw = f.read(int(hdu.get("NAXIS1")))
    end = _YAML_END.search(raw)
    if not raw.startswith(b"#ASDF ") or end is None:
        raise Decline
    return read_tree(raw[: end.end()])


def _apply_node(
    tree: dict[str, Any],
    attrs: dict[str, Any],
    arrays: dict[str, dict[str, Any]],
    coords: set[str],
    dims: Sequence[str],
    slits: bool = False,
) -> str | None:
    """What :func:`spec2x.io.fits_node.apply_node` changes that ``info`` shows; returns
    the WCS (``one``/``none``; a slits file's is :mod:`spec2x.io.info_slits`'), None where
    the node holds what the headers cannot say (a kept ``slit_name`` only in a slits file)."""
    node = tree.get("spec2x") or {}
    if not isinstance(node, dict) or node.get("data_vars"):
        return None
    for key in node.get("added_keywords") or []:
        attrs.pop(key, None)
    attrs.update(node.get("attrs") or {})
    for name, entry in (node.get("coords") or {}).items():
        if not set(entry.get("dims") or ()) <= set(dims) or name == "slit_name" and not slits:
            return None
        coords.add(name)
    for name, var_attrs in (node.get("var_attrs") or {}).items():
        if name in arrays:
            arrays[name]["units"] = dict(var_attrs).get("units")
    for name, typestr in (node.get("dtypes") or {}).items():
        if name in arrays:
            arrays[name]["dtype"] = _TYPESTR[str(typestr).lstrip("<>|=")]
    coords -= {f"int_times_{c}" for c in node.get("int_times_filled") or []}
    coords -= {str(c) for c in node.get("absent_coords") or []}
    meta = tree.get("meta")
    wcs = [
        node.get("wcs"),
        node.get("wcs_text"),
        meta.get("wcs") if isinstance(meta, dict) else None,
    ]
    return "none" if all(w is None for w in wcs) else "one"
