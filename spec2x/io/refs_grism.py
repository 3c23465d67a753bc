"""Readers of the reference files a grism WCS needs (NIRCam and NIRISS slitless).

All are ASDF files laid out as jwst's datamodels have them:

- ``specwcs`` (``NIRCAMGrismModel``, ``NIRISSGrismModel``): per spectral
  order, the dispersion polynomials ``displ`` (trace parameter t ->
  wavelength µm), ``dispx``, ``dispy`` (t -> pixel offset from the source
  along x, y; a list of (x0, y0) polynomials per power of t where the trace
  depends on the source position), their inverses ``invdispl``,
  ``invdispx``, ``invdispy`` where given, the ``orders`` list and, for
  NIRISS, ``fwcpos_ref`` (deg, the filter-wheel position the
  polynomials were measured at).  The NIRCam time-series (DHS) files nest
  one more level (per stripe) and carry ``stripes``;
- ``distortion`` (``DistortionModel``): ``model``, detector (x, y) pixels
  (0-based, full frame) -> V2, V3 arcsec, optionally with a bounding box;
- ``filteroffset`` (``FilteroffsetModel``): ``filters``, rows of
  ``filter``, ``pupil``, ``column_offset``, ``row_offset`` (pixels);
- ``wavelengthrange`` (``WavelengthrangeModel``, WFSS layout):
  ``wavelengthrange`` rows ``[order, filter, low, high]`` (µm) and
  ``extract_orders`` rows ``[filter, [orders]]``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputFileError, ReferenceMismatchError
from .references import Reference, reference_content, reference_tree, require_keys

__all__ = [
    "FilterOffset",
    "GrismSpecwcs",
    "ImagingDistortion",
    "WfssWavelengthRange",
    "grism_reference",
    "read_filteroffset",
    "read_grism_specwcs",
    "read_imaging_distortion",
    "read_wfss_wavelengthrange",
]

_DISPERSION_KEYS = ("displ", "dispx", "dispy")
_INVERSE_KEYS = ("invdispl", "invdispx", "invdispy")


@dataclass(frozen=True)
class GrismSpecwcs:
    """Content of a grism ``specwcs``: the dispersion polynomials, one entry per order.

    Attributes
    ----------
    orders : the spectral orders, in the order of the model lists.
    displ, dispx, dispy : t -> wavelength (µm), x offset, y offset (pixels).
    invdispl, invdispx, invdispy : wavelength -> t, x offset -> t, y offset
        -> t; None where the file has none (jwst then inverts numerically).
    fwcpos_ref : filter-wheel position of the calibration (deg, NIRISS), else None.
    stripes : the DHS stripe numbers (NIRCam time-series files), else empty.
    fieldpoints : with ``stripes``, the field point (``PPS_APER`` part) of each entry.
    """

    orders: tuple[int, ...]
    displ: list[Any]
    dispx: list[Any]
    dispy: list[Any]
    invdispl: list[Any] | None = None
    invdispx: list[Any] | None = None
    invdispy: list[Any] | None = None
    fwcpos_ref: float | None = None
    stripes: tuple[int, ...] = field(default=())
    fieldpoints: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ImagingDistortion:
    """Content of an imaging ``distortion``: pixel (x, y) -> V2, V3 arcsec.

    Attributes
    ----------
    model : the astropy model, with its inverse.
    bounding_box : ((x_low, x_high), (y_low, y_high)) pixels from the file, or None.
    """

    model: Any
    bounding_box: tuple[tuple[float, float], tuple[float, float]] | None


@dataclass(frozen=True)
class FilterOffset:
    """Content of a ``filteroffset``: (filter, pupil) -> (column, row) offset in pixels."""

    rows: tuple[Mapping[str, Any], ...]

    def offset(self, filter_name: str, pupil: str) -> tuple[float, float] | None:
        """The (column, row) offset of ``filter_name``/``pupil``; None where no row matches.

        A row matches when each of its ``filter``/``pupil`` values equals the
        exposure's (a row without ``pupil`` matches any pupil), as jwst's
        ``find_row``; a row whose offsets are ``N/A`` gives None.
        """
        wanted = {"filter": filter_name, "pupil": pupil}
        for row in self.rows:
            keys = [k for k in wanted if k in row]
            if all(str(row[k]).strip().upper() == str(wanted[k]).strip().upper() for k in keys):
                col, line = row.get("column_offset", "N/A"), row.get("row_offset", "N/A")
                if "N/A" in (col, line):
                    return None
                return float(col), float(line)
        return None


@dataclass(frozen=True)
class WfssWavelengthRange:
    """Content of a WFSS ``wavelengthrange``.

    Attributes
    ----------
    ranges : (order, filter) -> (low, high) µm.
    extract_orders : filter -> the orders extracted by default.
    """

    ranges: Mapping[tuple[int, str], tuple[float, float]]
    extract_orders: Mapping[str, tuple[int, ...]]

    def orders_for(self, filter_name: str) -> tuple[int, ...]:
        """The default orders of ``filter_name`` (its ``extract_orders`` row).

        Raises
        ------
        ReferenceMismatchError
            The file has no row for the filter.
        """
        if filter_name not in self.extract_orders:
            raise ReferenceMismatchError(
                f"wavelengthrange has no extract_orders for {filter_name!r} (it has "
                f"{', '.join(sorted(self.extract_orders))}); give the file for this filter"
            )
        return self.extract_orders[filter_name]

    def for_orders(
        self, filter_name: str, orders: tuple[int, ...]
    ) -> dict[int, tuple[float, float]]:
        """order -> (low, high) µm for ``filter_name`` (jwst's ``get_wfss_wavelength_range``).

        Raises
        ------
        ReferenceMismatchError
            An order has no range for the filter.
        """
        missing = [o for o in orders if (o, filter_name) not in self.ranges]
        if missing:
            raise ReferenceMismatchError(
                f"wavelengthrange has no range for order(s) {missing} of {filter_name!r}; "
                "give the file for this filter or other extract_orders"
            )
        return {o: self.ranges[(o, filter_name)] for o in orders}


def _instances(models: Any) -> list[Any]:
    """The file's model lists as plain lists (asdf ListNodes and nested lists)."""
    if isinstance(models, list | tuple):
        return [_instances(m) for m in models]
    return getattr(models, "instance", models)


def read_grism_specwcs(path: str, header: dict[str, Any]) -> Reference:
    """Open a grism ``specwcs`` (NIRCam or NIRISS) as :class:`GrismSpecwcs`.

    A ``specwcs`` of another layout (the NIRISS SOSS traces) opens as its tree.
    """
    tree = reference_tree(path)
    if "displ" not in tree:
        return Reference("specwcs", path, header, tree)
    require_keys(tree, path, ("orders", *_DISPERSION_KEYS), "grism specwcs")
    orders = tuple(int(o) for o in tree["orders"])
    lists = [_instances(tree[k]) for k in _DISPERSION_KEYS]
    inverse = [_instances(tree[k]) if tree.get(k) is not None else None for k in _INVERSE_KEYS]
    stripes = tuple(int(s) for s in tree.get("stripes") or ())
    # A DHS file has one list per stripe, each with one entry per order.
    per_order = [m for models in lists for m in (models if stripes else [models])]
    if (stripes and any(len(m) != len(stripes) for m in lists)) or any(
        len(m) != len(orders) for m in per_order
    ):
        raise ReferenceMismatchError(
            f"{path}: displ, dispx, dispy do not have one entry per order {orders}"
            + (f" of each of the {len(stripes)} stripes" if stripes else "")
        )
    fwcpos = tree.get("fwcpos_ref")
    content = GrismSpecwcs(
        orders,
        displ=lists[0],
        dispx=lists[1],
        dispy=lists[2],
        invdispl=inverse[0],
        invdispx=inverse[1],
        invdispy=inverse[2],
        fwcpos_ref=None if fwcpos is None else float(fwcpos),
        stripes=stripes,
        fieldpoints=tuple(str(f) for f in tree.get("fieldpoints") or ()),
    )
    return Reference("specwcs", path, header, content)


def read_imaging_distortion(path: str, header: dict[str, Any]) -> Reference:
    """Open an imaging ``distortion`` (NIRCam, NIRISS) as :class:`ImagingDistortion`."""
    tree = reference_tree(path)
    require_keys(tree, path, ("model",), "distortion reference")
    model = tree["model"]
    try:
        box = model.bounding_box.bounding_box(order="F")
        bbox = tuple(tuple(float(v) for v in b) for b in box)
    except NotImplementedError:
        bbox = None
    return Reference("distortion", path, header, ImagingDistortion(model, bbox))  # type: ignore[arg-type]


def read_filteroffset(path: str, header: dict[str, Any]) -> Reference:
    """Open a ``filteroffset`` as :class:`FilterOffset`."""
    tree = reference_tree(path)
    require_keys(tree, path, ("filters",), "filteroffset reference")
    rows = tuple(dict(r) for r in tree["filters"])
    return Reference("filteroffset", path, header, FilterOffset(rows))


def read_wfss_wavelengthrange(path: str, header: dict[str, Any]) -> Reference:
    """Open a WFSS ``wavelengthrange`` as :class:`WfssWavelengthRange` (another layout: its tree)."""
    tree = reference_tree(path)
    time_series = any(len(row) == 5 for row in tree.get("wavelengthrange", ()))
    if "extract_orders" not in tree or time_series:  # another layout (NRC_TSGRISM: 5 columns)
        return Reference("wavelengthrange", path, header, tree)
    require_keys(tree, path, ("wavelengthrange",), "WFSS wavelengthrange")
    try:
        ranges = {
            (int(row[0]), str(row[1])): (float(row[2]), float(row[3]))
            for row in tree["wavelengthrange"]
        }
        orders = {str(f): tuple(int(o) for o in os_) for f, os_ in tree["extract_orders"]}
    except (TypeError, ValueError, IndexError) as exc:
        raise ReferenceMismatchError(
            f"{path}: wavelengthrange rows are not [order, filter, low, high] with "
            f"extract_orders rows [filter, [orders]] ({exc})"
        ) from None
    return Reference("wavelengthrange", path, header, WfssWavelengthRange(ranges, orders))


def grism_reference(
    ref: Reference | str | os.PathLike[str],
    reftype: str,
    kind: type,
    attrs: Mapping[str, Any] | None = None,
    keys: tuple[str, ...] = ("INSTRUME",),
) -> Any:
    """The content of a grism-WCS reference of layout ``kind`` (:class:`GrismSpecwcs` ...),
    its selectors ``keys`` fitting ``attrs``; see :func:`~spec2x.io.references.reference_content`."""
    return reference_content(ref, reftype, kind, f"grism {reftype} ({kind.__name__})", attrs, keys)


def keyword(attrs: Mapping[str, Any], key: str, what: str) -> Any:
    """``attrs[key]``, or one clear error naming the file and the keyword.

    Raises
    ------
    InputFileError
        The keyword is missing.
    """
    value = attrs.get(key)
    if value is None or str(value).strip() == "":
        raise InputFileError(
            f"{attrs.get('FILENAME', 'the exposure')} lacks the {key} keyword, which {what} "
            "needs; add it to the SCI header"
        )
    return value
