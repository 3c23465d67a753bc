"""NIRCam WFSS grism WCS: identical to jwst 3.0.0's on synthetic and real references; readers; errors."""

from __future__ import annotations

import asdf
import numpy as np
import pytest
from helpers import REALDATA
from wfss_helpers import REAL_SPECWCS, jwst_wfss, nis_attrs, nrc_attrs

from spec2x.errors import InputFileError, ReferenceMismatchError
from spec2x.instruments.nircam.wfss_wcs import nircam_wfss_wcs
from spec2x.instruments.niriss.wfss_wcs import niriss_wfss_wcs
from spec2x.io.references import open_reference
from spec2x.io.refs_grism import GrismSpecwcs, ImagingDistortion
from spec2x.synthetic.base import asdf_meta
from spec2x.wcs.store import wcs_from_text, wcs_to_text

NIRCAM = REALDATA / "nircam"
#: A few sources (direct-image x0, y0) and the dispersed pixels around their traces.
SOURCES = np.array([[1023.5, 1023.5], [150.2, 1900.7], [1880.0, 95.3]])


def _assert_same(ours, theirs, x, y, x0, y0, order):
    """Forward at (x, y) for the source (x0, y0) to 1e-9, and back from the result to 1e-7;
    returns the backward result and where the wavelength was positive."""
    sx, sy = np.full_like(x, x0), np.full_like(y, y0)
    mine = ours(x, y, sx, sy, order)
    for a, b in zip(mine, theirs(x, y, sx, sy, order), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)
    ra, dec, lam, _ = mine
    ok = np.isfinite(lam) & (lam > 0)
    back = ours.backward_transform(ra[ok], dec[ok], lam[ok], order)
    jback = theirs.backward_transform(ra[ok], dec[ok], lam[ok], order)
    for a, b in zip(back, jback, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)
    return back, ok


def _refs(wfss, pupil, real):
    refs = dict(wfss(pupil)["refs"])
    if real:
        if not REAL_SPECWCS[pupil].is_file():  # pragma: no cover - a checkout without shared/
            pytest.skip("real NIRCam specwcs not found")
        refs["specwcs"] = REAL_SPECWCS[pupil]
    return {k: v for k, v in refs.items() if k != "wavelengthrange"}


@pytest.mark.parity
@pytest.mark.parametrize("real", [False, True], ids=["synthetic", "real_specwcs"])
@pytest.mark.parametrize("pupil", ["GRISMR", "GRISMC"])
def test_same_wcs_as_jwst(wfss, pupil, real):
    """Forward (pixel + source -> sky, wavelength) and backward agree with jwst to 1e-9."""
    pytest.importorskip("jwst")
    refs = _refs(wfss, pupil, real)
    attrs = nrc_attrs(pupil)
    ours = nircam_wfss_wcs(attrs, refs)
    theirs = jwst_wfss(attrs, refs)
    assert ours.available_frames == theirs.available_frames
    along = np.linspace(-1200, 900, 60)
    for x0, y0 in SOURCES:
        x, y = (x0 + along, np.full_like(along, y0)) if pupil == "GRISMR" else (
            np.full_like(along, x0), y0 + along)  # fmt: skip
        for order in (1, 2):
            back, ok = _assert_same(ours, theirs, x, y, x0, y0, order)
            # the round trip closes: back on the dispersed pixel and the source
            np.testing.assert_allclose(back[0], x[ok], atol=1e-6)
            np.testing.assert_allclose(back[2], np.full(ok.sum(), x0), atol=1e-6)


