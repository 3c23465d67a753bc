"""clean_flicker_noise against jwst 3.0.0's CleanFlickerNoiseStep on the same rate files.

NIRSpec fixed slit (SUBS200A1, and full frame, slow) with the science regions
from each pipeline's own WCS; NIRISS and MIRI imaging with the sigma-clipped
mask.  Flicker stripes from :mod:`spec2x.synthetic.flicker`.
"""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.instruments.nirspec.fs import assign_fixed_slits
from spec2x.io.fits import open_exposure, write_fits
from spec2x.io.references import open_reference
from spec2x.steps._flicker_mask import scene_mask
from spec2x.steps.clean_flicker_noise import flicker_noise
from spec2x.synthetic.flicker import add_flicker_noise, make_flicker_image
from spec2x.synthetic.nirspec import make_nirspec_fs

pytestmark = pytest.mark.parity

NO_REFS = {"flat": "N/A", "pastasoss": "N/A"}


def _fs_pair(folder, subarray):
    """The striped FS rate file through spec2x's and jwst's assign_wcs."""
    pytest.importorskip("jwst")
    from jwst.assign_wcs.assign_wcs import load_wcs
    from jwst_offline import jwst_offline_env
    from stdatamodels.jwst import datamodels as dm

    obs = make_nirspec_fs(7, subarray=subarray, folder=folder, calibration=False)
    paths = {k: str(v) for k, v in obs.refs.items()}
    striped = add_flicker_noise(open_exposure(obs.rate_paths[0]), 11)
    striped.attrs["SLOWAXIS"] = 1  # NRS1 (jwst reads it; spec2x takes 1 for NIRSpec anyway)
    path = write_fits(striped, folder / "striped_rate.fits")
    refs = {k: open_reference(v, k) for k, v in paths.items()}
    ours = assign_fixed_slits(open_exposure(path), refs)
    model = dm.ImageModel(str(path))
    with jwst_offline_env(folder):
        model = load_wcs(model, paths, nrs_slit_y_range=(-0.55, 0.55))
    model.meta.cal_step.assign_wcs = "COMPLETE"
    return ours, model


@pytest.fixture(scope="module")
def fs_sub(tmp_path_factory):
    return _fs_pair(tmp_path_factory.mktemp("flicker_fs"), "SUBS200A1")


def _jwst(model, folder, refs=None, **params):
    from jwst.clean_flicker_noise import CleanFlickerNoiseStep
    from jwst_offline import run_jwst_step

    return run_jwst_step(
        CleanFlickerNoiseStep,
        model.copy(),
        {**NO_REFS, **(refs or {})},
        tmp_path=folder,
        skip=False,
        **params,
    )


def _compare(ours, theirs, before, tol, columns=slice(None)):
    """Equal statuses and NaNs; sci (of ``columns``) within ``tol`` of the largest noise jwst
    removed."""
    assert ours.attrs["S_CLNFNS"] == theirs.meta.cal_step.clean_flicker_noise == "COMPLETE"
    a, b, before = ours["sci"].values[:, columns], theirs.data[:, columns], before[:, columns]
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    removed = np.nanmax(np.abs(b - before))
    assert removed > 0.01  # the stripes were there to remove
    assert np.nanmax(np.abs(a - b)) <= tol * removed


def test_fs_mask_equals_jwst(fs_sub):
    """The science-region mask (slit boxes from the WCS) and the 2-sigma clip."""
    from jwst.clean_flicker_noise.clean_flicker_noise import create_mask

    ours, model = fs_sub
    theirs = create_mask(model, mask_science_regions=True, n_sigma=2.0, single_mask=True)
    mine = scene_mask(ours, mask_science_regions=True, n_sigma=2.0, fit_histogram=False,
                      single_mask=True)  # fmt: skip
    np.testing.assert_array_equal(mine, theirs)
    assert not mine[11:55, 300:1700].any()  # the S200A1 box (y 10.5-54.5)


