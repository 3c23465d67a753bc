"""The IFU flat of the box pixels with a wavelength, pasted at once, equals jwst's slice loop.

Small synthetic slice boxes (no WCS, no jwst): ``flat_ifu.ifu_flat_arrays``
against the slice-by-slice paste of :func:`flat_kernel.slit_flat` on the
whole boxes (what jwst 3.0.0's ``flat_for_nirspec_ifu`` does and what
spec2x did before), bit for bit, with and without boxes that share pixels.
"""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.dq import DQ
from spec2x.instruments.nirspec import flat_kernel as kern
from spec2x.instruments.nirspec.flat_ifu import ifu_flat_arrays
from spec2x.instruments.nirspec.ifu_boxes import SliceBoxes

SHAPE = (40, 64)
DNU = np.uint32(DQ.DO_NOT_USE)


def _components(rng: np.random.Generator) -> list[kern.FlatComponent | None]:
    grid = np.linspace(0.9, 2.2, 301)
    table = [(grid, 1.0 + 0.1 * np.sin(5 * grid), np.full(grid.shape, 0.01))]
    planes = np.array([1.0, 1.4, 1.8, 2.1], np.float32)
    cube = rng.uniform(0.8, 1.2, (planes.size, *SHAPE)).astype(np.float32)
    cube[1, 5, 10] = 0.0  # a zero flat pixel
    cube_dq = np.zeros(cube.shape, np.uint32)
    cube_dq[:, 12, 20:24] = DNU
    cube_dq[2, 22, 30] = DQ.HOT
    det = rng.uniform(0.9, 1.1, SHAPE).astype(np.float32)
    det[25, 7] = np.nan
    det_dq = np.zeros(SHAPE, np.uint32)
    det_dq[4, 40] = DNU
    err = np.full(SHAPE, 0.02, np.float32)
    return [
        kern.FlatComponent("fore", table),
        kern.FlatComponent(
            "spectrograph", table, cube, cube_dq, np.full(cube.shape, 0.03, np.float32), planes
        ),
        kern.FlatComponent("detector", table, det, det_dq, err),
    ]


def _boxes(rng: np.random.Generator, overlap: bool) -> SliceBoxes:
    x0, y0 = np.array([5, 8, 0]), np.array([3, 7, 20])
    xsize, ysize = np.array([40, 45, 60]), np.array([6, 5, 12])
    ny, nx = int(ysize.max()), int(xsize.max())
    yy, xx = np.mgrid[0:ny, 0:nx]
    wave = 0.8 + 0.025 * xx[None] + 0.002 * yy[None] + 0.01 * np.arange(3)[:, None, None]
    inside = (yy[None] < ysize[:, None, None]) & (xx[None] < xsize[:, None, None])
    wave = np.where(inside & (rng.uniform(size=wave.shape) > 0.05), wave, np.nan)
    if overlap:  # slice 0 flags part of rows 7-8 (box rows 4-5), which slice 1 covers too
        wave[0, 4:6, 10:20] = 2.5  # beyond the tables and planes: DO_NOT_USE
    else:  # slice 0's rows 7-8 left to slice 1
        wave[0, 4:] = np.nan
    return SliceBoxes(x0, y0, xsize, ysize, wave)


def _slice_loop(boxes: SliceBoxes, components: list[kern.FlatComponent | None]):
    """The whole boxes through slit_flat, pasted slice by slice (later over earlier)."""
    rows = [np.zeros(boxes.x0.size, np.intp)] * 3
    fbox, dbox, ebox = kern.slit_flat(
        boxes.wavelength, boxes.x0, boxes.y0, boxes.xsize, boxes.ysize, *rows,
        components=components,
    )  # fmt: skip
    flat, err = np.full(SHAPE, np.nan, np.float32), np.full(SHAPE, np.nan, np.float32)
    dq = np.zeros(SHAPE, np.uint32)
    for s in range(boxes.x0.size):
        good, yy, xx = boxes.full_frame(s)
        flat[yy, xx], err[yy, xx] = fbox[s][good], ebox[s][good]
        dq[yy, xx] |= dbox[s][good]
    bad = (dq & DNU) != 0
    flat[bad], err[bad] = np.nan, np.nan
    dq[~np.isfinite(flat)] |= DNU
    return flat, dq, err


@pytest.mark.parametrize("overlap", [False, True])
@pytest.mark.parametrize("absent", [None, 0, 2])
def test_pasted_flat_equals_the_slice_loop(overlap, absent):
    rng = np.random.default_rng(7)
    components = _components(rng)
    if absent is not None:
        components[absent] = None
    boxes = _boxes(rng, overlap)
    got = ifu_flat_arrays(boxes, components, SHAPE)
    want = _slice_loop(boxes, components)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    flat, dq, _ = got
    assert np.isfinite(flat).any()
    assert np.isnan(flat).any()
    assert ((dq & DNU) != 0).any()
