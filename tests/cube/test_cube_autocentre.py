"""``ifu_autocen``'s source finder on small synthetic cubes: a Gaussian source is found at
its centre, the brightest of two wins, and an empty cube gives None."""

from __future__ import annotations

import numpy as np

from spec2x.cube.autocentre import MAX_WAVELENGTH, find_source

NW, NY, NX = 6, 31, 35


def _cube(*sources: tuple[float, float, float], seed: int = 3) -> np.ndarray:
    """Noise (sigma 0.01) plus Gaussian sources (x, y, peak) of FWHM 3 spaxels in every plane."""
    y, x = np.indices((NY, NX), dtype=np.float64)
    image = np.zeros((NY, NX))
    for x0, y0, peak in sources:
        image += peak * np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * (3.0 / 2.3548) ** 2))
    noise = np.random.default_rng(seed).normal(0.0, 0.01, (NW, NY, NX))
    return (image + noise).astype(np.float32)


def test_a_source_is_found_at_its_centre():
    cube = _cube((20.3, 12.6, 5.0))
    cube[:, :, :3] = np.nan  # empty spaxels do not count
    found = find_source(cube, np.linspace(5.0, 5.5, NW))
    assert found is not None
    assert np.hypot(found[0] - 20.3, found[1] - 12.6) < 0.05


def test_the_brightest_source_wins_and_long_planes_are_left_out():
    cube = _cube((8.0, 8.0, 2.0), (25.0, 20.0, 6.0))
    wave = np.linspace(24.0, 28.0, NW)
    cube[wave >= MAX_WAVELENGTH] = _cube((8.0, 8.0, 50.0))[wave >= MAX_WAVELENGTH]
    found = find_source(cube, wave)
    assert found is not None
    assert np.hypot(found[0] - 25.0, found[1] - 20.0) < 0.1


def test_nothing_to_find():
    assert find_source(np.zeros((NW, NY, NX), np.float32), np.linspace(5, 6, NW)) is None
    assert find_source(_cube((10.0, 10.0, 5.0)), np.full(NW, 27.0)) is None
