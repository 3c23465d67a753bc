"""extract_1d on an MRS cube (``_s3d``) against jwst 3.0.0's Extract1dStep on the same file
(point source with its annulus, extended source; ifu_rfcorr and apcorr off on both sides; then
the point source with the radial aperture correction of a synthetic MRS APCORR file)."""

from __future__ import annotations

import numpy as np
import pytest
from cube_helpers import cal_and_exposure
from ifu_x1d_helpers import COLUMNS, assert_apcorr_as_jwst, assert_x1d_as_jwst, jwst_ifu_x1d

from spec2x.io.fits import write_fits
from spec2x.io.references import open_reference
from spec2x.steps._extract_ifu import extract_ifu
from spec2x.steps.cube_build import cube_build
from spec2x.synthetic.cubepar import write_mrs_cubepar
from spec2x.synthetic.ifu_extract_refs import write_ifu_extract1d, write_mrs_apcorr

pytestmark = [pytest.mark.parity, pytest.mark.slow]


@pytest.fixture(scope="module")
def s3d(tmp_path_factory, mrs_regions):
    """Our channel 1A cube of a point source on sky 2 MJy/sr, as a file, and the extract1d file."""
    pytest.importorskip("jwst")
    folder = tmp_path_factory.mktemp("mrs_x1d")
    _, ds, _ = cal_and_exposure(folder, mrs_regions["12A"], seed=5)
    cube = cube_build(ds, write_mrs_cubepar(folder / "cubepar.fits"), band=("1", "short"))
    return cube, folder, write_ifu_extract1d(folder / "extract1d.asdf")


@pytest.mark.parametrize("srctype", ["POINT", "EXTENDED"])
def test_x1d_as_jwst(s3d, srctype):
    cube, folder, extract1d = s3d
    cube = cube.assign_attrs(SRCTYPE=srctype)
    path = write_fits(cube, folder / f"{srctype}_s3d.fits")
    theirs = jwst_ifu_x1d(path, extract1d, ifu_rfcorr=False)
    ours = extract_ifu(cube, open_reference(str(extract1d), "extract1d"), ifu_rfcorr=False)
    assert_x1d_as_jwst(ours, theirs, srctype)
    assert np.isnan(ours["rf_flux"]).all()
    assert np.isnan(theirs.spec_table["rf_flux"]).all()


@pytest.mark.parametrize("rscale", [None, 1.0])
def test_apcorr_as_jwst(s3d, rscale):
    """The radial correction at the reference's 2 FWHM radius (~1) and, with ifu_rscale=1,
    at 1 FWHM (~1.067): flux, surface brightness, errors and variances as jwst's."""
    cube, folder, extract1d = s3d
    cube = cube.assign_attrs(SRCTYPE="POINT")
    path = write_fits(cube, folder / "apcorr_s3d.fits")
    apcorr = write_mrs_apcorr(folder / "apcorr.asdf")
    theirs = jwst_ifu_x1d(path, extract1d, apcorr, ifu_rfcorr=False, ifu_rscale=rscale).spec_table
    ours = extract_ifu(
        cube, open_reference(str(extract1d), "extract1d"), ifu_rfcorr=False, ifu_rscale=rscale,
        apcorr=open_reference(str(apcorr), "apcorr"),
    )  # fmt: skip
    plain = extract_ifu(
        cube, open_reference(str(extract1d), "extract1d"), ifu_rfcorr=False, ifu_rscale=rscale
    )
    ratio = np.nanmedian(ours["flux"].values / plain["flux"].values)
    assert ratio == pytest.approx(1.0667 if rscale == 1.0 else 1.0, abs=2e-3)
    assert ours.attrs["R_APCORR"] == "apcorr.asdf"
    assert_apcorr_as_jwst(
        ours,
        theirs,
        ("flux_var_poisson", "sb_var_rnoise", "flux_var_flat"),
        f"apcorr (ifu_rscale={rscale})",
    )


def test_ifu_autocen_as_jwst(s3d):
    """ifu_autocen with TARG_RA/TARG_DEC 1.5" off the source: both find the source in the
    median image at the same sub-spaxel centroid (not the target's spaxel) and extract there."""
    cube, folder, extract1d = s3d
    offset = 1.5 / 3600.0
    cube = cube.assign_attrs(SRCTYPE="POINT", TARG_DEC=float(cube.attrs["TARG_DEC"]) + offset)
    path = write_fits(cube, folder / "autocen_s3d.fits")
    theirs = jwst_ifu_x1d(path, extract1d, ifu_rfcorr=False, ifu_autocen=True)
    reference = open_reference(str(extract1d), "extract1d")
    ours = extract_ifu(cube, reference, ifu_rfcorr=False, ifu_autocen=True)
    on_target = extract_ifu(cube, reference, ifu_rfcorr=False)
    centre = (float(ours["extraction_x"]), float(ours["extraction_y"]))
    assert centre == pytest.approx((theirs.extraction_x, theirs.extraction_y), abs=1e-9)
    assert centre != (float(on_target["extraction_x"]), float(on_target["extraction_y"]))
    assert centre[0] % 1.0 != 0.0  # a centroid, not a spaxel
    table = theirs.spec_table
    for name in COLUMNS:
        np.testing.assert_allclose(ours[name], table[name], rtol=1e-7, atol=1e-12, err_msg=name)
    print(f"ifu_autocen: centre {centre}, target spaxel "
          f"{(float(on_target['extraction_x']), float(on_target['extraction_y']))}")  # fmt: skip
