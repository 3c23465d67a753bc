"""The NIRSpec slit flat in blocks of slits equals the flat of all slits at once, bit for bit.

Small seeded MOS-like slits (no jwst): one fast-variation row per slit, the
rows of a "quadrant" sharing a wavelength grid (one quadrant with a single
slit, so a block can hold a lone slit of a quadrant that the whole set
interpolates together), NaN in a curve, a flat cube with bad pixels, missing
wavelengths and padding; and :func:`interp_curves` against ``np.interp`` on
grid points, NaN and infinite ordinates.
"""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.dq import DQ
from spec2x.instruments.nirspec import flat_kernel as kern
from spec2x.instruments.nirspec.flat_interp import interp_curves

SHAPE = (48, 80)
NSLIT = 9
QUADRANT = np.array([0, 0, 1, 0, 1, 1, 2, 0, 1])  # quadrant 2: one slit


def _tables(rng: np.random.Generator, nodes: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """One row per slit, on its quadrant's grid (float32 values); slit 4's curve and error
    have a NaN, slit 5's curve is negative in part."""
    grids = [np.sort(rng.uniform(0.7, 2.4, 40).astype(np.float32)).astype(float) for _ in range(3)]
    grids[0][[0, -1]] = 0.7, 2.4
    rows = []
    for s in range(NSLIT):
        tw = grids[QUADRANT[s]]
        val = 1.0 + 0.2 * np.sin(3 * tw + s)
        if s == 4:
            val[10] = np.nan
        if s == 5:
            val[15:30] = -0.5  # a non-positive flat: NaN
        err = 0.01 + 0.001 * s * np.ones_like(tw)
        err[20] = np.nan if s == 4 else err[20]
        rows.append((tw, val, err))
    rows[1] = (nodes, rows[1][1][: nodes.size], rows[1][2][: nodes.size])  # own grid
    return rows


def _components(rng: np.random.Generator, tables: list) -> list[kern.FlatComponent | None]:
    planes = np.array([0.8, 1.3, 1.9, 2.3], np.float32)
    cube = rng.uniform(0.8, 1.2, (planes.size, *SHAPE)).astype(np.float32)
    cube[2, 10, 12] = 0.0
    cube_dq = np.zeros(cube.shape, np.uint32)
    cube_dq[:, 20, 30:34] = DQ.DO_NOT_USE
    det = rng.uniform(0.9, 1.1, SHAPE).astype(np.float32)
    det[5, 40] = np.nan
    curve_errors = [(t[0], 0.02 + 0.0 * t[0]) for t in tables]
    return [
        kern.FlatComponent("fore", tables, curve_errors=curve_errors),
        kern.FlatComponent(
            "spectrograph", tables[:1], cube, cube_dq, np.full(cube.shape, 0.03, np.float32), planes
        ),
        kern.FlatComponent(
            "detector",
            tables[:1],
            det,
            np.zeros(SHAPE, np.uint32),
            np.full(SHAPE, 0.02, np.float32),
        ),
    ]


@pytest.fixture(scope="module")
def slits():
    rng = np.random.default_rng(7)
    tables = _tables(rng, np.linspace(0.75, 2.35, 30))
    ny, nx = 7, 50
    x0, y0 = rng.integers(0, SHAPE[1] - nx, NSLIT), rng.integers(0, SHAPE[0] - ny, NSLIT)
    xsize, ysize = rng.integers(30, nx + 1, NSLIT), rng.integers(4, ny + 1, NSLIT)
    yy, xx = np.mgrid[0:ny, 0:nx]
    wave = 0.75 + 0.033 * xx[None] + 0.004 * yy[None] + 0.02 * np.arange(NSLIT)[:, None, None]
    inside = (yy[None] < ysize[:, None, None]) & (xx[None] < xsize[:, None, None])
    wave = np.where(inside & (rng.uniform(size=wave.shape) > 0.05), wave, np.nan)
    wave[2, 1:3, 5:9] = 2.6  # beyond the tables and planes
    wave[4, 0, 3] = tables[4][0][19]  # on the grid point before the NaN error
    wave = wave.astype(np.float32)
    rows = (np.arange(NSLIT), np.zeros(NSLIT, int), np.zeros(NSLIT, int))
    return wave, (x0, y0, xsize, ysize, *rows), _components(rng, tables)


@pytest.mark.parametrize("dispaxis", [1, 2])
def test_blocks_equal_all_at_once(slits, dispaxis):
    wave, per_slit, components = slits
    if dispaxis == 2:
        wave = np.ascontiguousarray(wave.transpose(0, 2, 1))
        per_slit = (per_slit[1], per_slit[0], per_slit[3], per_slit[2], *per_slit[4:])
        components = [c if c is None or c.image is None else _transposed(c) for c in components]
    whole = kern.slit_flat(wave, *per_slit, components=components, dispaxis=dispaxis,
                           block_pixels=10**9)  # fmt: skip
    assert np.isnan(whole[0]).any()  # the bad cases are there
    assert (whole[1] != 0).any()
    for block in (1, 2 * wave[0].size + 5, 4 * wave[0].size):
        got = kern.slit_flat(wave, *per_slit, components=components, dispaxis=dispaxis,
                             block_pixels=block)  # fmt: skip
        for a, b in zip(got, whole, strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


def _transposed(comp: kern.FlatComponent) -> kern.FlatComponent:
    """The component with its images' last two axes swapped (for dispersion along y)."""
    images = (comp.image, comp.image_dq, comp.image_err)
    swap = [np.ascontiguousarray(np.swapaxes(np.asarray(a), -1, -2)) for a in images]
    return kern.FlatComponent(comp.kind, comp.tables, *swap, comp.image_wavelength)


def test_interp_curves_is_np_interp_bit_for_bit():
    rng = np.random.default_rng(3)
    xp = np.sort(rng.uniform(1.0, 5.0, 25))
    fp = rng.normal(size=(5, 25))
    fp[1, 7] = np.nan
    fp[2, 3:5] = np.inf
    fp[3, 9] = -np.inf
    fp[4, 12:14] = 1e308, -1e308  # the slope overflows
    x = rng.uniform(0.5, 5.5, (5, 6, 40))
    x[:, 0, :25] = xp  # every grid point
    x[:, 1, :3] = np.nan, xp[0], xp[-1]
    got = interp_curves(x, xp, fp, fill=-7.0)
    with np.errstate(invalid="ignore", over="ignore"):
        for i in range(fp.shape[0]):
            np.testing.assert_array_equal(got[i], np.interp(x[i], xp, fp[i], -7.0, -7.0))
