"""The synthetic MIRI LRS optics as numbers (:class:`LrsOptics`), for its references and exposures.

The model (:class:`LrsOptics`) is chosen to look like the real instrument:
the trace and dispersion follow the in-flight specwcs tables (knots of
``y(λ)`` taken from jwst_miri_specwcs_0005/0006, 4–14 µm), 0.11" pixels, a
diffraction-limited cross-dispersion profile, a 0.51" slit, a response that
peaks near 7.5 µm, a telescope background rising steeply with wavelength.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from astropy.modeling import fitting, models
from scipy.interpolate import PchipInterpolator
from scipy.special import erf

from .pixel_refs import A2_TO_SR

__all__ = ["KNOT_ROW", "LRS_OPTICS", "LrsOptics"]

#: Wavelength knots (µm) and the trace row offsets (pixels from the reference
#: point) where the in-flight tables put them (0005: slit, 0006: slitless).
_KNOT_WAVELENGTH = np.array(
    [4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0]
)
KNOT_ROW = {
    "MIR_LRS-FIXEDSLIT": np.array(
        [
            88.99,
            84.64,
            78.69,
            71.22,
            62.2,
            51.71,
            39.63,
            11.36,
            -22.85,
            -62.97,
            -109.47,
            -162.75,
            -223.22,
            -291.53,
        ]
    ),
    "MIR_LRS-SLITLESS": np.array(
        [
            93.4,
            91.0,
            85.9,
            78.8,
            70.0,
            59.6,
            47.7,
            19.4,
            -15.1,
            -56.0,
            -103.8,
            -159.0,
            -222.0,
            -293.0,
        ]
    ),
}
#: Trace tilt: x_center = c0 + c1 y + c2 y^2 (pixels), from the in-flight tables.
_TRACE_TILT = {
    "MIR_LRS-FIXEDSLIT": (-4.2336e-05, 3.0499960e-03, -1.05640e-05),
    "MIR_LRS-SLITLESS": (2.3137e-05, 1.9534097e-03, -6.702786e-06),
}


@dataclass(frozen=True)
class LrsOptics:
    """Numbers of the synthetic MIRI LRS.

    Attributes
    ----------
    slit_ref, slitless_ref : 1-based full-frame reference pixels (IMX, IMY; IMXSLTL, IMYSLTL).
    pixel_scale : arcsec per pixel.
    slit_width, slit_length : arcsec.
    photmjsr : (MJy/sr) per (DN/s) at the response peak.
    v2v3_centre : V2, V3 (arcsec) of full-frame pixel (516, 512) (0-based).
    jacobian : d(V2, V3)/d(x, y) arcsec per pixel (rows V2, V3; columns x, y).
    """

    slit_ref: tuple[float, float] = (326.13, 300.7)
    slitless_ref: tuple[float, float] = (38.5, 829.0)
    pixel_scale: float = 0.11
    slit_width: float = 0.51
    slit_length: float = 4.7
    photmjsr: float = 40.0
    v2v3_centre: tuple[float, float] = (-433.9076, -375.1776)
    jacobian: tuple[tuple[float, float], tuple[float, float]] = (
        (-0.11008, 0.00939),
        (0.00900, 0.11095),
    )

    @property
    def pixar_a2(self) -> float:
        """Nominal pixel area, arcsec^2."""
        return self.pixel_scale**2

    @property
    def pixar_sr(self) -> float:
        """Nominal pixel area, sr."""
        return self.pixar_a2 * A2_TO_SR

    def psf_sigma(self, wavelength: Any) -> np.ndarray:
        """Gaussian sigma (pixels) of the cross-dispersion profile: diffraction (FWHM 1.03 λ/D) and jitter."""
        fwhm_arcsec = 1.03 * np.asarray(wavelength) * 1e-6 / 6.5 * 206264.806
        return np.hypot(fwhm_arcsec / 2.3548 / self.pixel_scale, 0.5)

    def relresponse(self, wavelength: Any) -> np.ndarray:
        """Relative conversion (1 at 7.5 µm): inverse of the relative throughput."""
        wl = np.asarray(wavelength, dtype=np.float64)
        throughput = 0.25 + 0.75 * np.exp(-0.5 * ((wl - 7.5) / 3.0) ** 2)
        return 1.0 / throughput

    def background(self, wavelength: Any) -> np.ndarray:
        """Sky + telescope background, MJy/sr."""
        wl = np.asarray(wavelength, dtype=np.float64)
        return 8.0 + 25.0 * (wl / 10.0) ** 4

    def slit_throughput(self, wavelength: Any, offset_px: Any = 0.0) -> np.ndarray:
        """Fraction of a point source's light passing the slit, centred ``offset_px`` across it."""
        sigma = self.psf_sigma(wavelength) * self.pixel_scale * np.sqrt(2.0)
        half = self.slit_width / 2
        d = np.asarray(offset_px) * self.pixel_scale
        return 0.5 * (erf((half - d) / sigma) + erf((half + d) / sigma))

    def wavetable(self, exp_type: str) -> dict[str, np.ndarray]:
        """The WAVETABLE columns: one row per pixel row of the trace, blue (top) first."""
        rows = KNOT_ROW[exp_type]
        wave_of_row = PchipInterpolator(rows[::-1], _KNOT_WAVELENGTH[::-1])
        y = np.arange(np.floor(rows[0]), np.ceil(rows[-1]) - 1, -1.0)
        wavelength = wave_of_row(y)
        c0, c1, c2 = _TRACE_TILT[exp_type]
        xc = c0 + c1 * y + c2 * y**2
        half = 20.0
        return {
            "x_center": xc,
            "y_center": y,
            "wavelength": wavelength,
            "x0": xc - half,
            "y0": y + 0.5,
            "x1": xc + half,
            "y1": y + 0.5,
            "x2": xc + half,
            "y2": y - 0.5,
            "x3": xc - half,
            "y3": y - 0.5,
        }

    def distortion(self) -> models.Model:
        """Full-frame 0-based pixel -> (V2, V3) arcsec, with a fitted inverse.

        A linear map (plate scale, rotation, skew) plus a weak quadratic term,
        about full-frame pixel (516, 512).
        """
        return _distortion(self).copy()

    def v2v3(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """(V2, V3) arcsec of full-frame 0-based pixels."""
        return _distortion(self)(x, y)


@lru_cache(maxsize=4)
def _distortion(self: LrsOptics) -> models.Model:
    (a, b), (c, d) = self.jacobian
    q = 2.0e-7  # arcsec / pixel^2: ~0.05" at the frame edges
    v2 = models.Polynomial2D(
        2, c0_0=self.v2v3_centre[0], c1_0=a, c0_1=b, c2_0=q, c1_1=-q, c0_2=q / 2
    )
    v3 = models.Polynomial2D(
        2, c0_0=self.v2v3_centre[1], c1_0=c, c0_1=d, c2_0=-q / 2, c1_1=q, c0_2=q
    )
    centre = models.Shift(-516.0) & models.Shift(-512.0)
    forward = centre | models.Mapping((0, 1, 0, 1)) | v2 & v3
    # Inverse: polynomials of degree 4 in (V2, V3) about the centre, fitted on a grid.
    yy, xx = np.mgrid[-40:1100:20, -40:1100:20].astype(float)
    p2, p3 = forward(xx, yy)
    du, dv = p2 - self.v2v3_centre[0], p3 - self.v2v3_centre[1]
    fitter = fitting.LinearLSQFitter()
    inv_x = fitter(models.Polynomial2D(4), du, dv, xx)
    inv_y = fitter(models.Polynomial2D(4), du, dv, yy)
    back = (
        (models.Shift(-self.v2v3_centre[0]) & models.Shift(-self.v2v3_centre[1]))
        | models.Mapping((0, 1, 0, 1))
        | inv_x & inv_y
    )
    forward.inverse = back
    return forward


LRS_OPTICS = LrsOptics()
