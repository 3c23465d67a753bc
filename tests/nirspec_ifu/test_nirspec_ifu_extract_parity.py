"""extract_1d on a NIRSpec IFU cube (``_s3d``) against jwst 3.0.0's Extract1dStep on the same
file (point source with its annulus, extended source; apcorr off on both sides)."""

from __future__ import annotations

import pytest
from ifu_cube_helpers import cubepar, our_cal
from ifu_helpers import folder
from ifu_x1d_helpers import assert_x1d_as_jwst, jwst_ifu_x1d

from spec2x.io.fits import write_fits
from spec2x.io.references import open_reference
from spec2x.steps._extract_ifu import extract_ifu
from spec2x.steps.cube_build import cube_build
from spec2x.synthetic.ifu_extract_refs import write_ifu_extract1d

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
