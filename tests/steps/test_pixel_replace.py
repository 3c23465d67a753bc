"""pixel_replace: the two algorithms on small arrays, the refusals, and the step in the chain."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from pixel_replace_helpers import exposure, slits

from spec2x.dq import DQ
from spec2x.errors import ParameterError, UnsupportedModeError
from spec2x.registry import get_step
from spec2x.steps._pixel_replace_algos import fit_profile, interior, mingrad
from spec2x.steps.pixel_replace import pixel_replace

EST = DQ.FLUX_ESTIMATED


def _planes(sci, dq=None):
    sci = np.asarray(sci, np.float32)
    return {
        "sci": sci,
        "err": np.ones_like(sci),
        "dq": np.zeros(sci.shape, np.uint32) if dq is None else dq,
        "var_rnoise": np.full_like(sci, 4.0),
    }


def test_mingrad_takes_the_flatter_pair():
    sci = np.full((6, 6), 5.0)
    sci[3, 2], sci[3, 4] = 1.0, 3.0  # horizontal pair: difference 2
    sci[2, 3], sci[4, 3] = 0.0, 10.0  # vertical pair: difference 10
    sci[3, 3] = np.nan
    planes = _planes(sci)
    planes["dq"][3, 3] = DQ.DO_NOT_USE
    planes["var_rnoise"][3, 2] = 9.0  # errors 3 and 2: the variance is ((3 + 2) / 2) ** 2
    assert mingrad(planes, interior(sci.shape, np.array(6), np.array(6))) == 1
    assert planes["sci"][3, 3] == 2.0
    assert planes["var_rnoise"][3, 3] == 6.25
    assert planes["dq"][3, 3] == EST


def test_mingrad_keeps_jwst_bounds_and_a_slit_own_size():
    allowed = interior((2, 8, 8), np.array([8, 6]), np.array([8, 8]))
    assert not allowed[0, 1].any()
    assert allowed[0, 2, 2]
    assert allowed[0, 6, 6]
    assert not allowed[0, 7].any()
    assert allowed[1, 4, 4]
    assert not allowed[1, 5].any()
    sci = np.ones((8, 8))
    sci[1, 4] = sci[4, 4] = np.nan
    sci[5, 4] = sci[4, 5] = np.nan  # (4, 4): a NaN in each of its pairs
    planes = _planes(sci)
    assert mingrad(planes, interior(sci.shape, np.array(8), np.array(8))) == 2
    assert planes["sci"][5, 4] == planes["sci"][4, 5] == 1.0
    assert np.isnan(planes["sci"][4, 4])  # no finite pair: left alone
    assert np.isnan(planes["sci"][1, 4])  # row 1: outside jwst's bounds


def test_mingrad_leaves_non_science_flagged():
    sci = np.ones((6, 6))
    sci[3, 3] = np.nan
    dq = np.zeros((6, 6), np.uint32)
    dq[3, 3] = DQ.DO_NOT_USE | DQ.NON_SCIENCE
    planes = _planes(sci, dq)
    mingrad(planes, interior(sci.shape, np.array(6), np.array(6)))
    assert planes["dq"][3, 3] == DQ.DO_NOT_USE | DQ.NON_SCIENCE | EST


@settings(max_examples=25, deadline=None)
@given(
    width=st.floats(0.8, 3.0),
    centre=st.floats(6.0, 10.0),
    amplitude=st.floats(10.0, 1e4),
    bad_row=st.integers(3, 13),
    bad_col=st.integers(0, 29),
    dispaxis=st.sampled_from([1, 2]),
)
def test_fit_profile_recovers_a_separable_spectrum(
    width, centre, amplitude, bad_row, bad_col, dispaxis
):
    """A noiseless trace (profile x continuum): the bad pixel comes back to the fit's tolerance."""
    spatial = np.exp(-0.5 * ((np.arange(17) - centre) / width) ** 2)
    image = amplitude * spatial[:, None] * (1.0 + 0.02 * np.arange(30))[None, :]
    image = image if dispaxis == 1 else image.T
    where = (bad_row, bad_col) if dispaxis == 1 else (bad_col, bad_row)
    truth = image[where]
    sci = image.astype(np.float32)
    sci[where] = np.nan
    dq = np.zeros(sci.shape, np.uint32)
    dq[where] = DQ.DO_NOT_USE
    planes = _planes(sci, dq)
    planes["err"] = np.full_like(planes["sci"], 1e-3 * amplitude)
    assert fit_profile(planes, dispaxis, 3) == 1
    assert planes["dq"][where] == EST
    np.testing.assert_allclose(planes["sci"][where], truth, rtol=2e-3, atol=1e-3 * amplitude)


