"""A small NIRSpec fixed-slit cal product for the I/O tests (real WCS, hand-made calibration).

spec2x's own assign_wcs + extract_2d on a ``SUBS200A1`` subarray (64 rows,
the S200A1 slit; ~10 s, mostly reading the CV3 references), then the
variables and per-slit coords that flat_field, wavecorr, pathloss and photom
add to a fixed-slit point source, filled with seeded random numbers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import xarray as xr

sys.path.insert(0, str(Path(__file__).parents[1] / "nirspec"))
from nrs_helpers import BASE_ATTRS, shared_refs  # noqa: E402

from spec2x.datamodel import make_exposure  # noqa: E402
from spec2x.instruments.nirspec.fs import assign_fixed_slits  # noqa: E402
from spec2x.steps.extract_2d import extract_2d  # noqa: E402

#: The SUBS200A1 exposure; YOFFSET needs more than 20 characters (a FITS header rounds it).
SUB_ATTRS = dict(
    BASE_ATTRS,
    SUBARRAY="SUBS200A1",
    SUBSTRT1=1,
    SUBSTRT2=1041,
    SUBSIZE1=2048,
    SUBSIZE2=64,
    XOFFSET=0.05,
    YOFFSET=-0.0036489096916468983,
    DATE="2026-01-02T03:04:05.678",
)

#: Calibration arrays the NIRSpec steps keep on each slit (jwst's SlitModel names).
CAL_ARRAYS = (
    "flatfield_point",
    "flatfield_uniform",
    "pathloss_point",
    "pathloss_uniform",
    "photom_point",
    "photom_uniform",
)


def nirspec_cal(seed: int = 4) -> xr.Dataset:
    """The cal product: sci in MJy (point source), one slit S200A1, with the calibration extras."""
    rng = np.random.default_rng(seed)
    shape = (64, 2048)
    sci = (rng.normal(size=shape) + 5).astype(np.float32)
    var = np.full(shape, 0.04, np.float32)
    ds = make_exposure(
        sci,
        dq=np.zeros(shape, np.uint32),
        var_poisson=var,
        var_rnoise=var,
        attrs=dict(SUB_ATTRS),
        ystart=1041,
    )
    slits = extract_2d(assign_fixed_slits(ds, shared_refs()))
    inside = np.isfinite(slits["wavelength"].values)
    dims = ("slit", "y", "x")
    new = {
        name: (dims, np.where(inside, rng.uniform(0.5, 1.5, inside.shape), np.nan).astype("f4"))
        for name in CAL_ARRAYS
    }
    out = slits.assign(new)
    for name in CAL_ARRAYS:
        out[name].attrs["units"] = ""
    for name in ("sci", "err"):
        out[name] = out[name].where(inside).assign_attrs(units="MJy")
    out["err"] = np.sqrt(out["var_poisson"] + out["var_rnoise"]).where(inside).astype("f4")
    out["err"].attrs["units"] = "MJy"
    for name in ("var_poisson", "var_rnoise", "var_flat"):
        out[name].attrs["units"] = "(MJy)^2"
    n = out.sizes["slit"]
    pixar_sr = rng.uniform(2.0, 3.0, n) * 1e-13  # needs more than 20 characters
    out = out.assign_coords(
        wavelength_uncorrected=(dims, slits["wavelength"].values * (1 + 1e-4), {"units": "um"}),
        wavelength_corrected=("slit", np.ones(n, bool)),
        srctype=("slit", np.array(["POINT"] * n, dtype="U8")),
        pathloss_correction_type=("slit", np.array(["POINT"] * n)),
        photmjsr=("slit", rng.uniform(1, 2, n)),
        photuja2=("slit", rng.uniform(1, 2, n) * 1e3),
        pixar_sr=("slit", pixar_sr),
        pixar_a2=("slit", pixar_sr * 4.25451702961522e10),
        bunit_data=("slit", np.array(["MJy"] * n)),
    )
    attrs = dict(out.attrs)
    for step in ("FLAT", "WAVCOR", "PTHLOS", "PHOTOM", "SRCTYP"):
        attrs[f"S_{step}"] = "COMPLETE"
    attrs["SRCTYPE"] = "POINT"
    out.attrs = attrs
    return out
