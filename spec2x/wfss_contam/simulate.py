"""Disperse every source's pixels through the grism WCS: the simulated dispersed exposure.

For one order, the scene's pixels (:mod:`.scene`) go through the direct
image's WCS to the sky, then the grism WCS's ``world -> detector ->
grism_detector`` at every wavelength of a grid (jwst's spacing: half a
dispersed pixel, from the first pixel of each chunk), and land as unit
squares on the dispersed image (:func:`spec2x._kernels.wfss_disperse.clipped_pixels`)
with ``flux * area * dlam / S(λ)`` DN/s.  Pixels are taken in chunks, sorted
by source as jwst does, so the grids are jwst's; each chunk's wavelengths go
through in blocks of :data:`BLOCK` positions, so memory stays bounded.

Besides the whole frame, each cut-out of the order gets its own source's
light inside the cut-out (the part of the frame that is *not*
contamination), and whether the source lands near the cut-out at all.
For the spectral fit (``polyfit_degree``) the same light is also made with
the flux times each Legendre polynomial of wavelength (:func:`.polyfit.legendre`),
and the whole dispersed image of each cut-out's source is kept (sparse).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._kernels.wfss_disperse import clipped_pixels, count_rates, native_wavelengths
from .polyfit import legendre
from .scene import Scene

__all__ = ["BLOCK", "Boxes", "OrderLight", "simulate_order"]

#: Dispersed positions (pixels x wavelengths) evaluated at once.
BLOCK = 1_000_000


@dataclass(frozen=True)
class Boxes:
    """Cut-outs of one order (0-based full-frame starts; one source each).

    Attributes
    ----------
    label : the source of each cut-out.
    xstart, ystart, xsize, ysize : the cut-out (pixels).
    """

    label: np.ndarray
    xstart: np.ndarray
    ystart: np.ndarray
    xsize: np.ndarray
    ysize: np.ndarray


@dataclass(frozen=True)
class OrderLight:
    """The simulated light of one order.

    Attributes
    ----------
    frame : (ny, nx) DN/s of every dispersed source.
    own : per cut-out, its source's own DN/s inside it, (1 + degree, ysize, xsize): the
        flat spectrum, then the flux times each Legendre polynomial (``degree`` of them).
    overlaps : per cut-out, whether the source's simulated light reaches the cut-out's box.
    whole : per cut-out, its source's whole dispersed image as (flat frame pixel index,
        (1 + degree, n) DN/s); only with ``degree`` > 0, else empty.
    """

    frame: np.ndarray
    own: list[np.ndarray]
    overlaps: np.ndarray
    whole: list[tuple[np.ndarray, np.ndarray]]


def _chunks(scene: Scene, selected: np.ndarray | None, size: int) -> list[np.ndarray]:
    """Pixel indices of the scene in chunks of ``size``, sorted by source (jwst's order)."""
    pick = np.arange(scene.label.size)
    if selected is not None:
        pick = pick[np.isin(scene.label, selected)]
    pick = pick[np.argsort(scene.label[pick])]
    return [pick[i : i + size] for i in range(0, pick.size, size)]


def _grid(ra: float, dec: float, to_detector: Any, to_grism: Any, order: int,
          lam: tuple[float, float], oversample: int) -> np.ndarray:  # fmt: skip
    xd, yd, *_ = to_detector(ra, dec, 1, order)
    x0, y0 = to_grism(xd, yd, lam[0], order)[:2]
    x1, y1 = to_grism(xd, yd, lam[1], order)[:2]
    return native_wavelengths(float(x1 - x0), float(y1 - y0), lam[0], lam[1], oversample)


def simulate_order(
    scene: Scene,
    wcs: Any,
    order: int,
    lam: tuple[float, float],
    sens: tuple[np.ndarray, np.ndarray],
    shape: tuple[int, int],
    boxes: Boxes,
    *,
    selected: np.ndarray | None = None,
    oversample: int = 2,
    chunk: int = 5000,
    degree: int = 0,
) -> OrderLight:
    """Simulate one order of the dispersed exposure.

    Parameters
    ----------
    scene : the labelled direct-image pixels.
    wcs : the exposure's grism gwcs (``world``, ``detector``, ``grism_detector`` frames).
    order : spectral order.
    lam : (wmin, wmax) µm of the order.
    sens : (wavelength µm, S in MJy/sr µm per DN/s) of the order.
    shape : (ny, nx) of the dispersed exposure.
    boxes : the order's cut-outs.
    selected : disperse only these labels (None: all).
    oversample : wavelength samples per dispersed pixel.
    chunk : direct-image pixels dispersed at once.
    degree : Legendre terms (over ``lam``) besides the flat spectrum (``polyfit_degree``).
    """
    ny, nx = shape
    to_detector = wcs.get_transform("world", "detector")
    to_grism = wcs.get_transform("detector", "grism_detector")
    top = int(max(scene.labels.max(), boxes.label.max(initial=0)))
    tally = _Tally(shape, boxes, top, degree)
    for pick in _chunks(scene, selected, chunk):
        ra, dec = scene.direct_wcs(
            scene.x[pick] + 0.5, scene.y[pick] + 0.5, with_bounding_box=False
        )
        ra, dec = np.asarray(ra, np.float64), np.asarray(dec, np.float64)
        grid = _grid(ra[0], dec[0], to_detector, to_grism, order, lam, oversample)
        xd, yd, *_ = to_detector(ra, dec, 1, order)
        step = max(1, BLOCK // pick.size)
        for first in range(0, grid.size, step):  # blocks of wavelengths: bounded memory
            block = grid[first : first + step]
            shape2 = (block.size, pick.size)
            xg, yg = to_grism(
                np.broadcast_to(xd, shape2).copy(), np.broadcast_to(yd, shape2).copy(),
                np.broadcast_to(block[:, None], shape2).copy(), order,
            )[:2]  # fmt: skip
            ix, iy, area, index = clipped_pixels(np.asarray(xg), np.asarray(yg), nx, ny)
            pix = index % pick.size
            lam_at = block[index // pick.size]
            counts = count_rates(scene.flux[pick][pix], area, lam_at, grid[1] - grid[0], *sens)
            if degree:
                counts = np.vstack([counts, counts * legendre(lam_at, degree, *lam)])
            tally.add(ix, iy, np.atleast_2d(counts), scene.label[pick][pix])
    return tally.result()


class _Tally:
    """The frame, each cut-out's own light and each source's reach, summed over blocks."""

    def __init__(self, shape: tuple[int, int], boxes: Boxes, top_label: int, degree: int) -> None:
        self.shape, self.boxes = shape, boxes
        self.frame = np.zeros(shape[0] * shape[1])
        sizes = boxes.ysize.astype(np.int64) * boxes.xsize
        self.base = np.concatenate([[0], np.cumsum(sizes)])
        self.own = np.zeros((1 + degree, int(self.base[-1])))
        self.whole = _Sparse() if degree else None
        self.slot = np.full(top_label + 1, -1, np.int64)
        self.slot[boxes.label] = np.arange(boxes.label.size)
        self.lo = np.full((boxes.label.size, 2), np.iinfo(np.int64).max)
        self.hi = np.full((boxes.label.size, 2), -1, np.int64)

    def add(self, ix: np.ndarray, iy: np.ndarray, counts: np.ndarray, label: np.ndarray) -> None:
        """Add overlaps (pixel, (1 + degree, n) DN/s, source label) to the frame (the flat
        row) and to the cut-outs."""
        flat = iy.astype(np.int64) * self.shape[1] + ix
        self.frame += np.bincount(flat, weights=counts[0], minlength=self.frame.size)
        k = self.slot[label]
        mine = k >= 0
        k, ix, iy = k[mine], ix[mine], iy[mine]
        for own, row in zip(self.own, counts[:, mine], strict=True):
            _own_light(own, self.base, self.boxes, k, ix, iy, row)
        if self.whole is not None:
            self.whole.add(k * self.frame.size + flat[mine], counts[:, mine])
        np.minimum.at(self.lo, k, np.stack([ix, iy], axis=1))
        np.maximum.at(self.hi, k, np.stack([ix, iy], axis=1))

    def result(self) -> OrderLight:
        """The summed light as an :class:`OrderLight`."""
        b, lo, hi = self.boxes, self.lo, self.hi
        overlaps = (
            (hi[:, 0] >= b.xstart) & (lo[:, 0] < b.xstart + b.xsize)
            & (hi[:, 1] >= b.ystart) & (lo[:, 1] < b.ystart + b.ysize)
        )  # fmt: skip
        cuts = [
            self.own[:, self.base[i] : self.base[i + 1]].reshape(-1, b.ysize[i], b.xsize[i])
            for i in range(b.label.size)
        ]
        whole = [] if self.whole is None else self.whole.split(b.label.size, self.frame.size)
        return OrderLight(self.frame.reshape(self.shape), cuts, overlaps, whole)


class _Sparse:
    """Rows of values at integer keys, summed over repeated keys (each block reduced)."""

    def __init__(self) -> None:
        self.keys: list[np.ndarray] = []
        self.values: list[np.ndarray] = []

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Add ``values`` (m, n) at ``keys`` (n)."""
        unique, summed = _reduce(keys, values)
        self.keys.append(unique)
        self.values.append(summed)

    def split(self, n: int, size: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per slot ``0 .. n - 1`` (key // ``size``): (key % ``size``, values)."""
        if not self.keys:
            return [(np.zeros(0, np.int64), np.zeros((1, 0))) for _ in range(n)]
        keys, values = _reduce(np.concatenate(self.keys), np.hstack(self.values))
        edges = np.searchsorted(keys, np.arange(n + 1) * size)
        return [
            (keys[a:b] % size, values[:, a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)
        ]


def _reduce(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct ``keys`` and the ``values`` rows summed over each."""
    unique, inverse = np.unique(keys, return_inverse=True)
    summed = np.stack([np.bincount(inverse, weights=v, minlength=unique.size) for v in values])
    return unique, summed


def _own_light(
    own: np.ndarray,
    base: np.ndarray,
    boxes: Boxes,
    k: np.ndarray,
    ix: np.ndarray,
    iy: np.ndarray,
    counts: np.ndarray,
) -> None:
    """Add each overlap's DN/s to its own source's cut-out (where inside it), in place."""
    dx = ix - boxes.xstart[k]
    dy = iy - boxes.ystart[k]
    inside = (dx >= 0) & (dx < boxes.xsize[k]) & (dy >= 0) & (dy < boxes.ysize[k])
    k, dx, dy = k[inside], dx[inside], dy[inside]
    offset = base[k] + dy * boxes.xsize[k] + dx
    own += np.bincount(offset, weights=counts[inside], minlength=own.size)
