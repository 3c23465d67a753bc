"""The point cloud's pixel selection and build_band's drizzle input, on a small seeded cloud."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x._kernels.cube_drizzle import chunk_order, drizzle_sums
from spec2x.cube import build
from spec2x.cube.build import build_band
from spec2x.cube.cubepar import BandPars
from spec2x.cube.pointcloud import PointCloud
from spec2x.dq import DQ
from spec2x.errors import InputFileError
from spec2x.instruments.miri.mrs_maps import _narrow

_PARS = BandPars(spaxel=0.2, step=0.01, wavemin=5.0, wavemax=5.2)


def _cloud(n: int = 400, seed: int = 3) -> PointCloud:
    """Square pixels (0.25 arcsec) scattered over 2 arcsec round (50, -20) deg, 5.0-5.2 um."""
    rng = np.random.default_rng(seed)
    ra0, dec0 = 50.0, -20.0
    cx, cy = rng.uniform(-1, 1, n) / 3600.0, rng.uniform(-1, 1, n) / 3600.0
    half = 0.125 / 3600.0
    dx, dy = np.array([-half, half, half, -half]), np.array([-half, -half, half, half])
    cos_dec = np.cos(np.deg2rad(dec0))
    ra, dec = ra0 + cx / cos_dec, dec0 + cy
    dq = np.where(rng.uniform(size=n) < 0.1, int(DQ.DO_NOT_USE), 0).astype(np.int64)
    return PointCloud(
        ra, dec, rng.uniform(4.98, 5.22, n), np.full(n, 0.012),
        ra[:, None] + dx / cos_dec, dec[:, None] + dy,
        rng.normal(1.0, 0.1, n), rng.uniform(0.05, 0.1, n), dq,
    )  # fmt: skip


def test_usable_index_with_also_is_one_selection_of_both_masks():
    cloud = _cloud()
    also = np.arange(cloud.wave.size) % 3 != 0
    got = cloud.usable_index(5.0, 5.2, also)
    fine = (cloud.dq == 0) & (cloud.wave >= 5.0) & (cloud.wave <= 5.2)
    np.testing.assert_array_equal(got, np.flatnonzero(fine & also))
    assert cloud.usable_index(5.0, 5.2).size > got.size
    picked = cloud.select(got[::-1])
    np.testing.assert_array_equal(picked.corner_ra, cloud.corner_ra[got[::-1]])
    assert cloud.select(np.ones(cloud.wave.size, bool)) is cloud


def test_drizzle_leaves_out_pixels_with_a_corner_off_the_sky():
    """A cloud with NaN corners gives the cube of its pixels on the sky, bit for bit."""
    cloud = _cloud()
    corner_ra = cloud.corner_ra.copy()
    corner_ra[::7, 2] = np.nan
    off = PointCloud(**{**cloud.__dict__, "corner_ra": corner_ra})
    on_sky = np.isfinite(corner_ra).all(1)
    corners = (
        np.array([49.9997, 50.0003, 50.0, 50.0]),
        np.array([-20.0, -20.0, -20.0003, -19.9997]),
    )
    got = build_band(off, _PARS, corners=corners)
    want = build_band(cloud.select(on_sky), _PARS, corners=corners)
    for a, b in zip((got.sci, got.err, got.dq, got.weightmap),
                    (want.sci, want.err, want.dq, want.weightmap), strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(got.sci).any()


def test_drizzle_takes_the_usable_pixels_in_the_kernels_chunk_order(monkeypatch):
    """build_band copies the usable pixels once, in the drizzle's chunk order (rows that cross
    the planes, > one chunk): the kernel's sums of them in the cloud's order, bit for bit."""
    cloud = _cloud(100000, seed=5)
    across = np.tile(np.linspace(5.0, 5.2, 250), 400)  # every "row" crosses the planes
    cloud = PointCloud(**{**cloud.__dict__, "wave": across})
    corners = (
        np.array([49.9997, 50.0003, 50.0, 50.0]),
        np.array([-20.0, -20.0, -20.0003, -19.9997]),
    )
    got = []
    monkeypatch.setattr(build, "drizzle_sums", lambda *a: got.append(drizzle_sums(*a)) or got[0])
    grid = build.build_band(cloud, _PARS, corners=corners).grid
    used = cloud.select(cloud.dq == 0)
    assert chunk_order(used.wave, grid.zcoord) is not None
    xi, eta = grid.tangent(used.corner_ra, used.corner_dec)
    want = drizzle_sums(xi, eta, used.wave, used.dwave, used.flux, used.err, grid.axes)
    for a, b in zip(got[0], want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_no_pixel_on_the_sky_is_a_clear_error():
    cloud = _cloud(50)
    nowhere = PointCloud(**{**cloud.__dict__, "corner_dec": np.full_like(cloud.corner_dec, np.nan)})
    with pytest.raises(InputFileError, match="no usable pixel"):
        build_band(nowhere, _PARS, corners=(cloud.ra[:4], cloud.dec[:4]))


def test_narrow_labels_keep_the_stable_order():
    labels = np.random.default_rng(4).integers(100, 131, 5000)
    np.testing.assert_array_equal(
        np.argsort(_narrow(labels), kind="stable"), np.argsort(labels, kind="stable")
    )
    assert _narrow(labels).dtype == np.int16
    big = labels * 1000
    assert _narrow(big) is big
    floats = labels.astype(float)
    assert _narrow(floats) is floats
