"""WCS of NIRSpec MOS exposures (NRS_MSASPEC): one gwcs per open slitlet.

The slitlets come from the MSA metadata file (:mod:`.msa_meta`, keyword
``MSAMETFL``, rows of ``MSAMETID`` at dither point ``PATT_NUM``).  A slitlet
is placed on the MSA plane by its centre shutter in the ``msa`` reference
(quadrant table row ``shutter_id - 1``: centre and open size, then the
quadrant model); from there on it is the fixed-slit optical chain of
:mod:`.slits` (collimator, disperser, camera, FPA), so a fixed slit that the
MOS exposure carries (quadrant 5) takes exactly the fixed-slit path, as in
jwst.  Slitlets whose spectrum misses the detector are dropped, as jwst does,
with one log line.

As for fixed slits, each WCS is stored under the slitlet name (the slitlet id
as text, or the fixed slit's name) with its bounding box, the slitlet
descriptions go to ``attrs["NRS_SLITS"]`` and the ``wavelength`` coordinate
is set where exactly one slitlet covers a pixel.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from stdatamodels.jwst.transforms.models import Slit

from ...errors import InputFileError
from ...io.references import Reference
from ...modes import mode_built_by
from . import slits as ns
from .fs import attach_slits
from .msa_meta import MSA_NX, read_msa_metadata

_BUILDER = "spec2x.instruments.nirspec.msa_wcs:assign_msa_slits"

__all__ = [
    "assign_msa_slits",
    "msa_metadata_path",
    "msa_slit_coords",
    "msa_slit_scales",
    "msa_slitlets",
    "slitlets_to_slits",
]

log = logging.getLogger(__name__)


def _column(data: np.ndarray, name: str, index: int) -> np.ndarray:
    """A column of an msa quadrant table (named, or by position in an (n, 5) array)."""
    if data.dtype.names:
        return np.asarray(data[name], float)
    return np.asarray(data[:, index], float)


def msa_slit_scales(msa: Reference) -> dict[int, tuple[float, float]]:
    """Shutter pitch over open size (x, y) of quadrants 1-4, as jwst derives them.

    ``(XC[1] - XC[0]) / SIZEX[0]`` and ``YC[365] / SIZEY[0]`` (the second
    column's first shutter, the first one's centre being y = 0).
    """
    scales = {}
    for q in range(1, 5):
        data = np.asarray(msa.content[f"Q{q}"]["data"])
        if len(data) <= MSA_NX:
            raise InputFileError(
                f"msa reference {msa.name}: quadrant {q} has {len(data)} shutters, fewer than "
                f"one row of {MSA_NX} plus one; MOS needs the full shutter grid"
            )
        xc, yc = _column(data, "XC", 1), _column(data, "YC", 2)
        sizex, sizey = _column(data, "SIZEX", 3), _column(data, "SIZEY", 4)
        scales[q] = (float((xc[1] - xc[0]) / sizex[0]), float(yc[MSA_NX] / sizey[0]))
    return scales


def msa_metadata_path(
    attrs: Mapping[str, Any], search: tuple[str | os.PathLike[str], ...] = ()
) -> Path:
    """The exposure's MSA metadata file: ``MSAMETFL``, found as given or in ``search`` folders."""
    name = str(attrs.get("MSAMETFL") or "").strip()
    if name.upper() in ("", "N/A", "NONE"):
        raise InputFileError(
            f"exposure {attrs.get('FILENAME', '')} has no MSA metadata file (keyword MSAMETFL); "
            "an NRS_MSASPEC exposure needs it"
        )
    path = Path(name)
    for folder in search:
        candidate = Path(folder) / path
        if not path.is_absolute() and candidate.is_file():
            return candidate
    return path


def _exposure_msa_file(ds: xr.Dataset) -> Path:
    """``MSAMETFL`` of ``ds``, looked for beside the file ``ds`` was read from first."""
    source = ds.encoding.get("source")
    return msa_metadata_path(ds.attrs, (Path(source).parent,) if source else ())


def _keyword(attrs: Mapping[str, Any], key: str, meaning: str) -> int:
    value = attrs.get(key)
    if value is None:
        raise InputFileError(
            f"exposure {attrs.get('FILENAME', '')} lacks keyword {key} ({meaning}), "
            "which selects its slitlets in the MSA metadata file"
        )
    return int(value)


def msa_slitlets(
    attrs: Mapping[str, Any],
    msa: Reference,
    *,
    path: str | os.PathLike[str] | None = None,
    slit_y_range: tuple[float, float] = (-0.55, 0.55),
) -> xr.Dataset:
    """The exposure's slitlet table (:func:`.msa_meta.read_msa_metadata`) from its keywords.

    ``path`` overrides ``MSAMETFL``; ``MSAMETID`` and ``PATT_NUM`` select the
    rows, ``PROGRAM`` names the background and virtual sources, and the msa
    reference gives the shutter scales.
    """
    metadata_id = _keyword(attrs, "MSAMETID", "the MSA metadata id")
    dither_point = _keyword(attrs, "PATT_NUM", "the dither point")
    return read_msa_metadata(
        msa_metadata_path(attrs) if path is None else path,
        metadata_id,
        dither_point,
        program=str(attrs.get("PROGRAM") or "").lstrip("0"),
        slit_y_range=slit_y_range,
        slit_scales=msa_slit_scales(msa),
    )


