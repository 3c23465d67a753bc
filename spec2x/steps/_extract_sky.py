"""RA/Dec of each spectrum's aperture centre (extract_1d; jwst's ``define_aperture``).

jwst evaluates each slit's WCS at the profile-weighted centre of its aperture,
one call per slit.  WFSS cut-outs made by extract_2d
(:func:`spec2x.steps._extract_2d_grism.cutout_wcs`) share the exposure's grism
WCS after their own first step (``grism_slit``: a shift to the cut-out's corner,
the source position and order fixed).  The grism dispersion step hands the
source's direct-image position on unchanged (NIRCam) or as a constant of it
(NIRISS), and the imaging steps after it (distortion, V2/V3, sky) turn that
position into RA/Dec; so every cut-out of an exposure goes through those
imaging steps in one call, the source position and order taken from each
cut-out's own first transform: per element the same arithmetic as one call
per cut-out (thousands of cut-outs: milliseconds instead of a millisecond
each; equal to the per-cut-out calls to one float64 ulp, where NumPy's
vectorised trigonometry rounds the last bit differently).  The first cut-out is also evaluated alone and must agree to 1e-13,
else every cut-out is evaluated alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._kernels import extract_1d as _k
from ..wcs.cutout import CutoutWcs
from ..wcs.store import StoredWcs, wcs_object

__all__ = ["sky_positions"]

#: The first frame of a WFSS cut-out's WCS (extract_2d's).
GRISM_SLIT = "grism_slit"
#: Relative agreement of the shared call with a cut-out's own (a few float64 ulp: NumPy's
#: vectorised trigonometry may round the last bit differently from a one-element call).
_AGREE = 1e-13


def sky_positions(setups: Sequence[dict[str, Any]], wcs_list: Sequence[Any]) -> None:
    """Set ``ra`` and ``dec`` (deg; NaN without a WCS or off it) of every setup in place.

    Parameters
    ----------
    setups : extract_1d's per-spectrum setups, each with its ``profile`` (y, x).
    wcs_list : each spectrum's gwcs or stored WCS (or None), in the same order; a cut-out
        kept as its numbers (:class:`spec2x.wcs.cutout.CutoutWcs`) is never made a gwcs
        unless the shared call disagrees with it.
    """
    shared: dict[int, list[tuple[int, _Cutout]]] = {}
    for i, (setup, wcs) in enumerate(zip(setups, wcs_list, strict=True)):
        setup["ra"] = setup["dec"] = np.nan
        if wcs is None:
            continue
        cut = _cutout(wcs)
        if cut is None:
            _set(setup, *_one(wcs, _centre(setup)))
        else:
            shared.setdefault(cut[0], []).append((i, cut))
    for members in shared.values():
        if len(members) == 1:  # a WCS of its own (read from a file): one call, as the others
            i = members[0][0]
            _set(setups[i], *_one(wcs_list[i], _centre(setups[i])))
        else:
            _grism_cutouts(
                [setups[i] for i, _ in members],
                [wcs_list[i] for i, _ in members],
                [cut for _, cut in members],
            )


#: A cut-out's WCS: (id of its exposure's first grism transform, the exposure's steps after
#: it, (x, y) direct-image source position and order, (xlo, xhi, ylo, yhi) bounding box).
_Cutout = tuple[int, list[Any], tuple[float, float, float], tuple[float, float, float, float]]


def _cutout(value: Any) -> _Cutout | None:
    """A WFSS cut-out's WCS (kept as its numbers, or a gwcs of one) as :data:`_Cutout`;
    None for any other WCS."""
    if isinstance(value, CutoutWcs):
        _, _, xc, yc, order, ny, nx = value.numbers
        steps = value.parent.wcs.pipeline
        box = (-0.5, nx - 0.5, -0.5, ny - 0.5)
        return id(steps[0].transform), steps[1:], (xc, yc, float(order)), box
    wcs = _gwcs(value)
    first = wcs.pipeline[0]
    if not (
        first.frame.name == GRISM_SLIT
        and len(wcs.pipeline) > 2
        and first.transform.parameters.size == 5
    ):
        return None
    _, _, xc, yc, order = first.transform.parameters  # Mapping | Shift & Shift & Const * 3
    (xlo, xhi), (ylo, yhi) = first.transform.bounding_box.bounding_box(order="F")
    steps = wcs.pipeline
    return id(steps[1].transform), steps[2:], (xc, yc, order), (xlo, xhi, ylo, yhi)


def _gwcs(value: Any) -> Any:
    """The gwcs of a gwcs or a stored WCS."""
    return wcs_object(value) if isinstance(value, StoredWcs | str) else value


def _centre(setup: dict[str, Any]) -> tuple[float, float]:
    """(x, y) profile-weighted centre of the aperture (pixels of the slit)."""
    cy, cx = _k.aperture_center(setup["profile"].astype(np.float64, copy=False), 1)
    return float(cx), float(cy)


def _one(wcs: Any, centre: tuple[float, float]) -> tuple[float, float]:
    world = _gwcs(wcs)(*centre)
    return float(world[0]), float(world[1])


def _set(setup: dict[str, Any], ra: float, dec: float) -> None:
    if not (np.isnan(ra) or np.isnan(dec)):
        setup["ra"], setup["dec"] = ra, dec


def _grism_cutouts(setups: list[dict[str, Any]], wcs_list: list[Any], cuts: list[_Cutout]) -> None:
    """Cut-outs of one grism WCS: their sources through its imaging steps in one call."""
    import gwcs

    n = len(setups)
    inputs = np.zeros((4, n))  # x0, y0 (direct image), wavelength (not used for RA/Dec), order
    inside = np.ones(n, dtype=bool)
    centres = [_centre(setup) for setup in setups]
    for k, ((x, y), (_, _, source, box)) in enumerate(zip(centres, cuts, strict=True)):
        inputs[0, k], inputs[1, k], inputs[3, k] = source
        xlo, xhi, ylo, yhi = box
        inside[k] = xlo <= x <= xhi and ylo <= y <= yhi and np.isfinite(x + y)
    imaging = gwcs.WCS([(s.frame, s.transform) for s in cuts[0][1]])
    world = imaging.forward_transform(*inputs)
    ra = np.where(inside, world[0], np.nan)
    dec = np.where(inside, world[1], np.nan)
    alone = _one(wcs_list[0], centres[0])
    if not np.allclose([ra[0], dec[0]], alone, rtol=_AGREE, atol=0.0, equal_nan=True):
        ra, dec = np.transpose([_one(w, c) for w, c in zip(wcs_list, centres, strict=True)])
    for k, setup in enumerate(setups):
        _set(setup, float(ra[k]), float(dec[k]))
