"""The NIRSpec slits' WCS on their pixels, and the wavelength sampling of resample_spec.

:func:`nirspec_pixel_frames` evaluates each slit's WCS on every pixel of its
image (all slits stacked); :func:`sampling_wavelengths` is jwst 3.0.0's
``ResampleSpec`` wavelength sampling of one slit (the median wavelength of
each detector column).  The output grids themselves are built for many
slits at once in :mod:`.resample_grid`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..._kernels.stacked_transforms import stacked_pixel_frames

__all__ = ["PixelFrames", "nirspec_pixel_frames", "sampling_wavelengths"]

#: (x_slit, y_slit, wavelength) and (RA, Dec, wavelength) of every pixel of a slit image.
PixelFrames = tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]


def nirspec_pixel_frames(
    wcss: Sequence[Any], shapes: Sequence[tuple[int, ...]]
) -> list[PixelFrames]:
    """Each slit's WCS on every pixel of its image of ``shapes[i]``, all slits evaluated
    at once (:func:`spec2x._kernels.stacked_transforms.stacked_pixel_frames`): the slit
    frame (x_slit, y_slit, µm) and the world (RA, Dec deg, µm); NaN outside the bounding
    box."""
    frames = stacked_pixel_frames(wcss, shapes, keep=("slit_frame",))
    return [(f["slit_frame"], f[w.output_frame.name]) for f, w in zip(frames, wcss, strict=True)]


def sampling_wavelengths(lam: np.ndarray) -> list[float]:
    """Sorted median wavelength of each detector column of ``lam`` (the WCS's wavelengths on
    the bounding-box grid), near-duplicates dropped (µm)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = sorted(np.nanmedian(lam[:, np.any(np.isfinite(lam), axis=0)], axis=0))
    if not ref:
        return []
    min_delta = np.fabs(np.ediff1d(ref).min()) if len(ref) > 1 else 0.0
    ediff = np.fabs(np.ediff1d(ref))
    for i in np.flatnonzero(ediff < max(0.1 * min_delta, 1e2 * np.finfo(1.0).eps))[::-1]:
        del ref[i]
    return [float(v) for v in ref]
