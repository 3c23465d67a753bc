"""wfss_contam's spectral fit (``polyfit_degree``): the fit by hand, and against jwst 3.0.0's
``contam_corr`` on the overlapping-trace GRISMR scene with tilted spectra (jwst's
``match_backplane_prefer_first`` mended as in test_wfss_contam_parity.py)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from wfss_helpers import jwst_contam_corr

from spec2x.slits import iter_slits
from spec2x.steps.wfss_contam import Polyfit, _polyfit, correct, saved_products, simulate
from spec2x.wfss_contam.polyfit import FitCut, fit_shape, legendre, refine

#: the tilt of the scene's spectra (1 + SLOPE x over the order-1 range)
SLOPE = 0.3
#: jwst's settings in the parity run
SETTINGS = dict(polyfit_degree=2, n_iterations=2, l2_alpha=0.1, rejection_threshold=0.1)


def test_legendre_terms():
    lam = np.linspace(3.1, 4.0, 7)
    got = legendre(lam, 3, 3.1, 4.0)
    x = np.linspace(-1, 1, 7)
    for k in range(1, 4):
        want = np.polynomial.legendre.legval(x, np.eye(4)[k])
        np.testing.assert_allclose(got[k - 1], want, rtol=0, atol=1e-12)
    assert legendre(lam, 0, 3.1, 4.0).shape == (0, 7)


def test_fit_shape_by_hand():
    gen = np.random.default_rng(3)
    basis = [gen.uniform(0.5, 1.5, (6, 8)), gen.normal(size=(6, 8)), gen.normal(size=(6, 8))]
    data = 1.02 * basis[0] + 0.3 * basis[1] - 0.1 * basis[2]
    err = np.full((6, 8), 0.1, np.float32)
    dq = np.zeros((6, 8), np.uint32)
    dq[0, 0], data[0, 0] = 1, 1e6  # a DO_NOT_USE pixel is left out
    got = fit_shape(data, err, dq, basis, l2_alpha=0.0)
    np.testing.assert_allclose(got, [1.02, 0.3, -0.1], rtol=1e-10)
    # the L2 term pulls the coefficients towards 0
    damped = fit_shape(data, err, dq, basis, l2_alpha=1e3, rejection_threshold=None)
    assert abs(damped[1]) < 0.3
    # rejected when the flat coefficient strays from 1; none without usable pixels or errors
    assert fit_shape(1.5 * basis[0], err, None, basis, l2_alpha=0.0) is None
    assert fit_shape(1.5 * basis[0], err, None, basis, rejection_threshold=None) is not None
    assert fit_shape(data[:1, :2], err[:1, :2], None, [b[:1, :2] for b in basis]) is None
    assert fit_shape(data, np.zeros_like(err), None, basis) is None


def test_refine_puts_the_fit_into_the_frame():
    """One source whose light is 1.2 flat + 0.5 P1: the fit finds it and the frame (its whole
    light, also outside the cut-out) follows; a failed fit keeps the flat light."""
    flat = np.zeros((10, 12))
    flat[4:6, 1:11] = 1.0
    p1 = flat * np.linspace(-1, 1, 12)
    sky = 1.2 * flat + 0.5 * p1
    box = (3, 2, 4, 6)  # rows 3..6, columns 2..7: part of the trace
    cut = (slice(3, 7), slice(2, 8))
    whole = (np.flatnonzero(flat), np.stack([flat.ravel(), p1.ravel()])[:, np.flatnonzero(flat)])
    fit = FitCut(box, np.stack([flat[cut], p1[cut]]), whole, sky[cut].astype(np.float32),
                 np.ones((4, 6), np.float32), None)  # fmt: skip
    frame, own = refine(flat, [fit], l2_alpha=0.0, rejection_threshold=None)
    np.testing.assert_allclose(frame, sky, atol=1e-6)
    np.testing.assert_allclose(own[0], sky[cut], atol=1e-6)
    frame, own = refine(flat, [fit], l2_alpha=0.0, rejection_threshold=0.1)  # 1.2: rejected
    np.testing.assert_array_equal(frame, flat)
    np.testing.assert_array_equal(own[0], flat[cut])


def test_polyfit_parameters(caplog):
    assert _polyfit({"polyfit_degree": None}) is None
    with caplog.at_level(logging.WARNING, logger="spec2x"):
        assert _polyfit({"n_iterations": 3}) is None  # jwst: a warning, one pass
    assert "n_iterations" in caplog.text
    got = _polyfit({**SETTINGS, "rejection_threshold": None})
    assert got == Polyfit(degree=2, n_iterations=2, l2_alpha=0.1, rejection_threshold=None)


@pytest.fixture(scope="module")
def tilted(contam_scene):
    return contam_scene("GRISMR", slope=SLOPE)


@pytest.fixture(scope="module")
def jwst_polyfit(tilted, tmp_path_factory):
    """jwst's AssignWcs, Extract2d (order 1) and ``contam_corr`` with the spectral fit."""
    pytest.importorskip("jwst")
    runs = {"flat": (True, {}), "fitted": (True, SETTINGS)}
    return jwst_contam_corr(tilted, tmp_path_factory.mktemp("crds"), runs)


def _by_key(model):
    return {(s.source_id, s.meta.wcsinfo.spectral_order): s.data for s in model.slits}


def _ours(slits):
    return {
        (int(s["source_id"][0]), int(s["spectral_order"][0])): s["sci"].values[0]
        for s in iter_slits(slits)
    }


@pytest.mark.parity
@pytest.mark.slow
def test_polyfit_equals_jwst(tilted, jwst_polyfit):
    """Corrected cut-outs, the simulated frame and each cut-out's own fitted light equal
    jwst's; the fit moves the result well beyond that agreement."""
    c = tilted
    fit = Polyfit(degree=2, n_iterations=2, l2_alpha=0.1, rejection_threshold=0.1)
    sim = simulate(c["cutouts"], c["scene"], c["ranges"], c["photom"], orders=[1], polyfit=fit)
    corrected = correct(c["cutouts"], sim, c["photom"])
    saved = saved_products(corrected, sim, simulated_image=True, contam_images=True)
    out, simul, contam, simul_slits = jwst_polyfit["fitted"]
    peak = np.abs(simul.data).max()
    np.testing.assert_allclose(saved["simul"]["sci"].values, simul.data, rtol=0, atol=1e-6 * peak)
    flat = _by_key(jwst_polyfit["flat"][0])
    moved = 0.0
    for name, ours, theirs in (
        ("cal", _ours(corrected), _by_key(out)),
        ("contam", _ours(saved["contam"]), _by_key(contam)),
        ("simul_slits", _ours(saved["simul_slits"]), _by_key(simul_slits)),
    ):
        assert set(ours) == set(theirs), name
        for key, data in theirs.items():
            np.testing.assert_allclose(ours[key], data, rtol=0, atol=1e-6 * peak, err_msg=name)
            if name == "cal":
                moved = max(moved, np.abs(data - flat[key]).max() / peak)
    assert moved > 1e-3  # the fitted shapes change the correction
