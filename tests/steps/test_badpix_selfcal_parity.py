"""badpix_selfcal against jwst 3.0.0's BadpixSelfcalStep on synthetic MIRI MRS exposures."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from spec2x.io.fits import open_exposure
from spec2x.steps.badpix_selfcal import badpix_selfcal
from spec2x.synthetic.miri_mrs import make_mrs_rate

pytestmark = pytest.mark.parity

PAIRS = [("sci", "data"), ("err", "err"), ("var_poisson", "var_poisson"),
         ("var_rnoise", "var_rnoise")]  # fmt: skip


def _rate(path, detector, seed, hot, pedestal):
    """An MRS rate with warm pixels at ``hot`` (every exposure shares some) and a pedestal."""
    make_mrs_rate(path, detector=detector, seed=seed, DISPAXIS=2)
    rng = np.random.default_rng(seed)
    with fits.open(path, mode="update") as hdul:
        sci = hdul["SCI"].data
        sci += pedestal
        sci[hot] += rng.uniform(5.0, 50.0, len(hot[0])).astype(np.float32)
        sci[rng.integers(0, 1024, 20), rng.integers(0, 1032, 20)] = np.nan
    return path


@pytest.fixture(scope="module")
def mrs_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("selfcal")
    rng = np.random.default_rng(7)
    shared = (rng.integers(0, 1024, 300), rng.integers(0, 1032, 300))
    own = (rng.integers(0, 1024, 300), rng.integers(0, 1032, 300))
    return {
        detector: [
            _rate(
                folder / f"{detector}_{i}_rate.fits",
                detector,
                i,
                shared if i else (np.r_[shared[0], own[0]], np.r_[shared[1], own[1]]),
                0.3 * i,
            )  # fmt: skip
            for i in range(3)
        ]
        for detector in ("MIRIFUSHORT", "MIRIFULONG")
    }


def _jwst(sci, selfcal, background, **params):
    from jwst.badpix_selfcal import BadpixSelfcalStep
    from jwst_offline import jwst_offline_env

    with jwst_offline_env():
        return BadpixSelfcalStep.call(str(sci), [str(s) for s in selfcal],
                                      [str(b) for b in background], **params)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("detector", ["MIRIFUSHORT", "MIRIFULONG"])
def test_mrs_matches_jwst(mrs_files, detector):
    """Science, one selfcal and one background member (pedestals differ; warm pixels shared)."""
    pytest.importorskip("jwst")
    sci, selfcal, bkg = mrs_files[detector]
    model, bkg_models = _jwst(sci, [selfcal], [bkg], flagfrac_upper=0.0005)
    ours, flagged = badpix_selfcal(
        open_exposure(sci), [open_exposure(selfcal)], [open_exposure(bkg)], flagfrac_upper=0.0005
    )
    new = (ours["dq"].values & 1) != 0
    assert 400 < new.sum() < 3000
    np.testing.assert_array_equal(ours["dq"].values, model.dq)
    np.testing.assert_array_equal(flagged[0]["dq"].values, bkg_models[0].dq)
    for name, theirs in PAIRS:
        np.testing.assert_array_equal(ours[name].values, getattr(model, theirs), err_msg=name)
        np.testing.assert_array_equal(
            flagged[0][name].values, getattr(bkg_models[0], theirs), err_msg=name
        )
    assert ours.attrs["S_BPXSLF"] == model.meta.cal_step.badpix_selfcal == "COMPLETE"


def test_skip_without_members_as_jwst(mrs_files):
    pytest.importorskip("jwst")
    sci = mrs_files["MIRIFUSHORT"][0]
    model, backgrounds = _jwst(sci, [], [])
    ours, flagged = badpix_selfcal(open_exposure(sci))
    assert ours.attrs["S_BPXSLF"] == model.meta.cal_step.badpix_selfcal == "SKIPPED"
    assert backgrounds == flagged == []


@pytest.mark.parametrize("dispaxis", [None, 1, 2])
def test_kernel_matches_jwst(dispaxis):
    """The flags of one image (no pedestal), square or along either axis, as jwst's function."""
    pytest.importorskip("jwst")
    from jwst.badpix_selfcal.badpix_selfcal import badpix_selfcal as jwst_flags

    from spec2x._kernels.badpix_selfcal import flag_outliers

    rng = np.random.default_rng(3)
    image = rng.normal(1.0, 0.1, (60, 70)).astype(np.float32)
    image[rng.integers(0, 60, 40), rng.integers(0, 70, 40)] += 5.0
    image[rng.integers(0, 60, 30), rng.integers(0, 70, 30)] = np.nan
    image[:9, :9] = np.nan  # a NaN box wider than half the kernel
    theirs = jwst_flags(image, 0.01, 0.02, 9, dispaxis)
    square = {None: (9, 9), 1: (1, 9), 2: (9, 1)}[dispaxis]
    ours = flag_outliers(image[None], pedestal_box=None, flagfrac_lower=0.01,
                         flagfrac_upper=0.02, kernel=square)  # fmt: skip
    np.testing.assert_array_equal(np.nonzero(ours), theirs)
