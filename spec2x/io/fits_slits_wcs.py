"""The slits' WCS of a WFSS ``_cal``'s ASDF tree, converted only as they are written.

A WFSS ``_cal`` holds thousands of cut-out WCS that share only whole steps
of the exposure's WCS; each is put in the tree as a
:class:`spec2x._asdf_fast.Deferred` value, converted to ASDF only when the
writer reaches it (:mod:`spec2x._asdf_stream`).
"""

from __future__ import annotations

from typing import Any

from ..wcs.cutout import CutoutWcs, cutout_template
from ..wcs.store import StoredWcs, wcs_object
from . import fits_node as N

__all__ = ["DEFERRED_WCS", "deferred_wcs"]

#: Exposures whose slits' WCS share only whole steps of the exposure's WCS (WFSS cut-outs):
#: each is converted to ASDF only as it is written (:class:`spec2x._asdf_fast.Deferred`).
DEFERRED_WCS = frozenset({"NIS_WFSS", "NRC_WFSS"})


def deferred_wcs(values: list[StoredWcs | str | None]) -> list[Any]:
    """The slits' stored WCS for the tree: the first a gwcs, the others deferred; the steps
    (frames, transforms) of the first that later ones use too are written once (YAML anchors
    in the first).  Cut-outs kept as their numbers (:class:`spec2x.wcs.cutout.CutoutWcs`)
    are written as copies of one template cut-out's ASDF tree, no gwcs made."""
    from .._asdf_fast import Deferred, Stamp  # asdf imported where the tree is written

    kept = [v for v in values if v is not None]
    if len(kept) < 2:
        return N.wcs_objects(values)
    first = wcs_object(kept[0])
    templates: dict[int, Any] = {}  # id(exposure WCS) -> the template of its cut-outs
    later: list[Any] = []
    parts: set[int] = set()  # the steps' parts of the later ones (alive in them or their parent)
    for value in kept[1:]:
        if isinstance(value, CutoutWcs):
            if id(value.parent) not in templates:
                templates[id(value.parent)] = cutout_template(value.parent)
                parts.update(id(p) for p in _step_parts(value.parent.wcs))
            later.append(Stamp(templates[id(value.parent)], value.numbers))
        else:
            later.append(wcs_object(value))
            parts.update(id(p) for p in _step_parts(later[-1]))
    shared = tuple(part for part in _step_parts(first) if id(part) in parts)
    rest = iter([first, *(Deferred(v, shared) for v in later)])
    return [None if v is None else next(rest) for v in values]


def _step_parts(wcs: Any) -> list[Any]:
    """The frames and transforms of a gwcs's steps."""
    return [p for step in wcs.pipeline for p in (step.frame, step.transform) if p is not None]
