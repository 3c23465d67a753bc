"""The MIRI low-resolution spectrometer (LRS) instrument model as a gwcs.

MIRI LRS disperses along detector rows (``DISPAXIS = 2``): the wavelength is
a function of the row, the slit runs along the columns.  The model, as jwst
3.0.0 builds it (``jwst.assign_wcs.miri.lrs``):

1. *detector -> alpha_beta*: pixel (x, y) of the data array (subarray
   pixels, 0-based) to slit position ``alpha`` (arcsec along the slit, 0 at
   the reference point), ``beta = 0`` and wavelength (µm).  The specwcs
   ``WAVETABLE`` gives the trace centre ``x_center(y)`` and the wavelength
   ``wavelength(y)`` at rows ``y_center`` relative to the aperture reference
   point (IMX, IMY for the slit; IMXSLTL, IMYSLTL for slitless); both are
   smoothed by a spline (``s = 0.002``) and looked up linearly in ``y``.
   ``alpha = (x - dx(y) - x_ref) * pscale`` with ``pscale`` the imager plate
   scale at the reference point.
2. *alpha_beta -> v2v3*: back to the pixel at the reference row and through
   the imager distortion (full-frame pixels -> V2, V3 arcsec).
3. *v2v3 -> v2v3vacorr*: differential velocity aberration (``VA_SCALE``).
4. *v2v3vacorr -> world*: telescope attitude (V2_REF, V3_REF, ROLL_REF,
   RA_REF, DEC_REF) to ICRS RA, Dec in degrees.

The bounding box is the calibrated box of the WAVETABLE corners (fixed slit)
or the subarray columns less 4 reference pixels by the calibrated rows
(slitless); outside it the WCS gives NaN.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from astropy import coordinates as coord
from astropy import units as u
from astropy.modeling import bind_bounding_box, models
from gwcs import coordinate_frames as cf
from gwcs import wcs as gwcs_wcs
from gwcs.geometry import CartesianToSpherical, SphericalToCartesian
from scipy.interpolate import UnivariateSpline

from ...errors import InputFileError
from ...modes import Mode, mode_built_by
from ...wcs.store import set_wcs
from .lrs_pointing import pointing_keywords
from .refs import LrsSpecwcs, imager_distortion, lrs_specwcs

__all__ = [
    "assign_lrs",
    "lrs_mode",
    "lrs_wcs",
    "miri_frames",
    "pixel_wavelength",
    "subarray_to_full",
    "v2v3_to_sky",
    "velocity_aberration",
    "velocity_correction",
]

log = logging.getLogger(__name__)

#: Smoothing factor of the trace and wavelength splines (jwst's value).
SPLINE_SMOOTHING = 0.002
#: Reference-pixel columns at the left edge of the SLITLESSPRISM subarray.
SLITLESS_REFERENCE_COLUMNS = 4
_SPEED_OF_LIGHT = 299792458.0  # m / s


def _keyword(
    attrs: Mapping[str, Any], key: str, default: Any = None, *, required: bool = False
) -> Any:
    value = attrs.get(key, default)
    if required and value is None:
        raise InputFileError(
            f"{attrs.get('FILENAME', 'the exposure')} lacks the {key} keyword, which the MIRI LRS "
            f"WCS needs; add it to the SCI header"
        )
    return value


def subarray_to_full(attrs: Mapping[str, Any]) -> models.Model | None:
    """Shift subarray pixels to full-frame pixels (None for a full frame)."""
    xstart = int(attrs.get("SUBSTRT1") or 1)
    ystart = int(attrs.get("SUBSTRT2") or 1)
    if xstart == 1 and ystart == 1:
        return None
    mx = models.Identity(1) if xstart == 1 else models.Shift(xstart - 1)
    my = models.Identity(1) if ystart == 1 else models.Shift(ystart - 1)
    return mx & my


def lrs_mode(attrs: Mapping[str, Any]) -> Mode:
    """The mode of an LRS exposure (fixed slit or slitless): one whose WCS this module builds."""
    return mode_built_by(attrs, f"{__name__}:assign_from_refs", what="lrs_wcs")


def _reference_point(
    spec: LrsSpecwcs, slitless: bool, sub2full: models.Model | None
) -> tuple[float, float]:
    """0-based reference pixel in the data array's frame."""
    xr, yr = spec.reference_point(slitless)
    zero = (xr - 1, yr - 1)
    if slitless and sub2full is not None:
        # jwst moves only the slitless point into the subarray (the slit is read full frame).
        zx, zy = sub2full.inverse(*zero)
        zero = (float(zx), float(zy))
    return zero


