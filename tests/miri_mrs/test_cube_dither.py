"""Several MRS exposures (a 4-point dither) into one cube, against jwst 3.0.0's CubeBuildStep
on the same four calibrated files."""

from __future__ import annotations

import numpy as np
import pytest
from cube_helpers import assert_cube_as_jwst, jwst_cal_model, jwst_cubes, source_position
from mrs_helpers import real_refs

from spec2x.errors import ParameterError
from spec2x.io.fits import open_exposure
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.steps.cube_build import build_cube, cube_build
from spec2x.synthetic.cubepar import write_mrs_cubepar
from spec2x.synthetic.miri_mrs import MRS_POINTING, make_mrs_rate
from spec2x.wcs.store import get_wcs

pytestmark = [pytest.mark.parity, pytest.mark.slow]

#: The 4-point dither offsets (arcsec east, north) of the pointing.
DITHER = ((0.0, 0.0), (0.55, 0.3), (-0.3, 0.55), (0.25, -0.45))


@pytest.fixture(scope="module")
def dither(tmp_path_factory, mrs_regions):
    """Four calibrated-like exposures of one point source (ours as Datasets, jwst's cal files)."""
    pytest.importorskip("jwst")
    folder = tmp_path_factory.mktemp("mrs_dither")
    refs = real_refs("12A", mrs_regions["12A"])
    ra_ref, dec_ref = MRS_POINTING["RA_REF"], MRS_POINTING["DEC_REF"]
    cals, position = [], None
    for i, (east, north) in enumerate(DITHER):
        pointing = {
            "RA_REF": ra_ref + east / 3600.0 / np.cos(np.deg2rad(dec_ref)),
            "DEC_REF": dec_ref + north / 3600.0,
        }
        rate = make_mrs_rate(folder / f"d{i}_rate.fits", seed=20 + i, **pointing)
        cal = jwst_cal_model(rate, refs, folder / f"d{i}_cal.fits", position)
        if position is None:
            ds = assign_wcs(open_exposure(cal), refs)
            y, x = np.indices(ds["sci"].shape, dtype=np.float64)
            position = source_position(get_wcs(ds)(x, y))
        cals.append(cal)
    ours = []
    for cal in cals:
        ds = assign_wcs(open_exposure(cal), refs)
        ds["sci"].attrs["units"] = ds["err"].attrs["units"] = "MJy/sr"
        ours.append(ds)
    return ours, cals, write_mrs_cubepar(folder / "cubepar.fits")


def test_dithered_cube_as_jwst(dither):
    exposures, cals, cubepar = dither
    (theirs,) = jwst_cubes(cals, cubepar, channel="1")
    ours = build_cube(exposures, cubepar, band=("1", "short"))
    assert ours["sci"].shape == theirs.data.shape
    info = theirs.meta.wcsinfo
    for key in ("CRPIX1", "CRPIX2", "CDELT1", "CDELT3", "CRVAL3"):
        assert ours.attrs[key] == pytest.approx(getattr(info, key.lower()), rel=1e-12), key
    assert ours.attrs["CRVAL1"] == pytest.approx(info.crval1, abs=1e-9)
    assert ours.attrs["CRVAL2"] == pytest.approx(info.crval2, abs=1e-9)
    assert_cube_as_jwst(ours, theirs, dq_differ=1e-4)
    # four exposures: the cube covers more sky and holds more pixels than one
    single = cube_build(exposures[0], cubepar, band=("1", "short"))
    assert ours["weightmap"].values.sum() > 3.5 * single["weightmap"].values.sum()


def test_dither_needs_the_band_in_every_exposure(dither):
    exposures, _, cubepar = dither
    with pytest.raises(ParameterError, match="band .* is not in"):
        build_cube(exposures, cubepar, band=("3", "short"))
    with pytest.raises(ParameterError, match="no exposure"):
        build_cube([], cubepar)
