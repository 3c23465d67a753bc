"""The NIRSpec MSA metadata file (``MSAMETFL``): which slitlets an MOS exposure holds.

The planning tools write one FITS file per MSA configuration: ``SHUTTER_INFO``
(one row per open shutter and dither point: ``slitlet_id``,
``msa_metadata_id``, quadrant, row, column, ``source_id``, ``background``,
``primary_source``, the source position within the shutter, and, in newer
files, ``fixed_slit``) and ``SOURCE_INFO`` (one row per source: name, alias,
RA/Dec, stellarity).  :func:`read_msa_metadata` selects the rows of an
exposure (``MSAMETID`` and the dither point ``PATT_NUM``), groups them into
slitlets and describes each slitlet as jwst 3.0.0 does
(``jwst.assign_wcs.nirspec.get_open_msa_slits``), array-wise: the result is
an :class:`xarray.Dataset` with a ``slitlet`` dim (one entry per slitlet, in
the order of first appearance in the file) and a ``shutter`` dim (the
selected rows, each pointing at its slitlet).

Rules (jwst's): a slitlet with no primary shutter is background only (source
id = slitlet id, source at the shutter centre, its centre the middle
shutter); one primary shutter carries the source (its position from the first
non-background row, name and stellarity from ``SOURCE_INFO``, a virtual
``VRT`` name when the source is not listed); two primary shutters are an
error.  A ``fixed_slit`` row (S200A1 ...) is a fixed-slit aperture in MSA
quadrant 5, kept when it holds the primary source.  The slit limits
(``ymin``, ``ymax``) cover the open shutters plus half a shutter of margin,
with 1.15 shutter heights per shutter pitch.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from astropy.io import fits

from ...errors import InputFileError

__all__ = [
    "MSA_NX",
    "MSA_SLIT_SCALES",
    "SHUTTER_COLUMNS",
    "SOURCE_COLUMNS",
    "read_msa_metadata",
]

log = logging.getLogger(__name__)

#: Shutters along a quadrant row: shutter id = row + (column - 1) * 365.
MSA_NX = 365
#: Default (pitch / open size) of a shutter in x and y, where the msa reference gives none.
MSA_SLIT_SCALES = (1.35, 1.15)
#: Columns the SHUTTER_INFO table must have (``fixed_slit`` is optional, as in older files).
SHUTTER_COLUMNS = (
    "slitlet_id",
    "msa_metadata_id",
    "shutter_quadrant",
    "shutter_row",
    "shutter_column",
    "source_id",
    "background",
    "shutter_state",
    "estimated_source_in_shutter_x",
    "estimated_source_in_shutter_y",
    "dither_point_index",
    "primary_source",
)
#: Columns the SOURCE_INFO table must have.
SOURCE_COLUMNS = ("source_id", "source_name", "alias", "ra", "dec", "stellarity")
_FIXED_SLITS = ("S200A1", "S200A2", "S400A1", "S1600A1", "S200B1")
_MARGIN = 0.5
_DAMAGED = re.compile("truncated|corrupted|not a multiple", re.IGNORECASE)
_PITCH_Y = 1.15


def _table(hdul: fits.HDUList, extname: str, columns: tuple[str, ...], path: str) -> Any:
    if extname not in hdul:
        present = ", ".join(h.name for h in hdul[1:]) or "none"
        raise InputFileError(
            f"MSA metadata file {path} has no {extname} table (extensions: {present}); "
            "is it the exposure's MSAMETFL file?"
        )
    hdu = hdul[extname]
    names: list[str] = [] if hdu.columns is None else [n.lower() for n in hdu.columns.names]
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputFileError(
            f"MSA metadata file {path}: table {extname} lacks column(s) {', '.join(missing)}"
        )
    try:
        data = hdu.data
        return {c: np.asarray(data[c]) for c in (*columns, *(set(names) - set(columns)))}
    except (OSError, ValueError, TypeError, IndexError) as exc:
        raise InputFileError(
            f"MSA metadata file {path}: table {extname} cannot be read ({exc}); "
            "the file may be truncated"
        ) from exc


def _read_tables(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if not os.path.isfile(path):
        raise InputFileError(
            f"MSA metadata file {path} (keyword MSAMETFL) does not exist; put it beside "
            "the exposure or give its path"
        )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with fits.open(path, memmap=False) as hdul:
                hdul.readall()
                damaged = [str(w.message) for w in caught if _DAMAGED.search(str(w.message))]
                if damaged:
                    raise InputFileError(
                        f"MSA metadata file {path} is truncated or damaged "
                        f"({damaged[0].splitlines()[0]}); fetch it again"
                    )
                return (
                    _table(hdul, "SHUTTER_INFO", SHUTTER_COLUMNS, path),
                    _table(hdul, "SOURCE_INFO", SOURCE_COLUMNS, path),
                )
    except (OSError, ValueError, TypeError) as exc:
        raise InputFileError(f"cannot read MSA metadata file {path} as FITS: {exc}") from exc


def _text(values: Any) -> np.ndarray:
    return np.char.strip(np.asarray(values).astype(str))


def _select_rows(
    shutters: Mapping[str, Any], metadata_id: int, dither_point: int, path: str
) -> np.ndarray:
    """Indices of the rows of the exposure (``MSAMETID`` and dither point)."""
    ids = np.asarray(shutters["msa_metadata_id"]).astype(np.int64)
    points = np.asarray(shutters["dither_point_index"]).astype(np.int64)
    if not np.any(ids == metadata_id):
        known = ", ".join(str(v) for v in np.unique(ids)) or "none"
        raise InputFileError(
            f"MSA metadata file {path} has no shutters for MSAMETID={metadata_id} "
            f"(it holds msa_metadata_id {known}); is it the file of this exposure?"
        )
    rows = np.flatnonzero((ids == metadata_id) & (points == dither_point))
    if rows.size == 0:
        known = ", ".join(str(v) for v in np.unique(points[ids == metadata_id]))
        raise InputFileError(
            f"MSA metadata file {path} has no shutters for MSAMETID={metadata_id} at dither "
            f"point PATT_NUM={dither_point} (dither points: {known})"
        )
    return rows


def _group(rows: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(slitlet of each row, first row of each slitlet, fixed-slit number of each row).

    Rows group by ``slitlet_id``, fixed-slit rows by slit name; slitlets are
    numbered in the order they first appear.
    """
    fs_name = rows["fixed_slit"]
    fs_number = np.zeros(fs_name.shape, np.int64)
    for i, name in enumerate(_FIXED_SLITS):
        fs_number[fs_name == name] = i + 1
    key = np.where(fs_number > 0, -fs_number, rows["slitlet_id"])
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inverse.ravel()], first[order], fs_number


