"""imprint_subtract: remove the NIRSpec MSA imprint by subtracting a leakcal exposure.

The imprint (leakcal) exposures of an association are taken with the MSA
closed; the light that leaks through it and the imprint of the MSA structure
on the detector are removed by subtracting the matching one, as jwst 3.0.0's
``ImprintStep`` does (NRS_MSASPEC and NRS_IFU). Which imprint matches:

1. one imprint: it is used whatever its keywords;
2. several: those whose background-target flag (``BKGDTARG``) differs from
   the science exposure's are set aside; of the rest, the one at the same
   observation (``OBSERVTN``) and dither position (``PATT_NUM``) is used, or
   the only one left; otherwise the step is ``SKIPPED``.

The chain applies the step to the science exposure and to each background
member (:data:`spec2x.pipeline.MEMBER_STEPS`); for modes whose association
holds one imprint for all (``Mode.one_imprint``, MOS) only the first of
several is used, with a warning, as jwst's pipeline means to (jwst 3.0.0's
Spec2Pipeline passes that one file where ImprintStep expects a list and
stops with ``Input file path does not have an extension``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..dq import DQ_DTYPE
from ..errors import InputFileError
from ..modes import exp_type_of, lookup
from . import StepContext
from ._common import record_step, require

__all__ = ["from_chain", "imprint_subtract", "select_imprint"]

log = logging.getLogger(__name__)


def _background_flag(attrs: Mapping[str, Any]) -> bool | None:
    """``BKGDTARG`` as a bool; None when the keyword is absent (jwst compares it as None)."""
    value = attrs.get("BKGDTARG")
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip().upper() in ("T", "TRUE", "1", "YES")
    return bool(value)


def _position(attrs: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(observation number, dither position) as strings (None where absent)."""
    obs, pos = attrs.get("OBSERVTN"), attrs.get("PATT_NUM")
    return (
        None if obs is None else str(obs).strip(),
        None if pos is None else str(pos).strip(),
    )


def select_imprint(science: Mapping[str, Any], imprints: Sequence[Mapping[str, Any]]) -> int | None:
    """Index of the imprint jwst 3.0.0 subtracts from ``science``, or None (step skipped).

    Parameters
    ----------
    science : the science (or background) exposure's keywords.
    imprints : each imprint exposure's keywords, in association order.

    Returns
    -------
    The index into ``imprints``, or None when none matches (see the module notes).
    """
    if len(imprints) == 1:
        return 0
    flag, where = _background_flag(science), _position(science)
    candidates = []
    for i, attrs in enumerate(imprints):
        if _background_flag(attrs) != flag:
            continue
        candidates.append(i)
        if _position(attrs) == where:
            return i
    return candidates[0] if len(candidates) == 1 else None


def _on_pixels(ds: xr.Dataset, imprint: xr.Dataset) -> xr.Dataset:
    """The imprint's sci and dq on the science pixels; an error if it does not cover them."""
    label = imprint.attrs.get("FILENAME", "the imprint exposure")
    if "sci" not in imprint or "dq" not in imprint:
        raise InputFileError(f"imprint {label} lacks sci or dq; give the imprint's rate file")
    same = all(imprint.sizes.get(d) == ds.sizes[d] for d in ("y", "x"))
    if not same:
        shape = tuple(ds.sizes[d] for d in ("y", "x"))
        raise InputFileError(
            f"imprint {label} has shape {tuple(imprint['sci'].shape)}, the science exposure "
            f"{ds.attrs.get('FILENAME', '')} {shape}; use an imprint taken with the same subarray"
        )
    return imprint[["sci", "dq"]].drop_vars(list(imprint[["sci", "dq"]].coords))


def imprint_subtract(ds: xr.Dataset, imprints: Sequence[xr.Dataset]) -> xr.Dataset:
    """Subtract the matching imprint (leakcal) exposure.

    Parameters
    ----------
    ds : NIRSpec MOS or IFU exposure, ``(y, x)`` or ``(integration, y, x)``, DN/s.
    imprints : the association's imprint exposures (rate images, DN/s, same pixels).

    Returns
    -------
    Dataset with ``sci - imprint`` and the imprint's DQ OR-ed in; ``err`` and
    the variances unchanged, as in jwst 3.0.0. ``S_IMPRNT`` is ``COMPLETE``,
    or ``SKIPPED`` (data unchanged) when no imprint matches.

    Raises
    ------
    InputFileError
        The matching imprint lacks sci/dq or is not on the science pixels.
    """
    require(ds, "sci", "dq", step="imprint_subtract")
    index = select_imprint(ds.attrs, [m.attrs for m in imprints]) if imprints else None
    if index is None:
        log.warning(
            "imprint_subtract: no matching imprint image for %s; step skipped",
            ds.attrs.get("FILENAME", "the exposure"),
        )
        return record_step(ds, "imprint_subtract", status="SKIPPED")
    imprint = _on_pixels(ds, imprints[index])
    sci = (ds["sci"] - imprint["sci"]).astype(np.float32).transpose(*ds["sci"].dims)
    dq = (ds["dq"] | imprint["dq"]).astype(DQ_DTYPE).transpose(*ds["dq"].dims)
    log.info(
        "imprint_subtract: subtracted %s from %s",
        imprints[index].attrs.get("FILENAME", f"imprint #{index + 1}"),
        ds.attrs.get("FILENAME", "the exposure"),
    )
    out = ds.assign(sci=sci.assign_attrs(ds["sci"].attrs), dq=dq.assign_attrs(ds["dq"].attrs))
    return record_step(out, "imprint_subtract")


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: the association's ``imprint`` members.

    For a mode with one imprint for all exposures (``Mode.one_imprint``: MOS)
    only the first of several is used, with a warning, as jwst's pipeline does.
    """
    imprints = list(ctx.members.get("imprint", ()))
    mode = lookup(exp_type_of(ds))
    if len(imprints) > 1 and mode is not None and mode.one_imprint:
        log.warning("imprint_subtract: wrong number of imprint members; using the first")
        imprints = imprints[:1]
    return imprint_subtract(ds, imprints)
