"""IFU cube extraction on a synthetic cube: a flat plane and a known point source come back;
the residual fringe hook."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from spec2x.cube.extract import IfuExtractPars, extract_planes
from spec2x.dq import DQ

NW, NY, NX = 4, 21, 21


def _pars(radius: float, subtract: bool = False) -> IfuExtractPars:
    r = np.full(NW, radius)
    return IfuExtractPars(r, 1.5 * r, 2.5 * r, subtract_background=subtract)


def _variances(sci):
    return {"var_poisson": np.ones_like(sci), "var_rnoise": np.zeros_like(sci),
            "var_flat": np.zeros_like(sci)}  # fmt: skip


def test_point_aperture_on_a_flat_plane_is_its_area():
    sci = np.full((NW, NY, NX), 3.0)
    weights = np.ones_like(sci)
    sums = extract_planes(sci, _variances(sci), weights, point=True, centre=(10, 10), pars=_pars(4))
    np.testing.assert_allclose(sums.npixels, np.pi * 16, rtol=1e-12)  # exact overlap
    np.testing.assert_allclose(sums.flux, 3.0 * np.pi * 16, rtol=1e-12)
    np.testing.assert_allclose(sums.variances["flux_var_poisson"], np.pi * 16, rtol=1e-12)


def test_annulus_removes_a_flat_background():
    y, x = np.mgrid[:NY, :NX]
    source = 10.0 * np.exp(-((x - 10) ** 2 + (y - 10) ** 2) / 2.0)
    sci = np.broadcast_to(source + 2.0, (NW, NY, NX)).copy()
    pars = _pars(5, subtract=True)
    sums = extract_planes(sci, _variances(sci), np.ones_like(sci), point=True, centre=(10, 10),
                          pars=pars)  # fmt: skip
    np.testing.assert_allclose(sums.flux, 10.0 * 2 * np.pi, rtol=2e-3)  # the Gaussian's sum
    assert (sums.background > 0).all()


def test_uncovered_and_nan_spaxels_do_not_count():
    sci = np.full((NW, NY, NX), 1.0)
    weights = np.ones_like(sci)
    weights[0] = 0.0  # nothing reached plane 0
    sci[1, :, :5] = np.nan
    sums = extract_planes(sci, _variances(sci), weights, point=False, centre=(0, 0), pars=_pars(1))
    assert sums.dq[0] == DQ.DO_NOT_USE
    assert sums.flux[1] == NY * (NX - 5)
    assert sums.npixels[2] == NY * NX
    assert sums.background[2] == NY * NX  # extended: the clipped plane, reported only


def test_is_cube():
    from spec2x.steps._extract_ifu import is_cube

    cube = xr.Dataset(
        {"sci": (("wavelength", "y", "x"), np.ones((NW, NY, NX))),
         "weightmap": (("wavelength", "y", "x"), np.ones((NW, NY, NX)))},
        attrs={"EXP_TYPE": "MIR_MRS", "SRCTYPE": "POINT"},
    )  # fmt: skip
    assert is_cube(cube)
    assert not is_cube(cube.isel(wavelength=0))


def test_rfcorr_hook(monkeypatch):
    """ifu_rfcorr on a single-band MIRI cube calls the 1-D correction named by RF_CORRECTION;
    without it, one clear error; off (or a multi-channel cube): NaN columns, as jwst."""
    from spec2x.cube.extract import PlaneSums
    from spec2x.errors import UnsupportedModeError
    from spec2x.steps import _extract_ifu

    wave = np.linspace(5.0, 5.7, NW)
    sums = PlaneSums(np.full(NW, 8.0), np.full(NW, 2.0), np.full(NW, 4.0), np.full(NW, 2.0),
                     {}, np.zeros(NW, np.uint32))  # fmt: skip
    cube = xr.Dataset(attrs={"CHANNEL": "1"})
    off = _extract_ifu._rf_columns(cube, sums, wave, wanted=False)
    assert all(np.isnan(v).all() for v in off.values())
    multi = _extract_ifu._rf_columns(cube.assign_attrs(CHANNEL="12"), sums, wave, wanted=True)
    assert np.isnan(multi["rf_flux"]).all()
    monkeypatch.setattr(_extract_ifu, "RF_CORRECTION", "spec2x.no_such_module:correct")
    with pytest.raises(UnsupportedModeError, match="ifu_rfcorr=False"):
        _extract_ifu._rf_columns(cube, sums, wave, wanted=True)
    monkeypatch.setattr(_extract_ifu, "RF_CORRECTION", f"{__name__}:_times_wave")
    done = _extract_ifu._rf_columns(cube, sums, wave, wanted=True)
    np.testing.assert_allclose(done["rf_surf_bright"], wave * 2.0)


def _times_wave(wave, flux, channel):
    """A stand-in correction (wavelength, flux, channel) -> flux."""
    assert channel == 1
    return np.asarray(flux) * wave