def test_step_on_integrations_and_slits():
    ds = exposure((2, 30, 20), 2, 3, "MIR_LRS-SLITLESS")
    out = pixel_replace(ds, algorithm="fit_profile")
    assert out["sci"].dims == ds["sci"].dims
    assert out.attrs["S_PXREPL"] == "COMPLETE"
    assert np.isnan(out["sci"]).sum() < np.isnan(ds["sci"]).sum()
    assert "S_PXREPL" not in ds.attrs  # the input is left alone
    padded, _ = slits([(12, 40), (8, 30)], 1)
    out = pixel_replace(padded)
    assert np.isnan(out["sci"].values[1, 8:, :]).all()  # padding stays padding
    assert (out["dq"].values[1, 8:, :] & EST).sum() == 0


@pytest.mark.parametrize(
    ("algorithm", "exp_type", "error", "match"),
    [
        ("trace_model", "MIR_LRS-FIXEDSLIT", UnsupportedModeError, "adaptive_trace_model"),
        ("fit_profile", "MIR_MRS", UnsupportedModeError, "IFU"),
        ("median", "MIR_LRS-FIXEDSLIT", ParameterError, "unknown algorithm"),
    ],
)
def test_refusals(algorithm, exp_type, error, match):
    with pytest.raises(error, match=match):
        pixel_replace(exposure((10, 10), 2, 0, exp_type), algorithm=algorithm)


def test_mingrad_on_ifu_image():
    out = pixel_replace(exposure((20, 20), 2, 2, "MIR_MRS"))
    assert (out["dq"].values & EST).any()


def test_step_is_implemented():
    assert get_step("pixel_replace").implemented


@pytest.mark.parametrize("algorithm", ["mingrad", "fit_profile"])
def test_slit_integrations_as_each_integration(algorithm):
    """``(slit, integration, y, x)`` (NIRSpec BOTS) is each integration of each slit on its own."""
    padded, _ = slits([(12, 40), (8, 30)], 4)
    stack = xr.concat([padded, padded.assign(sci=padded["sci"] * 1.5)], "integration")
    stack = stack.transpose("slit", "integration", "y", "x")
    out = pixel_replace(stack, algorithm=algorithm)
    for i in range(2):
        one = pixel_replace(stack.isel(integration=i), algorithm=algorithm)
        for name in ("sci", "err", "var_flat", "dq"):
            np.testing.assert_array_equal(out[name].values[:, i], one[name].values)


@pytest.mark.parametrize("algorithm", ["mingrad", "fit_profile"])
def test_dask_stays_lazy_and_equals_numpy(algorithm):
    """Blocks along ``integration`` (an exposure) and ``slit`` (padded slits): lazy, and the
    same numbers as NumPy."""
    from helpers import raise_if_dask_computes

    ints = exposure((4, 30, 20), 2, 3, "MIR_LRS-SLITLESS")
    padded, _ = slits([(12, 40), (8, 30), (10, 36)], 1)
    for ds, chunks in ((ints, {"integration": 2}), (padded, {"slit": 1})):
        expected = pixel_replace(ds, algorithm=algorithm)
        with raise_if_dask_computes():
            lazy = pixel_replace(ds.chunk(chunks), algorithm=algorithm)
        assert lazy["sci"].chunks == ds.chunk(chunks)["sci"].chunks
        xr.testing.assert_identical(lazy.compute(), expected)
