"""The extract_2d cut-out kernel against plain slicing (hypothesis), NumPy vs Dask."""

from __future__ import annotations

import dask.array as da
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spec2x._kernels.extract_2d import cutouts


def test_hand_made_boxes():
    image = np.arange(30, dtype=np.float32).reshape(5, 6)
    out = cutouts(image, [1, 3], [2, 4], [2, 3], [3, 4], (3, 4), np.nan)
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out[0, :2, :3], [[8, 9, 10], [14, 15, 16]])
    assert np.isnan(out[0, 2]).all()
    assert np.isnan(out[0, :, 3]).all()
    # the second box runs off the image: truncated like a slice, rest is fill
    np.testing.assert_array_equal(out[1, :2, :2], [[22, 23], [28, 29]])
    assert np.isnan(out[1, 2]).all()
    assert np.isnan(out[1, :, 2:]).all()


boxes = st.lists(
    st.tuples(st.integers(0, 11), st.integers(0, 13), st.integers(1, 6), st.integers(1, 7)),
    min_size=1,
    max_size=4,
)


@settings(deadline=None, max_examples=30)
@given(boxes=boxes, nint=st.integers(1, 3))
def test_matches_slicing_for_any_boxes(boxes, nint):
    image = np.random.default_rng(0).integers(0, 100, size=(nint, 12, 14)).astype(np.uint32)
    y0, x0, ny, nx = (np.array(v) for v in zip(*boxes, strict=True))
    shape = (int(ny.max()), int(nx.max()))
    out = cutouts(image, y0, x0, ny, nx, shape, 7)
    assert out.shape == (nint, len(boxes), *shape)
    for k, (a, b, h, w) in enumerate(boxes):
        piece = image[:, a : a + h, b : b + w]
        hh, ww = piece.shape[1:]
        np.testing.assert_array_equal(out[:, k, :hh, :ww], piece)
        mask = np.ones(shape, bool)
        mask[:hh, :ww] = False
        assert (out[:, k][:, mask] == 7).all()
    lazy = da.from_array(image, chunks=(1, 12, 14))
    got = da.map_blocks(
        cutouts,
        lazy,
        y0,
        x0,
        ny,
        nx,
        shape,
        7,
        chunks=(1, len(boxes), *shape),
        new_axis=[1],
        dtype=image.dtype,
    )
    np.testing.assert_array_equal(got.compute(), out)
