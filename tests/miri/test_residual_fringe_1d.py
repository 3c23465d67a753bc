"""The 1-D MIRI MRS residual fringe correction and its pieces, without jwst."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.instruments.miri.residual_fringe_1d import correct_residual_fringe_1d
from spec2x.instruments.miri.residual_fringe_fit import _ls_power, _periodogram_peak


def fringed(seed, wave_range=(5.0, 5.7), *, amplitude=0.03, period=2.9, n=1200):
    """Continuum, and it with fringes of ``amplitude`` at ``period`` cm-1 and 0.2 % noise."""
    gen = np.random.default_rng(seed)
    wave = np.linspace(*wave_range, n)
    cont = 10 * (wave / 5) ** -1.5
    fringes = 1 + amplitude * np.sin(2 * np.pi * (1e4 / wave) / period + 0.3)
    return wave, cont * fringes * (1 + 0.002 * gen.standard_normal(n)), cont


@pytest.mark.parametrize(("channel", "wave_range"), [(1, (5.0, 5.7)), (3, (11.5, 13.4))])
def test_injected_fringes_are_removed(channel, wave_range):
    wave, flux, cont = fringed(1, wave_range)
    out = correct_residual_fringe_1d(wave, flux, channel)
    before, after = np.std(flux / cont - 1), np.std(out / cont - 1)
    assert before > 0.02
    assert after < 0.0025  # down to the 0.2 % noise


@pytest.mark.parametrize("channel", [1, 3, None])
def test_fringe_free_spectrum_is_unchanged(channel):
    gen = np.random.default_rng(4)
    wave = np.linspace(11.5, 13.4, 1200) if channel == 3 else np.linspace(5.0, 5.7, 1200)
    flux = 10 * (wave / 5) ** -1.5 * (1 + 0.002 * gen.standard_normal(wave.size))
    out = correct_residual_fringe_1d(wave, flux, channel)
    assert np.max(np.abs(out / flux - 1)) < 1e-3  # under half the noise


def test_input_unchanged_and_nonpositive_kept():
    wave, flux, _ = fringed(2)
    flux[[0, 10, 500]] = [0.0, -1.0, np.nan]
    copy = flux.copy()
    out = correct_residual_fringe_1d(wave, flux, 2)
    np.testing.assert_array_equal(flux, copy)
    np.testing.assert_array_equal(out[[0, 10, 500]], [0.0, -1.0, np.nan])


def test_too_short_spectrum_is_returned_as_given():
    # fewer than 5 fringe periods: jwst gives up (extract_1d keeps the spectrum)
    wave, flux, _ = fringed(3, (5.0, 5.02), n=200)
    np.testing.assert_array_equal(correct_residual_fringe_1d(wave, flux, 1), flux)


def test_bad_arguments():
    with pytest.raises(ValueError, match="channel must be 1, 2, 3, 4 or None"):
        correct_residual_fringe_1d(np.ones(3), np.ones(3), 5)
    with pytest.raises(ValueError, match="1-D arrays of one length"):
        correct_residual_fringe_1d(np.ones(3), np.ones(4), 1)


@pytest.mark.parametrize("seed", range(5))
def test_coarse_to_fine_periodogram_finds_the_full_scan_peak(seed):
    gen = np.random.default_rng(seed)
    t = np.sort(1 + 0.14 * gen.random(900))
    y = 0.03 * np.sin(2 * np.pi * gen.uniform(500, 1100) * t) + 0.01 * gen.standard_normal(t.size)
    freq = 1.0 / np.linspace(1.4 / 1754, 4.4 / 1754, 3000)
    full = int(np.argmax(_ls_power(t, y - y.mean(), freq)))
    assert _periodogram_peak(t, y, freq) == full


def test_periodogram_is_astropys():
    from astropy.timeseries import LombScargle

    gen = np.random.default_rng(0)
    t = np.sort(gen.random(300))
    y = np.sin(2 * np.pi * 7.3 * t) + 0.3 * gen.standard_normal(t.size)
    freq = np.linspace(1, 20, 400)
    yc = y - y.mean()
    ours = _ls_power(t, yc, freq) / np.mean(yc**2)  # astropy's "standard" normalisation
    np.testing.assert_allclose(ours, LombScargle(t, y).power(freq), rtol=1e-9)