def _per_slitlet_first(group: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Index of the first row with ``mask`` in each slitlet (-1 where none)."""
    first = np.full(n, group.size, np.int64)
    np.minimum.at(first, group[mask], np.flatnonzero(mask))
    return np.where(first == group.size, -1, first)


def _shutter_state(
    group: np.ndarray, column: np.ndarray, jmin: np.ndarray, ycen: np.ndarray
) -> Any:
    """jwst's shutter string per slitlet: 1 open, 0 closed, x the centre, from jmin up."""
    n = jmin.size
    jmax = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(jmax, group, column)
    width = jmax - jmin + 1
    chars = np.full((n, int(width.max())), "", dtype="<U1")
    cols = np.arange(chars.shape[1])
    chars[cols[None, :] < width[:, None]] = "0"
    chars[group, column - jmin[group]] = "1"
    inside = (ycen >= jmin) & (ycen <= jmax)
    chars[np.flatnonzero(inside), (ycen - jmin)[inside]] = "x"
    return chars.view(f"<U{chars.shape[1]}").ravel()


def _source_info(
    sources: Mapping[str, Any], source_id: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(found?, columns) of the first SOURCE_INFO row of each ``source_id``."""
    ids = np.asarray(sources["source_id"]).astype(np.int64)
    unique, first = np.unique(ids, return_index=True)
    pos = np.clip(np.searchsorted(unique, source_id), 0, max(unique.size - 1, 0))
    found = unique.size > 0 and unique[pos] == source_id
    found = np.asarray(found, bool) & np.ones(source_id.shape, bool)
    row = first[pos] if unique.size else np.zeros(source_id.shape, np.int64)

    def column(name: str, kind: Any) -> np.ndarray:
        values = np.asarray(sources[name])
        return values[row].astype(kind) if values.size else np.zeros(source_id.shape, kind)

    return found, {
        "source_name": np.char.strip(column("source_name", str)),
        "source_alias": np.char.strip(column("alias", str)),
        "stellarity": column("stellarity", float),
        "source_ra": column("ra", float),
        "source_dec": column("dec", float),
    }


def _rows(shutters: Mapping[str, Any], index: np.ndarray) -> dict[str, np.ndarray]:
    """The selected SHUTTER_INFO rows, typed (ints, booleans, upper-case slit names)."""
    rows = {k: np.asarray(v)[index] for k, v in shutters.items()}
    for name in ("slitlet_id", "shutter_quadrant", "shutter_row", "shutter_column", "source_id"):
        rows[name] = rows[name].astype(np.int64)
    rows["background"] = np.char.upper(_text(rows["background"])) == "Y"
    rows["primary_source"] = np.char.upper(_text(rows["primary_source"])) == "Y"
    fixed = rows.get("fixed_slit")
    rows["fixed_slit"] = (
        np.full(index.size, "NONE") if fixed is None else np.char.upper(_text(fixed))
    )
    return rows


def _check_slitlets(
    rows: Mapping[str, np.ndarray], group: np.ndarray, fs_number: np.ndarray, path: str, where: str
) -> tuple[np.ndarray, np.ndarray]:
    """(primary shutters, fixed-slit rows) per slitlet; raise on what jwst refuses."""
    n = int(group.max()) + 1
    counts = np.bincount(group, minlength=n)
    n_main = np.bincount(group, weights=rows["primary_source"], minlength=n).astype(int)
    n_fs = np.bincount(group, weights=fs_number > 0, minlength=n).astype(int)
    first = _per_slitlet_first(group, np.ones(group.size, bool), n)
    ids = np.where(fs_number[first] > 0, rows["fixed_slit"][first], rows["slitlet_id"][first])
    bad_fs = (n_fs > 0) & ((n_fs < counts) | (counts > 1))
    if bad_fs.any():
        raise InputFileError(
            f"MSA metadata file {path} ({where}): slitlet {ids[bad_fs][0]} mixes fixed-slit "
            "and MSA shutters or repeats a fixed slit, an unsupported fixed slit configuration"
        )
    if (n_main > 1).any():
        raise InputFileError(
            f"MSA metadata file {path} ({where}): slitlet {ids[n_main > 1][0]} has more than "
            "one shutter with primary_source = Y"
        )
    no_source = (n_main == 1) & (n_fs == 0)
    no_source &= _per_slitlet_first(group, ~rows["background"], n) < 0
    if no_source.any():
        raise InputFileError(
            f"MSA metadata file {path} ({where}): slitlet {ids[no_source][0]} has a primary "
            "shutter but every shutter is marked background"
        )
    return n_main, n_fs > 0


def _scales(quadrant: np.ndarray, slit_scales: Mapping[int, tuple[float, float]] | None) -> Any:
    table = np.array([MSA_SLIT_SCALES] * 6, float)
    for q, value in (slit_scales or {}).items():
        if 1 <= int(q) <= 5:
            table[int(q)] = value
    return table[quadrant, 0], table[quadrant, 1]


def _geometry(
    rows: Mapping[str, np.ndarray],
    group: np.ndarray,
    first: np.ndarray,
    background_only: np.ndarray,
    fixed: np.ndarray,
) -> dict[str, np.ndarray]:
    """Centre shutter (row, column), quadrant and source row of each slitlet."""
    n = first.size
    column = rows["shutter_column"]
    jmin = np.full(n, np.iinfo(np.int64).max)
    jmax = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(jmin, group, column)
    np.maximum.at(jmax, group, column)
    src = _per_slitlet_first(group, ~rows["background"], n)
    src = np.where(background_only | fixed, first, src)
    ycen = np.where(background_only, jmin + (jmax - jmin) // 2, column[src])
    ycen = np.where(fixed, 0, ycen)
    xcen = np.where(fixed, 0, rows["shutter_row"][src])
    quadrant = np.where(fixed, 5, rows["shutter_quadrant"][src])
    return {
        "jmin": jmin,
        "jmax": jmax,
        "src": src,
        "xcen": xcen,
        "ycen": ycen,
        "quadrant": quadrant,
    }


def _sources(
    sources: Mapping[str, Any],
    rows: Mapping[str, np.ndarray],
    src: np.ndarray,
    background_only: np.ndarray,
    slitlet_id: np.ndarray,
    names: np.ndarray,
    program: str,
) -> dict[str, np.ndarray]:
    """Source id, name, alias, stellarity, RA/Dec and position in the shutter per slitlet."""
    source_id = np.where(background_only, slitlet_id, rows["source_id"][src])
    found, info = _source_info(sources, source_id)
    known = found & ~background_only
    for missing in names[~found & ~background_only]:
        log.warning(
            "MSA metadata: no SOURCE_INFO row for the source of slitlet %s; "
            "assigning virtual source name %s_VRT%s",
            missing,
            program,
            missing,
        )
    label = np.where(background_only, "BKG", "VRT")
    alias = np.char.add(label, names)
    out = {
        "source_id": source_id,
        "source_name": np.where(known, info["source_name"], np.char.add(f"{program}_", alias)),
        "source_alias": np.where(known, info["source_alias"], alias),
    }
    for name in ("stellarity", "source_ra", "source_dec"):
        out[name] = np.where(known, info[name], 0.0)
    for axis in ("x", "y"):
        pos = np.nan_to_num(rows[f"estimated_source_in_shutter_{axis}"][src].astype(float), nan=0.5)
        out[f"source_{axis}pos"] = np.where(background_only, 0.5, pos) - 0.5
    return out


def read_msa_metadata(
    path: str | os.PathLike[str],
    metadata_id: int,
    dither_point: int,
    *,
    program: str = "",
    slit_y_range: tuple[float, float] = (-0.55, 0.55),
    slit_scales: Mapping[int, tuple[float, float]] | None = None,
) -> xr.Dataset:
    """The slitlets of one exposure, from its MSA metadata file.

    Parameters
    ----------
    path : the MSA metadata file (``MSAMETFL``).
    metadata_id : the exposure's ``MSAMETID``.
    dither_point : the exposure's dither point (``PATT_NUM``, 1-based).
    program : program number without leading zeros (names of virtual and
        background sources, ``<program>_BKG<slitlet>``).
    slit_y_range : the extent of one shutter in slit units (centre 0).
    slit_scales : quadrant -> (pitch / open size along x, along y) from the
        msa reference; :data:`MSA_SLIT_SCALES` where absent.

    Returns
    -------
    Dataset with dim ``slitlet``: ``name`` (slitlet id as text, or the fixed
    slit name), ``slit_id`` (slitlet id; -101...-105 for fixed slits),
    ``shutter_id`` (1-based in the quadrant; fixed slits 0...4), ``quadrant``
    (5 for fixed slits), ``xcen``/``ycen`` (centre shutter row/column),
    ``ymin``/``ymax`` (slit units), ``source_id``, ``source_name``,
    ``source_alias``, ``stellarity``, ``source_ra``/``source_dec`` (deg),
    ``source_xpos``/``source_ypos`` (in the shutter, centre 0, -0.5..0.5),
    ``shutter_state`` (jwst's ``"11x1"`` text), ``slit_xscale``/``slit_yscale``,
    ``background_only``, ``fixed_slit``, ``dither_position``; and dim
    ``shutter`` (the file's rows of this exposure): ``shutter_slitlet``
    (index on ``slitlet``), ``shutter_quadrant``, ``shutter_row``,
    ``shutter_column``, ``shutter_background``, ``shutter_primary``.

    Raises
    ------
    InputFileError
        The file is missing, unreadable, lacks a table or column, holds no row
        for ``metadata_id`` and ``dither_point``, or describes a slitlet jwst
        refuses (two primary shutters, a mixed fixed-slit slitlet).
    """
    path = os.fspath(path)
    shutters, sources = _read_tables(path)
    rows = _rows(shutters, _select_rows(shutters, int(metadata_id), int(dither_point), path))
    group, first, fs_number = _group(rows)
    where = f"MSAMETID={metadata_id}, PATT_NUM={dither_point}"
    n_main, fixed = _check_slitlets(rows, group, fs_number, path, where)
    background_only = (n_main == 0) & ~fixed
    geo = _geometry(rows, group, first, background_only, fixed)
    slitlet_id = rows["slitlet_id"][first]
    names = np.where(fixed, rows["fixed_slit"][first], slitlet_id.astype(str))
    src = _sources(sources, rows, geo["src"], background_only, slitlet_id, names, program)
    ylow, yhigh = slit_y_range
    ycen = geo["ycen"]
    xscale, yscale = _scales(geo["quadrant"], slit_scales)
    slitlets = {
        "name": names,
        "slit_id": np.where(fixed, -100 - fs_number[first], slitlet_id),
        "shutter_id": np.where(fixed, fs_number[first] - 1, geo["xcen"] + (ycen - 1) * MSA_NX),
        "dither_position": np.full(first.size, int(dither_point)),
        "xcen": geo["xcen"],
        "ycen": ycen,
        "ymin": np.where(fixed, ylow, ylow - _MARGIN + (geo["jmin"] - ycen) * _PITCH_Y),
        "ymax": np.where(fixed, yhigh, yhigh + _MARGIN + (geo["jmax"] - ycen) * _PITCH_Y),
        "quadrant": geo["quadrant"],
        **src,
        "shutter_state": _shutter_state(group, rows["shutter_column"], geo["jmin"], ycen),
        "slit_xscale": xscale,
        "slit_yscale": yscale,
        "background_only": background_only,
        "fixed_slit": fixed,
    }
    keep = ~fixed | (n_main == 1)
    for name in names[~keep]:
        log.warning("MSA metadata: fixed slit %s holds no primary source; skipped", name)
    return _dataset(slitlets, rows, group, keep, path, where)


def _dataset(
    slitlets: Mapping[str, np.ndarray],
    rows: Mapping[str, np.ndarray],
    group: np.ndarray,
    keep: np.ndarray,
    path: str,
    where: str,
) -> xr.Dataset:
    new_index = np.cumsum(keep) - 1
    kept_rows = keep[group]
    shutter = {
        "shutter_slitlet": new_index[group],
        "shutter_quadrant": rows["shutter_quadrant"],
        "shutter_row": rows["shutter_row"],
        "shutter_column": rows["shutter_column"],
        "shutter_background": rows["background"],
        "shutter_primary": rows["primary_source"],
    }
    out = xr.Dataset(
        {k: ("slitlet", np.asarray(v)[keep]) for k, v in slitlets.items()}
        | {k: ("shutter", v[kept_rows]) for k, v in shutter.items()},
        attrs={"MSAMETFL": os.path.basename(path), "MSA_WHERE": where},
    )
    log.info(
        "MSA metadata %s (%s): %d slitlets, %d shutters",
        os.path.basename(path),
        where,
        out.sizes["slitlet"],
        out.sizes["shutter"],
    )
    return out
