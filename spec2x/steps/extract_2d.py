"""extract_2d: cut each slit's spectrum out of a NIRSpec exposure into a slits product.

Each open slit's bounding box (from assign_wcs) is rounded to whole pixels as
jwst does (``floor(edge + 0.5)``), the rectangle is cut out of every pixel
array, and the cut-outs are stacked along a new ``slit`` dim, padded to a
common shape (NaN, ``dq = DO_NOT_USE | NON_SCIENCE``); slits of too different
shapes go to padded groups of a DataTree (:mod:`spec2x.slits`).  Each slit keeps its
WCS, shifted to cut-out pixels, and gets a ``wavelength`` plane from it.
Written for any slit-based NIRSpec mode: fixed slits (NRS_FIXEDSLIT,
NRS_BRIGHTOBJ) and MSA slitlets (NRS_MSASPEC, which also carry each
slitlet's MSA metadata, as jwst writes it on each SlitModel).  Wide-field
slitless exposures (one cut-out per catalogue source and order) go to
:mod:`spec2x.steps._extract_2d_grism`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from astropy.modeling.models import Shift
from gwcs.wcstools import grid_from_bounding_box
from stdatamodels.jwst.transforms.models import IdealToV2V3, Slit

from ..errors import InputFileError, StepOrderError
from ..instruments.nirspec.fs import SLITS_ATTR, slits_from_attrs, slits_to_attr
from ..instruments.nirspec.msa_wcs import msa_slit_coords
from ..instruments.nirspec.wcs import world_wavelength
from ..modes import exp_type_of, lookup
from ..slits import MIN_PIXELS, Slits, plan_groups, to_tree
from ..wcs.store import WCS_ATTR, WCS_COORD, copy_pipeline, get_wcs, stored_wcs, wcs_coord
from ._common import record_step, require
from ._cutouts import stack_cutouts

__all__ = ["extract_2d", "from_chain", "select_slits", "source_position_in_slit"]

log = logging.getLogger(__name__)


def select_slits(
    slits: Sequence[Slit],
    slit_names: Sequence[str | int] | None = None,
    source_ids: Sequence[str | int] | None = None,
) -> list[Slit]:
    """The slits chosen by name and/or source id (all when both are None), in open order."""
    if slit_names is None and source_ids is None:
        return list(slits)
    names = {str(n) for n in slit_names or ()}
    ids = {str(i) for i in source_ids or ()}
    chosen = [s for s in slits if str(s.name) in names or str(s.source_id) in ids]
    if not chosen:
        raise InputFileError(
            f"extract_2d: none of slit_names={list(slit_names or [])} / source_ids="
            f"{list(source_ids or [])} is open; open slits: {[str(s.name) for s in slits]}"
        )
    return chosen


def _to_index(edge: float) -> int:
    return int(np.floor(edge + 0.5))


def _shifted_wcs(wcs: Any, xlo: int, ylo: int, shape: tuple[int, int]) -> Any:
    """The slit WCS taking cut-out pixels (jwst's offset_wcs + bounding box of the cut-out)."""
    out = copy_pipeline(wcs)
    tr = Shift(xlo) & Shift(ylo) | out.get_transform("detector", "sca")
    tr.name = "dms2sca"
    out.set_transform("detector", "sca", tr)
    out.bounding_box = ((-0.5, shape[1] - 0.5), (-0.5, shape[0] - 0.5))
    return out


def source_position_in_slit(attrs: dict[str, Any], wcs: Any) -> tuple[float, float]:
    """Position of the target in the slit (slit units) from the dither offsets XOFFSET/YOFFSET.

    Returns (0, 0) when the offsets are missing, as jwst does.
    """
    xoff, yoff = attrs.get("XOFFSET"), attrs.get("YOFFSET")
    if xoff is None or yoff is None:
        log.warning("extract_2d: XOFFSET/YOFFSET missing; source position in slit set to 0, 0")
        return 0.0, 0.0
    idl2v23 = IdealToV2V3(attrs["V3I_YANG"], attrs["V2_REF"], attrs["V3_REF"], attrs["VPARITY"])
    v2, v3 = idl2v23(xoff, yoff)
    xpos, ypos, _ = wcs.get_transform("v2v3", "slit_frame")(v2, v3, 2.0)
    return float(xpos), float(ypos)


def extract_2d(
    ds: xr.Dataset,
    *,
    slit_names: Sequence[str | int] | None = None,
    source_ids: Sequence[str | int] | None = None,
    max_padding: float = 1.25,
    min_pixels: int = MIN_PIXELS,
) -> Slits:
    """Cut the open slits out of a NIRSpec exposure.

    Parameters
    ----------
    ds : exposure after assign_wcs (``y, x`` or ``integration, y, x``), with
        one WCS per slit and ``NRS_SLITS``.
    slit_names, source_ids : extract only these slits (jwst's step parameters).
    max_padding, min_pixels : when one padded stack would hold more than
        ``max_padding`` times the cut-out pixels and more than ``min_pixels``
        pixels, the slits are held in padded groups of similar shape (see
        :func:`spec2x.slits.plan_groups`).

    Returns
    -------
    Slits product ``(slit, [integration,] y, x)`` (a DataTree of such groups
    when the shapes differ too much): the pixel arrays of each
    cut-out (padding NaN, dq ``DO_NOT_USE | NON_SCIENCE``), ``wavelength``
    (µm, NaN off the slit), per-slit coords ``slit_name source_id xstart ystart
    xsize ysize`` (1-based starts like jwst) ``shutter_id slit_ymin slit_ymax
    quadrant source_xpos source_ypos`` (MOS: the MSA metadata's position in
    the shutter; fixed slits: from the dither offsets for the primary slit, 0
    elsewhere), for MOS also those of
    :func:`spec2x.instruments.nirspec.msa_wcs.msa_slit_coords` (``slitlet_id
    source_name source_alias stellarity shutter_state`` ...), and ``wcs``
    (each slit's WCS in cut-out pixels).
    """
    require(ds, "sci", "dq", step="extract_2d")
    if not isinstance(ds.attrs.get(WCS_ATTR), dict) or SLITS_ATTR not in ds.attrs:
        raise StepOrderError(
            "extract_2d needs the per-slit WCS of a NIRSpec slit exposure: run assign_wcs first"
        )
    slits = select_slits(slits_from_attrs(ds.attrs), slit_names, source_ids)
    ny_img, nx_img = ds.sizes["y"], ds.sizes["x"]
    boxes, slit_wcs, lams, positions = [], [], [], []
    primary = str(ds.attrs.get("FXD_SLIT", "")).upper()
    mode = lookup(exp_type_of(ds))
    bots = mode is not None and mode.tso  # one slit, a SlitModel
    msa = mode is not None and mode.msa_slit_metadata
    for slit in slits:
        wcs = get_wcs(ds, slit=slit.name)
        (x0, x1), (y0, y1) = wcs.bounding_box.bounding_box()
        xlo, xhi, ylo, yhi = _to_index(x0), _to_index(x1), _to_index(y0), _to_index(y1)
        cut = (max(0, min(yhi, ny_img) - max(ylo, 0)), max(0, min(xhi, nx_img) - max(xlo, 0)))
        if cut[0] == 0 or cut[1] == 0 or ylo < 0 or xlo < 0:
            raise InputFileError(
                f"extract_2d: slit {slit.name} (rows {ylo}-{yhi}, columns {xlo}-{xhi}) is not on the "
                f"{ny_img} x {nx_img} {ds.attrs.get('SUBARRAY', '')} data; the subarray does not "
                "cover it (select other slits with slit_names=)"
            )
        shifted = _shifted_wcs(wcs, xlo, ylo, cut)
        x, y = grid_from_bounding_box(shifted.bounding_box)
        lams.append(world_wavelength(shifted, x, y))  # gwcs's own numbers, without RA/Dec
        slit_wcs.append(stored_wcs(shifted))
        boxes.append((ylo, xlo, yhi - ylo, xhi - xlo, cut))
        if msa:  # the source's position in its shutter, from the MSA metadata
            positions.append((float(slit.source_xpos), float(slit.source_ypos)))
        elif bots or slit.name == primary:
            positions.append(source_position_in_slit(ds.attrs, shifted))
        else:
            positions.append((0.0, 0.0))
    attrs = {k: v for k, v in ds.attrs.items() if k != WCS_ATTR}
    attrs[SLITS_ATTR] = slits_to_attr(slits)
    attrs["DATAMODL"] = "SlitModel" if bots else "MultiSlitModel"
    per_slit = _slit_coords(slits, boxes, positions)
    if msa:
        per_slit.update(msa_slit_coords(slits))
    plan = plan_groups([b[4][0] for b in boxes], [b[4][1] for b in boxes], max_padding, min_pixels)
    parts = []
    for members in plan:
        part = _group(ds, [boxes[k] for k in members], [lams[k] for k in members])
        coords: dict[str, Any] = {k: ("slit", v[members]) for k, v in per_slit.items()}
        coords[WCS_COORD] = wcs_coord([slit_wcs[k] for k in members])
        part = part.assign_coords(coords)
        part.attrs = dict(attrs)
        parts.append(record_step(part, "extract_2d"))
    log.info(
        "extract_2d: %d slit(s) %s in %d padded group(s), largest %d x %d",
        len(slits),
        ", ".join(str(s.name) for s in slits[:10]) + (" ..." if len(slits) > 10 else ""),
        len(parts),
        *max((p.sizes["y"], p.sizes["x"]) for p in parts),
    )
    return to_tree(parts)


def _slit_coords(
    slits: Sequence[Slit], boxes: list[tuple[Any, ...]], positions: list[tuple[float, float]]
) -> dict[str, np.ndarray]:
    """The per-slit coords of every slit, in open order (starts 1-based like jwst)."""
    return {
        "slit_name": np.array([str(s.name) for s in slits]),
        "source_id": np.array([int(s.source_id) for s in slits], np.int32),
        "xstart": np.array([b[1] + 1 for b in boxes], np.int32),
        "ystart": np.array([b[0] + 1 for b in boxes], np.int32),
        "xsize": np.array([b[3] for b in boxes], np.int32),
        "ysize": np.array([b[2] for b in boxes], np.int32),
        "shutter_id": np.array([int(s.shutter_id) for s in slits], np.int32),
        "quadrant": np.array([int(s.quadrant) for s in slits], np.int32),
        "slit_ymin": np.array([float(s.ymin) for s in slits]),
        "slit_ymax": np.array([float(s.ymax) for s in slits]),
        "source_xpos": np.array([p[0] for p in positions]),
        "source_ypos": np.array([p[1] for p in positions]),
    }


def _group(ds: xr.Dataset, boxes: list[tuple[Any, ...]], lams: list[np.ndarray]) -> xr.Dataset:
    """The cut-outs of one group of slits, padded to the group's largest, with ``wavelength``."""
    shape = (max(b[4][0] for b in boxes), max(b[4][1] for b in boxes))
    out = stack_cutouts(ds, boxes, shape)
    wavelength = np.full((len(boxes), *shape), np.nan)
    for k, lam in enumerate(lams):
        wavelength[k, : lam.shape[0], : lam.shape[1]] = lam
    return out.assign_coords(wavelength=(("slit", "y", "x"), wavelength, {"units": "um"}))


def from_chain(ds: xr.Dataset, ctx: Any) -> Slits:
    """Chain adapter: jwst's ``slit_names`` / ``source_ids`` parameters (WFSS: the catalogue)."""
    mode = lookup(exp_type_of(ds))
    if mode is not None and mode.wfss:
        from ._extract_2d_grism import grism_from_chain

        return grism_from_chain(ds, ctx)
    if mode is not None and mode.extract_2d_impl is not None:
        module, name = mode.extract_2d_impl.split(":")
        return getattr(importlib.import_module(module), name)(ds, ctx)  # type: ignore[no-any-return]
    return extract_2d(
        ds, slit_names=ctx.params.get("slit_names"), source_ids=ctx.params.get("source_ids")
    )
