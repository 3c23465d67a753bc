"""MIRI MRS straylight, flat_field, fringe and photom against jwst 3.0.0's own steps.

Every jwst step runs on the same file (spec2x's assign_wcs product, which
jwst reads with its WCS) and the same synthetic references, offline.
"""

from __future__ import annotations

import numpy as np
import pytest

from spec2x import open_reference
from spec2x.instruments.miri import mrs_straylight
from spec2x.steps.flat_field import flat_field
from spec2x.steps.fringe import fringe
from spec2x.steps.photom import photom
from spec2x.steps.straylight import straylight

pytestmark = pytest.mark.parity

#: spec2x variable -> jwst IFUImageModel attribute.
VARS = [("sci", "data")] + [(n, n) for n in ("err", "var_poisson", "var_rnoise", "var_flat")]


@pytest.fixture(scope="module")
def jwst_input(mrs_cal):
    """The exposure as jwst opens it (WCS included: ~8 s, so once); jwst's steps copy it."""
    pytest.importorskip("jwst")
    from stdatamodels.jwst import datamodels

    model = datamodels.IFUImageModel(str(mrs_cal.path))
    data = model.data.copy()
    yield model
    np.testing.assert_array_equal(model.data, data)  # no step changed its input


def _compare(ours, model, *, rtol=1e-5):
    for a, b in VARS:
        if a not in ours:
            continue
        theirs = getattr(model, b)
        np.testing.assert_array_equal(np.isnan(ours[a].values), np.isnan(theirs), err_msg=a)
        np.testing.assert_allclose(ours[a].values, theirs, rtol=rtol, equal_nan=True, err_msg=a)
    np.testing.assert_array_equal(ours["dq"].values, model.dq)


def _run(step_class, model, refs, **params):
    from jwst_offline import run_jwst_step

    return run_jwst_step(step_class, model, {k: str(v) for k, v in refs.items()}, **params)


def test_flat_field_as_jwst(mrs_cal, jwst_input):
    from jwst.flatfield import FlatFieldStep

    result = _run(FlatFieldStep, jwst_input, {"flat": mrs_cal.refs["flat"]}, rest="N/A")
    ours = flat_field(mrs_cal.ds, open_reference(mrs_cal.refs["flat"]))
    assert result.meta.cal_step.flat_field == ours.attrs["S_FLAT"] == "COMPLETE"
    _compare(ours, result)


def test_fringe_as_jwst(mrs_cal, jwst_input):
    from jwst.fringe import FringeStep

    result = _run(FringeStep, jwst_input, {"fringe": mrs_cal.refs["fringe"]})
    ours = fringe(mrs_cal.ds, open_reference(mrs_cal.refs["fringe"]))
    assert result.meta.cal_step.fringe == ours.attrs["S_FRINGE"] == "COMPLETE"
    _compare(ours, result)


@pytest.mark.parametrize(
    ("params", "corrected"),
    [({}, True), ({"inverse": True}, True)],
)
def test_photom_as_jwst(mrs_cal, jwst_input, params, corrected):
    """The per-pixel conversion, and the time- and wavelength-dependent throughput loss."""
    from jwst.photom import PhotomStep

    refs = {"photom": mrs_cal.refs["photom"], "area": "N/A"}
    result = _run(PhotomStep, jwst_input, refs, **params)
    ours = photom(mrs_cal.ds, open_reference(mrs_cal.refs["photom"]), **params)
    _compare(ours, result)
    assert ours["sci"].attrs["units"] == result.meta.bunit_data
    assert ours.attrs["PHOTMJSR"] == pytest.approx(result.meta.photometry.conversion_megajanskys)
    assert ours.attrs["PIXAR_SR"] == pytest.approx(result.meta.photometry.pixelarea_steradians)
    plain = photom(
        mrs_cal.ds,
        open_reference(mrs_cal.refs["photom"]),
        **{**params, "apply_time_correction": False},
    )
    ratio = (ours["sci"] / plain["sci"]).values
    assert (np.nanmax(np.abs(ratio - 1)) > 0.01) == corrected


def test_cross_artifact_model_is_jwsts_c_kernel(tmp_path):
    """The FFT convolution equals jwst's C sum (a window of source columns keeps it quick)."""
    pytest.importorskip("jwst")
    from jwst.straylight.straylight import makemodel_ccode
    from stdatamodels.jwst import datamodels

    from spec2x.synthetic.miri_mrs_refs import write_mrsxartcorr

    path = write_mrsxartcorr(tmp_path / "xartcorr.fits", seed=2)
    table = open_reference(path).content.tables["3B"]
    with datamodels.MirMrsXArtCorrModel(str(path)) as ref:
        t = ref.ch3b_table
        cols = [
            t[c]
            for c in ("LOR_FWHM", "LOR_SCALE", "GAU_FWHM", "GAU_XOFF", "GAU_SCALE1", "GAU_SCALE2")
        ]
    fimg = np.random.default_rng(0).uniform(-1.0, 5.0, (1024, 1032))
    for imin, imax in ((0, 6), (510, 520), (1020, 1024)):
        theirs = makemodel_ccode(fimg, np.arange(1032.0), imin, imax, *cols)
        ours = mrs_straylight.xartifact_model(fimg, imin, imax, table)
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12 * np.abs(theirs).max())


def test_clean_showers_as_jwst(mrs_cal, jwst_input):
    """jwst's shower model on the same image; the step applies it after the cross-artifact."""
    from jwst.straylight.straylight import clean_showers

    planes = open_reference(mrs_cal.refs["regions"]).content.planes
    from stdatamodels.jwst import datamodels

    plain = datamodels.IFUImageModel(data=jwst_input.data.copy(), dq=jwst_input.dq.copy())
    theirs, _ = clean_showers(plain, planes)
    sci, dq = mrs_cal.ds["sci"].values, mrs_cal.ds["dq"].values
    ours = mrs_straylight.clean_showers(sci, dq, planes[3])[0]
    np.testing.assert_allclose(ours, theirs.data, rtol=1e-6, equal_nan=True)
    xart = open_reference(mrs_cal.refs["mrsxartcorr"])
    first = straylight(mrs_cal.ds, xart)
    both = straylight(
        mrs_cal.ds, xart, regions=open_reference(mrs_cal.refs["regions"]), clean_showers=True
    )
    expected = mrs_straylight.clean_showers(first["sci"].values, dq, planes[3])[0]
    np.testing.assert_array_equal(both["sci"].values, expected)
    assert both.attrs["R_REGION"] == "regions_12A.asdf"


@pytest.mark.slow
def test_straylight_step_as_jwst(mrs_cal, jwst_input):
    """The whole step: jwst's C sum takes about a minute; spec2x about a second."""
    from jwst.straylight import StraylightStep

    refs = {"mrsxartcorr": mrs_cal.refs["mrsxartcorr"], "regions": mrs_cal.refs["regions"]}
    result = _run(StraylightStep, jwst_input, refs)
    ours = straylight(mrs_cal.ds, open_reference(mrs_cal.refs["mrsxartcorr"]))
    assert result.meta.cal_step.straylight == ours.attrs["S_STRAY"] == "COMPLETE"
    _compare(ours, result)
    assert np.nanmax(np.abs(ours["sci"] - mrs_cal.ds["sci"])) > 0.1  # it did correct something
