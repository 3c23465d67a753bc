"""Shared helpers of the NIRSpec WCS / extract_2d tests (references, jwst models)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from helpers import REALDATA as SHARED_REALDATA

REALDATA = SHARED_REALDATA / "nirspec"

#: Pointing and instrument keywords of a test exposure.
BASE_ATTRS: dict[str, Any] = {
    "INSTRUME": "NIRSPEC",
    "DETECTOR": "NRS1",
    "FILTER": "CLEAR",
    "GRATING": "PRISM",
    "EXP_TYPE": "NRS_FIXEDSLIT",
    "SUBARRAY": "FULL",
    "FXD_SLIT": "S200A1",
    "GWA_XTIL": 0.3467,
    "GWA_YTIL": 0.1334,
    "GWA_TILT": 37.0,
    "SUBSTRT1": 1,
    "SUBSTRT2": 1,
    "SUBSIZE1": 2048,
    "SUBSIZE2": 2048,
    "V2_REF": 321.87,
    "V3_REF": -477.94,
    "ROLL_REF": 45.0,
    "RA_REF": 53.1,
    "DEC_REF": -27.8,
    "V3I_YANG": 138.5,
    "VPARITY": -1,
}


def real_prism_paths(msa_path: Path) -> dict[str, str]:
    """The CV3 PRISM/CLEAR optical references (real files) plus a synthetic msa.

    The real files come from the shared realdata folder, or (where it is
    absent, as in CI) from the copies packaged with spec2x.synthetic, with the
    synthetic wavelengthrange (same CLEAR_PRISM range) in place of the real one.
    """
    if REALDATA.is_dir():
        folder, wavelengthrange = REALDATA, REALDATA / "jwst_nirspec_wavelengthrange_0004.asdf"
    else:
        from spec2x.synthetic.nirspec_refs import TEMPLATE_DIR, write_wavelengthrange

        folder = TEMPLATE_DIR
        wavelengthrange = write_wavelengthrange(Path(msa_path).with_name("wavelengthrange.asdf"))
    return {
        "disperser": str(folder / "jwst_nirspec_disperser_0034.asdf"),
        "wavelengthrange": str(wavelengthrange),
        "fpa": str(folder / "jwst_nirspec_fpa_0005.asdf"),
        "camera": str(folder / "jwst_nirspec_camera_0004.asdf"),
        "collimator": str(folder / "jwst_nirspec_collimator_0004.asdf"),
        "msa": str(msa_path),
        "fore": str(folder / "jwst_nirspec_fore_0028.asdf"),
        "ote": str(folder / "jwst_nirspec_ote_0005.asdf"),
    }


def jwst_image_model(attrs: dict[str, Any], shape: tuple[int, int] | None = None) -> Any:
    """A jwst ImageModel carrying the keywords of ``attrs`` (zeros as data)."""
    import numpy as np
    from stdatamodels.jwst import datamodels

    ny = shape[0] if shape else attrs["SUBSIZE2"]
    nx = shape[1] if shape else attrs["SUBSIZE1"]
    m = datamodels.ImageModel(np.zeros((ny, nx), np.float32))
    ins, wi = m.meta.instrument, m.meta.wcsinfo
    ins.name = "NIRSPEC"
    ins.detector = attrs["DETECTOR"]
    ins.filter = attrs["FILTER"]
    ins.grating = attrs["GRATING"]
    ins.fixed_slit = attrs.get("FXD_SLIT")
    ins.gwa_xtilt = attrs.get("GWA_XTIL")
    ins.gwa_ytilt = attrs.get("GWA_YTIL")
    ins.gwa_tilt = attrs.get("GWA_TILT")
    m.meta.exposure.type = attrs["EXP_TYPE"]
    sub = m.meta.subarray
    sub.name = attrs["SUBARRAY"]
    sub.xstart, sub.ystart = attrs["SUBSTRT1"], attrs["SUBSTRT2"]
    sub.xsize, sub.ysize = nx, ny
    wi.v2_ref, wi.v3_ref, wi.roll_ref = attrs["V2_REF"], attrs["V3_REF"], attrs["ROLL_REF"]
    wi.ra_ref, wi.dec_ref = attrs["RA_REF"], attrs["DEC_REF"]
    wi.v3yangle, wi.vparity = attrs["V3I_YANG"], attrs["VPARITY"]
    if attrs.get("XOFFSET") is not None:
        m.meta.dither.x_offset = attrs["XOFFSET"]
        m.meta.dither.y_offset = attrs["YOFFSET"]
    return m


def jwst_assign_wcs(model: Any, paths: dict[str, str], tmp_path: Path) -> Any:
    """jwst's assign_wcs core (load_wcs) run offline on ``model``."""
    from jwst.assign_wcs.assign_wcs import load_wcs
    from jwst_offline import jwst_offline_env

    with jwst_offline_env(tmp_path):
        return load_wcs(model, dict(paths), nrs_slit_y_range=(-0.55, 0.55))


# --- shared, built once per test session (they are the slow part) -----------------


def session_folder(prefix: str) -> Path:
    """A temporary folder for this test session's files, removed when the tests end."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@lru_cache(maxsize=1)
def shared_paths() -> dict[str, str]:
    """Real CV3 PRISM references + a small synthetic msa, written once."""
    from spec2x.synthetic.nirspec_refs import write_msa

    folder = session_folder("spec2x_nrs_")
    return real_prism_paths(write_msa(folder / "msa.asdf", grid=(4, 3)))


@lru_cache(maxsize=1)
def shared_refs() -> dict[str, Any]:
    from spec2x.io.references import open_reference

    return {k: open_reference(v, k) for k, v in shared_paths().items()}


def full_frame_image(seed: int = 1) -> tuple[Any, Any]:
    import numpy as np

    r = np.random.default_rng(seed)
    shape = (2048, 2048)
    return r.normal(size=shape).astype(np.float32), r.integers(0, 4, size=shape).astype(np.uint32)


FULL_ATTRS = dict(BASE_ATTRS, XOFFSET=0.05, YOFFSET=0.3)


@lru_cache(maxsize=1)
def shared_full_assigned() -> Any:
    """Our assign_wcs of a full-frame PRISM FS exposure (random data, seed 1)."""
    import numpy as np

    from spec2x.datamodel import make_exposure
    from spec2x.instruments.nirspec.fs import assign_fixed_slits

    sci, dq = full_frame_image()
    ds = make_exposure(sci, dq=dq, var_poisson=np.abs(sci), attrs=dict(FULL_ATTRS))
    return assign_fixed_slits(ds, shared_refs())


@lru_cache(maxsize=1)
def shared_full_jwst() -> Any:
    """jwst's assign_wcs of the same exposure (a jwst ImageModel)."""
    import numpy as np

    sci, dq = full_frame_image()
    model = jwst_image_model(FULL_ATTRS, shape=sci.shape)
    model.data = sci
    model.dq = dq
    model.var_poisson = np.abs(sci)
    for name in ("err", "var_rnoise"):
        setattr(model, name, np.zeros_like(sci))
    model = jwst_assign_wcs(model, shared_paths(), session_folder("spec2x_crds_"))
    model.meta.cal_step.assign_wcs = "COMPLETE"
    return model
