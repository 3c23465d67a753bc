"""badpix_selfcal in the chain: a nodded MIRI LRS pair's association (the other nod is the
background member, flagged too before bkg_subtract), and jwst's step on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.dq import DQ
from spec2x.pipeline import spec2

OFF = {"resample_spec": {"skip": True}, "extract_1d": {"skip": True}}


@pytest.fixture(scope="module")
def chain(lrs_fixedslit):
    refs = {k: str(v) for k, v in lrs_fixedslit.references.items()}
    steps = {}
    selfcal = {"skip": False, "flagfrac_upper": 0.002, "save_flagged_bkg": True}
    products = spec2(lrs_fixedslit.association[0], refs, {**OFF, "badpix_selfcal": selfcal},
                     on_step=steps.__setitem__)  # fmt: skip
    return refs, steps, products


def test_science_and_background_member_flagged(chain):
    _, steps, products = chain
    flagged = steps["badpix_selfcal"]
    assert flagged.attrs["S_BPXSLF"] == "COMPLETE"
    new = (flagged["dq"].values & DQ.OTHER_BAD_PIXEL) != 0
    assert 1000 < new.sum() < 5000  # 0.1 % low and 0.2 % high of the finite pixels
    assert np.isnan(flagged["sci"].values[new]).all()
    # bkg_subtract took the flagged background: NaN there whatever the science
    assert np.isnan(steps["bkg_subtract"]["sci"].values[new]).all()
    saved = products["badpix_selfcal_bkg_0"]  # save_flagged_bkg: the flagged nod B
    assert saved.attrs["FILENAME"] != flagged.attrs["FILENAME"]
    assert np.isnan(saved["sci"].values[new]).all()


@pytest.mark.parity
@pytest.mark.slow
def test_matches_jwst_step(chain, lrs_fixedslit):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst.badpix_selfcal import BadpixSelfcalStep
    from jwst_offline import jwst_offline_env, run_jwst_step

    refs, steps, _ = chain
    wcs_refs = {t: refs[t] for t in ("distortion", "specwcs")}
    science = run_jwst_step(AssignWcsStep, str(lrs_fixedslit.exposures[0]), wcs_refs, rest="N/A")
    with jwst_offline_env():
        model, backgrounds = BadpixSelfcalStep(flagfrac_upper=0.002).run(
            science, [], [str(lrs_fixedslit.exposures[1])]
        )
    ours = steps["badpix_selfcal"]
    np.testing.assert_array_equal(ours["dq"].values, model.dq)
    np.testing.assert_array_equal(ours["sci"].values, model.data)
    assert len(backgrounds) == 1
