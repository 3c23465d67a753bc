"""The cube machinery on hand-built inputs: polygon overlap, drizzle sums, grid, cubepar, finishing."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from spec2x._kernels import cube_drizzle
from spec2x._kernels.cube_clip import clipped_area
from spec2x._kernels.cube_drizzle import CubeAxes, drizzle_sums
from spec2x.cube.assemble import finish_cube
from spec2x.cube.grid import footprint_corners, sky_grid, tangent_to_sky, to_tangent
from spec2x.errors import InputFileError, ReferenceMismatchError
from spec2x.io.references import open_reference
from spec2x.synthetic.cubepar import write_mrs_cubepar


def _box(n):
    return np.zeros(n), np.ones(n), np.zeros(n), np.ones(n)


@pytest.mark.parametrize(
    ("qx", "qy", "area"),
    [
        ([0.2, 0.8, 0.8, 0.2], [0.2, 0.2, 0.8, 0.8], 0.36),  # inside
        ([-1, 2, 2, -1], [-1, -1, 2, 2], 1.0),  # covers the box
        ([0.5, 1.5, 1.5, 0.5], [0.5, 0.5, 1.5, 1.5], 0.25),  # a corner
        ([0.5, 1.5, 0.5, -0.5], [-0.5, 0.5, 1.5, 0.5], 1.0),  # diamond round the box
        ([0.5, 1.0, 0.5, 0.0], [0.0, 0.5, 1.0, 0.5], 0.5),  # diamond inside
        ([0.0, 2.0, 2.0, 0.0], [0.5, 0.5, 2.0, 2.0], 0.5),  # half, edge on the box's edge
        ([1.0, 2.0, 2.0, 1.0], [0.0, 0.0, 1.0, 1.0], 0.0),  # touching only
        ([3.0, 4.0, 4.0, 3.0], [0.0, 0.0, 1.0, 1.0], 0.0),  # apart
    ],
)
def test_clipped_area_by_hand(qx, qy, area):
    got = clipped_area(np.array([qx], float), np.array([qy], float), *_box(1))
    assert got[0] == pytest.approx(area, abs=1e-14)
    # either way round
    back = clipped_area(np.array([qx[::-1]], float), np.array([qy[::-1]], float), *_box(1))
    assert back[0] == pytest.approx(area, abs=1e-14)


def _corner_square(c):
    """A unit square (rotated 45 deg) whose edge lies on x + y = c, beyond the unit box's
    corner (0, 0) for c < 0, reaching into it (a triangle of area c^2 / 2) for c > 0."""
    qx = np.array([[c + 0.5, -0.5, -1.5 + c / 2, c / 2 - 0.5]])
    qy = np.array([[-0.5, c + 0.5, c / 2 - 0.5, -1.5 + c / 2]])
    return qx, qy


def _four_corners(qx, qy):
    """The quadrilateral turned round the unit box's centre to each corner, and reversed."""
    for x, y in ((qx, qy), (1.0 - qy, qx), (1.0 - qx, 1.0 - qy), (qy, 1.0 - qx)):
        yield x, y
        yield x[:, ::-1], y[:, ::-1]


@pytest.mark.parametrize("c", [-0.3, -1e-7, -1e-12, 0.0])
def test_clipped_area_exactly_zero_beyond_a_corner(c):
    """A pixel whose bounding box meets the box but which does not enter it: exactly 0 (jwst's
    clipping finds no polygon), not rounding noise, whichever way round and wherever the box."""
    qx, qy = _corner_square(c)
    for shift in (0.0, 3.7, -123.4):
        for x, y in _four_corners(qx, qy):
            box = (np.array([shift]), np.array([shift + 1.0]), np.zeros(1), np.ones(1))
            got = clipped_area(x + shift, y, *box)
            assert got[0] == 0.0


@pytest.mark.parametrize("c", [1e-7, 1e-5, 0.01])
def test_clipped_area_of_a_thin_dip(c):
    """A corner dipping ``c`` into the box: the triangle's area however small (1e-7 deep:
    5e-15 of the box), as jwst counts it."""
    qx, qy = _corner_square(c)
    for x, y in _four_corners(qx, qy):
        got = clipped_area(x, y, *_box(1))
        assert got[0] == pytest.approx(c * c / 2, rel=1e-6, abs=0.0)


def test_drizzle_sums_by_hand():
    """One pixel on two spaxels (half each) and two planes (a quarter and three quarters)."""
    xc, yc, zc = np.array([0.0, 1.0]), np.array([0.0]), np.array([1.0, 2.0])
    xi = np.array([[0.0, 1.0, 1.0, 0.0]])  # x from 0 to 1: half in each spaxel
    eta = np.array([[-0.5, -0.5, 0.5, 0.5]])
    flux, weight, var, count = drizzle_sums(
        xi, eta, np.array([1.25]), np.array([1.0]), np.array([3.0]), np.array([0.5]),
        CubeAxes(xc, yc, zc, np.ones(2), 1.0, 1.0),
    )  # fmt: skip
    # planes [0.5, 1.5] and [1.5, 2.5]; the pixel spans [0.75, 1.75]
    np.testing.assert_allclose(weight, [0.375, 0.375, 0.125, 0.125])
    np.testing.assert_allclose(flux / weight, 3.0)
    np.testing.assert_allclose(var, (0.5 * weight) ** 2)
    np.testing.assert_array_equal(count, [1, 1, 1, 1])