def _plate_scale(pixel_to_v2v3: models.Model, zero: tuple[float, float]) -> float:
    """Arcsec per pixel along x at the reference point."""
    v2a, v3a = pixel_to_v2v3(zero[0], zero[1])
    v2b, v3b = pixel_to_v2v3(zero[0] + 1, zero[1])
    return float(np.sqrt(np.power(v2a - v2b, 2) + np.power(v3a - v3b, 2)))


def _smoothed_lookup(rows: np.ndarray, values: np.ndarray, name: str) -> models.Tabular1D:
    """Spline-smooth ``values(rows)`` and tabulate it back on ``rows`` (linear, NaN outside)."""
    order = np.argsort(rows, kind="stable")
    spline = UnivariateSpline(rows[order], values[order], s=SPLINE_SMOOTHING)
    return models.Tabular1D(
        lookup_table=spline(rows),
        points=rows,
        name=name,
        bounds_error=False,
        fill_value=np.nan,
    )


def velocity_correction(velosys: float) -> models.Model:
    """Scale observed wavelengths to the barycentric frame (``VELOSYS`` in m/s)."""
    factor = 1 / (1 + velosys / _SPEED_OF_LIGHT)
    model = models.Identity(1) * models.Const1D(factor, name="velocity_correction")
    model.inverse = models.Identity(1) / models.Const1D(factor, name="inv_vel_correction")
    return model


