"""An MRS gwcs's steps compiled once, and every pixel of the detector mapped through them.

:func:`compiled_maps` turns the gwcs's slice selector (detector -> alpha,
beta, lambda), channel selector (-> v2, v3) and the rest of the way (->
RA, Dec) into plain NumPy functions (:mod:`spec2x.cube.fastmodel`,
:mod:`spec2x.cube.regions`) that take the pixels slice by slice, the same
numbers as the gwcs; the cube's point cloud
(:mod:`spec2x.instruments.miri.mrs_cube`) and assign_wcs
(:func:`mrs_world`) use them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...cube.fastmodel import FastFunction, fast_model
from ...cube.regions import LabelledFunction, labelled_function

__all__ = ["BLOCK", "MrsMaps", "blocks", "compiled_maps", "mrs_world", "slice_pixels"]

#: Pixels mapped at once: small enough that the temporaries stay in cache and that
#: OpenBLAS runs the sky rotation (a 3x3 dot) on one thread (a big one costs 10x the CPU).
BLOCK = 16384


def mrs_world(wcs: Any, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RA, Dec (deg) and wavelength (µm) of every pixel of the detector, (ny, nx) each.

    The numbers of ``wcs(x, y)`` on every pixel (NaN outside the slices and
    where the wavelength is in no channel's range), with the slices' and the
    channels' transforms run a block of pixels at a time (the pixels sorted by
    slice once) instead of through gwcs's selectors on the whole detector.

    Parameters
    ----------
    wcs : the exposure's gwcs (as :func:`spec2x.instruments.miri.mrs_wcs.mrs_wcs` builds it).
    shape : (ny, nx) of the detector.
    """
    maps = compiled_maps(wcs)
    y, x, labels, _ = slice_pixels(maps, shape[0], (0, shape[1]))
    world = [np.full(shape, np.nan) for _ in range(3)]
    for part in blocks(x.size):
        alpha, beta, wave = maps.to_abl(labels[part], x[part], y[part])
        sky_labels = np.asarray(maps.v2v3_label(alpha[0], beta[0], wave[0])).ravel()
        v2, v3, wave = maps.to_v2v3(sky_labels, alpha, beta, wave)
        at = (y[part].astype(np.intp), x[part].astype(np.intp))
        for out, value in zip(world, maps.to_sky(v2[0], v3[0], wave[0]), strict=True):
            out[at] = value
    return world[0], world[1], world[2]


@dataclass(frozen=True)
class MrsMaps:
    """An MRS gwcs's steps as compiled functions (once per gwcs).

    ``label_map``: (ny, nx) slice label of each pixel; ``to_abl(labels, x, y)`` and
    ``to_v2v3(labels, alpha, beta, lam)``: the slice's and the channel's transforms at
    points of given labels; ``v2v3_label(alpha, beta, lam)``: the channel label of
    each point; ``to_sky(v2, v3, lam)``: the rest of the way (velocity aberration, sky).
    """

    label_map: np.ndarray
    to_abl: LabelledFunction
    v2v3_label: Any
    to_v2v3: LabelledFunction
    to_sky: FastFunction


_MAPS: weakref.WeakKeyDictionary[Any, MrsMaps] = weakref.WeakKeyDictionary()


def compiled_maps(wcs: Any) -> MrsMaps:
    """The compiled steps of an MRS gwcs (compiled once per gwcs, kept while it lives)."""
    maps = _MAPS.get(wcs)
    if maps is None:
        to_abl = wcs.get_transform(wcs.available_frames[0], "alpha_beta")
        to_v2v3 = wcs.get_transform("alpha_beta", "v2v3")
        maps = _MAPS[wcs] = MrsMaps(
            np.asarray(to_abl.label_mapper.mapper),
            labelled_function(to_abl, fast_model),
            to_v2v3.label_mapper,
            labelled_function(to_v2v3, fast_model),
            fast_model(wcs.get_transform("v2v3", wcs.output_frame.name)),
        )
    return maps


def slice_pixels(
    maps: MrsMaps, ny: int, columns: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(y, x, label) of the pixels of ``columns`` [start, end) in a slice, slice by slice,
    and where each pixel of the detector's order (row by row) is in them."""
    labels = maps.label_map[:ny, columns[0] : columns[1]]
    y, x = np.nonzero(labels)
    labels = labels[y, x]
    order = np.argsort(_narrow(labels), kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    y, x = y[order].astype(np.float64), (x[order] + columns[0]).astype(np.float64)
    return y, x, labels[order], inverse


def _narrow(labels: np.ndarray) -> np.ndarray:
    """Integer labels as int16 when they fit (the same stable order, sorted by radix)."""
    fits = labels.dtype.kind in "iu" and labels.size and labels.min() >= -(2**15)
    return labels.astype(np.int16) if fits and labels.max() < 2**15 else labels


def blocks(n: int) -> list[slice]:
    """Slices of ``n`` pixels, :data:`BLOCK` at a time."""
    return [slice(start, min(start + BLOCK, n)) for start in range(0, n, BLOCK)]
