"""clean_flicker_noise on the NIRSpec IFU against jwst 3.0.0 (``flicker_regions = "ifu"``).

The synthetic PRISM IFU exposure of :mod:`ifu_helpers` (full frame) after each
pipeline's assign_wcs, with light on every slice pixel and flicker stripes.
"""

from __future__ import annotations

import numpy as np
import pytest
from ifu_helpers import jwst_step, ours

from spec2x.steps._flicker_mask import NRS_FS_ROWS, scene_mask
from spec2x.steps.clean_flicker_noise import flicker_noise
from spec2x.synthetic.flicker import add_flicker_noise

pytestmark = [pytest.mark.parity, pytest.mark.slow]


@pytest.fixture(scope="module")
def pair():
    """(spec2x's exposure, jwst's model) holding the same striped rate."""
    pytest.importorskip("jwst")
    ds = ours("PRISM").copy()
    r = np.random.default_rng(29)
    sci = r.normal(1.0, 0.05, size=(2048, 2048)).astype(np.float32)
    sci[np.isfinite(ds["wavelength"].values)] += 3.0  # the slices' light
    sci[r.integers(0, 2048, 200), r.integers(0, 2048, 200)] = np.nan
    ds["sci"] = (("y", "x"), sci)
    ds["dq"] = (("y", "x"), np.zeros(sci.shape, np.uint32))
    ds.attrs.update(SLOWAXIS=1, FASTAXIS=2)
    ds = add_flicker_noise(ds, 31, amplitude=0.05)
    model = jwst_step("PRISM").copy()
    model.data = ds["sci"].values.copy()
    model.dq = ds["dq"].values.copy()
    model.meta.subarray.slowaxis, model.meta.subarray.fastaxis = 1, 2
    return ds, model


def test_ifu_mask_equals_jwst(pair):
    """Every pixel with a wavelength, the fixed-slit rows, NaNs and the 2-sigma clip: the mask
    of jwst's ``create_mask`` (its slices' wavelengths on their bounding boxes)."""
    from jwst.clean_flicker_noise.clean_flicker_noise import create_mask

    ds, model = pair
    for n_sigma in (0.0, 2.0):
        theirs = create_mask(model, mask_science_regions=True, n_sigma=n_sigma, single_mask=True)
        mine = scene_mask(ds, mask_science_regions=True, n_sigma=n_sigma, fit_histogram=False,
                          single_mask=True)  # fmt: skip
        np.testing.assert_array_equal(mine, theirs)
    assert not mine[NRS_FS_ROWS].any()
    assert 0.2 < mine.mean() < 0.9


def test_ifu_median_clean_equals_jwst(pair, tmp_path, monkeypatch):
    """The whole step, fit_method median (no failed-open shutters: msaoper N/A for the
    msaflagopen jwst runs inside); sci equal bit for bit."""
    from jwst.clean_flicker_noise import CleanFlickerNoiseStep
    from jwst.clean_flicker_noise import clean_flicker_noise as jwst_module
    from jwst.msaflagopen import MSAFlagOpenStep
    from jwst_offline import run_jwst_step

    class FlagOpen(MSAFlagOpenStep):  # the step jwst runs inside, without a msaoper
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.override_msaoper = "N/A"

    monkeypatch.setattr(jwst_module, "MSAFlagOpenStep", FlagOpen)
    ds, model = pair
    params = {"fit_method": "median", "mask_science_regions": True}
    result = run_jwst_step(CleanFlickerNoiseStep, model.copy(), {"flat": "N/A", "pastasoss": "N/A"},
                           tmp_path=tmp_path, skip=False, **params)  # fmt: skip
    mine = flicker_noise(ds, **params).result
    assert mine.attrs["S_CLNFNS"] == result.meta.cal_step.clean_flicker_noise == "COMPLETE"
    assert np.nanmax(np.abs(result.data - model.data)) > 0.05  # stripes were removed
    np.testing.assert_array_equal(mine["sci"].values, result.data)
