"""Array core of extract_2d: cut rectangles out of an image and pad them to one shape."""

from __future__ import annotations

import numpy as np

__all__ = ["cutouts"]


def cutouts(
    image: np.ndarray,
    y0: np.ndarray,
    x0: np.ndarray,
    ny: np.ndarray,
    nx: np.ndarray,
    shape: tuple[int, int],
    fill: float | int,
) -> np.ndarray:
    """Cut ``len(y0)`` boxes out of ``image`` (..., Y, X) into (..., n, shape[0], shape[1]).

    Box ``k`` is ``image[..., y0[k]:y0[k]+ny[k], x0[k]:x0[k]+nx[k]]`` (0-based
    array indices, truncated at the image edge like a NumPy slice) placed at the
    top-left corner of its slot; the rest of the slot is ``fill``.
    """
    y0, x0, ny, nx = (np.asarray(a, dtype=np.int64) for a in (y0, x0, ny, nx))
    big_y, big_x = image.shape[-2:]
    ry = np.arange(shape[0])
    rx = np.arange(shape[1])
    rows = y0[:, None] + ry  # (n, NY)
    cols = x0[:, None] + rx  # (n, NX)
    ok_y = (ry < ny[:, None]) & (rows >= 0) & (rows < big_y)
    ok_x = (rx < nx[:, None]) & (cols >= 0) & (cols < big_x)
    rows = np.clip(rows, 0, big_y - 1)
    cols = np.clip(cols, 0, big_x - 1)
    taken = image[..., rows[:, :, None], cols[:, None, :]]  # (..., n, NY, NX)
    valid = ok_y[:, :, None] & ok_x[:, None, :]
    return np.where(valid, taken, np.asarray(fill, dtype=image.dtype))
