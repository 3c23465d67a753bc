"""``spec2x info`` of a spectra file (``_x1d``, ``_x1dints``) from its headers.

The same description :func:`spec2x.io.info.describe` gives of the Dataset
:func:`spec2x.io.fits_spectra.read_spectra` reads (one variable per
``EXTRACT1D`` column, stacked along ``slit`` when there are several tables,
per-spectrum keywords and x1dints columns as coords, the ``spec2x`` ASDF
node applied), from the tables' headers (``TTYPE``, ``TFORM``, ``TUNIT``,
``TZERO``) and the YAML of the ASDF extension alone: no NumPy, astropy nor
xarray.  It answers None for anything it does not describe exactly (a
column of text or scaled values, tables of different columns, a WCS, a
``SCI`` extension, variables the node adds); the caller then reads the file.
"""

from __future__ import annotations

from typing import Any

from ..step_spec import STATUS_KEYWORDS
from .fits_cards import Decline
from .fits_names import SPEC_COORD_NAMES, TSO_META, var_name

__all__ = ["describe_spectra"]

#: TFORM letter -> NumPy dtype name as astropy reads the column (TZERO 0).
_TFORM = {"L": "bool", "B": "uint8", "I": "int16", "J": "int32", "K": "int64",
          "E": "float32", "D": "float64"}  # fmt: skip
#: (TFORM letter, TZERO) astropy reads as an unsigned (or signed byte) column.
_OFFSET = {("I", 2**15): "uint16", ("J", 2**31): "uint32", ("K", 2**63): "uint64",
           ("B", -128): "int8"}  # fmt: skip
_WFSS_MODEL = "WFSSMultiSpecModel"  # read by spec2x.io.fits_wfss_spectra: not described here


def describe_spectra(hdus: list[Any], names: list[str], tree: dict[str, Any]) -> dict[str, Any]:
    """The description of a spectra file's scanned headers (``hdus``: its HDUs as
    :mod:`spec2x.io.info_headers` scans them, ``names`` their EXTNAMEs, ``tree`` the YAML
    of its ASDF extension); raises :class:`~spec2x.io.fits_cards.Decline` for a file
    it does not describe exactly."""
    from .info_headers import MODE_KEYWORDS, apply_node, header_attrs

    model = str(hdus[0].get("DATAMODL", ""))
    tables = [h for h in hdus if h.name == "EXTRACT1D"]
    node = tree.get("spec2x") or {}
    if model == _WFSS_MODEL or not isinstance(node, dict):
        raise Decline
    dims, shape, arrays, coords = _layout(tables, node)
    tso = "integration" in dims
    per_spec = node.get("spectrum_coords") if node else None
    if per_spec is None:
        per_spec = {name: kw for kw, name in SPEC_COORD_NAMES.items()
                    if any(kw in t.first for t in tables)}  # fmt: skip
    attrs = header_attrs(hdus[0])
    if "SCI" in names:  # spec2x's x1d keeps the exposure's keywords in an empty SCI
        attrs |= header_attrs(hdus[names.index("SCI")])
    attrs.setdefault("DATAMODL", model or ("TSOMultiSpecModel" if tso else "MultiSpecModel"))
    for kw in per_spec.values():
        attrs.pop(kw, None)
    coords |= set(per_spec)
    if tso:
        coords |= _int_times(hdus, names, shape[dims.index("integration")])
    if apply_node(tree, attrs, arrays, coords, dims) != "none" or "wcs" in coords:
        raise Decline  # a WCS, or variables and coords the headers cannot say
    summary: dict[str, Any] = {
        "datamodel": attrs.get("DATAMODL"),
        "kind": "spectra",
        "mode": {k: attrs[k] for k in MODE_KEYWORDS if k in attrs},
        "dims": dict(zip(dims, shape, strict=True)),
        "arrays": arrays,
        "coords": sorted(coords),
        "steps": {
            step: attrs[key]
            for step, key in STATUS_KEYWORDS.items()
            if key in attrs and attrs[key] not in (None, "")
        },  # fmt: skip
        "references": {
            k: v for k, v in attrs.items() if k.startswith("R_") and isinstance(v, str) and v
        },
        "wcs": "none",
    }
    if dims[0] != "integration" and len(dims) > 1 and "slit_name" in per_spec:
        found = [t.get(per_spec["slit_name"]) for t in tables]
        if not all(isinstance(s, str) for s in found):
            raise Decline
        summary["slits"] = found
    return summary


