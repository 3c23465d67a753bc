"""The synthetic MIRI LRS: its CRDS-format reference files (the optics: :mod:`.miri_lrs_optics`).

Every reference type jwst 3.0.0's ``calwebb_spec2`` asks for in
MIR_LRS-FIXEDSLIT and MIR_LRS-SLITLESS: ``distortion`` (ASDF, imager
distortion), ``specwcs`` (FITS wavelength table), ``flat``, ``photom``,
``area``, ``pathloss`` (fixed slit), ``extract1d`` (JSON), ``apcorr`` and
``psf`` (used by extract_1d only for optimal extraction).  The other types
(``filteroffset`` of the skipped targ_centroid, ``bkg``, ``wavelengthrange``)
are N/A for LRS.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import asdf
import numpy as np
from astropy import units as u
from astropy.io import fits
from scipy.special import erf

from .._asdf import spec2x_asdf
from .base import asdf_meta, reference_header, rng, write_reference_fits
from .extract_refs import write_apcorr_miri_lrs, write_extract1d
from .miri_lrs_optics import KNOT_ROW, LRS_OPTICS, LrsOptics
from .pixel_refs import write_flat, write_miri_photom, write_pixel_area

__all__ = ["FULL_SHAPE", "LRS_OPTICS", "SLITLESS_SUBARRAY", "LrsOptics", "write_lrs_references"]

FULL_SHAPE = (1024, 1032)
#: SLITLESSPRISM subarray: (SUBSTRT1, SUBSTRT2, SUBSIZE1, SUBSIZE2).
SLITLESS_SUBARRAY = (1, 529, 72, 416)
_BOTH = "MIR_LRS-FIXEDSLIT|MIR_LRS-SLITLESS|"


# ---------------------------------------------------------------- writers


def write_distortion(path: str | os.PathLike[str], optics: LrsOptics = LRS_OPTICS) -> Path:
    """MIRI imager ``distortion`` (ASDF, DistortionModel)."""
    meta = asdf_meta("distortion", "MIRI", detector="MIRIMAGE", exp_type="MIR_IMAGE")
    meta["exposure"]["p_exptype"] = "MIR_IMAGE|MIR_TACQ|MIR_TACONFIRM|" + _BOTH
    meta["instrument"].update(band="N/A", channel="N/A")
    meta["input_units"] = u.pix
    meta["output_units"] = u.arcsec
    meta["model_type"] = "DistortionModel"
    meta["title"] = "synthetic MIRI imager distortion"
    return _write_asdf(path, {"meta": meta, "model": optics.distortion()})


def _write_asdf(path: str | os.PathLike[str], tree: dict[str, Any]) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with spec2x_asdf():  # asdf's own plugin list would import every installed extension
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
    rows = KNOT_ROW["MIR_LRS-FIXEDSLIT"], KNOT_ROW["MIR_LRS-SLITLESS"]
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
