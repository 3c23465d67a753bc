"""What every step shares: checking its input and recording what it did."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import xarray as xr

from ..dq import DQ, DQ_DTYPE
from ..errors import StepOrderError

__all__ = ["STATUS_KEYWORDS", "match_nans_and_flags", "record_step", "require"]

#: jwst's ``S_*`` status keyword for each step (``cal_step`` in the datamodels).
STATUS_KEYWORDS = {
    "assign_wcs": "S_WCS",
    "badpix_selfcal": "S_BPSELF",
    "msa_flagging": "S_MSAFLG",
    "clean_flicker_noise": "S_CLNFNS",
    "nsclean": "S_NSCLEN",
    "bkg_subtract": "S_BKDSUB",
    "imprint_subtract": "S_IMPRNT",
    "extract_2d": "S_EXTR2D",
    "master_background_mos": "S_MSBSUB",
    "targ_centroid": "S_TACNTR",
    "wavecorr": "S_WAVCOR",
    "flat_field": "S_FLAT",
    "srctype": "S_SRCTYP",
    "straylight": "S_STRAY",
    "fringe": "S_FRINGE",
    "residual_fringe": "S_RESFRI",
    "pathloss": "S_PTHLOS",
    "barshadow": "S_BARSHA",
    "wfss_contam": "S_WFSCON",
    "photom": "S_PHOTOM",
    "adaptive_trace_model": "S_TRCMDL",
    "pixel_replace": "S_PXREPL",
    "resample_spec": "S_REGRID",
    "cube_build": "S_IFUCUB",
    "extract_1d": "S_EXTR1D",
}


def require(ds: xr.Dataset, *variables: str, coords: Iterable[str] = (), step: str = "") -> None:
    """Raise :class:`StepOrderError` unless ``ds`` holds these variables and coords."""
    missing = [v for v in variables if v not in ds.data_vars]
    missing += [c for c in coords if c not in ds.coords]
    if missing:
        where = f"{step}: " if step else ""
        hint = " (run assign_wcs first)" if "wavelength" in missing else ""
        raise StepOrderError(
            f"{where}{ds.attrs.get('FILENAME', 'input')} lacks {', '.join(missing)}{hint}"
        )


def record_step(
    ds: xr.Dataset,
    step: str,
    *references: Any,
    status: str = "COMPLETE",
    extra: dict[str, Any] | None = None,
) -> xr.Dataset:
    """Return ``ds`` with the step's ``S_*`` keyword and each reference's ``R_*`` keyword.

    ``references`` are opened references (anything with ``reftype`` and
    ``name``) or ``None``, which is passed over.  The input is not modified.
    """
    from ..io.references import reference_keyword

    attrs = dict(ds.attrs)
    attrs[STATUS_KEYWORDS[step]] = status
    for ref in references:
        if ref is not None:
            attrs[reference_keyword(ref.reftype)] = ref.name
    attrs.update(extra or {})
    out = ds.copy(deep=False)
    out.attrs = attrs
    return out


#: Float pixel arrays kept consistent with DO_NOT_USE (jwst ``match_nans_and_flags``).
_NAN_VARIABLES = ("sci", "err", "var_poisson", "var_rnoise", "var_flat")


def match_nans_and_flags(ds: xr.Dataset) -> xr.Dataset:
    """Make NaN and ``DO_NOT_USE`` agree, as jwst's ``match_nans_and_flags`` does.

    A pixel that is NaN in any of ``sci err var_poisson var_rnoise var_flat``
    or flagged ``DO_NOT_USE`` becomes NaN in all of them and gains
    ``DO_NOT_USE``.  Lazy on Dask; returns a new Dataset.
    """
    names = [n for n in _NAN_VARIABLES if n in ds.data_vars]
    if not names or "dq" not in ds.data_vars:
        return ds
    invalid = (ds["dq"] & DQ_DTYPE(DQ.DO_NOT_USE)) != 0
    for name in names:
        invalid = invalid | np.isnan(ds[name])
    valid = ~invalid
    # One new array per variable: ``where`` keeps a float dtype, so the
    # ``astype`` is a no-op then (copy=False).
    updates = {name: ds[name].where(valid).astype(ds[name].dtype, copy=False) for name in names}
    flags = invalid * DQ_DTYPE(DQ.DO_NOT_USE)
    updates["dq"] = (ds["dq"] | flags).astype(DQ_DTYPE, copy=False).transpose(*ds["dq"].dims)
    return ds.assign({k: v.assign_attrs(ds[k].attrs) for k, v in updates.items()})
