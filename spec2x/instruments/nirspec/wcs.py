"""NIRSpec instrument model: transforms between the optical planes.

The light path, sky to detector: OTE (v2v3 <-> oteip) -> fore optics
(oteip <-> MSA plane, wavelength dependent) -> collimator (MSA -> GWA
incidence) -> disperser (grating equation, or Snell refraction for the prism)
-> camera -> focal plane (FPA) -> detector pixels.  Each function here builds
one link from the optical reference files (contents as opened by
:mod:`spec2x.instruments.nirspec.refs_optics`) with the transform classes of ``astropy``,
``gwcs`` and ``stdatamodels.jwst.transforms``.  The per-aperture assembly
(slits, shutters, slices) lives in :mod:`spec2x.instruments.nirspec.slits`.

Conventions (those of the NIRSpec model and of jwst): pixel inputs are
0-based subarray pixels; the wavelength is in metres up to the ``oteip``
frame and in µm from ``v2v3`` on; MSA positions in metres; v2/v3 in arcsec.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np
from astropy import coordinates as coord
from astropy import units as u
from astropy.modeling import models as am
from astropy.modeling.models import Identity
from astropy.modeling.models import Mapping as AxisMapping
from gwcs import coordinate_frames as cf
from gwcs.spectroscopy import AnglesFromGratingEquation3D, WavelengthFromGratingEquation
from stdatamodels.jwst.transforms.models import (
    Logical,
    RefractionIndexFromPrism,
    Rotation3DToGWA,
    Snell,
    Unitless2DirCos,
)

from ...errors import InputFileError, ReferenceMismatchError
from ...io.references import Reference

__all__ = [
    "angle_from_disperser",
    "collimator_to_gwa",
    "corrected_disperser",
    "detector_to_gwa",
    "dms_to_sca",
    "dva_correction",
    "frames",
    "mask_slit",
    "msa_to_oteip",
    "oteip_to_v23",
    "spectral_order_range",
    "v23_to_sky",
    "wavelength_from_disperser",
    "world_wavelength",
]

_C_M_S = 299792458.0


def _model(ref: Reference, key: str = "model") -> Any:
    """A private copy of a transform held by an optical reference."""
    return copy.deepcopy(ref.content[key])


def corrected_disperser(
    disperser: Reference, gwa_xtilt: float | None, gwa_ytilt: float | None
) -> dict[str, Any]:
    """Disperser parameters with the GWA tilt-sensor correction applied.

    The grating wheel does not return exactly to its calibrated position; the
    sensor readings ``GWA_XTIL`` / ``GWA_YTIL`` (V) give the offset through the
    reference's tilt models: ``theta_y += 0.5 (phi(x) - phi(x0)) / 3600`` (deg)
    and likewise ``theta_x`` from the y reading.
    """
    disp = dict(disperser.content)

    def correction(tilt: Mapping[str, Any], reading: float) -> float:
        model = tilt["tilt_model"]
        return 0.5 * (float(model(reading)) - float(model(tilt["zeroreadings"][0]))) / 3600.0

    if gwa_xtilt is not None:
        disp["theta_y"] = disp["theta_y"] + correction(disp["gwa_tiltx"], gwa_xtilt)
    if gwa_ytilt is not None:
        disp["theta_x"] = disp["theta_x"] + correction(disp["gwa_tilty"], gwa_ytilt)
    return disp


def spectral_order_range(
    wavelengthrange: Reference, filter_name: str, grating: str
) -> tuple[int, tuple[float, float]]:
    """Spectral order and wavelength range (m) of a filter/grating pair.

    Raises
    ------
    ReferenceMismatchError
        When the wavelengthrange reference has no ``FILTER_GRATING`` entry.
    """
    content = wavelengthrange.content
    keys = [str(k).upper() for k in content["waverange_selector"]]
    key = f"{filter_name}_{grating}".upper()
    if key not in keys:
        raise ReferenceMismatchError(
            f"wavelengthrange reference {wavelengthrange.name} has no range for "
            f"FILTER={filter_name} with GRATING={grating} (known: {', '.join(keys)}); "
            "check the FILTER/GRATING keywords or give a wavelengthrange file covering them"
        )
    i = keys.index(key)
    lo, hi = (float(v) for v in content["wavelengthrange"][i])
    return int(content["order"][i]), (lo, hi)


def dms_to_sca(detector: str, xstart: int, ystart: int) -> Any:
    """0-based subarray pixels -> SCA pixels (full frame, the NRS2 frame flipped)."""
    model = am.Shift(xstart - 1) & am.Shift(ystart - 1)
    if detector.upper() == "NRS2":
        model = model | am.Shift(-2047) & am.Shift(-2047) | am.Scale(-1) & am.Scale(-1)
    elif detector.upper() != "NRS1":
        raise InputFileError(f"DETECTOR={detector!r} is not a NIRSpec detector (NRS1 or NRS2)")
    model.name = "dms2sca"
    return model


def _gwa_rotation(disp: Mapping[str, Any]) -> Any:
    angles = [disp["theta_x"], disp["theta_y"], disp["theta_z"], disp["tilt_y"]]
    return Rotation3DToGWA(angles, axes_order="xyzy", name="rotation")


def detector_to_gwa(fpa: Reference, camera: Reference, detector: str, disp: Mapping) -> Any:
    """SCA pixels -> direction cosines leaving the GWA (camera side)."""
    fpa_model = _model(fpa, detector.lower() + "_model")
    model = (
        fpa_model
        | _model(camera)
        | Unitless2DirCos(name="unitless2directional_cosines")
        | _gwa_rotation(disp)
    )
    model.name = "det2gwa"
    return model


def collimator_to_gwa(collimator: Reference, disp: Mapping) -> Any:
    """MSA plane (m) -> direction cosines incident on the GWA."""
    return (
        _model(collimator).inverse
        | Unitless2DirCos(name="unitless2directional_cosines")
        | _gwa_rotation(disp)
    )


def angle_from_disperser(disp: Mapping, grating: str, order: int, temperature: float | None) -> Any:
    """(lambda [m], incident direction cosines) -> outgoing direction cosines."""
    if grating.upper() != "PRISM":
        return (
            AxisMapping((0, 1, 2), n_inputs=4)
            | Identity(1) & am.Scale(-1) & Identity(1)
            | AnglesFromGratingEquation3D(disp["groovedensity"], order, name="alpha_from_greq")
        )
    return Snell(
        disp["angle"],
        disp["kcoef"],
        disp["lcoef"],
        disp["tcoef"],
        disp["tref"],
        disp["pref"],
        _prism_temperature(temperature),
        disp["pref"],
        name="snell_law",
    )


def _prism_temperature(temperature: float | None) -> float:
    if temperature is None:
        raise InputFileError(
            "the prism model needs the GWA temperature (keyword GWA_TILT); the exposure lacks it"
        )
    return float(temperature)


def wavelength_from_disperser(
    disp: Mapping, grating: str, order: int, temperature: float | None
) -> Any:
    """(incident x, outgoing x, outgoing y direction cosines) -> lambda [m]."""
    if grating.upper() != "PRISM":
        return (
            AxisMapping((0, 2), n_inputs=3)
            | WavelengthFromGratingEquation(
                disp["groovedensity"], order, name="lambda_from_gratingeq"
            )
            | am.Scale(-1)
        )
    temp = _prism_temperature(temperature)
    lam = np.arange(0.3, 8.005, 0.005) * 1e-6
    n = Snell.compute_refraction_index(
        lam,
        temp,
        disp["tref"],
        disp["pref"],
        disp["pref"],
        np.asarray(disp["kcoef"]),
        np.asarray(disp["lcoef"]),
        np.asarray(disp["tcoef"]),
    )
    table = am.Tabular1D(points=(n[::-1],), lookup_table=lam[::-1], bounds_error=False)
    return RefractionIndexFromPrism(disp["angle"], name="n_prism") | table


def velocity_correction(velosys: float) -> Any:
    """Barycentric correction of the wavelength for a radial velocity ``velosys`` (m/s)."""
    factor = 1.0 / (1.0 + velosys / _C_M_S)
    model = Identity(1) * am.Const1D(factor, name="velocity_correction")
    model.inverse = Identity(1) / am.Const1D(factor, name="inv_vel_correction")
    return model


def mask_slit(ymin: float = -0.55, ymax: float = 0.55) -> Any:
    """(x_slit, y_slit, lam) -> the same, with NaN everywhere when y_slit is off the slit."""
    above = Logical(condition="GT", compareto=ymax, value=np.nan)
    below = Logical(condition="LT", compareto=ymin, value=np.nan)
    model = (
        AxisMapping((0, 1, 2, 1))
        | Identity(3) & (above | below | am.Scale(0))
        | AxisMapping((0, 1, 3, 2, 3))
        | Identity(1)
        & AxisMapping((0,), n_inputs=2) + AxisMapping((1,))
        & AxisMapping((0,), n_inputs=2) + AxisMapping((1,))
    )
    model.inverse = Identity(3)
    return model


def msa_to_oteip(fore: Reference) -> Any:
    """(x_msa, y_msa, lam) -> (x_oteip, y_oteip, lam) through the fore optics."""
    split = AxisMapping((0, 1, 2, 2), name="msa2fore_mapping")
    split.inverse = Identity(3)
    model = split | (_model(fore) & Identity(1))
    model.name = "msa2oteip"
    return model


def oteip_to_v23(ote: Reference) -> Any:
    """(x_oteip, y_oteip, lam [m]) -> (v2, v3 [arcsec], lam [µm])."""
    passthrough = Identity(3, name="fore2ote_mapping")
    passthrough.inverse = AxisMapping((0, 1, 2, 2))
    model = passthrough | (_model(ote) & am.Scale(1e6))
    model.name = "oteip2v23"
    return model


def dva_correction(attrs: Mapping[str, Any]) -> Any:
    """Differential velocity aberration (scale about V2_REF/V3_REF) from ``VA_SCALE``."""
    scale = attrs.get("VA_SCALE")
    if scale is None or scale == 1:
        return Identity(2)
    if scale <= 0:
        raise InputFileError(f"VA_SCALE={scale} must be positive")
    model = am.Scale(scale, name="dva_scale_v2") & am.Scale(scale, name="dva_scale_v3")
    v2_ref = attrs.get("V2_REF") or 0.0
    v3_ref = attrs.get("V3_REF") or 0.0
    if v2_ref == 0 and v3_ref == 0:
        return model
    model = model | am.Shift((1 - scale) * v2_ref, name="dva_v2_shift") & am.Shift(
        (1 - scale) * v3_ref, name="dva_v3_shift"
    )
    model.name = "DVA_Correction"
    return model


def v23_to_sky(attrs: Mapping[str, Any]) -> Any:
    """(v2, v3) arcsec -> (ra, dec) deg from the pointing keywords V2/V3_REF, ROLL_REF, RA/DEC_REF."""
    from gwcs.geometry import CartesianToSpherical, SphericalToCartesian

    missing = [
        k for k in ("V2_REF", "V3_REF", "ROLL_REF", "RA_REF", "DEC_REF") if attrs.get(k) is None
    ]
    if missing:
        raise InputFileError(f"the exposure lacks pointing keywords {', '.join(missing)}")
    angles = np.array(
        [
            attrs["V2_REF"] / 3600.0,
            -attrs["V3_REF"] / 3600.0,
            attrs["ROLL_REF"],
            attrs["DEC_REF"],
            -attrs["RA_REF"],
        ]
    )
    model = (
        (am.Scale(1 / 3600) & am.Scale(1 / 3600))
        | SphericalToCartesian(wrap_lon_at=180)
        | am.RotationSequence3D(angles, axes_order="zyxyz")
        | CartesianToSpherical(wrap_lon_at=360)
    )
    model.name = "v23tosky"
    return model


def frames() -> dict[str, Any]:
    """The NIRSpec coordinate frames by name (jwst's names, units and axes)."""
    spec = cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.micron,), axes_names=("wavelength",)
    )

    def spatial(name: str, unit: Any, axes: tuple[str, str]) -> Any:
        return cf.Frame2D(name=name, axes_order=(0, 1), unit=unit, axes_names=axes)

    sky = cf.CelestialFrame(name="sky", axes_order=(0, 1), reference_frame=coord.ICRS())
    return {
        "detector": cf.Frame2D(name="detector", axes_order=(0, 1)),
        "sca": cf.Frame2D(name="sca", axes_order=(0, 1)),
        "gwa": spatial("gwa", (u.rad, u.rad), ("alpha_in", "beta_in")),
        "slit_frame": cf.CompositeFrame(
            [spatial("slit_spatial", ("", ""), ("x_slit", "y_slit")), spec], name="slit_frame"
        ),
        "slicer": cf.CompositeFrame(
            [spatial("slicer_spatial", ("", ""), ("x_slicer", "y_slicer")), spec], name="slicer"
        ),
        "msa_frame": cf.CompositeFrame(
            [spatial("msa_spatial", (u.m, u.m), ("x_msa", "y_msa")), spec], name="msa_frame"
        ),
        "oteip": cf.CompositeFrame(
            [spatial("oteip", (u.deg, u.deg), ("X_OTEIP", "Y_OTEIP")), spec], name="oteip"
        ),
        "oteip_chromcorr": cf.CompositeFrame(
            [spatial("oteip", (u.deg, u.deg), ("X_OTEIP", "Y_OTEIP")), spec],
            name="oteip_chromcorr",
        ),
        "v2v3": cf.CompositeFrame(
            [spatial("v2v3_spatial", (u.arcsec, u.arcsec), ("v2", "v3")), spec], name="v2v3"
        ),
        "v2v3vacorr": cf.CompositeFrame(
            [spatial("v2v3vacorr_spatial", (u.arcsec, u.arcsec), ("v2", "v3")), spec],
            name="v2v3vacorr",
        ),
        "world": cf.CompositeFrame([sky, spec], name="world"),
    }


def world_wavelength(wcs: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``wcs(x, y)[2]`` (µm) of a NIRSpec slit WCS, without computing RA and Dec.

    The wavelength leaves the slit frame in metres and the OTE link only
    scales it to µm, so the slit-frame value times 1e6, NaN outside the
    bounding box as gwcs makes it, is the same number; a WCS without a
    ``slit_frame`` is evaluated whole.  ``x`` and ``y`` (pixels) may have any
    shape: one call serves many pixel sets of the same slit.
    """
    frames = wcs.available_frames
    if "slit_frame" not in frames or "wavecorr_frame" in frames or wcs.bounding_box is None:
        return np.asarray(wcs(x, y)[2], float)
    lam = np.asarray(wcs.get_transform(frames[0], "slit_frame")(x, y)[2], float) * 1e6
    (x0, x1), (y0, y1) = wcs.bounding_box.bounding_box(order="F")
    return np.where((x < x0) | (x > x1) | (y < y0) | (y > y1), np.nan, lam)
