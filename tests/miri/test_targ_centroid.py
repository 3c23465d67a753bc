"""targ_centroid: the source back from a synthetic TA image, the skips, and parity with jwst."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import xarray as xr

from spec2x.errors import ReferenceMismatchError
from spec2x.io.fits import open_exposure
from spec2x.io.references import open_reference
from spec2x.pipeline import run_step
from spec2x.steps.targ_centroid import targ_centroid
from spec2x.synthetic.miri_ta import TA_FILTER_OFFSETS, make_ta_image, write_miri_filteroffset

KEYS = ("SRCXPOS", "SRCYPOS", "TA_XPOS", "TA_YPOS")


def _prepared(obs, folder):
    """The science after assign_wcs and srctype, its TA image and the references."""
    refs = {k: str(v) for k, v in obs.references.items()}
    science = open_exposure(obs.exposures[0])
    ta = make_ta_image(folder / "jw_ta_rate.fits", science.attrs, refs["distortion"], seed=5)
    refs["filteroffset"] = str(write_miri_filteroffset(folder / "jw_filteroffset.asdf"))
    ds = run_step(run_step(science, "assign_wcs", refs), "srctype", refs)
    opened = {t: open_reference(refs[t], t) for t in ("distortion", "filteroffset")}
    return ds, ta, refs, opened


@pytest.fixture(scope="module")
def fixed_slit(lrs_fixedslit, tmp_path_factory):
    return _prepared(lrs_fixedslit, tmp_path_factory.mktemp("ta_fs"))


@pytest.fixture(scope="module")
def slitless(lrs_tso, tmp_path_factory):
    return _prepared(lrs_tso, tmp_path_factory.mktemp("ta_tso"))


@pytest.mark.parametrize("case", ["fixed_slit", "slitless"])
def test_the_source_comes_back(case, request):
    ds, ta, _, refs = request.getfixturevalue(case)
    before = ds.copy()
    out = targ_centroid(ds, open_exposure(ta.path), **refs)
    assert out.attrs["S_TACNTR"] == "COMPLETE"
    assert out.attrs["R_FILOFF"] == "jw_filteroffset.asdf"
    np.testing.assert_allclose([out.attrs["TA_XPOS"], out.attrs["TA_YPOS"]], ta.source, atol=0.02)
    # the science pixel: the TA one less the TA dither, plus the science dither and filter offset
    col, row = TA_FILTER_OFFSETS["F1500W"]
    shift = (
        out.attrs["SRCXPOS"] - out.attrs["TA_XPOS"],
        out.attrs["SRCYPOS"] - out.attrs["TA_YPOS"],
    )
    assert abs(shift[0] - col) < 15
    assert abs(shift[1] - row) < 15
    assert "S_TACNTR" not in ds.attrs
    xr.testing.assert_identical(ds, before)


def test_dask_input_stays_lazy(slitless):
    from helpers import raise_if_dask_computes

    ds, ta, _, refs = slitless
    with raise_if_dask_computes():
        out = targ_centroid(ds.chunk({"integration": 4}), open_exposure(ta.path), **refs)
    assert out["sci"].chunks is not None
    expected = targ_centroid(ds, open_exposure(ta.path), **refs)
    assert [out.attrs[k] for k in KEYS] == [expected.attrs[k] for k in KEYS]


def test_skips_with_one_error_line(fixed_slit, caplog):
    ds, ta, _, refs = fixed_slit
    image = open_exposure(ta.path)
    cases = [
        (ds, None, refs, "no target acquisition file"),
        (ds.assign_attrs(EXP_TYPE="NRS_FIXEDSLIT"), image, refs, "only for MIR_LRS"),
        (ds, image.assign_attrs(EXP_TYPE="MIR_IMAGE"), refs, "MIR_TACONFIRM"),
        (ds, image.assign(sci=image["sci"] * np.nan), refs, "finite pixels"),
        (ds, image, {**refs, "distortion": None}, "distortion or filteroffset"),
    ]
    for science, ta_image, references, message in cases:
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="spec2x.steps.targ_centroid"):
            out = targ_centroid(science, ta_image, **references)
        assert out.attrs["S_TACNTR"] == "SKIPPED"
        assert [r.levelname for r in caplog.records] == ["ERROR"]
        assert message in caplog.records[0].getMessage()


def test_a_filter_missing_from_filteroffset(fixed_slit, tmp_path):
    ds, ta, _, refs = fixed_slit
    other = open_reference(write_miri_filteroffset(tmp_path / "f.asdf", {"F560W": (0.1, 0.1)}),
                           "filteroffset")  # fmt: skip
    with pytest.raises(ReferenceMismatchError, match="F1500W"):
        targ_centroid(ds, open_exposure(ta.path), distortion=refs["distortion"], filteroffset=other)


def test_chain_takes_the_association_member_and_pathloss_uses_it(
    fixed_slit, lrs_fixedslit, tmp_path
):
    import json

    from spec2x.pipeline import spec2

    _, ta, refs, _ = fixed_slit
    members = [{"expname": str(lrs_fixedslit.exposures[0]), "exptype": "science"},
               {"expname": str(ta.path), "exptype": "target_acquisition"}]  # fmt: skip
    asn = tmp_path / "jw_ta_asn.json"
    asn.write_text(
        json.dumps({"asn_type": "spec2", "products": [{"name": "jw_ta", "members": members}]})
    )
    params = {"targ_centroid": {"skip": False}, "resample_spec": {"skip": True}}
    steps = {}
    spec2(asn, refs, params, on_step=steps.__setitem__)
    centred = steps["targ_centroid"]
    assert centred.attrs["S_TACNTR"] == "COMPLETE"
    plain = run_step(steps["srctype"], "pathloss", refs)
    moved = run_step(centred, "pathloss", refs)
    assert not np.allclose(plain["pathloss_point"], moved["pathloss_point"], equal_nan=True)


# ---------------------------------------------------------------- parity


def _jwst_run(ds_path, refs, ta_path, tmp_path, exp_type):
    """jwst: assign_wcs on the science and the TA image (which then carries its WCS, as
    ``find_dither_position`` wants), the science as Spec2Pipeline's SlitModel, then
    TargCentroidStep and PathLossStep."""
    from jwst.assign_wcs import AssignWcsStep
    from jwst.pathloss import PathLossStep
    from jwst.targ_centroid import TargCentroidStep
    from jwst_offline import run_jwst_step
    from stdatamodels.jwst import datamodels as dm

    wcs_refs = {t: refs[t] for t in ("distortion", "filteroffset")}
    ta = run_jwst_step(AssignWcsStep, str(ta_path), wcs_refs, rest="N/A", sip_approx=False)
    ta_wcs = tmp_path / "jw_ta_wcs.fits"
    ta.save(ta_wcs)
    sci = run_jwst_step(AssignWcsStep, str(ds_path),
                        {t: refs[t] for t in ("distortion", "specwcs")}, rest="N/A")  # fmt: skip
    slit = dm.SlitModel(sci)
    for attr in ("xstart", "ystart", "xsize", "ysize"):
        setattr(slit, attr, getattr(sci.meta.subarray, attr))
    slit.meta.target.source_type = "POINT"
    over = {"filteroffset": refs["filteroffset"]}
    result = run_jwst_step(TargCentroidStep, slit, over, ta_file=str(ta_wcs))
    skipped = run_jwst_step(TargCentroidStep, slit.copy(), over)
    path = refs["pathloss"] if exp_type == "MIR_LRS-FIXEDSLIT" else "N/A"
    loss = run_jwst_step(PathLossStep, result, {"pathloss": path}) if path != "N/A" else None
    return result, skipped, loss


@pytest.mark.parity
@pytest.mark.slow
@pytest.mark.parametrize("case", ["fixed_slit", "slitless"])
def test_matches_jwst(case, request, tmp_path):
    pytest.importorskip("jwst")
    ds, ta, refs, opened = request.getfixturevalue(case)
    obs = request.getfixturevalue("lrs_fixedslit" if case == "fixed_slit" else "lrs_tso")
    theirs, skipped, loss = _jwst_run(
        obs.exposures[0], refs, ta.path, tmp_path, ds.attrs["EXP_TYPE"]
    )
    ours = targ_centroid(ds, open_exposure(ta.path), **opened)
    assert ours.attrs["S_TACNTR"] == theirs.meta.cal_step.targ_centroid == "COMPLETE"
    values = [theirs.source_xpos, theirs.source_ypos, theirs.ta_xpos, theirs.ta_ypos]
    np.testing.assert_allclose([ours.attrs[k] for k in KEYS], values, rtol=0, atol=1e-9)
    assert (
        skipped.meta.cal_step.targ_centroid == targ_centroid(ds, None, **opened).attrs["S_TACNTR"]
    )
    if loss is not None:  # the fixed slit's pathloss centres the source at targ_centroid's pixel
        moved = run_step(ours, "pathloss", refs)
        np.testing.assert_allclose(moved["sci"].values, loss.data, rtol=2e-6, equal_nan=True)
