"""NIRSpec failed-open MSA shutters: where their light lands on the detector.

The ``msaoper`` reference (a JSON file: ``{"msaoper": [{"Q": 1, "x": 12,
"y": 40, "state": "closed", "Internal state": "normal", "TA state":
"closed"}, ...], ...}``) lists the shutters whose operation is abnormal.  A
shutter is failed open when any of ``state``, ``Internal state`` or ``TA
state`` is ``open``; light passes through it whatever the MSA configuration,
so the pixels its spectrum covers are flagged ``MSA_FAILED_OPEN``.

As jwst 3.0.0's ``msaflagopen``, each failed-open shutter becomes a one-shutter
slit (:class:`~stdatamodels.jwst.transforms.models.Slit` named by its rank,
shutter id ``x + (y - 1) * 365``, ``ymin, ymax = -0.5, 0.5``) on the optical
chain of :mod:`.slits`; its bounding box is the assign_wcs one (all shutters
traced at once), cut to whole pixels as jwst does (``int(edge)`` up to
``int(edge) + 1``), and every pixel of the box where the slit's WCS gives a
sky position is flagged.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from stdatamodels.jwst.transforms.models import Slit

from ...errors import InputFileError
from ...io.references import Reference
from . import slits as ns
from .msa_meta import MSA_NX

__all__ = ["FLAGGABLE_STATES", "failed_open_mask", "failed_open_shutters", "read_msaoper"]

log = logging.getLogger(__name__)

#: The states of an msaoper entry that make a shutter failed open when one is ``open``.
FLAGGABLE_STATES = ("Internal state", "TA state", "state")


def read_msaoper(path: str, header: dict[str, Any]) -> Reference:
    """Open an ``msaoper`` reference (JSON): ``content`` is the list of shutter entries."""
    try:
        with open(path, encoding="utf-8") as f:
            tree = json.load(f)
    except (OSError, ValueError) as exc:
        raise InputFileError(f"msaoper reference {path} is not readable JSON: {exc}") from exc
    entries = tree.get("msaoper") if isinstance(tree, dict) else None
    if not isinstance(entries, list):
        raise InputFileError(
            f"msaoper reference {os.path.basename(path)} has no 'msaoper' list of shutters"
        )
    return Reference("msaoper", path, header, entries)


def failed_open_shutters(msaoper: Reference) -> list[Slit]:
    """The failed-open shutters of an msaoper reference as one-shutter slits, in file order.

    Named 1, 2, ... by rank among the failed-open entries (jwst's names).
    """
    slits: list[Slit] = []
    for k, entry in enumerate(msaoper.content):
        try:
            failed = any(entry.get(state) == "open" for state in FLAGGABLE_STATES)
            if not failed:
                continue
            x, y, quadrant = int(entry["x"]), int(entry["y"]), int(entry["Q"])
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise InputFileError(
                f"msaoper reference {msaoper.name}: entry {k} lacks a shutter position "
                f"(Q, x, y): {entry!r}"
            ) from exc
        n = len(slits) + 1
        shutter_id = x + (y - 1) * MSA_NX
        slits.append(Slit(n, shutter_id, 0, x, y, -0.5, 0.5, quadrant, 0, "x", slit_id=n))
    return slits


def _to_indices(box: ns.Box, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """jwst's ``boundingbox_to_indices``: (x0, x1, y0, y1) index ranges clipped to ``shape``."""
    (x1, x2), (y1, y2) = box
    ny, nx = shape
    return (
        max(int(min(x1, x2)), 0),
        min(int(max(x1, x2)) + 1, nx),
        max(int(min(y1, y2)), 0),
        min(int(max(y1, y2)) + 1, ny),
    )


def failed_open_mask(
    attrs: Mapping[str, Any],
    refs: Mapping[str, Reference],
    msaoper: Reference,
    shape: tuple[int, int],
) -> np.ndarray:
    """Pixels (``shape``, y by x) that light through failed-open shutters reaches.

    Parameters
    ----------
    attrs : the exposure's keywords (DETECTOR, FILTER, GRATING, GWA tilts,
        subarray origin, pointing).
    refs : the NIRSpec optical references (disperser, wavelengthrange, fpa,
        camera, collimator, msa, fore, ote).
    msaoper : the opened msaoper reference.
    shape : the exposure's (y, x) size.

    Returns
    -------
    bool array: True where a failed-open shutter's WCS has a sky position.
    """
    mask = np.zeros(shape, bool)
    shutters = failed_open_shutters(msaoper)
    log.info("msa_flagging: %d failed-open shutter(s) in %s", len(shutters), msaoper.name)
    if not shutters:
        return mask
    optics = ns.build_optics(attrs, refs)
    for slit, traced in zip(shutters, ns.traced_boxes(optics, shutters), strict=True):
        with warnings.catch_warnings():  # a shutter off the detector has an empty box
            warnings.filterwarnings("ignore", "Invalid interval", RuntimeWarning)
            y0, x0, hit = _shutter_mask(optics, slit, traced, shape)
        mask[y0 : y0 + hit.shape[0], x0 : x0 + hit.shape[1]] |= hit
    return mask


def _shutter_mask(
    optics: ns.NirspecOptics, slit: Slit, traced: np.ndarray, shape: tuple[int, int]
) -> tuple[int, int, np.ndarray]:
    """(first row, first column, mask) of one shutter's bounding box: True where its WCS
    gives a sky position (an empty mask when the box misses the data)."""
    wcs, box, _ = ns.slit_wcs_and_box(optics, slit, traced)
    x0, x1, y0, y1 = _to_indices(box, shape)
    if x1 <= x0 or y1 <= y0:
        return 0, 0, np.zeros((0, 0), bool)
    wcs.bounding_box = box
    y, x = np.mgrid[y0:y1, x0:x1]
    with np.errstate(invalid="ignore"):
        return y0, x0, np.isfinite(wcs(x, y)[0])
