"""Helpers of the MRS cube tests: a calibrated-like exposure with a known point source, jwst's cubes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: The injected source: Gaussian FWHM (arcsec), surface brightness scale (MJy/sr) and slope.
FWHM = 0.5
PEAK = 50.0
SLOPE = 0.2  # per µm, about the band centre


def source_spectrum(wave: np.ndarray, centre: float) -> np.ndarray:
    """Peak surface brightness of the source (MJy/sr) at ``wave`` (µm)."""
    return PEAK * (1.0 + SLOPE * (wave - centre))


def inject_point_source(
    sci: np.ndarray,
    world: tuple[np.ndarray, np.ndarray, np.ndarray],
    ra0: float,
    dec0: float,
    centre: float,
) -> np.ndarray:
    """``sci`` plus a Gaussian source at (ra0, dec0) deg, from each pixel's RA, Dec, wavelength."""
    ra, dec, wave = world
    dx = (ra - ra0) * np.cos(np.deg2rad(dec0)) * 3600.0
    dy = (dec - dec0) * 3600.0
    sigma = FWHM / 2.3548
    profile = np.exp(-(dx**2 + dy**2) / (2 * sigma**2))
    added = np.where(np.isfinite(wave), profile * source_spectrum(wave, centre), 0.0)
    return (sci + added).astype(np.float32)


def source_position(world: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[float, float]:
    """RA, Dec (deg) near the middle of channel 1's field (median of its pixels' positions)."""
    ra, dec, _ = world
    left = np.isfinite(ra[:, :512])
    return float(np.median(ra[:, :512][left])), float(np.median(dec[:, :512][left]))


def jwst_cal_model(
    rate: Path, refs: dict[str, Any], out: Path, position: tuple[float, float] | None = None
) -> Path:
    """jwst's AssignWcsStep on ``rate`` with a point source injected at ``position`` (RA, Dec
    deg; None: the middle of channel 1), units MJy/sr, saved to ``out``."""
    from jwst.assign_wcs import AssignWcsStep
    from jwst_offline import run_jwst_step

    model = run_jwst_step(
        AssignWcsStep, str(rate), {k: str(v) for k, v in refs.items()}, rest="N/A"
    )
    y, x = np.indices(model.data.shape, dtype=np.float64)
    world = model.meta.wcs(x, y)
    ra0, dec0 = source_position(world) if position is None else position
    model.data = inject_point_source(model.data, world, ra0, dec0, centre=5.3)
    model.meta.bunit_data = "MJy/sr"
    model.meta.bunit_err = "MJy/sr"
    model.meta.target.ra = ra0
    model.meta.target.dec = dec0
    model.save(str(out))
    return out


def jwst_cubes(cal: Path | list[Path], cubepar: Path, **params: Any) -> list[Any]:
    """jwst 3.0.0's CubeBuildStep (spec2's settings: skip_dqflagging) on ``cal`` (one file, or
    several combined into one cube per band as an association's members): one cube per band."""
    from jwst.cube_build import CubeBuildStep
    from jwst.datamodels import ModelContainer
    from jwst_offline import run_jwst_step
    from stdatamodels.jwst.datamodels import IFUImageModel

    if isinstance(cal, list):
        models: Any = ModelContainer([IFUImageModel(str(p)) for p in cal])
    else:
        models = IFUImageModel(str(cal))
    with models:
        result = run_jwst_step(
            CubeBuildStep, models, {"cubepar": str(cubepar)}, skip_dqflagging=True, **params
        )
    return list(result)


def cal_and_exposure(folder: Path, regions: Any, seed: int) -> tuple[Path, Any, dict[str, Any]]:
    """A 1A/2A exposure with a point source: jwst's file (``cal.fits``), the same after
    spec2x's assign_wcs in MJy/sr, and the WCS references."""
    from mrs_helpers import real_refs

    from spec2x.io.fits import open_exposure
    from spec2x.steps.assign_wcs import assign_wcs
    from spec2x.synthetic.miri_mrs import make_mrs_rate

    refs = real_refs("12A", regions)
    cal = jwst_cal_model(
        make_mrs_rate(folder / "mrs_rate.fits", seed=seed), refs, folder / "cal.fits"
    )
    ds = assign_wcs(open_exposure(cal), refs)
    ds["sci"].attrs["units"] = ds["err"].attrs["units"] = "MJy/sr"
    return cal, ds, refs


def assert_cube_as_jwst(ours: Any, theirs: Any, dq_differ: float) -> None:
    """Values and errors to 1e-2 where both cubes have data; DQ and weight maps (nearly) equal."""
    dq = ours["dq"].values
    assert (dq != theirs.dq).mean() < dq_differ
    both = (dq == 0) & (theirs.dq == 0)
    assert both.mean() > 0.5
    for name, jwst in (("sci", theirs.data), ("err", theirs.err)):
        np.testing.assert_allclose(ours[name].values[both], jwst[both], rtol=1e-2, atol=1e-6)
    assert (ours["weightmap"].values != theirs.weightmap).mean() < 1e-4
