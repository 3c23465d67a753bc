"""Shared pieces of the NIRSpec IFU tests: the synthetic PRISM set, spec2x's and jwst's WCS.

Each is built once per test session (jwst's IFU WCS takes seconds).
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "nirspec"))
from nrs_helpers import BASE_ATTRS, REALDATA, session_folder  # noqa: E402

__all__ = [
    "ESA_TABLES",
    "IFU_ATTRS",
    "REALDATA",
    "cal_paths",
    "folder",
    "ifu_paths",
    "ifu_rate",
    "jwst_step",
    "opened_refs",
    "ours",
]

#: Keywords of a PRISM IFU exposure on NRS1 (the synthetic IFU pointing).
IFU_ATTRS: dict[str, Any] = {
    k: v
    for k, v in dict(BASE_ATTRS, EXP_TYPE="NRS_IFU", V2_REF=300.14, V3_REF=-498.2).items()
    if k not in ("FXD_SLIT", "V3I_YANG", "VPARITY")
}
ESA_TABLES = {
    "prism": "ifu_prism_functional_ESA_v1_20180619.txt",
    "grating": "ifu_grating_functional_ESA_v1_20180619.txt",
}


@lru_cache(maxsize=1)
def folder() -> Path:
    """A session folder for the IFU files (a full-frame cal is 200 MB), removed at exit."""
    return session_folder("spec2x_ifu_")


@lru_cache(maxsize=2)
def ifu_paths(grating: str = "PRISM") -> dict[str, str]:
    """The synthetic IFU references of ``grating`` (CV3 optics, synthetic slicer/fore/chromcorr)."""
    from spec2x.synthetic.nirspec_ifu import nirspec_ifu_paths

    return {k: str(v) for k, v in nirspec_ifu_paths(folder() / grating, grating).items()}


@lru_cache(maxsize=2)
def cal_paths(grating: str = "PRISM") -> dict[str, str]:
    """The synthetic IFU flats, photom and area of ``grating``."""
    from spec2x.synthetic.nirspec_ifu import nirspec_ifu_cal_paths

    made = nirspec_ifu_cal_paths(folder() / f"cal_{grating}", grating)
    return {k: str(v) for k, v in made.items()}


@lru_cache(maxsize=2)
def ifu_rate(grating: str = "PRISM") -> Path:
    from spec2x.synthetic.nirspec_ifu import make_nirspec_ifu_rate

    return make_nirspec_ifu_rate(folder() / f"ifu_{grating.lower()}_rate.fits", grating, seed=3)


@lru_cache(maxsize=2)
def opened_refs(grating: str = "PRISM") -> dict[str, Any]:
    from spec2x.io.references import open_reference

    return {k: open_reference(v, k) for k, v in ifu_paths(grating).items()}


@lru_cache(maxsize=2)
def ours(grating: str = "PRISM") -> Any:
    """spec2x's assign_wcs of the synthetic exposure of ``grating``."""
    from spec2x.io.fits import open_product
    from spec2x.steps.assign_wcs import assign_wcs

    return assign_wcs(open_product(ifu_rate(grating)), opened_refs(grating))


@lru_cache(maxsize=3)
def jwst_step(grating: str = "PRISM", slice_wcs: bool = False) -> Any:
    """jwst's AssignWcsStep on the same exposure: by default the coordinate-based WCS with
    the slice map; ``slice_wcs``: the slice-based WCS (``nrs_ifu_slice_wcs``, slit frame)."""
    from jwst.assign_wcs import AssignWcsStep
    from jwst_offline import run_jwst_step

    return run_jwst_step(
        AssignWcsStep,
        str(ifu_rate(grating)),
        ifu_paths(grating),
        rest="N/A",
        tmp_path=folder() / "crds",
        nrs_ifu_slice_wcs=slice_wcs,
    )
