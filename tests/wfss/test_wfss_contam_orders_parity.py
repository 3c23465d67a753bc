"""wfss_contam against jwst 3.0.0 in every order it disperses: NIRCam GRISMR F322W2 (orders 1
and 2 on the detector) and NIRISS GR150C F200W (orders -1 ... 3), cut-outs of every order.

Each order's simulated frame is compared with jwst's ``Observation.disperse_order``, and the
corrected cut-outs with ``contam_corr`` (its ``match_backplane_prefer_first`` mended, as in
``test_wfss_contam_parity``; docs/parity.md)."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from wfss_helpers import mended_backplane

from spec2x.slits import iter_slits
from spec2x.steps._extract_2d_grism import extract_grism
from spec2x.steps.wfss_contam import simulate, wfss_contam

pytestmark = [pytest.mark.parity, pytest.mark.slow]

#: grism, blocking filter, every order of its wavelengthrange.
CASES = {"GRISMR": ("F322W2", [1, 2]), "GR150C": ("F200W", [-1, 0, 1, 2, 3])}


def _jwst_frames(cut, photom_path, ranges_path, orders):
    """jwst's simulated frame of each order (one ``Observation``, orders in turn)."""
    from jwst.wfss_contam.observations import Observation
    from jwst.wfss_contam.sens1d import get_photom_data
    from stdatamodels.jwst import datamodels

    frames = {}
    meta = cut.meta
    element = meta.instrument.pupil if meta.instrument.name == "NIRISS" else meta.instrument.filter
    with (
        datamodels.open(meta.direct_image) as direct,
        datamodels.open(meta.segmentation_map) as seg,
        datamodels.WavelengthrangeModel(ranges_path) as wr,
        datamodels.open(photom_path) as ph,
    ):
        obs = Observation(
            direct.data, seg.data, cut.slits[0].meta.wcs, direct.meta.wcs,
            boundaries=[0, 2047, 0, 2047], max_pixels_per_chunk=5000, oversample_factor=2,
        )  # fmt: skip
        for order in orders:
            before = obs.simulated_image.copy()
            wmin, wmax = wr.get_wfss_wavelength_range(element, [order])[order]
            sens = get_photom_data(ph, meta.instrument.filter, meta.instrument.pupil, order)
            obs.disperse_order(order, wmin, wmax, *sens)
            frames[order] = obs.simulated_image - before
    return frames


@pytest.fixture(scope="module", params=list(CASES))
def orders_case(request, contam_scene, tmp_path_factory):
    """Both pipelines on cut-outs of every order: spec2x's, jwst's frames and corrected slits."""
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst.extract_2d import Extract2dStep
    from jwst.wfss_contam import wfss_contam as jwst_wc
    from jwst_offline import run_jwst_step
    from stdatamodels.jwst import datamodels

    blocking, orders = CASES[request.param]
    c = contam_scene(request.param, blocking)
    cut = extract_grism(c["exposure"], c["catalog"], c["ranges"], extract_orders=orders)
    tmp = tmp_path_factory.mktemp("crds")
    ranges = str(c["refs"]["wavelengthrange"])
    with contextlib.chdir(c["folder"]):
        model = run_jwst_step(
            AssignWcsStep, str(c["files"]["rate"]), c["wcs_refs"], rest="N/A", tmp_path=tmp,
            sip_approx=False,
        )  # fmt: skip
        jcut = run_jwst_step(
            Extract2dStep, model, {"wavelengthrange": ranges}, tmp_path=tmp, extract_orders=orders
        )
        frames = _jwst_frames(jcut, c["photom"].path, ranges, orders)
        with (
            datamodels.WavelengthrangeModel(ranges) as wr,
            datamodels.open(c["photom"].path) as ph,
            pytest.MonkeyPatch.context() as mp,
        ):
            mp.setattr(jwst_wc, "match_backplane_prefer_first", mended_backplane)
            mended = jwst_wc.contam_corr(jcut, wr, ph, "1", max_pixels_per_chunk=5000)[0]
    return {"scene": c, "orders": orders, "cutouts": cut, "frames": frames, "mended": mended}


def test_every_order_simulated_as_jwst(orders_case):
    c, cut = orders_case["scene"], orders_case["cutouts"]
    total = np.zeros((2048, 2048))
    for order, theirs in orders_case["frames"].items():
        ours = simulate(cut, c["scene"], c["ranges"], c["photom"], orders=[order]).frame
        peak = np.abs(theirs).max()
        assert peak > 0, order  # the order lands on the detector
        assert np.abs(ours - theirs).max() < 2e-7 * peak, order
        total += ours
    every = simulate(cut, c["scene"], c["ranges"], c["photom"])
    assert every.orders == tuple(orders_case["orders"])
    np.testing.assert_allclose(every.frame, total, rtol=0, atol=1e-9 * np.abs(total).max())


def test_cutouts_of_every_order_corrected_as_jwst(orders_case):
    c, cut = orders_case["scene"], orders_case["cutouts"]
    ours = {
        (int(s["source_id"][0]), int(s["spectral_order"][0])): s["sci"].values[0]
        for s in iter_slits(wfss_contam(cut, c["scene"], c["ranges"], c["photom"]))
    }
    before = {
        (int(s["source_id"][0]), int(s["spectral_order"][0])): s["sci"].values[0]
        for s in iter_slits(cut)
    }
    theirs = {
        (s.source_id, s.meta.wcsinfo.spectral_order): s.data for s in orders_case["mended"].slits
    }
    assert set(ours) == set(theirs)
    assert {o for _, o in theirs} == set(orders_case["orders"])
    corrected = set()
    for key, data in theirs.items():
        assert np.abs(ours[key] - data).max() < 1e-6 * np.abs(data).max(), key
        if np.abs(before[key] - data).max() > 1e-3 * np.abs(data).max():
            corrected.add(key[1])
    assert len(corrected) > 1  # contamination taken out in more than order 1
