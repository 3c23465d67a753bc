"""bkg_subtract on a MOS nod: the other nod positions' rate images are the background,
subtracted before extract_2d as jwst 3.0.0's BackgroundStep does, and the imprint first."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.io.fits import open_exposure
from spec2x.pipeline import chain_for
from spec2x.steps.bkg_subtract import bkg_subtract
from spec2x.steps.imprint_subtract import imprint_subtract
from spec2x.synthetic.nirspec_msa_scene import imprint_exposure, make_nirspec_mos


@pytest.fixture(scope="module")
def nod(tmp_path_factory):
    """The 3-shutter nod of the synthetic MOS exposure (noise on, 12 slitlets)."""
    return make_nirspec_mos(11, folder=tmp_path_factory.mktemp("nod"), n_slitlets=12,
                            dither_points=(1, 2, 3))  # fmt: skip


def test_mos_chain_runs_imprint_and_bkg_subtract_with_members(nod):
    sci = open_exposure(nod.rate_paths[0])
    assert "bkg_subtract" not in chain_for(sci)
    chain = chain_for(sci, members={"background": nod.rate_paths[1:], "imprint": ["leak"]})
    assert chain[chain.index("imprint_subtract") + 1] == "bkg_subtract"
    assert chain.index("bkg_subtract") < chain.index("extract_2d")


@pytest.mark.parity
def test_nod_subtraction_matches_jwst_background_step(nod, tmp_path):
    pytest.importorskip("jwst")
    from jwst.background import BackgroundStep
    from jwst_offline import jwst_offline_env

    sci, *bkgs = (open_exposure(p) for p in nod.rate_paths)
    ours = bkg_subtract(sci, bkgs)
    with jwst_offline_env(tmp_path):
        theirs = BackgroundStep.call(
            str(nod.rate_paths[0]), [str(p) for p in nod.rate_paths[1:]],
            override_bkg="N/A", override_wavelengthrange="N/A",
        )  # fmt: skip
    assert ours.attrs["S_BKDSUB"] == theirs.meta.cal_step.bkg_subtract == "COMPLETE"
    np.testing.assert_allclose(ours["sci"].values, theirs.data, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(ours["dq"].values, theirs.dq)
    tilted = [b.assign_attrs(GWA_XTIL=b.attrs["GWA_XTIL"] + 1e-6) for b in bkgs]
    assert bkg_subtract(sci, tilted).attrs["S_BKDSUB"] == "SKIPPED"  # jwst's tilt check


def test_imprint_on_science_and_backgrounds_cancels_in_the_nod_difference(nod):
    """The chain subtracts the imprint from the science and from each background member."""
    band = {"y": slice(900, 1000)}  # a band of rows keeps the clipping cheap
    sci, *bkgs = (open_exposure(p).isel(band) for p in nod.rate_paths)
    imprint = imprint_exposure(sci, 2)
    leaked = [d.assign(sci=d["sci"] + imprint["sci"].values) for d in (sci, *bkgs)]
    cleaned = [imprint_subtract(d, [imprint]) for d in leaked]
    out = bkg_subtract(cleaned[0], cleaned[1:])
    np.testing.assert_allclose(out["sci"].values, bkg_subtract(sci, bkgs)["sci"].values, atol=1e-5)
    assert out.attrs["S_IMPRNT"] == "COMPLETE"
