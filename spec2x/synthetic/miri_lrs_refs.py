"""The synthetic MIRI LRS: its optics as numbers, and its CRDS-format reference files.

Every reference type jwst 3.0.0's ``calwebb_spec2`` asks for in
MIR_LRS-FIXEDSLIT and MIR_LRS-SLITLESS: ``distortion`` (ASDF, imager
distortion), ``specwcs`` (FITS wavelength table), ``flat``, ``photom``,
``area``, ``pathloss`` (fixed slit), ``extract1d`` (JSON), ``apcorr`` and
``psf`` (used by extract_1d only for optimal extraction).  The other types
(``filteroffset`` of the skipped targ_centroid, ``bkg``, ``wavelengthrange``)
are N/A for LRS.

The model (:class:`LrsOptics`) is chosen to look like the real instrument:
the trace and dispersion follow the in-flight specwcs tables (knots of
``y(λ)`` taken from jwst_miri_specwcs_0005/0006, 4–14 µm), 0.11" pixels, a
diffraction-limited cross-dispersion profile, a 0.51" slit, a response that
peaks near 7.5 µm, a telescope background rising steeply with wavelength.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import asdf
import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.modeling import fitting, models
from scipy.interpolate import PchipInterpolator
from scipy.special import erf

from .base import asdf_meta, reference_header, rng, write_reference_fits
from .extract_refs import write_apcorr_miri_lrs, write_extract1d
from .pixel_refs import A2_TO_SR, write_flat, write_miri_photom, write_pixel_area

__all__ = ["FULL_SHAPE", "LRS_OPTICS", "SLITLESS_SUBARRAY", "LrsOptics", "write_lrs_references"]

FULL_SHAPE = (1024, 1032)
#: SLITLESSPRISM subarray: (SUBSTRT1, SUBSTRT2, SUBSIZE1, SUBSIZE2).
SLITLESS_SUBARRAY = (1, 529, 72, 416)
_BOTH = "MIR_LRS-FIXEDSLIT|MIR_LRS-SLITLESS|"

#: Wavelength knots (µm) and the trace row offsets (pixels from the reference
#: point) where the in-flight tables put them (0005: slit, 0006: slitless).
_KNOT_WAVELENGTH = np.array(
    [4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0]
)
_KNOT_ROW = {
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
        rows = _KNOT_ROW[exp_type]
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


# ---------------------------------------------------------------- writers


def write_distortion(path: str | os.PathLike[str], optics: LrsOptics = LRS_OPTICS) -> Path:
    """MIRI imager ``distortion`` (ASDF, DistortionModel)."""
    meta = asdf_meta("distortion", "MIRI", detector="MIRIMAGE", exp_type="MIR_IMAGE")
    meta["exposure"]["p_exptype"] = "MIR_IMAGE|MIR_TACQ|" + _BOTH
    meta["instrument"].update(band="N/A", channel="N/A")
    meta["input_units"] = u.pix
    meta["output_units"] = u.arcsec
    meta["model_type"] = "DistortionModel"
    meta["title"] = "synthetic MIRI imager distortion"
    return _write_asdf(path, {"meta": meta, "model": optics.distortion()})


def _write_asdf(path: str | os.PathLike[str], tree: dict[str, Any]) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    asdf.AsdfFile(tree).write_to(tmp)
    os.replace(tmp, path)
    return path


def write_specwcs(
    path: str | os.PathLike[str], exp_type: str, optics: LrsOptics = LRS_OPTICS
) -> Path:
    """MIRI LRS ``specwcs`` (FITS WAVETABLE, MiriLRSSpecwcsModel) for one exposure type."""
    table = optics.wavetable(exp_type)
    cols = [
        fits.Column(
            name.upper(), "D", unit="microns" if name == "wavelength" else "pixels", array=v
        )
        for name, v in table.items()
    ]
    slitless = exp_type == "MIR_LRS-SLITLESS"
    xs, ys, nx, ny = SLITLESS_SUBARRAY if slitless else (1, 1, FULL_SHAPE[1], FULL_SHAPE[0])
    hdr = reference_header(
        "specwcs",
        "MIRI",
        DETECTOR="MIRIMAGE",
        FILTER="P750L",
        EXP_TYPE=exp_type,
        SUBARRAY="SLITLESSPRISM" if slitless else "FULL",
        SUBSTRT1=xs,
        SUBSTRT2=ys,
        SUBSIZE1=nx,
        SUBSIZE2=ny,
        IMX=optics.slit_ref[0],
        IMY=optics.slit_ref[1],
        IMXSLTL=optics.slitless_ref[0],
        IMYSLTL=optics.slitless_ref[1],
    )
    if not slitless:  # slit corners in V2, V3 (for S_REGION)
        zx, zy = optics.slit_ref[0] - 1, optics.slit_ref[1] - 1
        half_l = optics.slit_length / optics.pixel_scale / 2
        half_w = optics.slit_width / optics.pixel_scale / 2
        cx = np.array([zx - half_l, zx + half_l, zx + half_l, zx - half_l])
        cy = np.array([zy + half_w, zy + half_w, zy - half_w, zy - half_w])
        v2, v3 = optics.v2v3(cx, cy)
        for i in range(4):
            hdr[f"V2VERT{i + 1}"] = float(v2[i])
            hdr[f"V3VERT{i + 1}"] = float(v3[i])
    hdu = fits.BinTableHDU.from_columns(cols, name="WAVETABLE")
    return write_reference_fits(path, hdr, [hdu], datamodel="MiriLRSSpecwcsModel")


def flat_pattern(shape: tuple[int, int], xstart: int, ystart: int) -> np.ndarray:
    """Low-order illumination structure of the flat (±3 %), on full-frame coordinates."""
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    u_ = (x + xstart - 1 - 516.0) / 516.0
    v_ = (y + ystart - 1 - 512.0) / 512.0
    return 1.0 + 0.02 * u_ - 0.015 * v_ + 0.01 * u_ * v_ - 0.012 * (u_**2 + v_**2) + 0.006


def write_lrs_flat(path: str | os.PathLike[str], exp_type: str, seed: int = 0) -> Path:
    """LRS ``flat``: 1 % pixel-to-pixel scatter times a low-order gradient; full frame or SLITLESSPRISM."""
    slitless = exp_type == "MIR_LRS-SLITLESS"
    xs, ys, nx, ny = SLITLESS_SUBARRAY if slitless else (1, 1, FULL_SHAPE[1], FULL_SHAPE[0])
    out = write_flat(
        path,
        instrument="MIRI",
        detector="MIRIMAGE",
        exp_type=exp_type,
        shape=(ny, nx),
        xstart=xs,
        ystart=ys,
        seed=seed,
        subarray="SLITLESSPRISM" if slitless else "FULL",
        scatter=0.01,
        bad_fraction=0.0005,
        FILTER="P750L",
    )
    with fits.open(out, mode="update") as hdul:
        hdul["SCI"].data = (hdul["SCI"].data * flat_pattern((ny, nx), xs, ys)).astype(np.float32)
    return out


def _photom_grid() -> np.ndarray:
    return np.round(np.arange(3.6, 14.61, 0.1), 2)


def write_lrs_photom(path: str | os.PathLike[str], optics: LrsOptics = LRS_OPTICS) -> Path:
    """LRS ``photom``: PHOTMJSR and a relative response on 3.6–14.6 µm, rows FULL and SLITLESSPRISM."""
    wl = _photom_grid()
    return write_miri_photom(
        path,
        wavelength_um=wl,
        relresponse=optics.relresponse(wl),
        photmjsr=optics.photmjsr,
        uncertainty=0.02 * optics.photmjsr,
        pixar_sr=optics.pixar_sr,
        pixar_a2=optics.pixar_a2,
    )


#: Pathloss grid: source offsets in pixels from the reference point along (x) and across (y) the slit.
_PL_X = np.arange(-20.0, 20.01, 2.0)
_PL_Y = np.arange(-3.0, 3.01, 0.5)


def pathloss_wavelengths() -> np.ndarray:
    """Wavelength grid of the pathloss table, descending like the CRDS file (µm)."""
    return np.round(np.arange(14.5, 3.95, -0.25), 3)


def pathloss_correction(optics: LrsOptics = LRS_OPTICS) -> np.ndarray:
    """(wavelength, y, x) multiplicative correction = 1 / slit throughput (float32 as written)."""
    wl = pathloss_wavelengths()
    throughput = optics.slit_throughput(wl[:, None], _PL_Y[None, :])
    corr = 1.0 / throughput
    return np.repeat(corr[:, :, None], len(_PL_X), axis=2).astype(np.float32)


def write_pathloss(path: str | os.PathLike[str], optics: LrsOptics = LRS_OPTICS) -> Path:
    """LRS fixed-slit ``pathloss`` (MirLrsPathlossModel): correction for a point source vs position."""
    wl = pathloss_wavelengths().astype(np.float32)
    corr = pathloss_correction(optics)
    nwl, ny, nx = corr.shape
    cols = [
        fits.Column("WAVELENGTH", "E", unit="um", array=wl),
        fits.Column("PATHLOSS", f"{ny * nx}E", dim=f"({nx},{ny})", array=corr),
        fits.Column(
            "PATHLOSS_ERR", f"{ny * nx}E", dim=f"({nx},{ny})", array=np.full_like(corr, 0.01)
        ),
    ]
    hdu = fits.BinTableHDU.from_columns(cols, name="PATHLOSS")
    for key, value in {
        "WCSAXES": 2,
        "CRPIX1": 1.0,
        "CRVAL1": float(_PL_X[0]),
        "CDELT1": float(_PL_X[1] - _PL_X[0]),
        "CTYPE1": "X",
        "CUNIT1": "pixel",
        "CRPIX2": 1.0,
        "CRVAL2": float(_PL_Y[0]),
        "CDELT2": float(_PL_Y[1] - _PL_Y[0]),
        "CTYPE2": "Y",
        "CUNIT2": "pixel",
    }.items():
        hdu.header[key] = value
    hdr = reference_header(
        "pathloss",
        "MIRI",
        DETECTOR="MIRIMAGE",
        FILTER="P750L",
        EXP_TYPE="MIR_LRS-FIXEDSLIT",
        SUBARRAY="FULL",
        BAND="N/A",
        READPATT="ANY",
    )
    return write_reference_fits(path, hdr, [hdu], datamodel="MirLrsPathlossModel")


def apcorr_table(optics: LrsOptics = LRS_OPTICS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(wavelength µm, box width px, correction (wavelength, width)) for a centred box."""
    wl = np.arange(4.0, 14.51, 0.5)
    size = np.arange(1, 21)
    enclosed = erf(size[None, :] / (2 * np.sqrt(2) * optics.psf_sigma(wl)[:, None]))
    return wl, size, (1.0 / enclosed).astype(np.float32)


