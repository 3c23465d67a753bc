"""Shared pieces of the NIRSpec IFU tests: the synthetic PRISM set, spec2x's and jwst's WCS.

Each is built once per test session (jwst's IFU WCS takes seconds).
"""

from __future__ import annotations

import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "nirspec"))
from nrs_helpers import BASE_ATTRS, REALDATA  # noqa: E402

__all__ = [
    "ESA_TABLES",
    "IFU_ATTRS",
    "REALDATA",
    "folder",
    "jwst_slice_based",
    "jwst_step",
    "opened_refs",
    "ours",
    "prism_paths",
    "prism_rate",
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
    return Path(tempfile.mkdtemp(prefix="spec2x_ifu_"))


@lru_cache(maxsize=1)
def prism_paths() -> dict[str, str]:
    """The synthetic IFU PRISM references (CV3 optics, synthetic slicer/fore/chromcorr)."""
    from spec2x.synthetic.nirspec_ifu import nirspec_ifu_paths

    return {k: str(v) for k, v in nirspec_ifu_paths(folder() / "refs").items()}


@lru_cache(maxsize=1)
def prism_rate() -> Path:
    from spec2x.synthetic.nirspec_ifu import make_nirspec_ifu_rate

    return make_nirspec_ifu_rate(folder() / "ifu_prism_rate.fits", seed=3)


@lru_cache(maxsize=1)
def opened_refs() -> dict[str, Any]:
    from spec2x.io.references import open_reference

    return {k: open_reference(v, k) for k, v in prism_paths().items()}


@lru_cache(maxsize=1)
def ours() -> Any:
    """spec2x's assign_wcs of the synthetic PRISM exposure."""
    from spec2x.io.fits import open_product
    from spec2x.steps.assign_wcs import assign_wcs

    return assign_wcs(open_product(prism_rate()), opened_refs())


@lru_cache(maxsize=1)
def jwst_step() -> Any:
    """jwst's AssignWcsStep (default: coordinate-based WCS with the slice map)."""
    from jwst.assign_wcs import AssignWcsStep
    from jwst_offline import run_jwst_step

    return run_jwst_step(
        AssignWcsStep, str(prism_rate()), prism_paths(), rest="N/A", tmp_path=folder() / "crds"
    )


@lru_cache(maxsize=1)
def jwst_slice_based() -> Any:
    """jwst's assign_wcs with ``nrs_ifu_slice_wcs=True`` (the slice-based WCS, slit frame)."""
    from jwst.assign_wcs import AssignWcsStep
    from jwst_offline import run_jwst_step

    return run_jwst_step(
        AssignWcsStep,
        str(prism_rate()),
        prism_paths(),
        rest="N/A",
        tmp_path=folder() / "crds",
        nrs_ifu_slice_wcs=True,
    )
