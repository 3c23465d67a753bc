"""A current-format MIRI MRS ``regions`` reference, synthesised from a real ``distortion``.

jwst 3.0 reads ``regions`` as a stack of nine slice-label maps, one per
throughput threshold (10 % ... 90 %; the WCS uses the 80 % plane).  The only
real regions file at hand is an older single 2-D ground map, so
:func:`write_mrs_regions` makes the stack from a distortion file: a pixel
belongs to slice ``s`` (label ``100 * channel + slice``) when the slice's
alpha polynomial puts it inside the slice's along-slice extent and it lies
within one slice pitch of the slice's centre trace (``x_model`` at alpha =
0), so that a polynomial's extrapolation far from its slice claims nothing.

The along-slice half-extent of the 10 % plane is :data:`HALF_LENGTH` (arcsec
by channel, the extents of the real ground map for channels 3 and 4, scaled
by the field of view for channels 1 and 2); a plane of threshold ``t``
keeps ``1 - 0.15 (t - 0.1) / 0.8`` of it.  Synthetic, but the layout, labels
and dtype are the CRDS files'.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..instruments.miri.mrs_refs import REGIONS_THROUGHPUTS, MrsDistortion, mrs_reference
from .base import asdf_meta
from .miri_lrs_refs import _write_asdf

__all__ = ["HALF_LENGTH", "mrs_regions_planes", "write_mrs_regions"]

#: Along-slice half-extent (arcsec) of the 10 % throughput plane, by channel.
HALF_LENGTH = {1: 2.15, 2: 2.70, 3: 3.50, 4: 4.50}
_SHAPE = (1024, 1032)
#: Channels share the detector half and half: the slice pitch is 516 px / slices.
_HALF_DETECTOR = _SHAPE[1] / 2


def _centre_trace(dist: MrsDistortion, i: int, rows: np.ndarray) -> np.ndarray:
    """x of alpha = 0 at each row (the slice's centre), from its x/y models over 3-30 µm."""
    lam = np.linspace(3.0, 30.0, 4000)
    xs = dist.x[i](lam, np.zeros_like(lam))
    ys = dist.y[i](lam, np.zeros_like(lam))
    on = (ys > -50) & (ys < _SHAPE[0] + 50) & np.isfinite(xs)
    order = np.argsort(ys[on])
    return np.interp(rows, ys[on][order], xs[on][order])


def mrs_regions_planes(dist: MrsDistortion) -> np.ndarray:
    """(9, 1024, 1032) int16 slice labels by throughput plane, from an MRS distortion."""
    y, x = np.indices(_SHAPE, dtype=np.float64)
    planes = np.zeros((len(REGIONS_THROUGHPUTS), *_SHAPE), np.int16)
    best = np.full((len(REGIONS_THROUGHPUTS), *_SHAPE), np.inf)
    for i, label in enumerate(dist.slices):
        channel = label // 100
        nslices = sum(s // 100 == channel for s in dist.slices)
        centre = _centre_trace(dist, i, y[:, 0])[:, None]
        near = np.abs(x - centre) < _HALF_DETECTOR / nslices
        alpha = np.full(_SHAPE, np.inf)
        alpha[near] = np.abs(dist.alpha[i](y[near], x[near]))
        for k, t in enumerate(REGIONS_THROUGHPUTS):
            half = HALF_LENGTH[channel] * (1 - 0.15 * (t - 0.1) / 0.8)
            mine = (alpha <= half) & (alpha < best[k])
            planes[k][mine] = label
            best[k][mine] = alpha[mine]
    return planes


def write_mrs_regions(
    path: str | os.PathLike[str], distortion: Any, *, pedigree: str = "DUMMY"
) -> Path:
    """Write a current-format ``regions`` file (RegionsModel, 9 planes) for a distortion's band.

    Parameters
    ----------
    path : the ASDF file to write.
    distortion : an MRS ``distortion`` reference (opened or a path); its
        DETECTOR, CHANNEL and BAND become the file's selectors.
    pedigree : the PEDIGREE of the new file.
    """
    from ..io.references import Reference, open_reference

    ref = distortion if isinstance(distortion, Reference) else open_reference(distortion)
    dist = mrs_reference(ref, "distortion", MrsDistortion)
    meta = asdf_meta(
        "regions",
        "MIRI",
        detector=ref.header.get("DETECTOR"),
        channel=ref.header.get("CHANNEL"),
        band=ref.header.get("BAND"),
        exp_type="MIR_MRS",
        pedigree=pedigree,
        model_type="RegionsModel",
        description=f"synthetic MRS regions (9 throughput planes) from {ref.name}",
    )
    return _write_asdf(path, {"meta": meta, "regions": mrs_regions_planes(dist)})