def write_lrs_psf(
    path: str | os.PathLike[str], exp_type: str, optics: LrsOptics = LRS_OPTICS, *, subpix: int = 5
) -> Path:
    """LRS spectral ``psf`` (SpecPsfModel) for optimal extraction: the injected profile, oversampled.

    One aperture (``ANY``: jwst names LRS slits NONE): PSF (wavelength, column) sampled every
    ``1/subpix`` pixel across ±30 pixels (pixel-integrated Gaussian of
    :meth:`LrsOptics.psf_sigma`), and WAVE, its wavelengths (µm).
    """
    wave = np.round(np.arange(3.8, 14.81, 0.1), 2)
    half = 30 * subpix
    offset = (np.arange(2 * half + 1) - half) / subpix
    s = np.sqrt(2.0) * optics.psf_sigma(wave)[:, None]
    data = 0.5 * (erf((offset + 0.5) / s) - erf((offset - 0.5) / s))
    psf = fits.ImageHDU(data.astype(np.float64), name="PSF", ver=1)
    psf.header.update(APERTURE="ANY", SUBPIX=float(subpix), CENTCOL=float(half), CENTROW=0.0)
    hdr = reference_header("psf", "MIRI", DETECTOR="MIRIMAGE", FILTER="P750L", EXP_TYPE=exp_type)
    hdus = [psf, fits.ImageHDU(wave, name="WAVE", ver=1)]
    return write_reference_fits(path, hdr, hdus, datamodel="SpecPsfModel")


