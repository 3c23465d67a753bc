"""What every step shares: checking its input and recording what it did."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import xarray as xr

from ..errors import StepOrderError

__all__ = ["MSA_SLIT_LABELS", "STATUS_KEYWORDS", "record_step", "require"]

#: Per-slit MSA labels (extract_2d of MOS) that jwst copies from each ``cal`` slit to
#: its ``s2d`` slit (with ``shutter_id``) and ``x1d`` spectrum.
MSA_SLIT_LABELS = (
    "slitlet_id", "source_name", "source_alias", "stellarity", "shutter_state", "quadrant",
    "slit_xscale", "slit_yscale",
)  # fmt: skip

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
    "wfss_contam": "S_CONTAM",
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
