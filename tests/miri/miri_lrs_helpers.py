"""Helpers shared by the MIRI LRS tests: exposure keywords and the matching jwst model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import REALDATA, set_jwst_pointing

#: shared/realdata beside the repository (the work tree and CI's clone alike).
_REALDATA = REALDATA / "miri"
if not _REALDATA.is_dir():  # pragma: no cover - a checkout without shared/
    pytest.skip(f"real MIRI reference files not found in {_REALDATA}", allow_module_level=True)
REAL = f"{_REALDATA}/"
REAL_DISTORTION = REAL + "jwst_miri_imager_distortion_flt9.asdf"
REAL_SPECWCS = {
    "MIR_LRS-FIXEDSLIT": REAL + "jwst_miri_specwcs_0005.fits",
    "MIR_LRS-SLITLESS": REAL + "jwst_miri_specwcs_0006.fits",
}


def lrs_attrs(exp_type: str, **extra: Any) -> dict[str, Any]:
    """Keywords of an LRS exposure (fixed slit full frame, or SLITLESSPRISM)."""
    if exp_type == "MIR_LRS-SLITLESS":
        sub = dict(SUBARRAY="SLITLESSPRISM", SUBSTRT1=1, SUBSTRT2=529, SUBSIZE1=72, SUBSIZE2=416)
    else:
        sub = dict(SUBARRAY="FULL", SUBSTRT1=1, SUBSTRT2=1, SUBSIZE1=1032, SUBSIZE2=1024)
    attrs = dict(
        INSTRUME="MIRI",
        DETECTOR="MIRIMAGE",
        FILTER="P750L",
        EXP_TYPE=exp_type,
        V2_REF=-378.630,
        V3_REF=-344.895,
        ROLL_REF=254.3,
        RA_REF=80.4875,
        DEC_REF=-69.4989,
        V3I_YANG=4.83,
        VPARITY=-1,
        **sub,
    )
    attrs.update(extra)
    return attrs


def jwst_model(attrs: dict[str, Any]) -> Any:
    """A stdatamodels ImageModel with the same keywords (for jwst's WCS code)."""
    from stdatamodels.jwst.datamodels import ImageModel

    model = ImageModel(np.zeros((attrs["SUBSIZE2"], attrs["SUBSIZE1"]), np.float32))
    meta = model.meta
    meta.instrument.name = "MIRI"
    meta.instrument.detector = attrs["DETECTOR"]
    meta.instrument.filter = attrs["FILTER"]
    meta.exposure.type = attrs["EXP_TYPE"]
    meta.subarray.name = attrs["SUBARRAY"]
    meta.subarray.xstart = attrs["SUBSTRT1"]
    meta.subarray.ystart = attrs["SUBSTRT2"]
    meta.subarray.xsize = attrs["SUBSIZE1"]
    meta.subarray.ysize = attrs["SUBSIZE2"]
    set_jwst_pointing(model, attrs)
    for key, name in [("XOFFSET", "x_offset"), ("YOFFSET", "y_offset")]:
        if key in attrs:
            setattr(meta.dither, name, attrs[key])
    return model


def jwst_lrs_wcs(attrs: dict[str, Any], distortion: str, specwcs: str) -> Any:
    """jwst 3.0.0's own LRS gwcs for these keywords and references."""
    from gwcs import wcs as gwcs_wcs
    from jwst.assign_wcs import miri

    model = jwst_model(attrs)
    return gwcs_wcs.WCS(miri.lrs(model, {"distortion": distortion, "specwcs": specwcs}))