def _layout(
    tables: list[Any], node: dict[str, Any]
) -> tuple[list[str], list[int], dict[str, dict[str, Any]], set[str]]:
    """The dims and shape of the variables :func:`~spec2x.io.fits_spectra.read_spectra`
    makes of the tables, the variables (dims, shape, dtype, units) and the coords among
    their columns."""
    layouts = [_columns(t) for t in tables]
    wave = layouts[0].get("WAVELENGTH") if tables else None
    if wave is None or any(list(lay) != list(layouts[0]) for lay in layouts):
        raise Decline  # the reader stacks the same columns of every table
    tso = wave[1] > 1
    default = "slit" if len(tables) > 1 else None
    lead = node.get("lead_dim", default) if node else default
    nint = int(tables[0].get("NAXIS2"))
    if tso and (nint == 0 or any(int(t.get("NAXIS2")) != nint for t in tables)):
        raise Decline
    length = max(lay["WAVELENGTH"][1] if tso else int(t.get("NAXIS2"))
                 for lay, t in zip(layouts, tables, strict=True))  # fmt: skip
    dims = ([lead] if lead else []) + (["integration"] if tso else []) + ["spectral"]
    shape = ([len(tables)] if lead else []) + ([nint] if tso else []) + [length]
    filled = set(node.get("filled_columns") or [])
    arrays: dict[str, dict[str, Any]] = {}
    meta_cols = set()
    for column, (dtype, repeat, units) in layouts[0].items():
        name = "wavelength" if column == "WAVELENGTH" else var_name(column)
        if tso and column in TSO_META:
            meta_cols.add(column)
        elif name not in filled and name != "wavelength":
            if (repeat > 1) != tso:
                raise Decline  # a scalar column in an x1dints table, a vector one in an x1d
            arrays[name] = {"dims": list(dims), "shape": list(shape), "dtype": dtype,
                            "units": units}  # fmt: skip
    coords = {"wavelength"}
    if tso:
        tso_cols = node.get("tso_columns") if node else None
        if tso_cols is None:
            tso_cols = {name: col for col, name in TSO_META.items() if col in meta_cols}
        if not set(tso_cols.values()) <= meta_cols:
            raise Decline
        coords |= {"integration", *tso_cols}
    return dims, shape, arrays, coords


def _columns(table: Any) -> dict[str, tuple[str, int, str | None]]:
    """A binary table's columns: name -> (dtype as the reader has it, repeat, units)."""
    if table.get("XTENSION") != "BINTABLE":
        raise Decline
    out = {}
    for i in range(1, int(table.get("TFIELDS")) + 1):
        form = str(table.get(f"TFORM{i}")).strip()
        digits = form.rstrip("LBIJKED")
        letter = form[len(digits) :]
        if not digits.isdigit() and digits or len(letter) != 1:
            raise Decline  # text, complex, variable-length or odd columns
        if table.get(f"TSCAL{i}", 1) != 1 or table.get(f"TDIM{i}") is not None:
            raise Decline
        zero = table.get(f"TZERO{i}", 0)
        dtype = _TFORM[letter] if zero == 0 else _OFFSET.get((letter, zero))
        if dtype is None:
            raise Decline  # astropy scales it to floats
        units = table.get(f"TUNIT{i}")
        out[str(table.get(f"TTYPE{i}"))] = (dtype, int(digits or 1), str(units) if units else None)
    return out


def _int_times(hdus: list[Any], names: list[str], nint: int) -> set[str]:
    """The ``int_times_*`` coords of the INT_TIMES table (when it has a row an integration)."""
    if "INT_TIMES" not in names:
        return set()
    table = hdus[names.index("INT_TIMES")]
    if table.get("NAXIS2") != nint:
        return set()
    return {f"int_times_{table.get(f'TTYPE{i}')}" for i in range(1, int(table.get("TFIELDS")) + 1)}
