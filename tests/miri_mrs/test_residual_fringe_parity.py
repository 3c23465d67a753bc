"""The MIRI MRS residual fringe corrections against jwst 3.0.0: the 2-D step and the 1-D function.

2-D: jwst's ``ResidualFringeStep`` is slow (seconds per column), so the
synthetic ``fringefreq`` gives all slices but a few an unreachable
``min_snr`` (jwst and spec2x both pass them over) and the parity runs on
those few, a few dozen columns.  1-D: ``fit_residual_fringes_1d`` on
synthetic spectra with injected fringes, every channel.
"""

from __future__ import annotations

import numpy as np
import pytest
from rfringe_helpers import fringed_exposure, limited_fringefreq

from spec2x import open_reference
from spec2x.instruments.miri.residual_fringe_1d import correct_residual_fringe_1d
from spec2x.io.fits import write_fits
from spec2x.steps.residual_fringe import residual_fringe

pytestmark = pytest.mark.parity

#: The slice fitted in the 2-D parity (channel 1; channel 2 runs the same code).
FITTED = (110,)


@pytest.fixture(scope="module")
def fringed(mrs_cal, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rfringe")
    ds = fringed_exposure(mrs_cal.ds)
    path = write_fits(ds, folder / "mrs_fringe.fits")
    return ds, path, limited_fringefreq(folder / "fringefreq.fits", FITTED)


@pytest.mark.slow  # jwst fits ~25 columns at ~0.3 s CPU each
def test_residual_fringe_step_as_jwst(fringed, mrs_cal):
    pytest.importorskip("jwst")
    from jwst.residual_fringe import ResidualFringeStep
    from jwst_offline import run_jwst_step
    from stdatamodels.jwst import datamodels

    ds, path, freq = fringed
    refs = {"fringefreq": str(freq), "regions": str(mrs_cal.refs["regions"])}
    model = datamodels.IFUImageModel(str(path))
    result = run_jwst_step(ResidualFringeStep, model, refs, skip=False)
    ours = residual_fringe(ds, open_reference(freq), open_reference(mrs_cal.refs["regions"]))
    assert result.meta.cal_step.residual_fringe == ours.attrs["S_RESFRI"] == "COMPLETE"
    theirs, mine = result.data, ours["sci"].values
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs))
    changed = np.isfinite(theirs) & (theirs != model.data)
    assert changed.sum() > 500  # the fitted slices were corrected
    np.testing.assert_allclose(mine, theirs, rtol=1e-4, equal_nan=True)
    assert ours.attrs["R_FRIFRQ"] == freq.name


@pytest.mark.slow
def test_residual_fringe_step_long_wavelength_as_jwst(mrs_regions, tmp_path):
    """Channel 3 (MIRIFULONG): the dichroic fringe too (plain Levenberg-Marquardt), the
    smoothed feature search, wavenumbers increasing down the columns."""
    pytest.importorskip("jwst")
    from jwst.residual_fringe import ResidualFringeStep
    from jwst_offline import run_jwst_step
    from mrs_helpers import real_refs
    from stdatamodels.jwst import datamodels

    from spec2x.io.fits import open_exposure
    from spec2x.steps.assign_wcs import assign_wcs
    from spec2x.synthetic.miri_mrs import make_mrs_rate

    rate = make_mrs_rate(tmp_path / "rate.fits", detector="MIRIFULONG", seed=2)
    ds = fringed_exposure(assign_wcs(open_exposure(rate), real_refs("34A", mrs_regions["34A"])))
    wave = ds["wavelength"].values
    on = np.isfinite(wave) & (wave > 0)
    dichroic = 1 + 0.01 * np.sin(
        2 * np.pi * np.where(on, 1e4 / np.where(on, wave, 1.0), 0.0) / 0.41
    )
    ds = ds.assign(sci=ds["sci"].copy(data=(ds["sci"].values * dichroic).astype(np.float32)))
    path = write_fits(ds, tmp_path / "mrs_fringe.fits")
    freq = limited_fringefreq(tmp_path / "fringefreq.fits", (305,), "MIRIFULONG")
    model = datamodels.IFUImageModel(str(path))
    refs = {"fringefreq": str(freq), "regions": str(mrs_regions["34A"])}
    result = run_jwst_step(ResidualFringeStep, model, refs, skip=False)
    ours = residual_fringe(ds, open_reference(freq), open_reference(mrs_regions["34A"]))
    np.testing.assert_array_equal(np.isnan(ours["sci"].values), np.isnan(result.data))
    np.testing.assert_allclose(ours["sci"].values, result.data, rtol=1e-4, equal_nan=True)


def spectrum(seed, wave_range, *, amplitude=0.03, n=1200):
    """A power-law continuum with two fringe beats near 2.9 cm-1 and 0.2 % noise."""
    gen = np.random.default_rng(seed)
    wave = np.linspace(*wave_range, n)
    wnum = 1e4 / wave
    cont = 10 * (wave / 5) ** -1.5
    fringes = 1 + amplitude * np.sin(2 * np.pi * wnum / 2.9 + 0.3)
    fringes += 0.3 * amplitude * np.sin(2 * np.pi * wnum / 3.1)
    return wave, cont * fringes * (1 + 0.002 * gen.standard_normal(n)), cont


@pytest.mark.parametrize(
    ("channel", "wave_range"),
    [(1, (5.0, 5.7)), (2, (7.5, 8.7)), (3, (11.5, 13.4)), (4, (17.7, 20.9)), (None, (5.0, 5.7))],
)
def test_residual_fringe_1d_as_jwst(channel, wave_range):
    pytest.importorskip("jwst")
    from jwst.residual_fringe.utils import fit_residual_fringes_1d

    wave, flux, _ = spectrum(int(channel or 0), wave_range)
    flux[::97] = 0.0  # left out of the fit, returned as given
    theirs = fit_residual_fringes_1d(
        flux.copy(),
        wave,
        channel="" if channel is None else channel,
        dichroic_only=False,
        max_amp=None,
    )
    ours = correct_residual_fringe_1d(wave, flux, channel)
    assert not np.allclose(theirs, flux)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=0)
