"""extract_1d: hand-computed aperture sums, properties (NumPy == Dask, linearity), inject-and-recover."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
import xarray as xr
from extract_helpers import image_arrays, spec2x_exposure, vertical_wcs
from hypothesis import given, settings
from hypothesis import strategies as st

from spec2x._kernels import extract_1d as k
from spec2x.datamodel import make_exposure
from spec2x.dq import DQ
from spec2x.errors import ReferenceMismatchError, StepOrderError
from spec2x.io.references import Reference
from spec2x.steps.extract_1d import extract_1d


def _ref(**aperture):
    return Reference("extract1d", "x1d.json", {}, {"apertures": [{"id": "ANY", **aperture}]})


def _simple(sci, dispaxis=2, wl=None, **attrs):
    ds = make_exposure(
        sci,
        attrs={"EXP_TYPE": "MIR_LRS-FIXEDSLIT", "INSTRUME": "MIRI", "DISPAXIS": dispaxis, **attrs},
    )
    ny, nx = ds.sizes["y"], ds.sizes["x"]
    if wl is None:
        line = np.linspace(5.0, 10.0, ny if dispaxis == 2 else nx)
        wl = np.tile(line[:, None], (1, nx)) if dispaxis == 2 else np.tile(line[None, :], (ny, 1))
    return ds.assign_coords(wavelength=(("y", "x"), wl))


def test_partial_pixel_weights_by_hand():
    """Width 3.4 centred at x = 4: limits 2.8 .. 5.2 give weights 0.2, 1, 1, 1, 0.2 on x = 2..6."""
    params = {"dispaxis": 2, "xstart": 3, "xstop": 5, "extract_width": 3.4}
    profile, lo, hi = k.box_profile((4, 9), params, np.ones((4, 9)))
    assert lo == pytest.approx(2.8)
    assert hi == pytest.approx(5.2)
    np.testing.assert_allclose(profile[0], [0, 0, 0.2, 1, 1, 1, 0.2, 0, 0])
    params = {"dispaxis": 1, "ystart": 1.3, "ystop": 3.6}
    profile, _, _ = k.box_profile((6, 3), params, np.ones((6, 3)))
    np.testing.assert_allclose(profile[:, 0], [0, 0.7, 1, 1, 0.6, 0])


def test_flux_sum_by_hand():
    sci = np.arange(40, dtype=float).reshape(4, 10)  # dispersion along y (4 elements)
    out = extract_1d(_simple(sci), _ref(dispaxis=2, xstart=2, xstop=6, extract_width=3.4))
    # middle (2 + 6) / 2 = 4, limits 4 -/+ 1.2 = 2.8 .. 5.2: pixels 2 and 6 get 0.2, 3..5 get 1
    w = np.array([0, 0, 0.2, 1, 1, 1, 0.2, 0, 0, 0])
    np.testing.assert_allclose(out["flux"].values, sci @ w)
    np.testing.assert_allclose(out["npixels"].values, w.sum())
    np.testing.assert_allclose(out["surf_bright"].values, sci @ w / w.sum())
    assert out["flux"].attrs["units"] == "DN/s"


def test_background_mean_by_hand():
    """A flat background of 2 per pixel beside a source: the mean fit removes exactly 2 * npixels."""
    sci = np.full((3, 12), 2.0)
    sci[:, 5:7] += 10.0
    bkg = [[0.5], [2.5], [9.5], [11.5]]  # pixels 1..2 and 10..11
    out = extract_1d(_simple(sci), _ref(dispaxis=2, xstart=5, xstop=6, bkg_coeff=bkg))
    np.testing.assert_allclose(out["flux"].values, 20.0)
    np.testing.assert_allclose(out["background"].values, 2.0)


def test_nan_and_do_not_use_pixels_are_left_out():
    sci = np.ones((2, 6))
    dq = np.zeros((2, 6), np.uint32)
    dq[0, 2] = DQ.DO_NOT_USE
    ds = _simple(sci).assign(dq=(("y", "x"), dq))
    out = extract_1d(ds, _ref(dispaxis=2, xstart=1, xstop=4))
    np.testing.assert_allclose(out["npixels"].values, [3, 4])
    np.testing.assert_allclose(out["flux"].values, [3, 4])


def test_input_unchanged_and_attrs():
    arrays = image_arrays((30, 20), seed=2)
    ds = spec2x_exposure(
        arrays,
        vertical_wcs((30, 20)),
        {"EXP_TYPE": "MIR_LRS-FIXEDSLIT", "INSTRUME": "MIRI", "DISPAXIS": 2},
    )
    before = ds.copy(deep=True)
    out = extract_1d(
        ds, _ref(dispaxis=2, xstart=7, xstop=13, bkg_coeff=[[0.5], [4.5], [15.5], [19.5]])
    )
    xr.testing.assert_identical(ds, before)
    assert out.attrs["S_EXTR1D"] == "COMPLETE"
    assert out.attrs["DATAMODL"] == "MultiSpecModel"
    assert "wcs" not in out.attrs


def test_missing_wavelength_and_unknown_slit():
    ds = make_exposure(np.ones((3, 4)), attrs={"EXP_TYPE": "MIR_LRS-FIXEDSLIT"})
    with pytest.raises(StepOrderError, match="assign_wcs"):
        extract_1d(ds, None)
    ref = Reference("extract1d", "x1d.json", {}, {"apertures": [{"id": "OTHER"}]})
    with pytest.raises(ReferenceMismatchError, match="no aperture"):
        extract_1d(_simple(np.ones((3, 4))), ref)


def _tso(nint=6, seed=0):
    rng = np.random.default_rng(seed)
    sci = rng.normal(5.0, 1.0, (nint, 16, 12)).astype(np.float32)
    sci[2] = np.nan  # one integration lost
    ds = make_exposure(
        sci,
        var_poisson=np.full(sci.shape, 0.3),
        var_rnoise=np.full(sci.shape, 0.1),
        attrs={"EXP_TYPE": "MIR_LRS-SLITLESS", "INSTRUME": "MIRI", "DISPAXIS": 2, "TSOVISIT": True},
        int_times={
            "integration_number": np.arange(1, nint + 1),
            "int_mid_MJD_UTC": 60000 + np.arange(nint) * 0.01,
        },
    )
    wl = np.tile(np.linspace(5, 12, 16)[:, None], (1, 12))
    return ds.assign_coords(wavelength=(("y", "x"), wl))


TSO_REF = _ref(
    dispaxis=2,
    xstart=4,
    xstop=8,
    extract_width=3.5,
    bkg_coeff=[[0.5], [2.5], [9.5], [11.5]],
    bkg_order=1,
)


def test_tso_one_spectrum_per_integration_and_bad_integration_flagged():
    out = extract_1d(_tso(), TSO_REF)
    assert out["flux"].dims == ("integration", "spectral")
    assert out.attrs["DATAMODL"] == "TSOMultiSpecModel"
    assert np.all(np.isnan(out["flux"].isel(integration=2)))
    assert np.all(out["dq"].isel(integration=2) & DQ.DO_NOT_USE)
    assert np.all(np.isfinite(out["flux"].isel(integration=[0, 1, 3, 4, 5])))
    np.testing.assert_allclose(out["mjd_avg"].values, 60000 + np.arange(6) * 0.01)
    np.testing.assert_array_equal(out["int_num"].values, np.arange(1, 7))


def test_tso_each_integration_equals_its_own_extraction():
    ds = _tso(seed=4)
    out = extract_1d(ds, TSO_REF)
    for i in (0, 3):
        one = ds.isel(integration=i).drop_vars(
            [c for c in ds.coords if ds[c].dims == ("integration",)]
        )
        single = extract_1d(one, TSO_REF)
        np.testing.assert_allclose(
            out["flux"].isel(integration=i).values, single["flux"].values, rtol=1e-12
        )
        np.testing.assert_allclose(
            out["flux_var_rnoise"].isel(integration=i).values,
            single["flux_var_rnoise"].values,
            rtol=1e-12,
        )


def _chunk_data(ds, n):
    """Dask-backed data variables along integration; coords stay NumPy (as a reader gives them)."""
    return ds.assign({v: ds[v].chunk({"integration": n}) for v in ds.data_vars})


class _RaiseIfComputes:
    def __call__(self, dsk, keys, **kwargs):
        raise AssertionError("dask computed during extract_1d")


def test_tso_dask_lazy_and_equal_to_numpy():
    ds = _tso(seed=5)
    chunked = _chunk_data(ds, 2)
    with dask.config.set(scheduler=_RaiseIfComputes()):
        lazy = extract_1d(chunked, TSO_REF)
    assert isinstance(lazy["flux"].data, da.Array)
    eager = extract_1d(ds, TSO_REF)
    xr.testing.assert_allclose(lazy.compute(), eager, rtol=1e-12)


@settings(deadline=None, max_examples=15)
@given(
    scale=st.floats(0.01, 100.0),
    width=st.floats(1.0, 6.0),
    seed=st.integers(0, 1000),
    chunk=st.integers(1, 3),
)
def test_properties_linear_and_dask(scale, width, seed, chunk):
    ds = _tso(nint=4, seed=seed)
    ref = _ref(
        dispaxis=2, xstart=3, xstop=9, extract_width=width, bkg_coeff=[[0.5], [1.5], [10.5], [11.5]]
    )
    base = extract_1d(ds, ref)
    scaled = extract_1d(ds.assign(sci=ds["sci"] * np.float32(scale)), ref)
    np.testing.assert_allclose(
        scaled["flux"].values, base["flux"].values * scale, rtol=2e-5, atol=1e-6 * scale
    )
    np.testing.assert_array_equal(scaled["npixels"].values, base["npixels"].values)
    lazy = extract_1d(_chunk_data(ds, chunk), ref)
    np.testing.assert_allclose(lazy["flux"].values, base["flux"].values, rtol=1e-12)
    assert np.all(base["flux_var_poisson"].values[np.isfinite(base["flux"].values)] >= 0)


def test_inject_and_recover_point_source():
    """A known spectrum spread over a Gaussian PSF across the slit comes back within the noise."""
    rng = np.random.default_rng(42)
    ny, nx = 60, 40
    wl = np.linspace(5.0, 12.0, ny)
    truth = 3.0 + 2.0 * np.sin(wl)  # summed surface brightness per row
    x = np.arange(nx)
    psf = np.exp(-0.5 * ((x - 19.6) / 1.2) ** 2)
    psf /= psf.sum()
    noise = 0.01
    sci = truth[:, None] * psf[None, :] + 0.5 + rng.normal(0, noise, (ny, nx))
    ds = make_exposure(
        sci,
        var_rnoise=np.full((ny, nx), noise**2),
        attrs={"EXP_TYPE": "MIR_LRS-FIXEDSLIT", "INSTRUME": "MIRI", "DISPAXIS": 2},
    ).assign_coords(wavelength=(("y", "x"), np.tile(wl[:, None], (1, nx))))
    ref = _ref(
        dispaxis=2, xstart=14, xstop=25, extract_width=12, bkg_coeff=[[1.5], [9.5], [30.5], [38.5]]
    )
    out = extract_1d(ds, ref)
    resid = (out["flux"].values - truth) / out["flux_error"].values
    assert np.abs(resid).max() < 5
    assert abs(resid.mean()) < 1.0
    np.testing.assert_allclose(out["wavelength"].values, wl)
