"""The ``INT_TIMES_STRIPE`` table of a superstripe time series, carried as jwst carries it.

jwst 3.0.0's calwebb_detector1 collates superstripe integrations (NIRISS SOSS
``SUB17/60/204/680STRIPE_SOSS``, NIRCam ``*_SUPSTP*``) into their parent
subarray and keeps each stripe's times in ``INT_TIMES_STRIPE`` (a row per
integration and stripe: ``integration_number``, ``stripe_number`` and the
six MJD/BJD times).  Its calwebb_spec2 uses no stripe time; the table is
copied as it is to the ``_calints`` and the ``_x1dints``.  spec2x holds it
as ``stripe_times_<column>`` coords on their own dimension ``stripe_time``
and writes it back unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from astropy.io import fits

from . import fits_layout as L

__all__ = [
    "COLUMNS",
    "EXTNAME",
    "PREFIX",
    "is_stripe_times",
    "stripe_times_coords",
    "stripe_times_hdu",
    "with_stripe_times",
]

#: The table's FITS extension.
EXTNAME = "INT_TIMES_STRIPE"
#: Prefix of its columns' coords; their dimension.
PREFIX, DIM = "stripe_times_", "stripe_time"
#: jwst's columns, in its schema's order (written first, in this order; others after).
COLUMNS = (
    "integration_number",
    "stripe_number",
    "int_start_MJD_UTC",
    "int_mid_MJD_UTC",
    "int_end_MJD_UTC",
    "int_start_BJD_TDB",
    "int_mid_BJD_TDB",
    "int_end_BJD_TDB",
)


def is_stripe_times(name: Any) -> bool:
    """Whether a coord is a column of the stripe times table."""
    return str(name).startswith(PREFIX)


def stripe_times_coords(hdul: Any) -> dict[str, Any]:
    """The table's columns as ``stripe_times_<column>`` coords on ``stripe_time`` (none when
    the file has no such table)."""
    if EXTNAME not in hdul:
        return {}
    data = hdul[EXTNAME].data
    if data is None:
        return {}
    return {f"{PREFIX}{c}": (DIM, L.native(np.asarray(data[c]))) for c in data.dtype.names}


def stripe_times_hdu(ds: xr.Dataset) -> fits.BinTableHDU | None:
    """The ``INT_TIMES_STRIPE`` table from the ``stripe_times_<column>`` coords (jwst's columns
    in :data:`COLUMNS`' order, whatever order the coords came to have)."""
    given = [str(n)[len(PREFIX) :] for n in ds.coords if is_stripe_times(n)]
    if not given:
        return None
    names = [c for c in COLUMNS if c in given] + [c for c in given if c not in COLUMNS]
    arrays = [np.asarray(ds.coords[PREFIX + n].values) for n in names]
    columns = ",".join(names)
    table = np.rec.fromarrays(arrays, names=columns)  # type: ignore[call-overload]
    return fits.BinTableHDU(data=table, name=EXTNAME)


def with_stripe_times(product: xr.Dataset, exposure: xr.Dataset) -> xr.Dataset:
    """``product`` with the exposure's stripe times, when it has them."""
    times = {k: v for k, v in exposure.coords.items() if is_stripe_times(k)}
    return product.assign_coords(times) if times else product
