"""PHOTUNIT of the grism photom files, as jwst 3.0.0 treats it: converted to (MJy/sr) µm per
(DN/s) for NRC_WFSS / NIS_WFSS (in the data, not in the PHOTMJSR recorded), ignored for
NRC_TSGRISM (jwst/photom/photom.py l. 565-570 leave it out); the same calibration written
in Å comes out the same for WFSS and 1e4 times larger for NRC_TSGRISM, in both pipelines."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.errors import ReferenceMismatchError
from spec2x.instruments.nircam.tsgrism_extract import extract_tsgrism, tsgrism_order
from spec2x.io.fits import open_exposure
from spec2x.io.references import open_reference
from spec2x.slits import iter_slits, map_groups
from spec2x.steps._photom_rows import phot_unit_factor
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.steps.photom import photom
from spec2x.synthetic.nircam_tsgrism import make_nircam_tsgrism
from spec2x.synthetic.nircam_wfss_cal_refs import PHOTMJSR, write_nircam_wfss_photom

ANGSTROM = "MJy Angstrom s / (DN sr)"


@pytest.fixture(scope="module")
def photoms(tmp_path_factory):
    """The synthetic NIRCam grism photom with PHOTUNIT in µm, in Å, and without PHOTUNIT."""
    folder = tmp_path_factory.mktemp("photunit")
    return {
        unit: open_reference(write_nircam_wfss_photom(folder / f"photom_{i}.fits", phot_unit=unit))
        for i, unit in enumerate(("MJy micron s / (DN sr)", ANGSTROM, None))
    }


def _sci(tree):
    return [s["sci"].values[0] for s in iter_slits(tree)]


def test_factor_and_refusals(photoms, tmp_path):
    assert phot_unit_factor(photoms["MJy micron s / (DN sr)"]) == 1.0
    assert phot_unit_factor(photoms[ANGSTROM]) == pytest.approx(1e-4, rel=1e-12)
    assert phot_unit_factor(photoms[None]) == 1.0  # jwst: no phot_unit, no conversion
    from astropy.io import fits

    for i, bad in enumerate(("MJy / (DN sr)", "not_a_unit")):
        path = write_nircam_wfss_photom(tmp_path / f"bad{i}.fits")
        fits.setval(path, "PHOTUNIT", value=bad, extname="PHOTOM")
        ref = open_reference(path)
        with pytest.raises(ReferenceMismatchError, match="PHOTUNIT"):
            phot_unit_factor(ref)


def test_wfss_converts_photunit(grismr_cutouts, photoms):
    tree = grismr_cutouts["cutouts"]
    micron, angstrom, none = (map_groups(photom, tree, photoms[k]) for k in photoms)
    for a, b, c in zip(_sci(micron), _sci(angstrom), _sci(none), strict=True):
        np.testing.assert_allclose(b, a, rtol=2e-7, equal_nan=True)
        np.testing.assert_array_equal(c, a)
    # the PHOTMJSR recorded is the file's value, before the unit conversion (as jwst)
    recorded = {float(s["photmjsr"][0]) for s in iter_slits(angstrom)}
    assert recorded
    assert recorded <= {1e4 * v for v in PHOTMJSR.values()}


@pytest.mark.parity
@pytest.mark.slow
def test_wfss_photunit_equals_jwst(grismr_cutouts, jwst_grismr, photoms, tmp_path):
    from jwst.photom import PhotomStep
    from jwst_offline import run_jwst_step

    ref = photoms[ANGSTROM]
    theirs = run_jwst_step(
        PhotomStep, jwst_grismr["extract_2d"], {"photom": str(ref.path)}, rest="N/A",
        tmp_path=tmp_path,
    ).slits  # fmt: skip
    ours = list(iter_slits(map_groups(photom, grismr_cutouts["cutouts"], ref)))
    assert len(ours) == len(theirs) > 10
    for s, j in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(s["sci"].values[0], j.data, rtol=1e-5, equal_nan=True)
        assert float(s["photmjsr"][0]) == pytest.approx(j.meta.photometry.conversion_megajanskys)


@pytest.fixture(scope="module")
def tsgrism(tmp_path_factory):
    truth = make_nircam_tsgrism(2, nints=2, folder=tmp_path_factory.mktemp("tsg"), noise=False)
    refs = {k: str(v) for k, v in truth.refs.items()}
    wcs = {k: refs[k] for k in ("distortion", "filteroffset", "specwcs")}
    exposure = assign_wcs(open_exposure(truth.rateints_path), wcs)
    order = tsgrism_order(open_reference(refs["wavelengthrange"]), exposure.attrs, None)
    return truth, refs, extract_tsgrism(exposure, order)


@pytest.mark.parity
def test_tsgrism_ignores_photunit_as_jwst(tsgrism, photoms, tmp_path):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst.extract_2d import Extract2dStep
    from jwst.photom import PhotomStep
    from jwst_offline import run_jwst_step

    truth, refs, cut = tsgrism
    micron = _sci(map_groups(photom, cut, photoms["MJy micron s / (DN sr)"]))[0]
    ours = _sci(map_groups(photom, cut, photoms[ANGSTROM]))[0]
    np.testing.assert_allclose(ours, 1e4 * micron, rtol=2e-7, equal_nan=True)
    wcs = {k: refs[k] for k in ("distortion", "filteroffset", "specwcs")}
    model = run_jwst_step(
        AssignWcsStep, str(truth.rateints_path), wcs, rest="N/A", tmp_path=tmp_path,
        sip_approx=False,
    )  # fmt: skip
    model = run_jwst_step(
        Extract2dStep, model, {"wavelengthrange": refs["wavelengthrange"]}, rest="N/A",
        tmp_path=tmp_path,
    )  # fmt: skip
    theirs = run_jwst_step(
        PhotomStep, model, {"photom": str(photoms[ANGSTROM].path)}, rest="N/A", tmp_path=tmp_path
    )
    np.testing.assert_allclose(ours, theirs.data, rtol=1e-5, equal_nan=True)
