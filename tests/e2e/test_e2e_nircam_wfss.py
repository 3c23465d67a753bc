"""NIRCam WFSS (NRC_WFSS), whole chain: spec2x.spec2 against jwst's Spec2Pipeline.

The synthetic GRISMR exposure (100 catalogue sources, 77 on the detector)
with its synthetic references (grism WCS, wavelengthrange, a full-frame
flat, an NrcWfssPhotomModel; no background template: bkg_subtract is
skipped by both) runs through both pipelines offline: every cut-out of the
``_cal`` and every spectrum of the ``_x1d`` (jwst 3.0.0 writes a
WFSSMultiSpecModel, one table per order, one row per source) must agree:
measured identical (cal) and to 2.3e-16 (x1d flux), checked to 1e-6.
"""

from __future__ import annotations

import numpy as np
import pytest
from e2e_wfss import compare_wfss_chain_with_jwst, run_wfss_chain

from spec2x.io.fits_keywords import image_wcs_keyword
from spec2x.slits import iter_slits
from spec2x.synthetic.nircam_wfss_cal_refs import write_nircam_wfss_flat, write_nircam_wfss_photom
from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references
from spec2x.synthetic.wfss import write_wfss_exposure

_NA = ("bkg", "extract1d", "apcorr", "area")


@pytest.fixture(scope="module")
def nrc_wfss(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nrc_wfss")
    refs = write_nircam_wfss_references(folder)
    files = write_wfss_exposure(folder, refs)
    cal = {"photom": write_nircam_wfss_photom, "flat": write_nircam_wfss_flat}
    given, products = run_wfss_chain(files["rate"], refs, _NA, cal)
    return files, given, products


def test_products_one_spectrum_per_cutout(nrc_wfss):
    _, _, ours = nrc_wfss
    flux = ours["x1d"]["flux"].values
    assert np.isfinite(flux).any(axis=1).all()
    cutouts = list(iter_slits(ours["cal"]))
    assert len(cutouts) == ours["x1d"].sizes["slit"] > 50
    assert all(c.attrs["S_FLAT"] == "COMPLETE" for c in cutouts[:1])


def test_sip_keywords_on_the_image_not_the_cutouts(nrc_wfss):
    """assign_wcs writes the direct image's TAN fit (the synthetic distortion is affine: no
    SIP terms); the cut-outs, a MultiSlitModel as jwst's, do not carry it."""
    _, _, ours = nrc_wfss
    image = ours["assign_wcs"]
    assert (image["CTYPE1"], image["CTYPE2"], image["CRPIX1"]) == ("RA---TAN", "DEC--TAN", 1024.5)
    assert image["CRVAL1"] == pytest.approx(image["RA_REF"], abs=1e-3)
    assert not [k for c in iter_slits(ours["cal"]) for k in c.attrs if image_wcs_keyword(k)]


@pytest.mark.parity
@pytest.mark.slow
def test_whole_chain_matches_jwst(nrc_wfss, tmp_path):
    files, refs, ours = nrc_wfss
    columns = {"wavelength": "WAVELENGTH", "flux": "FLUX", "surf_bright": "SURF_BRIGHT"}
    compare_wfss_chain_with_jwst(
        files["rate"], refs, ours, tmp_path, cal_rtol=1e-6, x1d_checks=((columns, 1e-6, 0.0),)
    )