#: Slitlet variables in the order of the fields of :class:`Slit` (after ``name``).
_SLIT_FIELDS = (
    "shutter_id", "dither_position", "xcen", "ycen", "ymin", "ymax", "quadrant", "source_id",
    "shutter_state", "source_name", "source_alias", "stellarity", "source_xpos", "source_ypos",
    "source_ra", "source_dec", "slit_xscale", "slit_yscale", "slit_id",
)  # fmt: skip


def slitlets_to_slits(slitlets: xr.Dataset) -> list[Slit]:
    """The slitlets as :class:`stdatamodels.jwst.transforms.models.Slit` tuples (for the WCS)."""
    columns = [slitlets["name"].values.astype(str)]
    columns += [slitlets[f].values for f in _SLIT_FIELDS]
    return [
        Slit(*(v.item() if isinstance(v, np.generic) else v for v in rec))
        for rec in zip(*columns, strict=True)
    ]


def msa_slit_coords(slits: Sequence[Slit]) -> dict[str, np.ndarray]:
    """The per-slit MOS metadata jwst's extract_2d writes on each SlitModel, as slit coords.

    ``slitlet_id`` is the slitlet number (a fixed slit's name is not a number:
    its shutter id, as jwst), then the source's ``source_name``,
    ``source_alias``, ``stellarity``, ``source_ra``/``source_dec`` (deg), the
    ``shutter_state`` (``1x1`` ...), the centre shutter ``xcen``/``ycen`` and the
    shutter pitch over open size ``slit_xscale``/``slit_yscale``.
    """

    def slitlet_id(slit: Slit) -> int:
        name = str(slit.name)
        return int(name) if name.lstrip("-").isdigit() else int(slit.shutter_id)

    def column(field: str, kind: type) -> np.ndarray:
        return np.array([kind(getattr(s, field)) for s in slits])

    return {
        "slitlet_id": np.array([slitlet_id(s) for s in slits], np.int32),
        "source_name": column("source_name", str),
        "source_alias": column("source_alias", str),
        "stellarity": column("stellarity", float),
        "source_ra": column("source_ra", float),
        "source_dec": column("source_dec", float),
        "shutter_state": column("shutter_state", str),
        "xcen": column("xcen", int).astype(np.int32),
        "ycen": column("ycen", int).astype(np.int32),
        "slit_xscale": column("slit_xscale", float),
        "slit_yscale": column("slit_yscale", float),
    }


def assign_msa_slits(
    ds: xr.Dataset,
    refs: Mapping[str, Reference | None],
    *,
    slit_y_low: float = -0.55,
    slit_y_high: float = 0.55,
    msa_metadata: str | os.PathLike[str] | None = None,
    **_: Any,
) -> xr.Dataset:
    """Attach one gwcs per open MSA slitlet (and fixed slit) and the ``wavelength`` coordinate.

    Parameters
    ----------
    ds : NIRSpec MOS exposure (``y, x``) with ``MSAMETFL``, ``MSAMETID``, ``PATT_NUM``.
    refs : reftype -> opened reference for disperser, wavelengthrange, fpa,
        camera, collimator, msa, fore, ote.
    slit_y_low, slit_y_high : one shutter's extent in slit units (centre 0, edges ±0.5).
    msa_metadata : the MSA metadata file (default: ``MSAMETFL``, relative to the
        exposure's folder when the reader recorded it, else to the working folder).

    Returns
    -------
    Dataset with ``attrs["wcs"]`` = {slitlet name: stored gwcs}, ``NRS_SLITS``,
    ``SPORDER``, ``WAVSTART``/``WAVEND`` (m) and ``wavelength`` (y, x) in µm.
    """
    mode_built_by(ds, _BUILDER, what="assign_msa_slits")
    optics = ns.build_optics(ds.attrs, {k: v for k, v in refs.items() if v is not None})
    if msa_metadata is None:
        msa_metadata = _exposure_msa_file(ds)
    table = msa_slitlets(
        ds.attrs, optics.refs["msa"], path=msa_metadata, slit_y_range=(slit_y_low, slit_y_high)
    )
    # jwst lists the slitlets quadrant by quadrant (the fixed slits, quadrant 5, last)
    candidates = sorted(slitlets_to_slits(table), key=lambda s: s.quadrant)
    slits, boxes, dropped = ns.select_on_detector(optics, candidates)
    where = f"detector {ds.attrs.get('DETECTOR')} with GRATING={ds.attrs.get('GRATING')}"
    if not slits:
        name = Path(msa_metadata).name
        raise InputFileError(
            f"none of the {len(candidates)} open slitlets of MSA metadata file {name} falls "
            f"on {where}; nothing to calibrate"
        )
    if dropped:
        names = ", ".join(str(s.name) for s in dropped)
        log.info("%d slitlet(s) fall off %s and are dropped: %s", len(dropped), where, names)
    return attach_slits(ds, optics, slits, boxes)
