"""wfss_contam against jwst 3.0.0 on the synthetic overlapping-trace scenes (NIRCam GRISMR,
NIRISS GR150C): the simulated frame, and the corrected cut-outs with jwst's
``match_backplane_prefer_first`` mended (jwst's own drops a source's own light: docs/parity.md)."""

from __future__ import annotations

import numpy as np
import pytest
from wfss_helpers import jwst_contam_corr

from spec2x.slits import iter_slits
from spec2x.steps.wfss_contam import simulate, wfss_contam

pytestmark = [pytest.mark.parity, pytest.mark.slow]


@pytest.fixture(scope="module", params=["GRISMR", "GR150C"])
def jwst_contam(request, contam_scene, tmp_path_factory):
    """jwst's AssignWcs and Extract2d (order 1), then ``contam_corr`` as it is and mended."""
    pytest.importorskip("jwst")
    c = contam_scene(request.param)
    runs = {"as_is": (False, {}), "mended": (True, {})}
    return {"scene": c, **jwst_contam_corr(c, tmp_path_factory.mktemp("crds"), runs)}


def _slits(model):
    return {(s.source_id, s.meta.wcsinfo.spectral_order): s.data for s in model.slits}


def test_simulated_frame(jwst_contam):
    c = jwst_contam["scene"]
    sim = simulate(c["cutouts"], c["scene"], c["ranges"], c["photom"], orders=[1])
    theirs = jwst_contam["as_is"][1].data
    assert np.abs(sim.frame - theirs).max() < 2e-7 * np.abs(theirs).max()


def test_corrected_cutouts(jwst_contam):
    c = jwst_contam["scene"]
    ours = {
        (int(s["source_id"][0]), int(s["spectral_order"][0])): s["sci"].values[0]
        for s in iter_slits(wfss_contam(c["cutouts"], c["scene"], c["ranges"], c["photom"]))
    }
    mended, as_is = _slits(jwst_contam["mended"][0]), _slits(jwst_contam["as_is"][0])
    assert set(ours) == set(mended) == set(as_is)
    differ = 0
    for key, theirs in mended.items():
        scale = np.abs(theirs).max()
        assert np.abs(ours[key] - theirs).max() < 1e-6 * scale, key
        differ += np.abs(as_is[key] - theirs).max() > 1e-3 * scale
    # jwst's own backplane leaves out part of some sources' own light (subtracted as
    # contamination) or finds no overlap at all (no correction): docs/parity.md
    assert differ > 0


def test_saved_products_equal_jwst(jwst_contam):
    """save_simulated_image / save_contam_images: ``simul``, ``simul_slits`` and ``contam``
    equal to the models jwst's step saves (its backplane mended, as above)."""
    from spec2x.steps.wfss_contam import correct, saved_products

    c = jwst_contam["scene"]
    sim = simulate(c["cutouts"], c["scene"], c["ranges"], c["photom"], orders=[1])
    saved = saved_products(
        correct(c["cutouts"], sim, c["photom"]), sim, simulated_image=True, contam_images=True
    )
    _, simul, contam, simul_slits = jwst_contam["mended"]
    peak = np.abs(simul.data).max()
    np.testing.assert_allclose(saved["simul"]["sci"].values, simul.data, rtol=0, atol=2e-7 * peak)
    for name, theirs in (("contam", contam), ("simul_slits", simul_slits)):
        ours = {
            (int(s["source_id"][0]), int(s["spectral_order"][0])): s["sci"].values[0]
            for s in iter_slits(saved[name])
        }
        want = _slits(theirs)
        assert set(ours) == set(want), name
        for key, data in want.items():
            assert ours[key].shape == data.shape, (name, key)
            np.testing.assert_allclose(ours[key], data, rtol=0, atol=2e-7 * peak)
