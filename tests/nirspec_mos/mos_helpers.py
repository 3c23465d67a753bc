"""Shared pieces of the NIRSpec MOS tests: full-grid msa reference, metadata file, exposures.

Built once per test session (the full 4 x 365 x 171 msa reference takes a few
seconds to write; the WCS of a few dozen slitlets a few more).
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "nirspec"))
from nrs_helpers import BASE_ATTRS, jwst_image_model, real_prism_paths, session_folder  # noqa: E402

#: Keywords of the synthetic MOS exposure (PRISM/CLEAR on NRS1, full frame).
MOS_ATTRS: dict[str, Any] = dict(
    BASE_ATTRS, EXP_TYPE="NRS_MSASPEC", MSAMETID=1, PATT_NUM=1, PROGRAM="01234", FXD_SLIT="NONE"
)
N_SLITLETS = 30


@lru_cache(maxsize=1)
def folder() -> Path:
    """A temporary folder for the session's files (200 MB), removed when the tests end."""
    return session_folder("spec2x_mos_")


@lru_cache(maxsize=1)
def mos_paths() -> dict[str, str]:
    """Real CV3 PRISM references + the full-grid synthetic msa reference."""
    from spec2x.synthetic.nirspec_refs import write_msa

    return real_prism_paths(write_msa(folder() / "msa.asdf"))


@lru_cache(maxsize=1)
def mos_refs() -> dict[str, Any]:
    from spec2x.io.references import open_reference

    return {k: open_reference(v, k) for k, v in mos_paths().items()}


@lru_cache(maxsize=1)
def metadata_file() -> Path:
    """A metadata file of 30 slitlets (4 background only, 2 off NRS1) and the S200A1 slit."""
    from spec2x.synthetic.nirspec_msa import mos_layout, write_msa_metadata

    return write_msa_metadata(folder() / "jw01234001001_01_msa.fits", mos_layout(N_SLITLETS))


def mos_exposure(**attrs: Any) -> Any:
    from spec2x.datamodel import make_exposure

    keywords = {**MOS_ATTRS, "MSAMETFL": str(metadata_file()), **attrs}
    return make_exposure(np.zeros((2048, 2048), np.float32), attrs=keywords)


@lru_cache(maxsize=3)
def assigned(patt_num: int = 1) -> Any:
    """spec2x's MOS WCS of the synthetic exposure at dither point ``patt_num``."""
    from spec2x.instruments.nirspec.msa_wcs import assign_msa_slits

    return assign_msa_slits(mos_exposure(PATT_NUM=patt_num), mos_refs())


@lru_cache(maxsize=2)
def jwst_assigned(metadata: str | None = None) -> Any:
    """jwst's assign_wcs (load_wcs, offline) of the same exposure (or of the one described
    by the ``metadata`` file)."""
    from jwst.assign_wcs.assign_wcs import load_wcs
    from jwst_offline import jwst_offline_env

    metadata = metadata or str(metadata_file())
    model = jwst_image_model(MOS_ATTRS, shape=(2048, 2048))
    model.meta.instrument.msa_metadata_file = metadata
    model.meta.instrument.msa_metadata_id = MOS_ATTRS["MSAMETID"]
    model.meta.dither.position_number = MOS_ATTRS["PATT_NUM"]
    model.meta.observation.program_number = MOS_ATTRS["PROGRAM"]
    paths = dict(mos_paths(), msametafile=metadata)
    with jwst_offline_env(folder()):
        return load_wcs(model, paths, nrs_slit_y_range=(-0.55, 0.55))


def random_planes(seed: int = 5) -> dict[str, Any]:
    """Seeded full-frame sci/dq/var_poisson planes for the cut-out parity tests."""
    r = np.random.default_rng(seed)
    sci = r.normal(size=(2048, 2048)).astype(np.float32)
    return {
        "sci": sci,
        "dq": r.integers(0, 4, size=sci.shape).astype(np.uint32),
        "var_poisson": np.abs(sci),
    }


@lru_cache(maxsize=1)
def assigned_with_data() -> Any:
    """spec2x's MOS WCS of the synthetic exposure holding :func:`random_planes`."""
    ds = assigned().copy()
    for name, values in random_planes().items():
        ds[name] = (("y", "x"), values)
    return ds


@lru_cache(maxsize=1)
def jwst_extracted() -> Any:
    """jwst's extract_2d (nrs_extract2d) of the same exposure holding :func:`random_planes`
    (the planes are set on the cached :func:`jwst_assigned` model)."""
    from jwst.extract_2d.nirspec import nrs_extract2d

    model = jwst_assigned()
    planes = random_planes()
    model.data, model.dq, model.var_poisson = planes["sci"], planes["dq"], planes["var_poisson"]
    model.err = np.zeros_like(planes["sci"])
    model.var_rnoise = np.zeros_like(planes["sci"])
    model.meta.cal_step.assign_wcs = "COMPLETE"
    return nrs_extract2d(model)
