"""msa_flagging: failed-open MSA shutters flagged where their light lands; parity with jwst."""

from __future__ import annotations

import json

import numpy as np
import pytest
from mos_helpers import MOS_ATTRS, folder, mos_exposure, mos_paths, mos_refs

from spec2x.dq import DQ
from spec2x.errors import InputFileError
from spec2x.instruments.nirspec.msa_flagging import failed_open_shutters
from spec2x.io.references import open_reference
from spec2x.steps.msa_flagging import msa_flagging
from spec2x.synthetic.nirspec_msa import FAILED_OPEN, write_msaoper

FLAG = int(DQ.MSA_FAILED_OPEN)


@pytest.fixture(scope="module")
def msaoper_path():
    return write_msaoper(folder() / "jwst_nirspec_msaoper_synthetic.json")


@pytest.fixture(scope="module")
def dq():
    return np.random.default_rng(7).integers(0, 4, size=(2048, 2048)).astype(np.uint32)


@pytest.fixture(scope="module")
def flagged(msaoper_path, dq):
    ds = mos_exposure()
    ds["dq"] = (("y", "x"), dq)
    return msa_flagging(ds, open_reference(msaoper_path, "msaoper"), mos_refs())


@pytest.mark.parity
@pytest.mark.slow
def test_failed_open_flags_match_jwst(flagged, msaoper_path, dq, tmp_path):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst.msaflagopen import MSAFlagOpenStep
    from jwst_offline import run_jwst_step
    from nrs_helpers import jwst_image_model

    model = jwst_image_model(MOS_ATTRS, shape=dq.shape)
    model.dq = dq.copy()
    paths = mos_paths()
    for reftype in AssignWcsStep.reference_file_types:  # where jwst finds the WCS references
        getattr(model.meta.ref_file, reftype).name = paths.get(reftype, "N/A")
    result = run_jwst_step(MSAFlagOpenStep, model, {"msaoper": msaoper_path}, tmp_path=tmp_path)
    assert result.meta.cal_step.msa_flagging == "COMPLETE"
    np.testing.assert_array_equal(flagged["dq"].values, result.dq)


def test_light_of_the_failed_open_shutters_on_nrs1_is_flagged(flagged, dq):
    added = (flagged["dq"].values & FLAG) > 0
    assert 1000 < added.sum() < 20000  # two PRISM spectra of one shutter each
    np.testing.assert_array_equal(flagged["dq"].values & ~np.uint32(FLAG), dq)
    rows = np.flatnonzero(added.any(axis=1))
    assert np.count_nonzero(np.diff(rows) > 1) == 1  # two separate bands of rows
    assert flagged.attrs["S_MSAFLG"] == "COMPLETE"
    assert flagged.attrs["R_MSAOPE"] == "jwst_nirspec_msaoper_synthetic.json"


def test_failed_open_shutters_as_jwst_names_them(msaoper_path):
    slits = failed_open_shutters(open_reference(msaoper_path, "msaoper"))
    assert [s.name for s in slits] == [1, 2, 3]
    assert [(s.quadrant, s.xcen, s.ycen) for s in slits] == list(FAILED_OPEN)
    assert slits[0].shutter_id == 200 + 5 * 365
    assert (slits[0].ymin, slits[0].ymax, slits[0].shutter_state) == (-0.5, 0.5, "x")


def test_every_integration_is_flagged(flagged, msaoper_path):
    ds = mos_exposure()
    ds = ds.assign(dq=(("integration", "y", "x"), np.zeros((2, 2048, 2048), np.uint32)))
    out = msa_flagging(ds, open_reference(msaoper_path, "msaoper"), mos_refs())
    assert out["dq"].dims == ("integration", "y", "x")
    for k in range(2):
        np.testing.assert_array_equal(out["dq"].values[k], flagged["dq"].values & FLAG)


def test_no_msaoper_skips(tmp_path):
    out = msa_flagging(mos_exposure(), None, {})
    assert out.attrs["S_MSAFLG"] == "SKIPPED"
    assert not (out["dq"].values & FLAG).any()


def test_chain_runs_the_registered_step(msaoper_path):
    from spec2x.pipeline import run_step

    refs = dict(mos_paths(), msaoper=str(msaoper_path))
    out = run_step(mos_exposure(), "msa_flagging", refs)
    assert out.attrs["S_MSAFLG"] == "COMPLETE"
    assert (out["dq"].values & FLAG).any()
    skipped = run_step(mos_exposure(), "msa_flagging", dict(refs, msaoper="N/A"))
    assert skipped.attrs["S_MSAFLG"] == "SKIPPED"


def test_msaoper_without_positions_is_refused(tmp_path):
    path = tmp_path / "bad_msaoper.json"
    path.write_text(json.dumps({"reftype": "MSAOPER", "msaoper": [{"Q": 1, "state": "open"}]}))
    with pytest.raises(InputFileError, match=r"bad_msaoper\.json: entry 0 lacks a shutter"):
        failed_open_shutters(open_reference(path, "msaoper"))
    path.write_text(json.dumps({"reftype": "MSAOPER", "shutters": []}))
    with pytest.raises(InputFileError, match="has no 'msaoper' list"):
        open_reference(path, "msaoper")
