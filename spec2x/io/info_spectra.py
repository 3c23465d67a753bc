"""``spec2x info`` of a spectra file (``_x1d``, ``_x1dints``) from its headers.

:func:`spectra_layout` gives what :func:`spec2x.io.fits_spectra.read_spectra`
makes of the ``EXTRACT1D`` tables (one variable per column, stacked along
``slit`` when there are several tables and padded to the longest,
per-spectrum keywords and x1dints columns as coords) from the tables'
headers alone (``TTYPE``, ``TFORM``, ``TUNIT``, ``TZERO``): no NumPy,
astropy nor xarray.  :func:`spec2x.io.info_headers.describe_headers` adds
the keywords and the ``spec2x`` ASDF node.  A file it does not describe
exactly (a column of text or scaled values, tables of different columns,
WFSS spectra) raises :class:`~spec2x.io.fits_cards.Decline`: the reader
then reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fits_cards import Decline
from .fits_names import SPEC_COORD_NAMES, TSO_META, var_name

__all__ = ["SpectraLayout", "spectra_layout"]

#: TFORM letter -> NumPy dtype name as astropy reads the column (TZERO 0).
_TFORM = {"L": "bool", "B": "uint8", "I": "int16", "J": "int32", "K": "int64",
          "E": "float32", "D": "float64"}  # fmt: skip
#: (TFORM letter, TZERO) astropy reads as an unsigned (or signed byte) column.
_OFFSET = {("I", 2**15): "uint16", ("J", 2**31): "uint32", ("K", 2**63): "uint64",
           ("B", -128): "int8"}  # fmt: skip
_WFSS_MODEL = "WFSSMultiSpecModel"  # read by spec2x.io.fits_wfss_spectra: not described here


@dataclass
class SpectraLayout:
    """What the reader makes of a spectra file's tables: dims and their sizes, variables
    (dims, shape, dtype, units), coords, the per-spectrum keywords read as coords
    (name -> keyword), the slit names (a ``slit_name`` along a leading dim) and the
    data model of a file that names none."""

    dims: list[str]
    shape: list[int]
    arrays: dict[str, dict[str, Any]]
    coords: set[str]
    per_spectrum: dict[str, str]
    slits: list[str] | None
    model: str


def spectra_layout(hdus: list[Any], node: dict[str, Any]) -> SpectraLayout:
    """The layout of a spectra file from its scanned headers (``hdus``, as
    :mod:`spec2x.io.info_headers` scans them) and its ``spec2x`` ASDF node; raises
    :class:`~spec2x.io.fits_cards.Decline` for a file it does not describe exactly."""
    tables = [h for h in hdus if h.name == "EXTRACT1D"]
    if str(hdus[0].get("DATAMODL", "")) == _WFSS_MODEL:
        raise Decline
    dims, shape, arrays, coords = _layout(tables, node)
    per_spec = node.get("spectrum_coords") if node else None
    if per_spec is None:
        per_spec = {name: kw for kw, name in SPEC_COORD_NAMES.items()
                    if any(kw in t.first for t in tables)}  # fmt: skip
    slits = None
    if dims[0] not in ("integration", "spectral") and "slit_name" in per_spec:
        slits = [t.get(per_spec["slit_name"]) for t in tables]
        if not all(isinstance(s, str) for s in slits):
            raise Decline
    tso = "integration" in dims
    model = "TSOMultiSpecModel" if tso else "MultiSpecModel"
    return SpectraLayout(dims, shape, arrays, coords | set(per_spec), per_spec, slits, model)


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
