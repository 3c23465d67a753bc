"""A synthetic superstripe ``_rateints``, as jwst 3.0.0's calwebb_detector1 leaves it.

A superstripe exposure (NIRISS SOSS ``SUB17STRIPE_SOSS`` ...
``SUB680STRIPE_SOSS``, NIRCam ``*_SUPSTP*``) reads each integration in
``stripes`` pieces; detector1 collates them into the parent subarray (for
SOSS SUBSTRIP256's shape) and clears the multistripe keywords, so at spec2
it is a plain exposure (SOSS: SUBSTRIP256 by another name) with one more table:
``INT_TIMES_STRIPE``, each stripe's times (a row per integration and stripe),
while ``INT_TIMES`` runs from an integration's first stripe start to its last
stripe end (jwst's ``generate_stripe_int_times``).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["BJD_OFFSET", "with_superstripes"]

#: BJD_TDB - MJD_UTC of the synthetic times (days; a stand-in, not an ephemeris).
BJD_OFFSET = 0.0008


def with_superstripes(
    ds: xr.Dataset, stripes: int = 4, subarray: str | None = "SUB680STRIPE_SOSS"
) -> xr.Dataset:
    """The ``_rateints`` ``ds`` (with INT_TIMES start/end MJD) as the collated superstripe
    exposure ``subarray`` (None: its own SUBARRAY) of ``stripes`` stripes an integration.

    Each integration's [start, end] is cut into ``stripes`` equal reads (``stripe_times_*``
    coords on ``stripe_time``: the ``INT_TIMES_STRIPE`` table); BJD columns are the MJD ones
    plus :data:`BJD_OFFSET`, in both tables.
    """
    start = np.asarray(ds["int_times_int_start_MJD_UTC"].values)
    end = np.asarray(ds["int_times_int_end_MJD_UTC"].values)
    numbers = np.asarray(ds["int_times_integration_number"].values, np.int32)
    step = (end - start) / stripes
    first = (start[:, None] + step[:, None] * np.arange(stripes)).ravel()
    last = first + np.repeat(step, stripes)
    columns = {
        "integration_number": np.repeat(numbers, stripes),
        "stripe_number": np.tile(np.arange(1, stripes + 1, dtype=np.int32), numbers.size),
        "int_start_MJD_UTC": first,
        "int_mid_MJD_UTC": (first + last) / 2,
        "int_end_MJD_UTC": last,
    }
    for kind in ("start", "mid", "end"):
        columns[f"int_{kind}_BJD_TDB"] = columns[f"int_{kind}_MJD_UTC"] + BJD_OFFSET
    times = {f"stripe_times_{k}": ("stripe_time", v) for k, v in columns.items()}
    bjd = {
        f"int_times_int_{kind}_BJD_TDB": (
            "integration",
            np.asarray(ds[f"int_times_int_{kind}_MJD_UTC"].values) + BJD_OFFSET,
        )
        for kind in ("start", "mid", "end")
    }
    out = ds.assign_coords({**times, **bjd})
    out.attrs = {**ds.attrs, "SUBARRAY": subarray or ds.attrs.get("SUBARRAY")}
    return out
