"""badpix_selfcal: the kernel on small arrays, the step's flags, skips, refusals and Dask."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from helpers import raise_if_dask_computes

from spec2x.datamodel import make_exposure
from spec2x.dq import DQ
from spec2x.errors import ParameterError, UnsupportedModeError
from spec2x.registry import get_step
from spec2x.steps import StepContext
from spec2x.steps.badpix_selfcal import badpix_selfcal, from_chain

FLAG = DQ.DO_NOT_USE | DQ.OTHER_BAD_PIXEL
HOT = (12, 7)


def _exposure(seed: int, shape=(40, 30), hot: bool = True, **attrs) -> xr.Dataset:
    sci = 1.0 + np.random.default_rng(seed).normal(0.0, 0.01, shape)
    if hot:
        sci[HOT] = 50.0  # a warm pixel in every exposure: the minimum keeps it
    return make_exposure(sci, attrs={"EXP_TYPE": "MIR_MRS", "DISPAXIS": 2, **attrs})


def test_median_filter_is_zero_padded_and_ignores_nan():
    from spec2x._kernels.badpix_selfcal import median_filter

    image = np.arange(1.0, 26.0).reshape(5, 5)
    image[2, 2] = np.nan
    out = median_filter(image, (3, 1))
    assert out[0, 0] == 1.0  # median of (0, 1, 6): the zero pad counts
    assert out[2, 2] == 13.0  # (8, NaN, 18): the NaN is left out
    assert out[1, 2] == 5.5  # (3, 8, NaN)
    square = median_filter(np.full((4, 4), np.nan), (3, 3))
    assert np.isnan(square[1:3, 1:3]).all()  # only NaN in the box (the pad is outside it)
    assert square[0, 0] == 0.0  # the zero pad alone


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 2, 3, 15, 225])
def test_sorted_median_is_numpys_nanmedian(dtype, size):
    """Bit for bit np.nanmedian (what jwst's median filter calls), NaN and infinities included."""
    from spec2x._kernels.badpix_selfcal import _nanmedian_last

    gen = np.random.default_rng(size)
    values = gen.normal(size=(500, size)).astype(dtype)
    values[gen.random(values.shape) < 0.3] = np.nan
    values[gen.random(values.shape) < 0.02] = np.inf
    values[gen.random(values.shape) < 0.02] = -np.inf
    values[:2] = np.nan
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match="All-NaN"):
        expected = np.nanmedian(values, axis=-1)
    ours = _nanmedian_last(values)
    assert ours.dtype == expected.dtype
    np.testing.assert_array_equal(ours, expected)


def test_minimum_picks_what_every_exposure_shares():
    sci, bkg = _exposure(1), _exposure(2, hot=False)
    other = _exposure(3)
    out, flagged = badpix_selfcal(sci, [other], [bkg], flagfrac_lower=0.0, flagfrac_upper=0.001)
    assert out["dq"].values[HOT] == 0  # the background lacks the warm pixel
    out, flagged = badpix_selfcal(sci, [other], [_exposure(4)], flagfrac_lower=0.0)
    dq = out["dq"].values
    assert dq[HOT] == FLAG
    assert np.count_nonzero(dq) == 2  # 0.1 % of 1200 pixels: the quantile is between 2 values
    for name in ("sci", "err", "var_poisson", "var_rnoise", "var_flat"):
        assert np.isnan(out[name].values[HOT]), name
    assert flagged[0]["dq"].values[HOT] == FLAG  # the background is flagged too
    assert np.isnan(flagged[0]["sci"].values[HOT])
    assert out.attrs["S_BPXSLF"] == "COMPLETE"
    assert "S_BPXSLF" not in sci.attrs
    assert not np.isnan(sci["sci"].values).any()


def test_skipped_without_companions_unless_forced():
    sci = _exposure(1)
    out, flagged = badpix_selfcal(sci)
    assert out.attrs["S_BPXSLF"] == "SKIPPED"
    assert flagged == []
    xr.testing.assert_identical(out.drop_attrs(), sci.drop_attrs())
    out, _ = badpix_selfcal(sci, force_single=True, flagfrac_lower=0.0)
    assert out["dq"].values[HOT] == FLAG


def test_dispaxis_sets_the_filter():
    """A column of warm pixels along y: a filter along y keeps it as signal, along x flags it."""
    sci = _exposure(1, hot=False)
    sci["sci"][:, 5] = 3.0
    along_y, _ = badpix_selfcal(sci, force_single=True, flagfrac_lower=0.0, flagfrac_upper=0.04)
    assert not (along_y["dq"].values[:, 5] & FLAG).all()
    sci.attrs["DISPAXIS"] = 1
    along_x, _ = badpix_selfcal(sci, force_single=True, flagfrac_lower=0.0, flagfrac_upper=0.04)
    assert (along_x["dq"].values[:, 5] & FLAG).all()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"kernel_size": 4}, ParameterError), ({"flagfrac_upper": 0.6}, ParameterError)],
)
def test_refusals(kwargs, error):
    with pytest.raises(error):
        badpix_selfcal(_exposure(1), force_single=True, **kwargs)


def test_refuses_integrations():
    ds = make_exposure(np.ones((2, 5, 5)), attrs={"EXP_TYPE": "MIR_MRS"})
    with pytest.raises(UnsupportedModeError, match="rateints"):
        badpix_selfcal(ds, force_single=True)


def test_dask_stays_lazy_and_equals_numpy():
    sci, bkg = _exposure(1), _exposure(2)
    expected, expected_bkg = badpix_selfcal(sci, [], [bkg], flagfrac_lower=0.01)
    with raise_if_dask_computes():
        lazy, lazy_bkg = badpix_selfcal(
            sci.chunk({"y": 10}), [], [bkg.chunk()], flagfrac_lower=0.01
        )
    assert lazy["sci"].chunks is not None
    assert lazy_bkg[0]["dq"].chunks is not None
    xr.testing.assert_identical(lazy.compute(), expected)
    xr.testing.assert_identical(lazy_bkg[0].compute(), expected_bkg[0])


def test_chain_adapter_flags_the_members_and_saves_them_on_request():
    from spec2x.io.references import ReferenceSet
    from spec2x.step_spec import StepOutput

    params = {**get_step("badpix_selfcal").defaults(), "flagfrac_lower": 0.0}
    ctx = StepContext("badpix_selfcal", ReferenceSet(), params, {"background": [_exposure(2)]})
    out, members = from_chain(_exposure(1), ctx)
    assert members["background"][0]["dq"].values[HOT] == FLAG
    saved = from_chain(_exposure(1), StepContext(
        "badpix_selfcal", ReferenceSet(), {**params, "save_flagged_bkg": True},
        {"background": [_exposure(2)]},
    ))  # fmt: skip
    assert isinstance(saved, StepOutput)
    assert list(saved.products) == ["badpix_selfcal_bkg_0"]
    assert saved.members["background"][0]["dq"].values[HOT] == FLAG
    assert get_step("badpix_selfcal").implemented
