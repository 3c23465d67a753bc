"""Synthetic NIRSpec MOS planning: an MSA metadata file (``MSAMETFL``) of a few dozen slitlets.

:func:`mos_layout` draws (seeded) slitlets of three shutters on the synthetic
MSA (:func:`spec2x.synthetic.nirspec_refs.write_msa`): sources at random
positions within their shutter, background-only slitlets, and a few slitlets
in quadrant 1, whose PRISM spectra fall on NRS2 only (NRS1 drops them).  The
centre shutters of slitlets in one quadrant are 5 columns apart, so their
spectra never overlap.  :func:`write_msa_metadata` writes the layout in the
format of the planning tools, the one jwst reads: ``SHUTTER_INFO`` with a row
per open shutter and dither point (a 3-point nod: the source sits in the
centre, upper and lower shutter at points 1, 2, 3), ``SOURCE_INFO``, and
optionally a fixed slit holding a source of its own (``fixed_slit`` column).
:func:`write_msaoper` writes an ``msaoper`` reference (the JSON jwst's
msaflagopen reads) with failed-open shutters between the slitlets.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

__all__ = [
    "FAILED_OPEN",
    "NOD_OFFSETS",
    "MosLayout",
    "mos_layout",
    "write_msa_metadata",
    "write_msaoper",
]

#: Column offset of the source's shutter from the slitlet centre at dither points 1, 2, 3.
NOD_OFFSETS = (0, 1, -1)


@dataclass(frozen=True)
class MosLayout:
    """Slitlets of a synthetic MSA configuration (one entry per slitlet).

    Attributes
    ----------
    slitlet_id, quadrant, row, column : the slitlet and its centre shutter
        (row 1..365 along the dispersion, column 1..171 along the slit).
    source_id : 0 for background-only slitlets.
    source_x, source_y : the source's position in its shutter (0..1, PPS
        convention: from the shutter's upper right corner).
    stellarity : 0 (extended) .. 1 (point).
    ra, dec : the source's sky position (deg).
    """

    slitlet_id: np.ndarray
    quadrant: np.ndarray
    row: np.ndarray
    column: np.ndarray
    source_id: np.ndarray
    source_x: np.ndarray
    source_y: np.ndarray
    stellarity: np.ndarray
    ra: np.ndarray
    dec: np.ndarray


def mos_layout(
    n_slitlets: int = 30, *, n_background: int = 4, n_off_detector: int = 2, seed: int = 1
) -> MosLayout:
    """Draw ``n_slitlets`` slitlets: ``n_background`` without a source, ``n_off_detector``
    in quadrant 1 (on NRS2 with the PRISM), the rest in quadrants 3 and 4 (NRS1).

    Up to 34 slitlets per quadrant take distinct columns (their spectra do not
    overlap); more fill the columns again in further bands of rows, each band
    shifting the spectra along the dispersion (hundreds of slitlets: spectra
    of different bands may overlap).
    """
    rng = np.random.default_rng(seed)
    n_nrs1 = n_slitlets - n_off_detector
    columns = np.arange(3, 170, 5)
    if not 0 <= n_off_detector <= n_slitlets or not 0 <= n_background <= n_nrs1:
        raise ValueError(f"cannot lay out {n_slitlets} slitlets with {n_off_detector} off NRS1")
    quadrant = np.r_[np.where(np.arange(n_nrs1) % 2 == 0, 3, 4), np.full(n_off_detector, 1)]
    n_pass = max(1, -(-max(np.bincount(quadrant, minlength=5)) // columns.size))
    column = np.zeros(n_slitlets, np.int64)
    band = np.zeros(n_slitlets, np.int64)
    for q in (3, 4, 1):
        idx = np.flatnonzero(quadrant == q)
        column[idx] = np.concatenate([rng.permutation(columns) for _ in range(n_pass)])[: idx.size]
        band[idx] = np.arange(idx.size) // columns.size
    # rows: NRS1 slitlets in their band of the quadrant, quadrant 1 ones near its start (NRS2)
    width = 326 // n_pass
    row = np.r_[rng.integers(20, 346, n_nrs1), rng.integers(10, 60, n_off_detector)]
    row[:n_nrs1] = 20 + band[:n_nrs1] * width + (row[:n_nrs1] - 20) % width
    is_source = np.ones(n_slitlets, bool)
    is_source[rng.choice(n_nrs1, n_background, replace=False)] = False
    source_id = np.where(is_source, np.cumsum(is_source), 0)
    return MosLayout(
        slitlet_id=np.arange(1, n_slitlets + 1) + 100,
        quadrant=quadrant,
        row=row,
        column=column,
        source_id=source_id,
        source_x=np.where(is_source, rng.uniform(0.25, 0.75, n_slitlets), np.nan),
        source_y=np.where(is_source, rng.uniform(0.25, 0.75, n_slitlets), np.nan),
        stellarity=np.where(is_source, rng.uniform(0, 1, n_slitlets).round(2), 0.0),
        ra=53.1 + rng.uniform(-0.02, 0.02, n_slitlets),
        dec=-27.8 + rng.uniform(-0.02, 0.02, n_slitlets),
    )


def _shutter_rows(layout: MosLayout, metadata_id: int, n_dither: int) -> dict[str, np.ndarray]:
    """SHUTTER_INFO columns: three shutters per slitlet and dither point."""
    n = layout.slitlet_id.size
    slit = np.tile(np.repeat(np.arange(n), 3), n_dither)
    offset = np.tile(np.array([-1, 0, 1]), n * n_dither)
    point = np.repeat(np.arange(1, n_dither + 1), 3 * n)
    nod = np.asarray(NOD_OFFSETS)[(point - 1) % len(NOD_OFFSETS)]
    has_source = layout.source_id[slit] > 0
    holds = has_source & (offset == nod)
    return {
        "slitlet_id": layout.slitlet_id[slit],
        "msa_metadata_id": np.full(slit.size, metadata_id),
        "shutter_quadrant": layout.quadrant[slit],
        "shutter_row": layout.row[slit],
        "shutter_column": layout.column[slit] + offset,
        "source_id": layout.source_id[slit],
        "background": np.where(holds, "N", "Y"),
        "shutter_state": np.full(slit.size, "OPEN"),
        "estimated_source_in_shutter_x": np.where(holds, layout.source_x[slit], np.nan),
        "estimated_source_in_shutter_y": np.where(holds, layout.source_y[slit], np.nan),
        "dither_point_index": point,
        "primary_source": np.where(holds, "Y", "N"),
        "fixed_slit": np.full(slit.size, "NONE"),
    }


_FORMATS = {
    "background": "1A",
    "shutter_state": "6A",
    "primary_source": "1A",
    "fixed_slit": "7A",
    "estimated_source_in_shutter_x": "E",
    "estimated_source_in_shutter_y": "E",
}


def write_msa_metadata(
    path: str | os.PathLike[str],
    layout: MosLayout,
    *,
    metadata_id: int = 1,
    n_dither: int = 3,
    program: int = 1234,
    fixed_slit: str | None = "S200A1",
) -> Path:
    """Write ``layout`` as an MSA metadata file.

    ``fixed_slit``: a fixed slit that also holds a source (slitlet id 1, its
    own source in SOURCE_INFO), at every dither point; None for none.
    """
    rows = _shutter_rows(layout, metadata_id, n_dither)
    n_source = int(layout.source_id.max())
    if fixed_slit is not None:
        extra = {
            "slitlet_id": 1, "msa_metadata_id": metadata_id, "shutter_quadrant": 0,
            "shutter_row": 0, "shutter_column": 0, "source_id": n_source + 1,
            "background": "N", "shutter_state": "OPEN", "estimated_source_in_shutter_x": 0.45,
            "estimated_source_in_shutter_y": 0.55, "primary_source": "Y",
            "fixed_slit": fixed_slit,
        }  # fmt: skip
        points = np.arange(1, n_dither + 1)
        for key, column in rows.items():
            new = points if key == "dither_point_index" else np.full(n_dither, extra[key])
            rows[key] = np.concatenate([column, new])
    shutter = fits.BinTableHDU.from_columns(
        [fits.Column(k, _FORMATS.get(k, "I"), array=v) for k, v in rows.items()],
        name="SHUTTER_INFO",
    )
    has = layout.source_id > 0
    ids = np.r_[layout.source_id[has], [n_source + 1] if fixed_slit else []].astype(int)
    ra = np.r_[layout.ra[has], [53.1] if fixed_slit else []]
    dec = np.r_[layout.dec[has], [-27.8] if fixed_slit else []]
    stellarity = np.r_[layout.stellarity[has], [1.0] if fixed_slit else []]
    names = np.char.add(f"{program}_", ids.astype(str))
    source = fits.BinTableHDU.from_columns(
        [
            fits.Column("program", "J", array=np.full(ids.size, program)),
            fits.Column("source_id", "J", array=ids),
            fits.Column("source_name", "20A", array=names),
            fits.Column("alias", "31A", array=ids.astype(str)),
            fits.Column("catalog_id", "20A", array=ids.astype(str)),
            fits.Column("ra", "E", array=ra),
            fits.Column("dec", "E", array=dec),
            fits.Column("preimage_id", "30A", array=np.full(ids.size, "None")),
            fits.Column("stellarity", "D", array=stellarity),
        ],
        name="SOURCE_INFO",
    )
    primary = fits.PrimaryHDU()
    primary.header.update(TELESCOP="JWST", INSTRUME="NIRSPEC", PROGRAM=f"{program:05d}")
    path = Path(path)
    fits.HDUList([primary, shutter, source]).writeto(path, overwrite=True)
    return path


#: (quadrant, x = row along the dispersion, y = column along the slit) of the failed-open
#: shutters of :func:`write_msaoper`: two whose PRISM spectra land on NRS1 between
#: slitlets (columns 5, 6 mod 5 are never in a :func:`mos_layout` slitlet), one on NRS2.
FAILED_OPEN = ((3, 200, 6), (4, 120, 61), (1, 30, 86))


def write_msaoper(
    path: str | os.PathLike[str],
    failed_open: tuple[tuple[int, int, int], ...] = FAILED_OPEN,
) -> Path:
    """Write an ``msaoper`` reference: ``failed_open`` shutters plus some other bad ones.

    Each failed-open shutter is open in one of the states jwst checks
    (``state``, ``Internal state``, ``TA state``, in turn); a failed-closed
    and a vignetted shutter are listed too (not flagged).
    """
    states = ("state", "Internal state", "TA state")
    entries = []
    for k, (q, x, y) in enumerate(failed_open):
        entry = {"Q": q, "x": x, "y": y, "state": "closed", "Internal state": "normal",
                 "TA state": "closed", "Vignetted": "no"}  # fmt: skip
        entry[states[k % 3]] = "open"
        entries.append(entry)
    entries.append({"Q": 3, "x": 100, "y": 16, "state": "closed", "Internal state": "closed",
                    "TA state": "closed", "Vignetted": "no"})  # fmt: skip
    entries.append({"Q": 4, "x": 300, "y": 1, "state": "closed", "Internal state": "normal",
                    "TA state": "closed", "Vignetted": "yes"})  # fmt: skip
    tree = {
        "title": "Synthetic NIRSpec MSA shutter operability (spec2x)",
        "reftype": "MSAOPER",
        "pedigree": "DUMMY",
        "author": "spec2x.synthetic",
        "instrument": "NIRSPEC",
        "telescope": "JWST",
        "exp_type": "NRS_MSASPEC|NRS_IFU|NRS_AUTOFLAT|NRS_AUTOWAVE|NRS_LAMP",
        "useafter": "2015-11-01T00:00:00",
        "description": "failed-open shutters for the spec2x tests",
        "msaoper": entries,
    }
    path = Path(path)
    path.write_text(json.dumps(tree, indent=1))
    return path
