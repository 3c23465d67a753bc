"""The point cloud's dispersion extents and pixels: the world wavelength by its scale only where
that is exact, the slice and wavelength maps as the slices' WCS, the centres only when asked."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from ifu_helpers import ours

from spec2x.instruments.nirspec import ifu_cube
from spec2x.instruments.nirspec.ifu import through
from spec2x.instruments.nirspec.ifu_cube import _box_pixels, _extent, nrs_ifu_point_cloud
from spec2x.wcs.store import get_wcs


def _slit_and_world():
    wcs = get_wcs(ours("PRISM"), slit="7")
    x, y = _box_pixels(wcs)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)
        slit = through(wcs, "detector", "slit_frame", x[::50], y[::50])
        world = through(wcs, "slit_frame", "world", *slit)[2]
    return wcs, slit, world


def _counted(monkeypatch):
    calls = []

    def counting(*args):
        calls.append(args[1:3])
        return through(*args)

    monkeypatch.setattr(ifu_cube, "through", counting)
    return calls


def _halves(values):
    """The first 2 m values of each array, m their half: the extents' x - 0.4999 and x + 0.4999."""
    m = values[0].size // 2
    return tuple(v[: 2 * m] for v in values), m


def test_scaled_slit_wavelength_is_the_world_one(monkeypatch):
    wcs, slit, world = _slit_and_world()
    (moved, m), want = _halves(slit), _halves((world,))[0][0]
    calls = _counted(monkeypatch)
    got = _extent(wcs, moved, m)
    assert np.array_equal(got, np.abs(want[:m] - want[m:]), equal_nan=True)
    assert calls == []


def test_the_wcs_is_evaluated_when_the_wavelength_is_not_only_scaled(monkeypatch):
    wcs, slit, world = _slit_and_world()
    (moved, m), want = _halves(slit), _halves((world,))[0][0]
    monkeypatch.setattr(ifu_cube, "_wavelength_scale", lambda wcs: None)
    calls = _counted(monkeypatch)
    got = _extent(wcs, moved, m)
    assert np.array_equal(got, np.abs(want[:m] - want[m:]), equal_nan=True)
    assert calls == [("slit_frame", "world")]


@pytest.mark.slow  # three full-frame clouds: ~10 s
def test_cloud_from_the_maps_equals_the_slice_wcs_and_centres_only_when_asked():
    exposure = ours("PRISM")
    cloud = nrs_ifu_point_cloud(exposure)
    # without assign_wcs's maps each slice's WCS is evaluated on its whole box
    evaluated = nrs_ifu_point_cloud(exposure.drop_vars(["regions", "wavelength"]))
    corners_only = nrs_ifu_point_cloud(exposure, centres=False)
    for name in cloud.__dataclass_fields__:
        want = getattr(cloud, name)
        assert np.array_equal(getattr(evaluated, name), want, equal_nan=True), name
        if name not in ("ra", "dec"):
            assert np.array_equal(getattr(corners_only, name), want, equal_nan=True), name
    assert np.isnan(corners_only.ra).all()
    assert np.isnan(corners_only.dec).all()
    assert np.isfinite(cloud.ra).all()
