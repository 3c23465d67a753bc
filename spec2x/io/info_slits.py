"""``spec2x info`` of a slits file (``_cal`` of several slits, ``_s2d``) from its headers.

:func:`slits_layout` gives what :func:`spec2x.io.fits_slits.read_slits`
makes of a MultiSlitModel/SlitModel file (every slit's extensions padded
to the largest, ``slit`` first; the per-slit keywords as coords; the WCS of
each slit from the ASDF tree) from the headers and the untagged YAML of the
ASDF extension alone: no NumPy, astropy nor xarray.
:func:`spec2x.io.info_headers.describe_headers` adds the keywords and what
the ``spec2x`` node changes.  A file it does not describe exactly (slits of
different dtypes, padded groups read as a DataTree, an older WCS layout,
slit names that are not text) raises :class:`~spec2x.io.fits_cards.Decline`:
the reader then reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fits_cards import UNDEFINED, Decline
from .fits_keywords import EXPOSURE_SCI, SLIT_COORDS
from .fits_names import COORD_FLAG, VARNAMES, image_dtype_name

__all__ = ["SlitsLayout", "slits_layout"]


@dataclass
class SlitsLayout:
    """What the reader makes of a slits file: dims and sizes, variables (dims, shape,
    dtype, units), coords, the SCI keywords read as per-slit coords, the slit names
    (None without a ``slit_name`` coord) and the WCS (``none``, ``one``, ``per slit``)."""

    sizes: dict[str, int]
    arrays: dict[str, dict[str, Any]]
    coords: set[str]
    keywords: list[str]
    slits: list[str] | None
    wcs: str


def slits_layout(hdus: list[Any], tree: dict[str, Any], model: str) -> SlitsLayout:
    """The layout of a slits file from its scanned headers (``hdus``, as
    :mod:`spec2x.io.info_headers` scans them), its ASDF ``tree`` and its data model;
    raises :class:`~spec2x.io.fits_cards.Decline` for a file it does not describe exactly."""
    node = tree.get("spec2x") or {}
    if not isinstance(node, dict) or node.get("slit_groups"):
        raise Decline  # padded groups: the reader makes a DataTree of them
    images = [h for h in hdus if h.index and h.get("XTENSION") == "IMAGE"]
    scis = [h for h in images if h.name == "SCI"]
    vers = [int(h.get("EXTVER", 1)) for h in scis]
    ndim = int(scis[0].get("NAXIS", 0))
    if ndim not in (2, 3) or len(set(vers)) != len(vers):
        raise Decline  # the reader says what is wrong, or pairs them its own way
    shapes = [h.shape() for h in scis]
    full = [max(s[k] for s in shapes) for k in range(ndim)]
    core = ("y", "x") if ndim == 2 else ("integration", "y", "x")
    wanted = _slit_keywords(node, scis)
    arrays: dict[str, dict[str, Any]] = {}
    coords = {*wanted, "y", "x", *core[:-2]}
    extnames = [h.name for h in images if int(h.get("EXTVER", 1)) in vers]
    for ext in dict.fromkeys(extnames):
        by_ver = {int(h.get("EXTVER", 1)): h for h in images if h.name == ext}
        if not all(v in by_ver for v in vers):
            continue
        first = by_ver[vers[0]]
        naxis = int(first.get("NAXIS", 0))
        if naxis not in (ndim, ndim - 1) or naxis < 2:
            continue
        name = VARNAMES.get(ext, ext.lower())
        if ext == "WAVELENGTH" or bool(first.get(COORD_FLAG, False)):
            coords.add(name)
            continue
        dtypes = {_dtype(by_ver[v]) for v in vers}
        if len(dtypes) != 1:
            raise Decline  # the reader's stack promotes them
        arrays[name] = {"dims": ["slit", *core[ndim - naxis :]],
                        "shape": [len(vers), *full[ndim - naxis :]],
                        "dtype": dtypes.pop(), "units": first.get("BUNIT")}  # fmt: skip
    if "sci" not in arrays or next(iter(arrays)) != "sci":
        raise Decline
    names = _slit_names(node, scis, wanted.get("slit_name"))
    wcs, wcs_coord = _wcs(tree, node, model, len(vers), names is not None)
    if wcs_coord:
        coords.add("wcs")
    sizes = dict(zip(("slit", *core), (len(vers), *full), strict=True))
    return SlitsLayout(sizes, arrays, coords, list(wanted.values()), names, wcs)


def _dtype(hdu: Any) -> str:
    return image_dtype_name(hdu.get("BITPIX"), hdu.get("BZERO", 0), hdu.get("BSCALE", 1))


def _slit_keywords(node: dict[str, Any], scis: list[Any]) -> dict[str, str]:
    """Per-slit coord -> SCI keyword, as the reader chooses them (the node's list, else
    the slit keywords present, the exposure keywords that differ and BUNIT if it does)."""
    if node.get("slit_coords"):
        return {str(k): str(v) for k, v in dict(node["slit_coords"]).items()}
    wanted = {name: kw for kw, name in SLIT_COORDS.items() if any(kw in h.first for h in scis)}
    for kw in EXPOSURE_SCI:
        values = [h.get(kw) for h in scis]
        if any(v is UNDEFINED for v in values):
            raise Decline  # astropy's undefined value compares its own way
        if any(v != values[0] for v in values):
            wanted["spectral_order" if kw == "SPORDER" else kw.lower()] = kw
    if len({h.get("BUNIT") for h in scis}) > 1:
        wanted["bunit_data"] = "BUNIT"
    return wanted


def _slit_names(node: dict[str, Any], scis: list[Any], keyword: str | None) -> list[str] | None:
    """The ``slit_name`` values (the node's exact ones, else the keyword of each slit)."""
    kept = (node.get("coords") or {}).get("slit_name")
    if kept is not None:
        values = kept.get("data")
        if list(kept.get("dims") or ()) != ["slit"] or not isinstance(values, list):
            raise Decline
    elif keyword is None:
        return None
    else:
        values = [h.get(keyword, "") for h in scis]
    if not all(isinstance(v, str) for v in values):
        raise Decline  # the reader's array of them turns them to text its own way
    return values


def _wcs(
    tree: dict[str, Any], node: dict[str, Any], model: str, nslit: int, named: bool
) -> tuple[str, bool]:
    """The WCS :func:`spec2x.io.info.describe_dataset` says and whether a ``wcs`` coord is read."""
    stored = node.get("wcs")
    if node.get("wcs_text") is not None or isinstance(stored, dict):
        raise Decline  # older layouts (text, a WCS by slit name) or one WCS for every slit
    if stored is not None and not isinstance(stored, list):
        raise Decline
    if stored is None and model == "SlitModel":
        meta = tree.get("meta") or {}
        one = meta.get("wcs") if isinstance(meta, dict) else None
        if one is None:
            return "none", False
        if "wcs" in node:
            return "one", False  # the node says the WCS is the product's, not the slit's
        stored = [one]
    elif stored is None:
        items = list(tree.get("slits") or [])[:nslit]
        stored = [((item or {}).get("meta") or {}).get("wcs") for item in items]
        if all(w is None for w in stored):
            return "none", False
    if len(stored) != nslit:
        raise Decline  # the reader says what is wrong
    if all(w is None for w in stored):
        return "none", True
    return ("per slit" if named else "one"), True
