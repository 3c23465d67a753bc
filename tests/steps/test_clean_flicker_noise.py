"""clean_flicker_noise: the kernels on hand-made arrays, the step's contract, the chain adapter."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from spec2x._kernels.flicker_fit import (
    lowpass,
    median_stripes,
    nsclean_full_frame,
    nsclean_subarray,
    subarray_apodizer,
)
from spec2x._kernels.flicker_stats import background_level, clip_to_background, default_box_size
from spec2x.errors import UnsupportedModeError
from spec2x.io.references import ReferenceSet
from spec2x.step_spec import StepOutput
from spec2x.steps import StepContext
from spec2x.steps._flicker_mask import NRS_FS_ROWS, science_regions
from spec2x.steps.clean_flicker_noise import clean_flicker_noise, flicker_noise, from_chain
from spec2x.synthetic.flicker import flicker_stripes, make_flicker_image

FS_FC = (1061.0, 1211.0, 49943.0, 49957.0)


# -- kernels ------------------------------------------------------------------


def test_median_stripes_by_hand():
    image = np.array([[1.0, 5.0, 2.0], [3.0, 7.0, 2.0], [100.0, 6.0, 2.0]], np.float32)
    mask = np.array([[True, True, False], [True, True, False], [False, True, False]])
    # column medians of the background pixels; a column with none gets 0
    np.testing.assert_array_equal(median_stripes(image, mask, 0, False)[0], [2.0, 6.0, 0.0])
    np.testing.assert_array_equal(median_stripes(image, mask, 1, False)[:, 0], [3.0, 5.0, 6.0])


def test_median_stripes_by_channel():
    """Four 512-row channels on a 2048-row axis, each its own median."""
    image = np.repeat(np.arange(4, dtype=np.float32), 512)[:, None] * np.ones((1, 3), np.float32)
    mask = np.ones(image.shape, bool)
    np.testing.assert_array_equal(median_stripes(image, mask, 0, True), image)
    np.testing.assert_array_equal(median_stripes(image, mask, 0, False), np.full(image.shape, 1.5))


def test_filters_by_hand():
    gain = lowpass(0.25, 0.1, 20)  # frequencies 0, 0.05 ... 0.5
    np.testing.assert_allclose(gain[:5], [1, 1, 1, 1, 1])  # <= 0.2
    assert gain[5] == pytest.approx(0.5)  # the half-power point
    np.testing.assert_allclose(gain[6:], 0.0, atol=1e-12)  # >= 0.3
    freq = np.array([0, 1000, 1136, 1211, 30000, 49943, 49950, 49957, 50000], np.float32)
    np.testing.assert_allclose(
        subarray_apodizer(freq, FS_FC), [1, 1, 0.5, 0, 0, 0, 0.5, 1, 1], atol=1e-2
    )


def test_clip_to_background_flags_signal_and_keeps_input():
    gen = np.random.default_rng(3)
    image = gen.normal(10.0, 1.0, (64, 64))
    image[20:24, 30:34] += 50.0  # a source
    image[5, 5] = -40.0  # a bad pixel
    mask = np.ones(image.shape, bool)
    out = clip_to_background(image, mask, sigma_upper=2.0)
    assert mask.all()  # input untouched
    assert not out[20:24, 30:34].any()
    assert not out[5, 5]
    assert 0.95 < out.mean() < 0.99  # a 2-sigma upper clip takes about 2.3 % of the sky
    assert clip_to_background(image, np.zeros_like(mask)).sum() == 0


def test_background_level():
    gen = np.random.default_rng(4)
    image = (5.0 + gen.normal(0.0, 0.1, (64, 96))).astype(np.float32)
    level, mask = background_level(image, np.ones(image.shape, bool))
    assert level == pytest.approx(5.0, abs=0.01)
    assert mask.mean() > 0.95
    model, _ = background_level(image, np.ones(image.shape, bool), "model", [32, 32])
    assert model.shape == image.shape
    assert np.allclose(model, 5.0, atol=0.05)
    assert default_box_size((64, 96)) == [32, 32]
    assert default_box_size((60, 2048)) == [30, 32]


def _stripes_on(shape, detector="NRS1"):
    """Smooth stripes along detector rows (DMS columns): what NSClean models."""
    gen = np.random.default_rng(5)
    ny, nx = shape
    cols = np.arange(nx)
    levels = 0.05 * np.sin(cols / 37.0) + 0.03 * np.cos(cols / 91.0 + 1)
    image = (levels[None, :] + gen.normal(0.0, 0.005, shape)).astype(np.float32)
    return image, np.broadcast_to(levels[None, :], shape)


def test_nsclean_subarray_recovers_stripes():
    image, truth = _stripes_on((32, 512))
    mask = np.ones(image.shape, bool)
    mask[10:20, :] = False  # a "slit"
    model = nsclean_subarray(image, mask, "NRS1", FS_FC)
    assert np.std(image - model) < 0.4 * np.std(image)
    assert np.abs(model - truth).mean() < 0.01
    assert nsclean_subarray(image, np.zeros_like(mask), "NRS2", FS_FC) is None


@pytest.mark.slow
def test_nsclean_full_frame_recovers_stripes():
    image, truth = _stripes_on((2048, 2048))
    mask = np.ones(image.shape, bool)
    mask[900:1100] = False
    model = nsclean_full_frame(image, mask, "NRS2")
    inner = (slice(8, -8), slice(8, -8))
    assert np.abs(model - truth)[inner].mean() < 0.01


# -- the step -----------------------------------------------------------------


@pytest.fixture(scope="module")
def image():
    return make_flicker_image(2, "NIS_IMAGE", shape=(64, 96))


def test_step_removes_stripes_and_keeps_input(image):
    before = image.copy(deep=True)
    fit = flicker_noise(image)
    xr.testing.assert_identical(image, before)
    out = fit.result
    assert out.attrs["S_CLNFNS"] == "COMPLETE"
    assert "S_CLNFNS" not in image.attrs
    for name in ("err", "dq", "var_poisson", "var_rnoise"):
        xr.testing.assert_identical(out[name], image[name])
    # column medians of the sky are flat after cleaning
    sky = np.where(fit.mask, out["sci"].values, np.nan)
    assert np.nanstd(np.nanmedian(sky, axis=0)) < 0.3 * np.nanstd(
        np.nanmedian(np.where(fit.mask, image["sci"].values, np.nan), axis=0)
    )
    np.testing.assert_allclose(fit.noise, out["sci"].values - image["sci"].values)
    assert out["sci"].dtype == np.float32


def test_dask_input_same_answer(image):
    lazy = image.chunk({"y": 32})
    out = clean_flicker_noise(lazy, fit_method="median", background_method="model")
    assert out["sci"].chunks is not None
    eager = clean_flicker_noise(image, fit_method="median", background_method="model")
    xr.testing.assert_identical(out.compute(), eager)


def test_rateints_single_and_per_integration_masks():
    ds = make_flicker_image(6, "MIR_IMAGE", shape=(3, 48, 40))
    single = flicker_noise(ds)
    each = flicker_noise(ds, single_mask=False)
    assert single.mask.shape == (48, 40)
    assert each.mask.shape == (3, 48, 40)
    assert np.array_equal(single.mask, each.mask.all(axis=0))
    assert single.background.shape == (3, 48, 40)


def test_user_mask_array_and_file(image, tmp_path):
    from astropy.io import fits

    mask = np.ones((64, 96), bool)
    mask[:, 40:50] = False
    path = tmp_path / "mask.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(mask.astype(np.uint8), name="SCI")]).writeto(
        path
    )
    from_array = flicker_noise(image, user_mask=mask)
    from_file = flicker_noise(image, user_mask=str(path))
    xr.testing.assert_identical(from_array.result, from_file.result)
    np.testing.assert_array_equal(from_file.mask, mask)
    wrong = flicker_noise(image, user_mask=np.ones((10, 10), bool))
    assert wrong.result.attrs["S_CLNFNS"] == "FAILED"
    np.testing.assert_array_equal(wrong.result["sci"].values, image["sci"].values)


@pytest.mark.parametrize(
    ("exp_type", "fit_method"), [("MIR_LRS-FIXEDSLIT", "median"), ("NIS_WFSS", "fft")]
)
def test_jwst_skips_are_failed(image, exp_type, fit_method):
    ds = image.assign_attrs(EXP_TYPE=exp_type)
    out = clean_flicker_noise(ds, fit_method=fit_method)
    assert out.attrs["S_CLNFNS"] == "FAILED"
    np.testing.assert_array_equal(out["sci"].values, ds["sci"].values)


@pytest.mark.parametrize(
    "params",
    [{"background_method": "median_image"}, {"autoparam": True}],
)
def test_refused_in_one_line(image, params):
    with pytest.raises(UnsupportedModeError, match="not implemented in spec2x"):
        clean_flicker_noise(image, **params)


def test_science_regions_nirspec_ifu_and_mos():
    """IFU: pixels with a wavelength and the fixed-slit rows; failed-open shutters."""
    wl = np.full((2048, 8), np.nan)
    wl[100:200, 2:5] = 1.5
    dq = np.zeros((2048, 8), np.uint32)
    dq[50, 0] = 2**29  # MSA_FAILED_OPEN
    ds = xr.Dataset(
        {"sci": (("y", "x"), np.ones((2048, 8), np.float32)), "dq": (("y", "x"), dq)},
        coords={"wavelength": (("y", "x"), wl)},
        attrs={"EXP_TYPE": "NRS_IFU"},
    )
    mask = science_regions(ds)
    assert not mask[100:200, 2:5].any()
    assert not mask[NRS_FS_ROWS].any()
    assert not mask[50, 0]
    assert mask[300:900].all()
    with pytest.raises(UnsupportedModeError, match="MIR_IMAGE"):
        science_regions(ds.assign_attrs(EXP_TYPE="MIR_IMAGE"))


def test_from_chain_saves_mask_background_noise(image):
    params = {"fit_method": "median", "background_method": "None", "save_mask": True,
              "save_background": True, "save_noise": True, "user_mask": "None"}  # fmt: skip
    result = from_chain(image, StepContext("clean_flicker_noise", ReferenceSet(), params))
    assert isinstance(result, StepOutput)
    assert set(result.products) == {"mask", "flicker_bkg", "flicker_noise"}
    assert float(result.products["flicker_bkg"]["sci"].max()) == 0.0  # no background fitted
    plain = from_chain(
        image, StepContext("clean_flicker_noise", ReferenceSet(), {"background_method": None})
    )
    xr.testing.assert_identical(plain, result.result.assign_attrs(S_CLNFNS="COMPLETE"))


def test_flicker_stripes_seeded():
    np.testing.assert_array_equal(flicker_stripes(50, 1), flicker_stripes(50, 1))


def test_run_step_by_name(image):
    """As the chain (and ``spec2x run --steps.clean_flicker_noise.skip=false``) calls it."""
    from spec2x.pipeline import run_step

    out = run_step(image, "clean_flicker_noise", None, fit_method="median", n_sigma="2.5")
    xr.testing.assert_identical(out, clean_flicker_noise(image, n_sigma=2.5))


def test_flicker_traits_follow_jwst_lists():
    """jwst: NIRSpec types (``startswith("nrs")``) flag failed-open shutters; MIRI types
    other than MIR_IMAGE are skipped; NSClean (``fft``) runs on NIRSpec's four slit/IFU types."""
    from spec2x.modes import MODES

    nirspec = {k for k, m in MODES.items() if m.instrument == "NIRSPEC"}
    flagged = {"slits", "msa", "ifu", "nirspec"}
    assert {k for k, m in MODES.items() if m.flicker_regions in flagged} == nirspec
    miri = {k for k, m in MODES.items() if m.instrument == "MIRI"}
    assert {k for k, m in MODES.items() if m.flicker is None} == miri - {"MIR_IMAGE"}
    fft = {k for k, m in MODES.items() if m.allows("clean_flicker_noise")}
    assert fft == {"NRS_FIXEDSLIT", "NRS_BRIGHTOBJ", "NRS_MSASPEC", "NRS_IFU"}