@pytest.mark.parametrize(
    ("params", "tol"),
    [
        ({"fit_method": "median", "mask_science_regions": True}, 0.0),
        ({"fit_method": "median", "background_method": "model", "fit_histogram": True}, 0.0),
        ({"fit_method": "fft", "mask_science_regions": True}, 1e-4),
        ({"fit_method": "fft", "background_method": None, "n_sigma": 3.0}, 1e-4),
    ],
    ids=["median-regions", "median-model-histogram", "fft-regions", "fft-nobkg"],
)
def test_fs_subarray_equals_jwst(fs_sub, tmp_path, params, tol):
    ours, model = fs_sub
    theirs = _jwst(model, tmp_path, **params)
    _compare(flicker_noise(ours, **params).result, theirs, model.data, tol)


@pytest.mark.slow
def test_fs_full_frame_fft_equals_jwst(tmp_path):
    """NSClean on a full frame (2048 x 2048): the line-by-line Fourier fit.

    After a readout line whose fit mask nearly empties (a stripe clipped as signal), NSClean's
    weights span 1e7 and jwst's complex64 solution is rounding: the lines within 8 of those
    (its smoothing reaches them) are left out (6 % of the lines; docs/parity.md).
    """
    from spec2x._kernels.flicker_stats import background_level, clip_to_background

    ours, model = _fs_pair(tmp_path, "FULL")
    params = {"fit_method": "fft", "mask_science_regions": True}
    theirs = _jwst(model, tmp_path, **params)
    fit = flicker_noise(ours, **params)
    image = ours["sci"].values
    level, fitted = background_level(image, fit.mask)
    fitted = clip_to_background(image - level, fitted, sigma_lower=2.0, lower_half_only=True)
    sparse = np.flatnonzero(fitted.sum(axis=0) < 100)  # DMS columns = readout lines
    near = (np.abs(np.arange(2048)[:, None] - sparse[None, :] - 0.5) <= 8.5).any(axis=1)
    assert near.mean() < 0.06
    _compare(fit.result, theirs, model.data, 5e-4, columns=~near)


@pytest.mark.parametrize(
    ("exp_type", "shape", "params"),
    [
        ("NIS_IMAGE", (128, 96), {"background_method": "model", "background_box_size": [32, 32]}),
        ("NIS_IMAGE", (3, 64, 80), {"single_mask": False, "n_sigma": 2.5}),
        ("MIR_IMAGE", (96, 128), {"fit_histogram": True}),
        ("MIR_IMAGE", (64, 64), {"fit_method": "fft"}),  # jwst: fft on MIRI is skipped (FAILED)
    ],
    ids=["nis-model", "nis-rateints", "mir-histogram", "mir-fft-failed"],
)
def test_image_modes_equal_jwst(tmp_path, exp_type, shape, params):
    pytest.importorskip("jwst")
    from stdatamodels.jwst import datamodels as dm

    ds = make_flicker_image(5, exp_type, shape=shape)
    path = write_fits(ds, tmp_path / "image_rate.fits")
    model = dm.open(str(path))
    theirs = _jwst(model, tmp_path, **params)
    ours = flicker_noise(open_exposure(path), **params).result
    if params.get("fit_method") == "fft":
        assert ours.attrs["S_CLNFNS"] == theirs.meta.cal_step.clean_flicker_noise == "FAILED"
        np.testing.assert_array_equal(ours["sci"].values, theirs.data)
        return
    _compare(ours, theirs, model.data, 0.0)


def test_apply_flat_field_equals_jwst(tmp_path):
    """A full-frame NIRISS flat cut to the subarray, its zeros and NaNs filled by a smooth
    model, divided out before the fits and multiplied back."""
    pytest.importorskip("jwst")
    from astropy.io import fits
    from stdatamodels.jwst import datamodels as dm

    from spec2x.synthetic.niriss_wfss_cal_refs import write_niriss_wfss_flat

    flat_path = write_niriss_wfss_flat(tmp_path / "flat.fits", seed=3)
    with fits.open(flat_path, mode="update") as hdul:
        hdul["SCI"].data[10:13, 20:22] = 0.0
        hdul["SCI"].data[40, 50] = np.nan
    ds = make_flicker_image(8, "NIS_IMAGE", shape=(96, 128))
    path = write_fits(ds, tmp_path / "image_rate.fits")
    theirs = _jwst(dm.open(str(path)), tmp_path, {"flat": str(flat_path)}, apply_flat_field=True)
    ours = flicker_noise(open_exposure(path), flat=open_reference(flat_path, "flat")).result
    _compare(ours, theirs, dm.open(str(path)).data, 1e-6)