def test_wcs_travels_as_asdf_text(wfss):
    """The grism gwcs survives spec2x's WCS store (ASDF text, stdatamodels transforms)."""
    refs = _refs(wfss, "GRISMR", real=False)
    wcs = nircam_wfss_wcs(nrc_attrs(), refs)
    back = wcs_from_text(wcs_to_text(wcs))
    args = (np.array([500.0, 900.0]), np.array([1000.0, 1001.0]), 1000.0, 1000.0, 1)
    for a, b in zip(wcs(*args), back(*args), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parity
@pytest.mark.parametrize("real", [False, True], ids=["synthetic", "real_distortion"])
@pytest.mark.parametrize("grism", ["GR150R", "GR150C"])
def test_same_niriss_wcs_as_jwst(wfss, grism, real):
    """NIRISS: forward and backward agree with jwst (filter-wheel rotation, spatial traces)."""
    pytest.importorskip("jwst")
    refs = {k: v for k, v in wfss(grism)["refs"].items() if k != "wavelengthrange"}
    if real:
        refs["distortion"] = REALDATA / "niriss" / "niriss_ref_distortion.asdf"
        if not refs["distortion"].is_file():  # pragma: no cover - a checkout without shared/
            pytest.skip("real NIRISS distortion not found")
    attrs = nis_attrs(grism)
    ours = niriss_wfss_wcs(attrs, refs)
    theirs = jwst_wfss(attrs, refs)
    along = np.linspace(-300, 300, 41)
    for x0, y0 in SOURCES:
        x, y = (np.full_like(along, x0), y0 + along) if grism == "GR150R" else (
            x0 + along, np.full_like(along, y0))  # fmt: skip
        for order in (-1, 0, 1, 2, 3):
            _assert_same(ours, theirs, x, y, x0, y0, order)


def test_real_files_open():
    """The real grism R/C files, the DHS time-series file and the NIRISS distortion open."""
    if not NIRCAM.is_dir():  # pragma: no cover - a checkout without shared/
        pytest.skip("real NIRCam files not found")
    for pupil, path in REAL_SPECWCS.items():
        spec = open_reference(path).content
        assert isinstance(spec, GrismSpecwcs)
        assert spec.orders == (1, 2)
        assert spec.invdispl is not None
        assert open_reference(path).header["PUPIL"] == pupil
    dhs = open_reference(NIRCAM / "nircam_nrca1_specwcs.asdf").content
    assert isinstance(dhs, GrismSpecwcs)
    assert dhs.orders == (1,)
    assert len(dhs.stripes) == len(dhs.displ) > 1
    niriss = open_reference(REALDATA / "niriss" / "niriss_ref_distortion.asdf").content
    assert isinstance(niriss, ImagingDistortion)
    v2, v3 = niriss.model(1023.5, 1023.5)
    np.testing.assert_allclose(niriss.model.inverse(v2, v3), (1023.5, 1023.5), atol=1e-3)


def test_specwcs_of_the_other_grism_is_one_clear_error(wfss):
    refs = _refs(wfss, "GRISMR", real=False)
    with pytest.raises(ReferenceMismatchError, match=r"PUPIL='GRISMR'.*GRISMC"):
        nircam_wfss_wcs(nrc_attrs("GRISMC"), refs)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"PUPIL": None}, r"lacks the PUPIL keyword"),
        ({"PUPIL": "CLEAR"}, r"PUPIL='CLEAR' is not a NIRCam grism"),
        ({"SUBSTRT1": 513}, r"SUBSTRT1=513.*full-frame"),
    ],
)
def test_bad_keywords_are_one_clear_error(wfss, change, message):
    refs = _refs(wfss, "GRISMR", real=False)
    refs["specwcs"] = open_reference(refs["specwcs"])
    refs["specwcs"].header.pop("PUPIL")  # so the keyword check, not the file match, speaks
    attrs = {k: v for k, v in {**nrc_attrs(), **change}.items() if v is not None}
    with pytest.raises(InputFileError, match=message):
        nircam_wfss_wcs(attrs, refs)


def test_reference_of_another_type_or_layout_is_one_clear_error(wfss, tmp_path):
    refs = _refs(wfss, "GRISMR", real=False)
    with pytest.raises(ReferenceMismatchError, match=r"REFTYPE='FILTEROFFSET'.*specwcs"):
        nircam_wfss_wcs(nrc_attrs(), {**refs, "specwcs": refs["filteroffset"]})
    other = tmp_path / "specwcs_table.asdf"
    asdf.AsdfFile({"meta": asdf_meta("specwcs", "NIRCAM"), "traces": [1, 2]}).write_to(other)
    with pytest.raises(
        ReferenceMismatchError, match=r"specwcs_table.asdf.*not a grism specwcs \(GrismSpecwcs\)"
    ):
        nircam_wfss_wcs(nrc_attrs(), {**refs, "specwcs": other})
