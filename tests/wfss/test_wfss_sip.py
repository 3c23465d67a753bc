"""The FITS TAN-SIP approximation of the WFSS direct-image WCS (assign_wcs ``sip_approx``).

spec2x's keywords against jwst's own: ``nircam.imaging`` / ``niriss.imaging`` with
the same references, ``update_fits_wcsinfo`` with assign_wcs's defaults on a
datamodel of the same exposure.  The synthetic distortions are affine (the fit is a
plain TAN, no SIP terms); the real NIRISS distortion needs SIP terms.
"""

from __future__ import annotations

import logging

import pytest
from astropy.io import fits
from helpers import REALDATA, raise_if_dask_computes

from spec2x.io.fits import open_exposure, write_fits
from spec2x.io.fits_keywords import image_wcs_keyword
from spec2x.io.references import ReferenceSet
from spec2x.steps import StepContext
from spec2x.steps.assign_wcs import assign_wcs, from_chain
from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references
from spec2x.synthetic.niriss_wfss_refs import write_niriss_wfss_references
from spec2x.synthetic.wfss import write_wfss_exposure

_REAL_NIRISS = REALDATA / "niriss" / "niriss_ref_distortion.asdf"
_WFSS_REFTYPES = ("distortion", "filteroffset", "specwcs")


def _fit_keywords(attrs):
    return {k: v for k, v in attrs.items() if image_wcs_keyword(k)}


def _exposure(folder, instrument, grism, real_distortion=False, **keywords):
    if instrument == "NIRCAM":
        refs = write_nircam_wfss_references(folder, pupil=grism)
        keywords.setdefault("PUPIL", grism)
    else:
        refs = write_niriss_wfss_references(folder, grism)
        keywords.setdefault("FILTER", grism)
    if real_distortion:
        refs["distortion"] = _REAL_NIRISS
    files = write_wfss_exposure(folder, refs, instrument=instrument, n_sources=3, **keywords)
    return files["rate"], {t: str(refs[t]) for t in _WFSS_REFTYPES}


def _jwst_keywords(rate, refs, instrument):
    from gwcs.wcs import WCS
    from jwst.assign_wcs import nircam, niriss
    from jwst.assign_wcs.util import update_fits_wcsinfo, wcs_bbox_from_shape
    from stdatamodels.jwst import datamodels

    imaging = nircam.imaging if instrument == "NIRCAM" else niriss.imaging
    with datamodels.ImageModel(str(rate)) as model:
        imwcs = WCS(imaging(model, refs))
        imwcs.bounding_box = wcs_bbox_from_shape(model.data.shape)
        update_fits_wcsinfo(
            model,
            max_pix_error=0.01,
            degree=None,
            max_inv_pix_error=0.01,
            inv_degree=None,
            npoints=12,
            projection="TAN",
            imwcs=imwcs,
            bounding_box=None,
        )
        path = rate.parent / "jwst_assign_wcs.fits"
        model.save(str(path))
    return dict(fits.getheader(path, "SCI"))  # the keywords jwst's product holds


def _assert_equal_keywords(ours, theirs, rel=1e-10):
    ours, theirs = _fit_keywords(ours), _fit_keywords(theirs)
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        if isinstance(value, str) or rel == 0:
            assert ours[key] == value, key
        else:
            assert ours[key] == pytest.approx(value, rel=rel, abs=1e-300), key


@pytest.mark.parity
@pytest.mark.parametrize(
    ("instrument", "grism", "real"),
    [
        ("NIRCAM", "GRISMR", False),
        ("NIRISS", "GR150R", False),
        ("NIRISS", "GR150C", False),
        ("NIRISS", "GR150R", True),
    ],
)
def test_sip_keywords_match_jwst(tmp_path, instrument, grism, real):
    pytest.importorskip("jwst")
    if real and not _REAL_NIRISS.exists():
        pytest.skip("no shared/realdata NIRISS distortion")
    from stdatamodels.jwst import datamodels

    rate, refs = _exposure(tmp_path, instrument, grism, real, CRPIX1=1024.5, CRPIX2=1030.0)
    out = assign_wcs(open_exposure(rate), refs)
    theirs = _jwst_keywords(rate, refs, instrument)
    _assert_equal_keywords(out.attrs, theirs)
    path = write_fits(out, tmp_path / "spec2x_assign_wcs.fits")
    _assert_equal_keywords(dict(fits.getheader(path, "SCI")), theirs, rel=0)  # same cards
    with datamodels.ImageModel(str(path)) as model:
        wcsinfo = model.meta.wcsinfo
        assert (wcsinfo.crpix2, wcsinfo.cd1_2) == (1030.0, out.attrs["CD1_2"])
        assert wcsinfo.ctype1 == ("RA---TAN-SIP" if real else "RA---TAN")
        if real:
            assert wcsinfo.a_order >= 2
            assert wcsinfo.ap_order >= 2
            assert wcsinfo.a_0_2 == pytest.approx(out.attrs["A_0_2"], rel=1e-14)


def test_sip_keywords_written_and_replaced(tmp_path):
    """Without CRPIX the frame's centre; a previous PC/CDELT WCS is replaced."""
    rate, refs = _exposure(tmp_path, "NIRISS", "GR150R", PC1_1=1.0, CDELT1=1e-5, A_3_0=1.0)
    out = assign_wcs(open_exposure(rate), refs).attrs
    assert (out["CRPIX1"], out["CRPIX2"]) == (1024.5, 1024.5)
    assert out["CTYPE1"] == "RA---TAN"
    assert out["CTYPE2"] == "DEC--TAN"
    assert {"CD1_1", "CD1_2", "CD2_1", "CD2_2", "CRVAL1", "CRVAL2", "WCSAXES"} <= set(out)
    assert not {"PC1_1", "CDELT1", "A_3_0"} & set(out)
    off = assign_wcs(open_exposure(rate), refs, sip_approx=False).attrs
    assert not _fit_keywords(off).keys() - {"PC1_1", "CDELT1", "A_3_0"}


def test_failed_fit_is_one_warning(tmp_path, caplog):
    rate, refs = _exposure(tmp_path, "NIRCAM", "GRISMR")
    ds = open_exposure(rate)
    with caplog.at_level(logging.WARNING, logger="spec2x.steps.assign_wcs"):
        out = assign_wcs(ds, refs, sip_npoints=4)  # gwcs: too few points
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "SIP" in warnings[0].getMessage()
    assert "npoints" in warnings[0].getMessage()
    assert not _fit_keywords(out.attrs)
    assert out.attrs["S_WCS"] == "COMPLETE"
    assert "wcs" in out.attrs


def test_chain_parameters_and_dask_input(tmp_path):
    """The chain passes the step's parameters; Dask-backed data gives the same keywords,
    uncomputed."""
    rate, refs = _exposure(tmp_path, "NIRCAM", "GRISMR")

    def run(ds, **params):
        return from_chain(ds, StepContext("assign_wcs", ReferenceSet(refs), params)).attrs

    eager = run(open_exposure(rate))
    with raise_if_dask_computes():
        lazy = run(open_exposure(rate, chunks={"y": 512}))
    assert _fit_keywords(lazy) == _fit_keywords(eager)
    assert eager["CTYPE1"] == "RA---TAN"
    assert not _fit_keywords(run(open_exposure(rate), sip_approx=False))
    assert not _fit_keywords(run(open_exposure(rate), sip_npoints=4))
    assert _fit_keywords(run(open_exposure(rate), sip_degree=1)) == _fit_keywords(eager)
