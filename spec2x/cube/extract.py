"""1-D spectra from IFU cubes, as jwst 3.0.0's ``extract_1d`` extracts a cube (``extract_1d.ifu``).

Shared by the IFU modes (MIRI MRS, NIRSpec IFU).  Per wavelength plane:

- point source: a circle about the source (the spaxel nearest the target's
  RA/Dec, or a given centre) whose radius grows with wavelength (the
  ``extract1d`` reference's ``radius`` in arcsec, interpolated and turned into
  spaxels), the background from the annulus ``inner_bkg`` ... ``outer_bkg``
  after sigma clipping the plane, scaled by the ratio of the covered areas;
- extended source: the whole plane; the sigma-clipped plane is the ``background``
  column (nothing is subtracted).

Sums use photutils' aperture masks (``exact`` overlap, or ``subpixel``),
one mask per plane applied to every array at once; spaxels no pixel reached
(weight map 0) and non-finite values count as masked, as photutils masks them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.stats import sigma_clipped_stats
from photutils.aperture import CircularAnnulus, CircularAperture, RectangularAperture

from ..dq import DQ

__all__ = ["IfuExtractPars", "PlaneSums", "extract_planes"]

_VARIANCES = ("var_poisson", "var_rnoise", "var_flat")


@dataclass(frozen=True)
class IfuExtractPars:
    """What the extraction of one cube needs, in spaxels.

    Attributes
    ----------
    radius, inner_bkg, outer_bkg : (nwave,) aperture radius and annulus radii
        (spaxels) per plane (point sources; ignored for extended ones).
    subtract_background : subtract the annulus background (point sources).
    bkg_sigma_clip : the sigma of the background clipping.
    method, subpixels : photutils' overlap method (``exact``, ``center``,
        ``subpixel``) and its subsampling.
    """

    radius: np.ndarray
    inner_bkg: np.ndarray
    outer_bkg: np.ndarray
    subtract_background: bool
    bkg_sigma_clip: float = 3.0
    method: str = "exact"
    subpixels: int = 10


@dataclass(frozen=True)
class PlaneSums:
    """Per-plane sums of an extraction (surface-brightness units times spaxels).

    ``flux`` is background-subtracted; ``background`` is the annulus (point)
    or clipped plane (extended) sum; ``npixels`` and ``npixels_bkg`` the
    covered areas; variances keyed ``flux_var_poisson`` ... ``bkg_var_flat``.
    """

    flux: np.ndarray
    background: np.ndarray
    npixels: np.ndarray
    npixels_bkg: np.ndarray
    variances: dict[str, np.ndarray]
    dq: np.ndarray


def _weights(aperture: Any, shape: tuple[int, int], pars: IfuExtractPars) -> np.ndarray:
    mask = aperture.to_mask(method=pars.method, subpixels=pars.subpixels)
    return np.asarray(mask.to_image(shape, dtype=np.float64), np.float64)


def _sum(weights: np.ndarray, values: np.ndarray, masked: np.ndarray) -> float:
    """photutils' aperture sum: masked and non-finite values count as 0."""
    use = ~masked & np.isfinite(values)
    return float(np.sum(weights[use] * values[use]))


def _clip_mask(plane: np.ndarray, covered: np.ndarray, empty: np.ndarray, sigma: float) -> Any:
    """Spaxels outside the sigma-clipped range of the covered ones, or not covered; None
    when no spaxel is covered (jwst then does not clip)."""
    values = plane[covered]
    if values.size == 0:
        return None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Input data contains invalid values")
        mean, _, std = sigma_clipped_stats(values, sigma=sigma, maxiters=5)
    with np.errstate(invalid="ignore"):
        return (plane < mean - sigma * std) | (plane > mean + sigma * std) | empty