def extract_apertures(optics: LrsOptics = LRS_OPTICS, *, width: int = 8) -> list[dict[str, Any]]:
    """extract1d apertures (0-based pixels of the data array) centred on the reference points.

    Fixed slit: a ``width``-pixel box (jwst moves it onto the source,
    ``use_source_posn`` being the default for the slit).  Slitless: the same
    box on the trace, with background regions either side (order 0).
    """
    fs_x = optics.slit_ref[0] - 1
    fs_y = optics.slit_ref[1] - 1
    sl_x = optics.slitless_ref[0] - 1
    sl_y = optics.slitless_ref[1] - 1 - (SLITLESS_SUBARRAY[1] - 1)
    rows = _KNOT_ROW["MIR_LRS-FIXEDSLIT"], _KNOT_ROW["MIR_LRS-SLITLESS"]
    return [
        {
            "id": "MIR_LRS-FIXEDSLIT",
            "region_type": "target",
            "dispaxis": 2,
            "xstart": int(np.floor(fs_x - width / 2 + 0.5)),
            "xstop": int(np.floor(fs_x + width / 2 - 0.5)),
            "ystart": int(np.ceil(fs_y + rows[0][-1])),
            "ystop": int(np.floor(fs_y + rows[0][0])),
            "extract_width": width,
        },
        {
            "id": "MIR_LRS-SLITLESS",
            "region_type": "target",
            "dispaxis": 2,
            "xstart": int(np.floor(sl_x - width / 2 + 0.5)),
            "xstop": int(np.floor(sl_x + width / 2 - 0.5)),
            "ystart": int(np.ceil(sl_y + rows[1][-1])),
            "ystop": int(np.floor(sl_y + rows[1][0])),
            "extract_width": width,
            "use_source_posn": False,
            "bkg_coeff": [[sl_x - 26.0], [sl_x - 14.0], [sl_x + 14.0], [sl_x + 26.0]],
            "bkg_order": 0,
        },
    ]


