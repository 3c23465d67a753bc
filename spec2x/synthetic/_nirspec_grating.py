"""Design of the synthetic NIRSpec gratings (G140M, G395M) on the real CV3 optics.

A grating is defined by its groove density and its tilt on the wheel.  The
groove density follows from the nominal dispersion (m per pixel): one pixel
is a known step in outgoing direction cosine at the camera, and the grating
equation ``sin a_in + sin a_out = -m g lambda`` turns it into ``g``.  The tilt
``tilt_y`` is then solved so that the band centre, seen through S200A1, lands
on the middle of NRS1.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from scipy.optimize import brentq

from ..instruments.nirspec import wcs as nm
from ..io.references import open_reference
from .nirspec_refs import _TEMPLATES, FIXED_SLIT_GEOMETRY, GRATINGS, TEMPLATE_DIR, THETA

__all__ = ["solve_grating"]

_TARGET_X = 1023.5  # SCA pixel (0-based) of the band centre on NRS1


def _optics() -> dict[str, Any]:
    return {k: open_reference(TEMPLATE_DIR / v, k) for k, v in _TEMPLATES.items()}


def _centre_pixel(refs: dict[str, Any], disp: dict[str, Any], order: int, lam: float) -> float:
    """SCA x of the S200A1 centre at wavelength ``lam`` (m) for a grating ``disp``."""
    _, xc, yc, _, _ = FIXED_SLIT_GEOMETRY["S200A1"]
    col2gwa = nm.collimator_to_gwa(refs["collimator"], disp)
    alpha, beta, gamma = col2gwa(xc, yc)
    agreq = nm.angle_from_disperser(disp, "G", order, None)
    out = agreq(lam, alpha, beta, gamma)
    det2gwa = nm.detector_to_gwa(refs["fpa"], refs["camera"], "NRS1", disp)
    return float(det2gwa.inverse(*out)[0])


@lru_cache(maxsize=4)
def solve_grating(grating: str) -> dict[str, float]:
    """Groove density (1/m), tilt_y (deg) and alignment angles of a synthetic grating."""
    spec = GRATINGS[grating.upper()]
    refs = _optics()
    order = int(spec["order"])
    lam_c = 0.5 * (spec["range"][0] + spec["range"][1])
    base = {**THETA, "tilt_y": 0.0}
    # one pixel of the camera in outgoing direction cosine (independent of the tilt)
    det2gwa = nm.detector_to_gwa(refs["fpa"], refs["camera"], "NRS1", base)
    a0 = det2gwa(1023.0, 1023.0)[0]
    a1 = det2gwa(1024.0, 1023.0)[0]
    groovedensity = abs(float(a1 - a0)) / float(spec["dispersion"])

    def offset(tilt: float) -> float:
        disp = {**base, "tilt_y": tilt, "groovedensity": groovedensity}
        x = _centre_pixel(refs, disp, order, lam_c)
        return x - _TARGET_X if np.isfinite(x) else np.nan

    tilts = np.linspace(-10.0, 10.0, 21)
    values = np.array([offset(t) for t in tilts])
    sign_change = np.nonzero(
        np.isfinite(values[:-1])
        & np.isfinite(values[1:])
        & (np.sign(values[:-1]) != np.sign(values[1:]))
    )[0]
    if sign_change.size == 0:
        raise RuntimeError(f"no grating tilt puts {grating} on NRS1")
    i = sign_change[np.argmin(np.abs(tilts[sign_change]))]
    tilt = brentq(offset, tilts[i], tilts[i + 1], xtol=1e-12)
    return {"groovedensity": groovedensity, "tilt_y": float(tilt), **THETA}
