"""WFSS background (bkg_subtract): the ``bkg`` template scaled to the data off the sources.

Synthetic NIRCam GRISMR and NIRISS GR150R exposures whose sky is 1.7 x the
synthetic ``bkg`` template (:mod:`spec2x.synthetic.wfss_bkg_refs`), with
point-source spectra dispersed on it; spec2x's
:func:`~spec2x.steps._bkg_wfss.subtract_wfss_background` against jwst
3.0.0's BackgroundStep on the same files: source mask identical, scale
(``BKGD_SCL``) to 1e-5, sci to float32 rounding, DQ identical.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from spec2x._kernels.wfss_background import background_mask_from_boxes, fit_scale
from spec2x.io.fits import open_product
from spec2x.io.references import open_reference
from spec2x.io.source_catalog import read_source_catalog
from spec2x.steps._bkg_wfss import subtract_wfss_background, wfss_background_mask
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references
from spec2x.synthetic.niriss_wfss_refs import write_niriss_wfss_references
from spec2x.synthetic.wfss_bkg_refs import write_wfss_bkg_exposure

_SCALE = 1.7
_WRITERS = {"NIRCAM": write_nircam_wfss_references, "NIRISS": write_niriss_wfss_references}


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    made = {}

    def make(instrument: str):
        if instrument not in made:
            folder = tmp_path_factory.mktemp(f"wfss_bkg_{instrument.lower()}")
            refs = _WRITERS[instrument](folder)
            files = write_wfss_bkg_exposure(folder, refs, instrument=instrument, scale=_SCALE)
            wcs_refs = {k: str(refs[k]) for k in ("distortion", "filteroffset", "specwcs")}
            ds = assign_wcs(open_product(files["rate"]), wcs_refs)
            made[instrument] = dict(
                folder=folder, refs=refs, files=files, wcs_refs=wcs_refs, ds=ds,
                bkg=open_reference(files["bkg"]),
                ranges=open_reference(refs["wavelengthrange"]),
                catalog=read_source_catalog(files["catalog"]),
            )  # fmt: skip
        return made[instrument]

    return make


def _ours(scene, **params):
    return subtract_wfss_background(
        scene["ds"], scene["bkg"], catalog=scene["catalog"], ranges=scene["ranges"], **params
    )


# -- kernel ---------------------------------------------------------------------------------


def test_fit_scale_exact_and_ignores_sources_and_zero_variance():
    gen = np.random.default_rng(1)
    bkg = (1 + 0.1 * gen.random((40, 50))).astype(np.float32)
    sci = (3.0 * bkg).astype(np.float32)
    var = np.ones_like(sci)
    source = np.zeros(sci.shape, bool)
    sci[5:9, 10:30] += 100.0  # a spectrum, masked
    source[5:9, 10:30] = True
    sci[20, 20], var[20, 20] = 1e6, 0.0  # zero variance: never used
    scale, rounds = fit_scale(sci, bkg, var, source, maxiter=0)
    assert rounds == 0
    assert scale == pytest.approx(3.0, rel=1e-6)


def test_fit_scale_rejects_outliers_and_stops_on_rms():
    gen = np.random.default_rng(2)
    bkg = (1 + 0.2 * gen.random((60, 60))).astype(np.float32)
    sci = (2.0 * bkg + 0.01 * gen.standard_normal(bkg.shape)).astype(np.float32)
    sci[::7, ::5] += 5.0  # unmasked outliers pull the first fit up
    var = np.full(sci.shape, 1e-4, np.float32)
    none = np.zeros(sci.shape, bool)
    first, _ = fit_scale(sci, bkg, var, none, maxiter=0)
    clipped, rounds = fit_scale(sci, bkg, var, none, outlier_percent=3.0, maxiter=5)
    assert rounds == 5
    assert abs(clipped - 2.0) < abs(first - 2.0) / 10
    _, early = fit_scale(sci, bkg, var, none, outlier_percent=3.0, delta_rms=0.5, dispaxis=1)
    assert early < 5
    with pytest.raises(ValueError, match="dispersion axis"):
        fit_scale(sci, bkg, var, none, delta_rms=0.1)


def test_mask_from_boxes_equals_a_loop_over_boxes():
    gen = np.random.default_rng(3)
    shape = (30, 40)
    x0, y0 = gen.integers(-10, 45, 50), gen.integers(-10, 35, 50)
    # boxes on the detector reach it (their far ends are not negative), as jwst's kept boxes do
    x1 = np.maximum(x0 + gen.integers(0, 15, 50), 0)
    y1 = np.maximum(y0 + gen.integers(0, 15, 50), 0)
    expected = np.ones(shape, bool)
    for a, b, c, d in zip(x0, x1, y0, y1, strict=True):
        expected[max(c, 0) : min(d + 1, shape[0]), max(a, 0) : min(b + 1, shape[1])] = False
    np.testing.assert_array_equal(background_mask_from_boxes(shape, x0, x1, y0, y1), expected)


# -- step -----------------------------------------------------------------------------------


def test_scale_recovered_and_sky_removed(scenes):
    scene = scenes("NIRCAM")
    out = _ours(scene)
    assert out.attrs["S_BKDSUB"] == "COMPLETE"
    assert out.attrs["R_BKG"] == scene["bkg"].name
    assert out.attrs["BKGD_SCL"] == pytest.approx(_SCALE, rel=2e-3)
    background = wfss_background_mask(scene["ds"], scene["catalog"], scene["ranges"].content)
    assert 0.05 < (~background).mean() < 0.9
    residual = out["sci"].values[background]
    assert abs(np.nanmedian(residual)) < 2e-3
    assert (out["dq"].values & scene["bkg"].content.dq).sum() == scene["bkg"].content.dq.sum()
    assert scene["ds"].attrs.get("S_BKDSUB") is None  # the input is unchanged


def test_too_few_background_pixels_fail(scenes):
    scene = scenes("NIRCAM")
    out = subtract_wfss_background(scene["ds"], scene["bkg"], mask=np.zeros((2048, 2048), bool))
    assert out.attrs["S_BKDSUB"] == "FAILED"
    assert out.attrs["BKGD_SCL"] == 0.0
    np.testing.assert_array_equal(out["sci"].values, scene["ds"]["sci"].values)
    assert not out["mask"].values.any()  # jwst keeps the (user) mask on a failure too


@pytest.mark.parity
@pytest.mark.slow
@pytest.mark.parametrize("instrument", ["NIRCAM", "NIRISS"])
@pytest.mark.parametrize(
    "params",
    [{}, {"wfss_maxiter": 3, "wfss_rms_stop": 5.0, "wfss_outlier_percent": 2.0}],
    ids=["defaults", "rms_stop"],
)
def test_matches_jwst_background_step(scenes, instrument, params, tmp_path):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst.background import BackgroundStep
    from jwst.background.background_sub_wfss import _mask_from_source_cat
    from jwst_offline import jwst_offline_env, run_jwst_step

    scene = scenes(instrument)
    refs = {
        "bkg": str(scene["files"]["bkg"]),
        "wavelengthrange": str(scene["refs"]["wavelengthrange"]),
    }
    with contextlib.chdir(scene["folder"]):
        model = run_jwst_step(
            AssignWcsStep, str(scene["files"]["rate"]), scene["wcs_refs"], rest="N/A",
            tmp_path=tmp_path, sip_approx=False,
        )  # fmt: skip
        with jwst_offline_env(tmp_path):
            jwst_mask = _mask_from_source_cat(model, refs["wavelengthrange"])
        theirs = run_jwst_step(BackgroundStep, model, refs, tmp_path=tmp_path, **params)
    ours = _ours(
        scene,
        maxiter=params.get("wfss_maxiter", 5),
        rms_stop=params.get("wfss_rms_stop", 0.0),
        outlier_percent=params.get("wfss_outlier_percent", 1.0),
    )
    mask = wfss_background_mask(scene["ds"], scene["catalog"], scene["ranges"].content)
    np.testing.assert_array_equal(mask, jwst_mask)
    assert theirs.meta.cal_step.bkg_subtract == ours.attrs["S_BKDSUB"] == "COMPLETE"
    scale = theirs.meta.background.scaling_factor
    assert ours.attrs["BKGD_SCL"] == pytest.approx(scale, rel=1e-10)  # measured: equal
    np.testing.assert_allclose(ours["sci"].values, theirs.data, rtol=1e-6, atol=1e-7)  # measured: 0
    np.testing.assert_array_equal(ours["dq"].values, theirs.dq)
    np.testing.assert_array_equal(ours["mask"].values, theirs.mask)  # the _bsub MASK
    from stdatamodels.jwst import datamodels

    from spec2x.io.fits import write_fits

    with datamodels.open(write_fits(ours, tmp_path / "ours_bsub.fits")) as written:
        np.testing.assert_array_equal(written.mask, theirs.mask)
