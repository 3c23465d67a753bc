"""The spectral fit of wfss_contam (``polyfit_degree``, jwst 3.0.0's rules).

The forward model gives every source a flat spectrum (its direct-image
brightness at every wavelength).  With ``polyfit_degree = d`` each source is
also dispersed with its flux times the Legendre polynomials ``P_1 ... P_d`` of
the wavelength mapped from the order's range onto [-1, 1]
(:func:`legendre`).  Each cut-out's own light is then fitted to its
observed pixels less the other sources' simulated light
(:func:`fit_shape`: inverse-variance least squares, an L2 term, fits whose
flat coefficient strays from 1 rejected), brightest source first, and the
fitted image (the same combination of the source's whole dispersed images)
replaces the flat one in the simulated frame at once, so fainter sources
see it (:func:`refine`).  ``n_iterations`` passes; each pass fits the
previous pass's shape again (the new coefficients multiply it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["FitCut", "fit_shape", "legendre", "refine"]

log = logging.getLogger(__name__)


def legendre(wavelength: np.ndarray, degree: int, wmin: float, wmax: float) -> np.ndarray:
    """``P_1 ... P_degree`` of ``wavelength`` (µm) mapped from [wmin, wmax] onto [-1, 1].

    Returns
    -------
    (degree, n) array (dimensionless).
    """
    x = 2.0 * (np.asarray(wavelength, np.float64) - wmin) / (wmax - wmin) - 1.0
    terms = [np.ones_like(x), x]
    for k in range(1, degree):  # Bonnet: (k + 1) P_{k+1} = (2k + 1) x P_k - k P_{k-1}
        terms.append(((2 * k + 1) * x * terms[k] - k * terms[k - 1]) / (k + 1))
    return np.stack(terms[1 : degree + 1]) if degree else np.zeros((0, x.size))


def fit_shape(
    data: np.ndarray,
    err: np.ndarray | None,
    dq: np.ndarray | None,
    basis: Sequence[np.ndarray],
    *,
    l2_alpha: float = 0.0,
    rejection_threshold: float | None = 0.1,
) -> np.ndarray | None:
    """The coefficients of ``basis`` that best match ``data`` (jwst's ``fit_slit_by_basis_images``).

    Parameters
    ----------
    data : (ny, nx) observed DN/s (the cut-out less the other sources' simulated light).
    err : its uncertainty (DN/s; weights ``1 / err**2``, in ``err``'s precision; None: 1).
    dq : its data quality (pixels with bit 1, DO_NOT_USE, left out; None: all used).
    basis : the flat-spectrum image first, then one image per Legendre term (DN/s).
    l2_alpha : added to the diagonal of the weighted normal equations (0: plain least squares).
    rejection_threshold : no fit when the flat coefficient differs from 1 by more (None: never).

    Returns
    -------
    The coefficients (one per basis image), or None: too few usable pixels, no
    usable error, or the fit rejected.
    """
    use = np.isfinite(data) & np.isfinite(basis[0]) & (basis[0] != 0)
    if dq is not None:
        use &= (np.asarray(dq) & 1) == 0
    if int(use.sum()) < len(basis):
        log.debug("wfss_contam: %d usable pixel(s) for %d terms; no fit", use.sum(), len(basis))
        return None
    weight = np.ones(int(use.sum()))
    if err is not None:
        good = np.isfinite(err) & (err > 0)
        if not np.any(good & use):
            log.debug("wfss_contam: no usable pixel with a positive error; no fit")
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = np.sqrt(np.where(good, 1.0 / err**2, 0.0))[use]
    design = np.column_stack([b[use] for b in basis]) * weight[:, None]
    target = data[use] * weight
    if l2_alpha == 0.0:
        coeffs = np.linalg.lstsq(design, target, rcond=None)[0]
    else:
        normal = design.T @ design + l2_alpha * np.eye(len(basis))
        coeffs = np.linalg.solve(normal, design.T @ target)
    if rejection_threshold is not None and abs(coeffs[0] - 1) > rejection_threshold:
        log.debug("wfss_contam: flat coefficient %.3g far from 1; fit rejected", coeffs[0])
        return None
    return np.asarray(coeffs, np.float64)


@dataclass(frozen=True)
class FitCut:
    """One cut-out whose source reaches it, with what its fit needs.

    Attributes
    ----------
    box : (ystart, xstart, ysize, xsize) on the full frame (0-based pixels).
    own : (1 + degree, ysize, xsize) its source's light inside it (DN/s): flat, then
        each Legendre term.
    whole : its source's whole dispersed images, (flat frame pixel index,
        (1 + degree, n) DN/s).
    sci, err, dq : the observed cut-out (DN/s; err and dq may be None).
    """

    box: tuple[int, int, int, int]
    own: np.ndarray
    whole: tuple[np.ndarray, np.ndarray]
    sci: np.ndarray
    err: np.ndarray | None
    dq: np.ndarray | None


def refine(
    frame: np.ndarray,
    cuts: Sequence[FitCut],
    *,
    n_iterations: int = 1,
    l2_alpha: float = 0.1,
    rejection_threshold: float | None = 0.1,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Fit every cut-out's spectral shape and put the fits into the simulated frame.

    Parameters
    ----------
    frame : (ny, nx) flat-spectrum simulated DN/s of every source and order.
    cuts : the cut-outs to fit.
    n_iterations : passes over all cut-outs (stops early after a pass with no fit).
    l2_alpha, rejection_threshold : see :func:`fit_shape`.

    Returns
    -------
    The simulated frame with the fitted shapes, and each cut-out's own fitted light
    (ysize, xsize) DN/s (flat where its fits failed).
    """
    frame = np.array(frame, np.float64)
    flat = frame.reshape(-1)
    coef = [np.eye(c.own.shape[0])[0] for c in cuts]
    bright = [float(np.nansum(c.own[0])) for c in cuts]
    order = sorted(range(len(cuts)), key=lambda i: -bright[i])
    for it in range(n_iterations):
        done = 0
        for i in order:
            c = cuts[i]
            y0, x0, h, w = c.box
            mine = np.tensordot(coef[i], c.own, axes=1)
            data = (c.sci - (frame[y0 : y0 + h, x0 : x0 + w] - mine)).astype(c.sci.dtype)
            got = fit_shape(data, c.err, c.dq, [mine, *c.own[1:]], l2_alpha=l2_alpha,
                            rejection_threshold=rejection_threshold)  # fmt: skip
            if got is None:
                continue
            new = got[0] * coef[i] + np.concatenate([[0.0], got[1:]])
            flat[c.whole[0]] += (new - coef[i]) @ c.whole[1]
            coef[i] = new
            done += 1
        log.info("wfss_contam: pass %d: spectral fit of %d of %d cut-out(s)", it + 1, done,
                 len(cuts))  # fmt: skip
        if done == 0:
            log.warning("wfss_contam: no spectral fit succeeded; stopping (is the background "
                        "subtracted? a lower polyfit_degree or larger l2_alpha may help)")  # fmt: skip
            break
    return frame, [np.tensordot(a, c.own, axes=1) for a, c in zip(coef, cuts, strict=True)]
