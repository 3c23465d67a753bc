"""NIRSpec IFU cube tests: jwst's assign_wcs result with a point source injected, spec2x's of the same file.

Built once per session: the source is a Gaussian (FWHM 0.3") of sloped
spectrum at the middle of the field, added in MJy/sr on every pixel at the
RA, Dec, wavelength jwst's WCS gives it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from ifu_helpers import folder, ifu_paths, jwst_step

__all__ = ["FWHM", "cubepar", "jwst_cal", "jwst_cube", "our_cal", "source_spectrum"]

FWHM = 0.3
PEAK = 40.0


def source_spectrum(wave: np.ndarray) -> np.ndarray:
    """Peak surface brightness of the source (MJy/sr) at ``wave`` (µm)."""
    return PEAK * (1.0 + 0.1 * (wave - 3.0))


@lru_cache(maxsize=1)
def cubepar() -> str:
    from spec2x.synthetic.nirspec_cubepar import write_nirspec_cubepar

    return str(write_nirspec_cubepar(folder() / "nrs_cubepar.fits"))


@lru_cache(maxsize=2)
def jwst_cal(grating: str = "PRISM") -> str:
    """jwst's AssignWcsStep result with the point source, MJy/sr, saved; its path."""
    model = jwst_step(grating).copy()
    y, x = np.indices(model.data.shape, dtype=np.float64)
    ra, dec, wave = model.meta.wcs(x, y)
    ra0, dec0 = float(np.nanmedian(ra)), float(np.nanmedian(dec))
    dx = (ra - ra0) * np.cos(np.deg2rad(dec0)) * 3600.0
    dy = (dec - dec0) * 3600.0
    profile = np.exp(-(dx**2 + dy**2) / (2 * (FWHM / 2.3548) ** 2))
    added = np.where(np.isfinite(wave), profile * source_spectrum(wave), 0.0)
    model.data = (model.data + added).astype(np.float32)
    model.meta.bunit_data = model.meta.bunit_err = "MJy/sr"
    model.meta.target.ra, model.meta.target.dec = ra0, dec0
    path = folder() / f"ifu_{grating.lower()}_cal.fits"
    model.save(str(path))
    return str(path)


@lru_cache(maxsize=2)
def our_cal(grating: str = "PRISM") -> Any:
    """spec2x's assign_wcs of jwst's file (the same pixels), MJy/sr."""
    from ifu_helpers import opened_refs

    from spec2x.io.fits import open_exposure
    from spec2x.steps.assign_wcs import assign_wcs

    ds = assign_wcs(open_exposure(jwst_cal(grating)), opened_refs(grating))
    ds["sci"].attrs["units"] = ds["err"].attrs["units"] = "MJy/sr"
    return ds


def jwst_cube(grating: str = "PRISM", **params: Any) -> Any:
    """jwst 3.0.0's CubeBuildStep (spec2's skip_dqflagging) on :func:`jwst_cal`: the one cube."""
    from jwst.cube_build import CubeBuildStep
    from jwst_offline import run_jwst_step
    from stdatamodels.jwst.datamodels import IFUImageModel

    with IFUImageModel(jwst_cal(grating)) as model:
        (cube,) = run_jwst_step(
            CubeBuildStep, model, {"cubepar": cubepar()}, skip_dqflagging=True,
            tmp_path=folder() / "crds", **params,
        )  # fmt: skip
    return cube


assert ifu_paths  # the references jwst_step ran with