def extract_planes(
    sci: np.ndarray,
    variances: dict[str, np.ndarray],
    weightmap: np.ndarray,
    *,
    point: bool,
    centre: tuple[float, float],
    pars: IfuExtractPars,
) -> PlaneSums:
    """Aperture sums of every plane of a cube.

    Parameters
    ----------
    sci : (nwave, ny, nx) surface brightness.
    variances : ``var_poisson``, ``var_rnoise``, ``var_flat`` arrays of ``sci``'s shape.
    weightmap : (nwave, ny, nx) pixels per spaxel (0: not covered).
    point : a point source (circle and annulus) or extended (the whole plane).
    centre : (x, y) of the aperture (spaxels; point sources).
    pars : the extraction parameters.
    """
    nwave, ny, nx = sci.shape
    out = {k: np.zeros(nwave) for k in ("flux", "background", "npixels", "npixels_bkg")}
    var = {f"{p}_{v}": np.zeros(nwave) for p in ("flux", "bkg") for v in _VARIANCES}
    dq = np.zeros(nwave, np.uint32)
    whole = RectangularAperture(((nx - 1) / 2.0, (ny - 1) / 2.0), float(nx), float(ny), theta=0.0)
    whole_w = _weights(whole, (ny, nx), pars)
    for k in range(nwave):
        covered = np.minimum(weightmap[k], 1.0)
        empty = covered == 0
        aperture = CircularAperture(centre, r=pars.radius[k]) if point else whole
        w = _weights(aperture, (ny, nx), pars) if point else whole_w
        area = _sum(w, covered, empty)
        if area == 0:
            dq[k] = int(DQ.DO_NOT_USE)
            area = float(aperture.area)
        out["npixels"][k] = area
        out["flux"][k] = _sum(w, sci[k], empty)
        for v in _VARIANCES:
            var[f"flux_{v}"][k] = _sum(w, variances[v][k], empty)
        if point:
            _annulus(k, sci[k], variances, covered, empty, centre, pars, area, out, var)
        else:
            _extended_background(k, sci[k], variances, covered, empty, w, pars, out, var)
    return PlaneSums(
        out["flux"], out["background"], out["npixels"], out["npixels_bkg"], var, dq
    )  # fmt: skip


def _annulus(
    k: int,
    plane: np.ndarray,
    variances: dict[str, np.ndarray],
    covered: np.ndarray,
    empty: np.ndarray,
    centre: tuple[float, float],
    pars: IfuExtractPars,
    area: float,
    out: dict[str, np.ndarray],
    var: dict[str, np.ndarray],
) -> None:
    """The point source's annulus background of plane ``k``, subtracted from its flux."""
    inner, outer = float(pars.inner_bkg[k]), float(pars.outer_bkg[k])
    if not pars.subtract_background or inner <= 0.0 or outer <= 0.0 or inner >= outer:
        return
    annulus = CircularAnnulus(centre, r_in=inner, r_out=outer)
    w = _weights(annulus, plane.shape, pars)
    annulus_area = _sum(w, covered, empty)
    if annulus_area == 0 and annulus.area > 0:
        annulus_area = float(annulus.area)
    out["npixels_bkg"][k] = annulus_area
    if annulus_area <= 0.0:
        return
    norm = area / annulus_area
    clip = _clip_mask(plane, covered == 1, empty, pars.bkg_sigma_clip)
    out["background"][k] = _sum(w, plane, empty if clip is None else clip)
    out["flux"][k] -= out["background"][k] * norm
    for v in _VARIANCES:
        var[f"bkg_{v}"][k] = _sum(w, variances[v][k], empty)
        var[f"flux_{v}"][k] += var[f"bkg_{v}"][k] * norm * norm


def _extended_background(
    k: int,
    plane: np.ndarray,
    variances: dict[str, np.ndarray],
    covered: np.ndarray,
    empty: np.ndarray,
    w: np.ndarray,
    pars: IfuExtractPars,
    out: dict[str, np.ndarray],
    var: dict[str, np.ndarray],
) -> None:
    """The sigma-clipped plane of an extended source (reported, not subtracted)."""
    clip = _clip_mask(plane, covered == 1, empty, pars.bkg_sigma_clip)
    if clip is None:
        return
    out["background"][k] = _sum(w, plane, clip)
    out["npixels_bkg"][k] = _sum(w, covered, clip)
    for v in _VARIANCES:
        var[f"bkg_{v}"][k] = _sum(w, variances[v][k], clip)