def _bounding_box(
    spec: LrsSpecwcs, slitless: bool, attrs: Mapping[str, Any], zero: tuple[float, float]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x_low, x_high), (y_low, y_high)) in data-array pixels."""
    t = spec.table
    rows = t["y_center"] + zero[1]
    if not slitless:
        bx = (
            float(np.floor(t["x0"].min() + zero[0]) - 0.5),
            float(np.ceil(t["x1"].max() + zero[0]) + 0.5),
        )
        return bx, (float(rows.min()), float(rows.max()))
    xstart = int(attrs.get("SUBSTRT1") or 1)
    xsize = int(_keyword(attrs, "SUBSIZE1", required=True))
    bx = (xstart - 1 + SLITLESS_REFERENCE_COLUMNS - 0.5, xsize - 1 + 0.5)
    by = (
        float(np.floor(t["y2"].min() + zero[1]) - 0.5),
        float(np.ceil(t["y0"].max() + zero[1]) + 0.5),
    )
    return bx, by


def _detector_to_abl(
    spec: LrsSpecwcs,
    slitless: bool,
    attrs: Mapping[str, Any],
    zero: tuple[float, float],
    pscale: float,
) -> models.Model:
    """(x, y) data-array pixel -> (alpha arcsec, beta arcsec, wavelength µm), with its inverse."""
    t = spec.table
    zx, zy = zero
    rows = t["y_center"] + zy
    trace_dx = _smoothed_lookup(rows, (t["x_center"] + zx) - zx, "xshiftref")
    wave = _smoothed_lookup(rows, t["wavelength"], "waveref")
    velosys = attrs.get("VELOSYS")
    if velosys is not None:
        wave = wave | velocity_correction(float(velosys))
        log.info("MIRI LRS: barycentric velocity correction for VELOSYS=%s m/s", velosys)

    # Forward: (x, y) -> (x - dx(y), y) -> alpha, beta = 0; wavelength from y.
    effective_x = models.Mapping([0], n_inputs=2) - (models.Mapping([1], n_inputs=2) | trace_dx)
    slit_xy = models.Mapping((0, 1, 0, 1)) | effective_x & models.Mapping([1], n_inputs=2)
    alpha = (
        models.Mapping([0], n_inputs=2)
        | models.Shift(-zx)
        | models.Polynomial1D(1, c0=0, c1=pscale)
    )
    alpha_beta = models.Mapping((0, 1, 0)) | alpha & models.Const1D(0)
    # Out-and-back shift: does nothing, but keeps the reference point in the
    # model (offset_1, offset_2) where jwst's pathloss reads it.
    keep_reference = models.Shift(-zx) & models.Shift(-zy) | models.Shift(zx) & models.Shift(zy)
    spatial = keep_reference | slit_xy | alpha_beta
    forward = models.Mapping((0, 1, 0, 1)) | spatial & (models.Mapping([1], n_inputs=2) | wave)

    # Inverse: (alpha, beta, lambda) -> x = alpha / pscale + x_ref + dx(y(lambda)), y = y(lambda).
    row_of_wave = wave.inverse
    slit_x = models.Polynomial1D(1, c0=0, c1=1 / pscale) | models.Shift(zx)
    add_trace = models.Mapping([0], n_inputs=2) + (models.Mapping([1], n_inputs=2) | trace_dx)
    to_x = models.Mapping((0, 2)) | slit_x & row_of_wave | add_trace
    to_y = models.Mapping([2], n_inputs=3) | row_of_wave
    forward.inverse = models.Mapping((0, 1, 2, 0, 1, 2)) | to_x & to_y

    bind_bounding_box(forward, _bounding_box(spec, slitless, attrs, zero), order="F")
    return forward


def _abl_to_v2v3(
    pixel_to_v2v3: models.Model, zero: tuple[float, float], pscale: float
) -> models.Model:
    """(alpha, beta, lambda) -> (V2, V3 arcsec, lambda) through the imager distortion."""
    zx, zy = zero
    to_px = (models.Polynomial1D(1, c0=0, c1=1 / pscale) | models.Shift(zx)) & (
        models.Polynomial1D(1, c0=0, c1=1 / pscale) | models.Shift(zy)
    )
    forward = models.Mapping((0, 1, 2)) | (to_px | pixel_to_v2v3) & models.Identity(1)
    to_ab = (models.Shift(-zx) | models.Polynomial1D(1, c0=0, c1=pscale)) & (
        models.Shift(-zy) | models.Polynomial1D(1, c0=0, c1=pscale)
    )
    forward.inverse = models.Mapping((0, 1, 2)) | (pixel_to_v2v3.inverse | to_ab) & models.Identity(
        1
    )
    return forward


def v2v3_to_sky(
    attrs: Mapping[str, Any], wrap_v2_at: float = 180, wrap_lon_at: float = 360
) -> models.Model:
    """(V2, V3) arcsec -> (RA, Dec) deg from the attitude keywords of the exposure.

    Uses V2_REF, V3_REF (arcsec), ROLL_REF, RA_REF, DEC_REF (deg): a rotation
    sequence z(V2_REF) y(-V3_REF) x(ROLL_REF) y(DEC_REF) z(-RA_REF).
    """
    v2_ref, v3_ref, roll, ra, dec = (
        float(_keyword(attrs, k, required=True))
        for k in ("V2_REF", "V3_REF", "ROLL_REF", "RA_REF", "DEC_REF")
    )
    angles = np.array([v2_ref / 3600, -v3_ref / 3600, roll, dec, -ra])
    rotation = models.RotationSequence3D(angles, axes_order="zyxyz")
    model = (
        (models.Scale(1 / 3600) & models.Scale(1 / 3600))
        | SphericalToCartesian(wrap_lon_at=wrap_v2_at)
        | rotation
        | CartesianToSpherical(wrap_lon_at=wrap_lon_at)
    )
    model.name = "v23tosky"
    return model


def velocity_aberration(attrs: Mapping[str, Any]) -> models.Model:
    """Differential velocity aberration: scale V2, V3 about the reference point by VA_SCALE."""
    scale = attrs.get("VA_SCALE")
    if scale is None or scale == 1:
        return models.Identity(2)
    scale = float(scale)
    if scale <= 0:
        raise InputFileError(f"VA_SCALE={scale} must be positive")
    model = models.Scale(scale, name="dva_scale_v2") & models.Scale(scale, name="dva_scale_v3")
    v2_ref = float(attrs.get("V2_REF") or 0)
    v3_ref = float(attrs.get("V3_REF") or 0)
    if v2_ref == 0 and v3_ref == 0:
        return model
    model |= models.Shift((1 - scale) * v2_ref, name="dva_v2_shift") & models.Shift(
        (1 - scale) * v3_ref, name="dva_v3_shift"
    )
    model.name = "DVA_Correction"
    return model


def miri_frames() -> list[cf.CoordinateFrame]:
    """The frames of a MIRI spectroscopic WCS (LRS and MRS): detector, alpha_beta,
    v2v3, v2v3vacorr, world (RA, Dec deg and wavelength µm)."""
    detector = cf.Frame2D(name="detector", axes_order=(0, 1), unit=(u.pix, u.pix))
    alpha_beta = cf.CompositeFrame(
        [
            cf.Frame2D(
                name="alpha_beta_spatial",
                axes_order=(0, 1),
                unit=(u.arcsec, u.arcsec),
                axes_names=("alpha", "beta"),
            ),
            cf.SpectralFrame(
                name="alpha_beta_spectral",
                axes_order=(2,),
                unit=(u.micron,),
                axes_names=("lambda",),
            ),
        ],
        name="alpha_beta",
    )

    def spectral() -> cf.SpectralFrame:
        return cf.SpectralFrame(
            name="spec", axes_order=(2,), unit=(u.micron,), axes_names=("lambda",)
        )

    def v2v3_frame(name: str) -> cf.CompositeFrame:
        spatial = cf.Frame2D(
            name=f"{name}_spatial",
            axes_order=(0, 1),
            unit=(u.arcsec, u.arcsec),
            axes_names=("v2", "v3"),
        )
        return cf.CompositeFrame([spatial, spectral()], name=name)

    icrs = cf.CelestialFrame(
        name="icrs",
        reference_frame=coord.ICRS(),
        axes_order=(0, 1),
        unit=(u.deg, u.deg),
        axes_names=("RA", "DEC"),
    )
    world = cf.CompositeFrame(name="world", frames=[icrs, spectral()])
    return [detector, alpha_beta, v2v3_frame("v2v3"), v2v3_frame("v2v3vacorr"), world]


def lrs_wcs(attrs: Mapping[str, Any], distortion_ref: Any, specwcs_ref: Any) -> gwcs_wcs.WCS:
    """Build the gwcs of a MIRI LRS exposure (fixed slit or slitless).

    Parameters
    ----------
    attrs : exposure keywords: EXP_TYPE (an LRS mode: see :func:`lrs_mode`),
        SUBSTRT1/2, SUBSIZE1/2, V2_REF, V3_REF, ROLL_REF, RA_REF, DEC_REF, and
        optionally VA_SCALE and VELOSYS (m/s).
    distortion_ref : the MIRI imager ``distortion`` reference (opened or a path).
    specwcs_ref : the MIRI LRS ``specwcs`` reference (opened or a path).

    Returns
    -------
    gwcs.WCS with frames ``detector -> alpha_beta -> v2v3 -> v2v3vacorr ->
    world``; its input is the 0-based (x, y) pixel of the data array
    (subarray pixels), its output (RA deg, Dec deg, wavelength µm).

    Raises
    ------
    UnsupportedModeError
        EXP_TYPE is not an LRS type.
    ReferenceMismatchError
        A reference is not the MIRI imager/LRS kind or does not fit the exposure.
    """
    slitless = lrs_mode(attrs).slitless
    spec = lrs_specwcs(specwcs_ref, attrs)
    distortion = imager_distortion(distortion_ref, attrs)
    sub2full = subarray_to_full(attrs)
    if slitless and sub2full is None:
        sub2full = models.Identity(1) & models.Identity(1)
    pixel_to_v2v3 = distortion if sub2full is None else sub2full | distortion
    zero = _reference_point(spec, slitless, sub2full)
    pscale = _plate_scale(pixel_to_v2v3, zero)
    transforms = [
        _detector_to_abl(spec, slitless, attrs, zero, pscale),
        _abl_to_v2v3(pixel_to_v2v3, zero, pscale),
        velocity_aberration(attrs) & models.Identity(1),
        v2v3_to_sky(attrs) & models.Identity(1),
        None,
    ]
    return gwcs_wcs.WCS(list(zip(miri_frames(), transforms, strict=True)))


def pixel_wavelength(wcs: gwcs_wcs.WCS, y: Any, x: Any) -> np.ndarray:
    """Wavelength (µm) at data-array pixels ``(y, x)`` (0-based); NaN outside the bounding box.

    ``y`` and ``x`` broadcast against each other (e.g. ``y[:, None]``,
    ``x[None, :]``).  Only the detector -> alpha_beta part of the model is
    evaluated: the later frames carry the wavelength through unchanged.
    """
    y, x = np.broadcast_arrays(np.asarray(y, dtype=np.float64), np.asarray(x, dtype=np.float64))
    (xlo, xhi), (ylo, yhi) = wcs.bounding_box.bounding_box(order="F")
    inside = (x >= xlo) & (x <= xhi) & (y >= ylo) & (y <= yhi)
    out = np.full(x.shape, np.nan)
    if inside.any():
        detector_to_abl = wcs.get_transform("detector", "alpha_beta")
        out[inside] = detector_to_abl(x[inside], y[inside], with_bounding_box=False)[2]
    return out


def assign_from_refs(ds: xr.Dataset, refs: Mapping[str, Any], **_: Any) -> xr.Dataset:
    """assign_wcs's builder for MIRI LRS: :func:`assign_lrs` with the ``distortion`` and
    ``specwcs`` of ``refs``."""
    return assign_lrs(ds, refs["distortion"], refs["specwcs"])


def assign_lrs(ds: xr.Dataset, distortion_ref: Any, specwcs_ref: Any) -> xr.Dataset:
    """Return ``ds`` with the LRS WCS, the ``wavelength(y, x)`` coordinate (µm) and pointing keywords.

    Sets ``S_REGION`` (from the slit corners, when the specwcs gives them)
    and, for the fixed slit, ``DITH_RA``/``DITH_DEC`` (the dithered pointing).
    The input is not modified.
    """
    spec = lrs_specwcs(specwcs_ref, ds.attrs)
    wcs = lrs_wcs(ds.attrs, distortion_ref, specwcs_ref)
    ypix = ds["y"].values - (int(ds.attrs.get("SUBSTRT2") or 1) - 1)
    xpix = ds["x"].values - (int(ds.attrs.get("SUBSTRT1") or 1) - 1)
    wavelength = pixel_wavelength(wcs, ypix[:, None], xpix[None, :])
    out = set_wcs(ds, wcs).assign_coords(
        wavelength=(("y", "x"), wavelength, {"units": "um", "long_name": "wavelength"})
    )
    out.attrs = {
        **out.attrs,
        **pointing_keywords(wcs, spec, out.attrs, lrs_mode(ds.attrs).slitless),
    }
    return out