def write_lrs_references(
    folder: str | os.PathLike[str], exp_type: str, *, seed: int = 0, optics: LrsOptics = LRS_OPTICS
) -> dict[str, Path]:
    """Write every LRS reference jwst's spec2 needs for ``exp_type`` into ``folder``.

    Returns
    -------
    reftype -> path (``distortion specwcs flat photom area extract1d apcorr
    psf``, plus ``pathloss`` for the fixed slit).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tag = "slitless" if exp_type == "MIR_LRS-SLITLESS" else "fixedslit"
    refs = {
        "distortion": write_distortion(folder / "spec2x_miri_lrs_distortion.asdf", optics),
        "specwcs": write_specwcs(folder / f"spec2x_miri_lrs_{tag}_specwcs.fits", exp_type, optics),
        "flat": write_lrs_flat(folder / f"spec2x_miri_lrs_{tag}_flat.fits", exp_type, seed),
        "photom": write_lrs_photom(folder / "spec2x_miri_lrs_photom.fits", optics),
        "area": write_pixel_area(
            folder / "spec2x_miri_lrs_area.fits",
            instrument="MIRI",
            detector="MIRIMAGE",
            shape=FULL_SHAPE,
            pixar_sr=optics.pixar_sr,
            pixar_a2=optics.pixar_a2,
            seed=rng(seed + 1),
            scatter=0.002,
            exp_type="MIR_LRS-FIXEDSLIT",
            P_EXP_TY=_BOTH,
            FILTER="P750L",
        ),
        "extract1d": write_extract1d(
            folder / "spec2x_miri_lrs_extract1d.json",
            extract_apertures(optics),
            instrument="MIRI",
            exp_type=_BOTH.rstrip("|"),
            detector="MIRIMAGE",
        ),
        "apcorr": write_apcorr_miri_lrs(
            folder / "spec2x_miri_lrs_apcorr.fits",
            wavelength=apcorr_table(optics)[0],
            size=apcorr_table(optics)[1],
            apcorr=apcorr_table(optics)[2],
        ),
    }
    refs["psf"] = write_lrs_psf(folder / f"spec2x_miri_lrs_{tag}_psf.fits", exp_type, optics)
    if exp_type == "MIR_LRS-FIXEDSLIT":
        refs["pathloss"] = write_pathloss(folder / "spec2x_miri_lrs_pathloss.fits", optics)
    return refs
