"""pathloss for NIRISS SOSS: jwst 3.0.0 skips it for time series.

jwst's ``PathlossStep`` on ``NIS_SOSS`` (``do_correction_soss``) leaves a
TSO exposure (``TSOVISIT = T``) as it is and records ``SKIPPED``; only a
non-TSO ``_rate`` exposure is divided by the point-source pathloss at the
pupil-wheel position, which spec2x does not have yet.
"""

from __future__ import annotations

import logging
from typing import Any

import xarray as xr

from ...errors import UnsupportedModeError
from ...steps._common import record_step

__all__ = ["soss_pathloss"]

log = logging.getLogger(__name__)


def soss_pathloss(ds: xr.Dataset, reference: Any, **_: Any) -> xr.Dataset:
    """Skip the pathloss of a SOSS time series (jwst); refuse a non-TSO exposure.

    Raises
    ------
    UnsupportedModeError
        A non-TSO SOSS exposure (``TSOVISIT`` false) with a pathloss reference.
    """
    if ds.attrs.get("TSOVISIT") in (True, "T", "True", 1):
        log.warning("pathloss: NIRISS SOSS time series skip the pathloss step (as jwst)")
        return record_step(ds, "pathloss", status="SKIPPED")
    raise UnsupportedModeError(
        f"pathloss: spec2x does not have the SOSS pathloss of a non-TSO exposure "
        f"({ds.attrs.get('FILENAME', 'the exposure')}, TSOVISIT false); "
        "skip the step (--skip pathloss) or give --ref pathloss=N/A"
    )
