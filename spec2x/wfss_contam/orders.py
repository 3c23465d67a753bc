"""Which orders the forward model disperses, each one's range, sensitivity and magnitude limit.

The orders are those of the ``wavelengthrange`` file with a range for the
exposure's filter (NIRCam: FILTER, NIRISS: PUPIL) that the grism's dispersion
model knows, or the ``orders`` asked for among them (jwst 3.0.0's rules).  An
order's sensitivity is its ``photom`` row (FILTER, PUPIL, order):
``PHOTMJSR * relresponse`` in MJy/sr µm per DN/s (``PHOTUNIT`` converted).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ReferenceMismatchError
from ..io.refs_grism import WfssWavelengthRange
from ..steps._photom_rows import GRISM_PHOT_UNIT, phot_unit_factor

__all__ = ["SENS_UNIT", "contam_orders", "magnitude_limit", "sensitivity"]

log = logging.getLogger(__name__)

#: The unit of a sensitivity curve: (MJy/sr) µm per (DN/s).
SENS_UNIT = GRISM_PHOT_UNIT


def _model_orders(wcs: Any) -> set[int] | None:
    """The orders of the grism WCS's backward dispersion model (None: not found)."""
    for model in wcs.backward_transform:
        orders = getattr(model, "orders", None)
        if orders is not None and "Dispersion" in type(model).__name__:
            return {int(o) for o in np.ravel(orders)}
    return None


def contam_orders(
    ranges: WfssWavelengthRange, element: str, wcs: Any, orders: Sequence[int] | None
) -> dict[int, tuple[float, float]]:
    """order -> (wmin, wmax) µm of the orders to disperse, increasing (empty: none valid).

    Parameters
    ----------
    ranges : the ``wavelengthrange`` reference.
    element : FILTER (NIRCam) or PUPIL (NIRISS) of the exposure.
    wcs : the exposure's grism WCS (its dispersion model's orders).
    orders : the orders asked for (None: all of the file's for ``element``).
    """
    element = element.strip().upper()
    known = sorted({o for (o, f) in ranges.ranges if f == element})
    chosen = known if orders is None else [int(o) for o in orders if int(o) in known]
    if orders is not None and len(chosen) < len(orders):
        log.warning("wfss_contam: orders %s not all in wavelengthrange (%s)", list(orders), known)
    in_model = _model_orders(wcs)
    if in_model is not None:
        chosen = [o for o in chosen if o in in_model]
    return {o: ranges.ranges[(o, element)] for o in sorted(chosen)}


def _row(columns: Mapping[str, np.ndarray], attrs: Mapping[str, Any], order: int) -> int:
    want = {"filter": attrs.get("FILTER"), "pupil": attrs.get("PUPIL"), "order": order}
    hit = np.ones(np.size(columns["order"]), bool)
    for key, value in want.items():
        column = np.asarray(columns[key])
        if column.dtype.kind in "US":
            hit &= np.char.upper(np.char.strip(column.astype(str))) == str(value).strip().upper()
        else:
            hit &= column == value
    rows = np.flatnonzero(hit)
    if rows.size == 0:
        raise ReferenceMismatchError(
            f"photom has no row for FILTER={want['filter']}, PUPIL={want['pupil']}, order "
            f"{order}; give the photom file of this grism (or wfss_contam orders it has)"
        )
    return int(rows[0])


def sensitivity(photom: Any, attrs: Mapping[str, Any], order: int) -> tuple[np.ndarray, np.ndarray]:
    """(wavelength µm, S in MJy/sr µm per DN/s) of ``order``, wavelength increasing.

    Parameters
    ----------
    photom : the opened WFSS ``photom`` reference (its PHOTOM table and ``PHOTUNIT``).
    attrs : exposure keywords (FILTER, PUPIL).
    order : the spectral order.

    Raises
    ------
    ReferenceMismatchError
        The file has no PHOTUNIT or no row for the order.
    """
    if not getattr(photom.content, "phot_unit", None):
        raise ReferenceMismatchError(
            f"photom {photom.name} has no PHOTUNIT in its PHOTOM extension: wfss_contam needs "
            f"the unit of PHOTMJSR (e.g. '{SENS_UNIT}'), as jwst's"
        )
    columns = photom.content.columns
    row = _row(columns, attrs, order)
    factor = phot_unit_factor(photom) * float(columns["photmjsr"][row])
    nelem = int(columns["nelem"][row])
    wave = np.asarray(columns["wavelength"][row][:nelem], np.float64)
    resp = factor * np.asarray(columns["relresponse"][row][:nelem], np.float64)
    if not np.all(np.diff(wave) > 0):
        index = np.argsort(wave)
        wave, resp = wave[index], resp[index]
    return wave, resp


def _min_response(wave: np.ndarray, resp: np.ndarray) -> float:
    good = (wave > 0) & (resp > 0) & np.isfinite(wave)
    return float(np.nanmin(resp[good]))


def magnitude_limit(
    limit: float,
    order: int,
    sens: tuple[np.ndarray, np.ndarray],
    sens1: tuple[np.ndarray, np.ndarray],
) -> float:
    """The AB limit of ``order``: ``limit`` for orders 0 and 1, else made brighter by the
    ratio of order 1's smallest response to the order's (jwst's rule)."""
    if order in (0, 1):
        return float(limit)
    ratio = _min_response(*sens1) / _min_response(*sens)
    return float(limit + 2.5 * np.log10(ratio))