def test_drizzle_sums_conserve_weight_in_chunks():
    """Pixels wholly inside the grid leave their area x extent; chunking changes nothing."""
    rng = np.random.default_rng(1)
    n = 300
    cx, cy = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)
    angle = rng.uniform(0, np.pi, n)[:, None] + np.arange(4) * np.pi / 2
    xi, eta = cx[:, None] + 0.3 * np.cos(angle), cy[:, None] + 0.3 * np.sin(angle)  # squares
    wave, dwave = rng.uniform(1.2, 1.8, n), np.full(n, 0.05)
    spatial = np.arange(-3, 3.01, 0.25)
    grid = CubeAxes(spatial, spatial, np.arange(1.0, 2.001, 0.02), np.full(51, 0.02), 0.25, 0.25)
    whole = drizzle_sums(xi, eta, wave, dwave, np.ones(n), np.ones(n), grid)
    parts = drizzle_sums(xi, eta, wave, dwave, np.ones(n), np.ones(n), grid, chunk=37)
    np.testing.assert_allclose(whole[1].sum(), n * (2 * 0.3**2) * 0.05, rtol=1e-10)
    for a, b in zip(whole, parts, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_chunks_in_wavelength_order_only_when_rows_cross_the_planes():
    """Chunks keep the pixels' own order when it follows the wavelength (MIRI MRS rows);
    rows crossing every plane (NIRSpec IFU) are taken in wavelength order."""
    planes = np.linspace(1.0, 2.0, 101)
    along = np.repeat(np.linspace(1.0, 2.0, 50), 40)  # 50 rows, each at one wavelength
    assert cube_drizzle.chunk_order(along, planes, 100) is None
    across = np.tile(np.linspace(1.0, 2.0, 40), 50)  # every row from 1 to 2 um
    order = cube_drizzle.chunk_order(across, planes, 100)
    assert np.all(np.diff(across[order]) >= 0)
    assert np.all(np.diff(order[:50]) > 0)  # the detector's order within a step


def test_drizzle_sums_blocks_change_no_bit(monkeypatch):
    """The overlaps found a few pixels at a time give the same sums, bit for bit."""
    rng = np.random.default_rng(2)
    n = 200
    cx, cy = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)
    angle = rng.uniform(0, np.pi, n)[:, None] + np.arange(4) * np.pi / 2
    xi, eta = cx[:, None] + 0.4 * np.cos(angle), cy[:, None] + 0.3 * np.sin(angle)
    wave, dwave = rng.uniform(1.2, 1.8, n), np.full(n, 0.05)
    flux, err = rng.normal(1.0, 0.1, n), rng.uniform(0.1, 0.2, n)
    spatial = np.arange(-3, 3.01, 0.25)
    grid = CubeAxes(spatial, spatial, np.arange(1.0, 2.001, 0.02), np.full(51, 0.02), 0.25, 0.25)
    whole = drizzle_sums(xi, eta, wave, dwave, flux, err, grid)
    monkeypatch.setattr(cube_drizzle, "_BLOCK", 7)
    blocks = drizzle_sums(xi, eta, wave, dwave, flux, err, grid)
    for a, b in zip(whole, blocks, strict=True):
        np.testing.assert_array_equal(a, b)


def test_tangent_plane_round_trip_and_grid():
    ra = np.array([80.0, 80.001, 359.9995, 0.0004])
    dec = np.array([-69.5, -69.499, 10.0, 10.0])
    xi, eta = to_tangent(80.0005, -69.4995, ra[:2], dec[:2])
    back = tangent_to_sky(80.0005, -69.4995, xi, eta)
    np.testing.assert_allclose(back, (ra[:2], dec[:2]), atol=1e-12)
    assert xi[1] < 0  # xi grows against RA
    # a footprint over RA 0: the centre is on the right side of it
    cra, cdec = footprint_corners(ra[2:], dec[2:])
    grid = sky_grid(cra, cdec, spaxel=0.5, step=0.01, wavemin=5.0, wavemax=5.055)
    assert grid.crval1 == pytest.approx(359.99995, abs=1e-9)
    # 3.2" across: ceil(1.6 / 0.5) + 1 = 5 spaxels each side of the centre; 0" high: 2
    assert grid.shape == (6, 5, 11)
    assert grid.crpix == (6.0, 3.0, 1.0)
    np.testing.assert_allclose(grid.xcoord, np.arange(-5, 6) * 0.5)
    np.testing.assert_allclose(grid.zcoord, 5.005 + 0.01 * np.arange(6))


