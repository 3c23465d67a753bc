"""extract_1d on a NIRSpec IFU cube (``_s3d``) against jwst 3.0.0's Extract1dStep on the same
file (point source with its annulus, extended source; apcorr off on both sides; then the point
source with the radial aperture correction of a synthetic ``NrsIfuApcorrModel``, and an apcorr
file of another grating refused)."""

from __future__ import annotations

import numpy as np
import pytest
from ifu_cube_helpers import cubepar, our_cal
from ifu_helpers import folder
from ifu_x1d_helpers import assert_apcorr_as_jwst, assert_x1d_as_jwst, jwst_ifu_x1d

from spec2x.errors import ReferenceMismatchError
from spec2x.io.fits import write_fits
from spec2x.io.references import open_reference
from spec2x.steps._extract_ifu import extract_ifu
from spec2x.steps.cube_build import cube_build
from spec2x.synthetic.ifu_extract_refs import write_ifu_extract1d, write_nrs_ifu_apcorr

pytestmark = [pytest.mark.parity, pytest.mark.slow]


@pytest.fixture(scope="module")
def s3d():
    """Our PRISM cube of the point source, and the NIRSpec IFU extract1d file."""
    pytest.importorskip("jwst")
    extract1d = write_ifu_extract1d(
        folder() / "nrs_ifu_extract1d.asdf", instrument="NIRSPEC", exp_type="NRS_IFU",
        wavelength=(0.5, 5.5),
    )  # fmt: skip
    return cube_build(our_cal("PRISM"), cubepar()), extract1d


@pytest.mark.parametrize("srctype", ["POINT", "EXTENDED"])
def test_x1d_as_jwst(s3d, srctype):
    cube, extract1d = s3d
    cube = cube.assign_attrs(SRCTYPE=srctype)
    path = write_fits(cube, folder() / f"nrs_{srctype}_s3d.fits")
    theirs = jwst_ifu_x1d(path, extract1d, tmp_path=folder() / "crds")
    ours = extract_ifu(cube, open_reference(str(extract1d), "extract1d"))
    assert ours.attrs["DATAMODL"] == "MultiSpecModel"
    assert "rf_flux" not in ours
    assert_x1d_as_jwst(ours, theirs, srctype)


def test_apcorr_as_jwst(s3d):
    """jwst's ApCorrRadial for NIRSpec: the table at the cube's median wavelength scale, each
    plane's radius; flux, surface brightness, errors and variances as jwst's."""
    cube, extract1d = s3d
    cube = cube.assign_attrs(SRCTYPE="POINT")
    path = write_fits(cube, folder() / "nrs_apcorr_s3d.fits")
    # a broad PSF (0.3" + 0.05" per um) so that the correction is well above 1 in the blue
    apcorr = write_nrs_ifu_apcorr(folder() / "nrs_ifu_apcorr.asdf", fwhm=(0.05, 0.3))
    theirs = jwst_ifu_x1d(path, extract1d, apcorr, tmp_path=folder() / "crds").spec_table
    ref = open_reference(str(extract1d), "extract1d")
    ours = extract_ifu(cube, ref, apcorr=open_reference(str(apcorr), "apcorr"))
    plain = extract_ifu(cube, ref)
    ratio = ours["flux"].values / plain["flux"].values
    assert np.nanmax(ratio) > 1.05
    assert np.nanmin(ratio) >= 1.0
    assert ours.attrs["R_APCORR"] == "nrs_ifu_apcorr.asdf"
    assert_apcorr_as_jwst(
        ours, theirs, ("flux_var_poisson", "flux_var_rnoise", "sb_var_flat"), "NIRSpec IFU apcorr"
    )


def test_apcorr_of_another_grating_is_refused(s3d):
    cube, extract1d = s3d
    other = write_nrs_ifu_apcorr(
        folder() / "nrs_ifu_apcorr_g395m.asdf", grating="G395M", filter_name="F290LP"
    )
    with pytest.raises(ReferenceMismatchError, match="nrs_ifu_apcorr_g395m.asdf has FILTER="):
        extract_ifu(
            cube.assign_attrs(SRCTYPE="POINT"), open_reference(str(extract1d), "extract1d"),
            apcorr=open_reference(str(other), "apcorr"),
        )  # fmt: skip