def test_finish_cube_flags_and_tears():
    shape = (40, 2, 2)
    weight = np.ones(shape)
    weight[:, 0, 0] = 0  # never reached
    weight[0, :, 1] = 0  # a torn first plane: 1 good spaxel against 3
    count = (weight > 0).astype(float)
    sums = (2 * weight, weight, 0.25 * weight**2, count)
    sci, err, dq, wmap = finish_cube(tuple(a.ravel() for a in sums), shape, tear_cut=True)
    assert np.isnan(sci[:, 0, 0]).all()
    assert (dq[:, 0, 0] == 513).all()
    assert (dq[0] == 513).all()
    assert (wmap[0] == 0).all()
    np.testing.assert_allclose(sci[1:, 1, 1], 2.0)
    np.testing.assert_allclose(err[1:, 1, 1], 0.5)
    _, _, dq_kept, _ = finish_cube(tuple(a.ravel() for a in sums), shape, tear_cut=False)
    assert dq_kept[0, 1, 0] == 0


def test_cubepar_reader(tmp_path):
    ref = open_reference(write_mrs_cubepar(tmp_path / "cubepar.fits"), "cubepar")
    band = ref.content.band(("3", "MEDIUM"))
    assert band.spaxel == pytest.approx(0.2)
    assert (band.wavemin, band.wavemax) == pytest.approx((13.34, 15.57))
    assert band.emsm is not None
    assert band.msm is not None
    assert band.msm[2] == 2.0
    with pytest.raises(ReferenceMismatchError, match="cubepar.fits has no row for g140m f100lp"):
        ref.content.band(("g140m", "f100lp"))
    hdul = fits.open(tmp_path / "cubepar.fits")
    fits.HDUList([hdul[0], hdul["CUBEPAR_MSM"]]).writeto(tmp_path / "broken.fits")
    with pytest.raises(InputFileError, match="broken.fits has no CUBEPAR table"):
        open_reference(tmp_path / "broken.fits")


def test_synthetic_cubepar_valid_for_stdatamodels(tmp_path):
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    with datamodels.MiriIFUCubeParsModel(str(write_mrs_cubepar(tmp_path / "c.fits"))) as model:
        model.validate()
        assert len(model.ifucubepars_table) == 12
        assert len(model.ifucubepars_multichannel_driz_wavetable) > 0


def test_shepard_sums_by_hand():
    """One point between two spaxels and two planes: exp(-d^2 / (scalerad / cdelt1)), 1 / d^p."""
    from spec2x._kernels.cube_shepard import shepard_sums

    grid = CubeAxes(np.array([0.0, 1.0, 2.0]), np.array([0.0]), np.array([1.0, 2.0, 3.0]),
                    np.ones(3), 1.0, 1.0)  # fmt: skip
    point = (np.array([0.25]), np.array([0.0]), np.array([1.5]), np.array([4.0]), np.array([1.0]))
    flux, weight, var, count = shepard_sums(*point, grid, rois=0.8, roiw=0.6, scalerad=2.0)
    # reached: x = 0 (d 0.25) and 1 (d 0.75), planes 1 and 2 (d 0.5 each); not x = 2, plane 3
    d2 = np.array([0.25**2 + 0.25, 0.75**2 + 0.25])
    expected = np.zeros(9)
    expected[[0, 1]] = expected[[3, 4]] = np.exp(-d2 / 2.0)
    np.testing.assert_allclose(weight, expected)
    np.testing.assert_allclose(flux, 4.0 * expected)
    np.testing.assert_allclose(var, expected**2)
    np.testing.assert_array_equal(count, expected > 0)
    _, weight, _, _ = shepard_sums(*point, grid, rois=0.8, roiw=0.6, kind="msm", softrad=0.01)
    expected[[0, 1]] = expected[[3, 4]] = 1 / d2
    np.testing.assert_allclose(weight, expected)


def test_drizzle_weight_below_the_least_double_counts_no_pixel():
    """A sliver's area (4e-322) times the wavelength overlap (0.001) is 0: that spaxel gets
    no weight and no pixel in its count, the pixel's other spaxel both."""
    axes = CubeAxes(
        np.array([-0.5, 0.5]), np.array([-0.5, 0.5]), np.array([1.0, 1.1]),
        np.array([0.1, 0.1]), 1.0, 1.0,
    )  # fmt: skip
    counts = []
    for edge in (1e-318, 1e-321):
        xi = np.array([[-0.5, edge, edge, -0.5]])
        eta = np.array([[-0.5, -0.5, -0.1, -0.1]])
        sums = drizzle_sums(
            xi, eta, np.array([1.0]), np.array([0.001]), np.array([2.0]), np.array([0.5]), axes
        )  # fmt: skip
        assert sums[1][0] == pytest.approx(2e-4)
        counts.append(sums[3][:2].tolist())
    assert counts == [[1.0, 1.0], [1.0, 0.0]]
