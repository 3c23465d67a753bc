"""A synthetic MIRI MRS scene: a point source of known spectrum on a ``_rate`` exposure.

One MIRIFUSHORT SHORT exposure (channels 1A and 2A, two bands of one
detector) with every reference its calwebb_spec2 chain reads, in a folder
that :class:`spec2x.ReferenceSet` (and jwst, file by file) takes as is:

- the WCS: the in-flight FLT9 ``distortion``, ``specwcs`` and
  ``wavelengthrange`` of band 12A (public CRDS deliveries kept in
  ``miri_data/``) and a current-format ``regions`` file made from that
  distortion (:mod:`spec2x.synthetic.miri_mrs_regions`);
- ``flat``, ``photom`` (with its time-dependent loss), ``fringe`` and
  ``mrsxartcorr`` (:mod:`spec2x.synthetic.miri_mrs_refs`), ``cubepar``
  (:mod:`spec2x.synthetic.cubepar`), the IFU ``extract1d`` and the MRS
  ``apcorr`` of the scene's PSF (:mod:`spec2x.synthetic.ifu_extract_refs`).
  CRDS has no ``area`` file for the MRS (photom reads the pixel sizes of its
  own file): give ``area`` as N/A.

The source is a circular Gaussian whose FWHM grows with wavelength as the
MRS PSF does (``0.033 lambda + 0.106`` arcsec, the width the synthetic
extract1d aperture is twice of), at TARG_RA/TARG_DEC, with flux density
:func:`point_source_jy`, on a uniform sky.  Its surface brightness is
evaluated at every pixel's (RA, Dec, lambda) from the WCS, and the rate is
that calibrated image taken back through photom, fringe, flat_field (their
factors measured by running spec2x's steps on a unit image) and straylight
(the cross-artifact added by fixed-point iteration of spec2x's correction),
so the chain returns the injected scene up to the noise.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .base import rng

__all__ = ["MRS_WCS_FILES", "MrsScene", "make_mrs_scene", "point_source_jy", "psf_fwhm"]

#: The FLT9 WCS references of band 12A kept with the package, by reftype.
MRS_WCS_FILES = {
    "distortion": "jwst_miri_mrs12A_distortion_flt9.asdf",
    "specwcs": "jwst_miri_mrs12A_specwcs_flt9.asdf",
    "wavelengthrange": "jwst_miri_mrs_wavelengthrange_flt9.asdf",
}
_DATA = Path(__file__).with_name("miri_data")
#: Uniform sky of the scene (MJy/sr) and the rate noise (DN/s, 1 sigma).
SKY = 0.5
NOISE = 0.05  # as the rate's ERR and variances (spec2x.synthetic.base.flat_rate)
#: Mid-exposure time (MJD): a year after the synthetic photom's t0, its throughput loss applies.
EXPMID = 60096.51
#: Straylight fixed-point iterations (the cross-artifact is ~10 %: 4 leave < 1e-4).
_STRAY_ITERATIONS = 4


def psf_fwhm(wavelength: np.ndarray) -> np.ndarray:
    """FWHM (arcsec) of the scene's PSF at ``wavelength`` (µm)."""
    return 0.033 * np.asarray(wavelength, np.float64) + 0.106


def point_source_jy(wavelength: np.ndarray, scale: float = 0.01) -> np.ndarray:
    """Flux density (Jy) of the injected source: a slope with one broad emission bump."""
    w = np.asarray(wavelength, np.float64)
    return scale * (1.0 + 0.08 * (w - 5.0) + 0.3 * np.exp(-0.5 * ((w - 8.5) / 0.4) ** 2))


@dataclass
class MrsScene:
    """What :func:`make_mrs_scene` wrote and the truth to compare with.

    Attributes
    ----------
    rate : the ``_rate`` file.
    refs : reftype -> reference path (all in ``refs_dir``).
    refs_dir : the reference folder.
    ra, dec : the source (deg; also TARG_RA/TARG_DEC).
    scale : the source's flux density scale (Jy; :func:`point_source_jy`).
    """

    rate: Path
    refs: dict[str, str]
    refs_dir: Path
    ra: float
    dec: float
    scale: float = 0.01
    wavelength: np.ndarray = field(default_factory=lambda: np.linspace(4.8, 8.0, 800), repr=False)

    def truth(self, wavelength: np.ndarray) -> np.ndarray:
        """Injected flux density (Jy) at ``wavelength`` (µm)."""
        return point_source_jy(wavelength, self.scale)

    @property
    def flux(self) -> np.ndarray:
        """Injected flux density (Jy) on :attr:`wavelength`."""
        return self.truth(self.wavelength)


def write_scene_refs(folder: str | os.PathLike[str], *, seed: int = 1) -> dict[str, str]:
    """Write (or copy) every reference of the scene's chain into ``folder``; reftype -> path."""
    from .cubepar import write_mrs_cubepar
    from .ifu_extract_refs import write_ifu_extract1d, write_mrs_apcorr
    from .miri_mrs_refs import write_mrs_flat, write_mrs_fringe, write_mrs_photom, write_mrsxartcorr
    from .miri_mrs_regions import write_mrs_regions

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    refs = {}
    for reftype, name in MRS_WCS_FILES.items():
        refs[reftype] = str(folder / name)
        shutil.copyfile(_DATA / name, refs[reftype])
    refs["regions"] = str(
        write_mrs_regions(folder / "spec2x_miri_mrs12A_regions.asdf", refs["distortion"])
    )
    refs["flat"] = str(write_mrs_flat(folder / "spec2x_miri_mrs12A_flat.fits", seed=seed))
    refs["photom"] = str(write_mrs_photom(folder / "spec2x_miri_mrs12A_photom.fits", seed=seed))
    refs["fringe"] = str(write_mrs_fringe(folder / "spec2x_miri_mrs12A_fringe.fits"))
    refs["mrsxartcorr"] = str(write_mrsxartcorr(folder / "spec2x_miri_mrsxartcorr.fits", seed=seed))
    refs["cubepar"] = str(write_mrs_cubepar(folder / "spec2x_miri_mrs_cubepar.fits"))
    refs["extract1d"] = str(write_ifu_extract1d(folder / "spec2x_miri_mrs_extract1d.asdf"))
    refs["apcorr"] = str(write_mrs_apcorr(folder / "spec2x_miri_mrs_apcorr.asdf"))
    return refs


def make_mrs_scene(
    folder: str | os.PathLike[str], *, seed: int = 1, scale: float = 0.01
) -> MrsScene:
    """Write the scene's rate file and references under ``folder``.

    Parameters
    ----------
    folder : the rate file goes here, the references to ``folder/refs``.
    seed : of the noise and the references' pixel structure.
    scale : flux density scale of the source (Jy).

    Returns
    -------
    The scene: paths and the injected truth.
    """
    from ..io.fits import open_exposure
    from ..pipeline import run_step
    from ..steps.assign_wcs import assign_wcs
    from ..wcs.store import get_wcs
    from .miri_mrs import make_mrs_rate

    folder = Path(folder)
    refs = write_scene_refs(folder / "refs", seed=seed)
    rate = folder / "jw01523003001_03102_00001_mirifushort_rate.fits"
    make_mrs_rate(rate, seed=seed, sky=0.0, EXPMID=EXPMID)
    ds = assign_wcs(open_exposure(rate), {t: refs[t] for t in (*MRS_WCS_FILES, "regions")})
    y, x = np.indices(ds["sci"].shape, dtype=np.float64)
    ra, dec, wave = get_wcs(ds)(x, y)
    left = np.isfinite(wave[:, :512])
    ra0, dec0 = float(np.median(ra[:, :512][left])), float(np.median(dec[:, :512][left]))
    calibrated = _scene_image(ra, dec, wave, ra0, dec0, scale)
    unit = ds.assign(sci=ds["sci"].copy(data=np.ones(ds["sci"].shape, np.float32)))
    for step in ("flat_field", "fringe", "photom"):
        unit = run_step(unit, step, refs)
    gain = np.asarray(unit["sci"].values, np.float64)  # (MJy/sr) per (DN/s)
    onsky = np.isfinite(wave) & np.isfinite(gain) & (gain != 0)
    target = np.where(onsky, calibrated / np.where(onsky, gain, 1.0), 0.0)
    channel, band = str(ds.attrs["CHANNEL"]), str(ds.attrs["BAND"])
    sci = _add_cross_artifact(target, refs["mrsxartcorr"], channel, band)
    sci = sci + rng(seed).normal(0.0, NOISE, sci.shape)
    _rewrite_rate(rate, sci, TARG_RA=ra0, TARG_DEC=dec0)
    return MrsScene(rate, refs, folder / "refs", ra0, dec0, scale)


def _scene_image(
    ra: np.ndarray, dec: np.ndarray, wave: np.ndarray, ra0: float, dec0: float, scale: float
) -> np.ndarray:
    """Surface brightness (MJy/sr) of the source and the sky at each pixel (NaN off the slices)."""
    dx = (ra - ra0) * np.cos(np.deg2rad(dec0)) * 3600.0
    dy = (dec - dec0) * 3600.0
    sigma = psf_fwhm(wave) / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    arcsec2_sr = (np.pi / 180.0 / 3600.0) ** 2
    peak = point_source_jy(wave, scale) * 1e-6 / (2.0 * np.pi * sigma**2 * arcsec2_sr)
    with np.errstate(invalid="ignore"):
        return SKY + peak * np.exp(-(dx**2 + dy**2) / (2.0 * sigma**2))


def _add_cross_artifact(target: np.ndarray, xartcorr: str, channel: str, band: str) -> np.ndarray:
    """The rate whose straylight correction is ``target``: R = T + (R - correct(R)), iterated."""
    from ..instruments.miri.mrs_straylight import correct_xartifact
    from ..io.references import open_reference

    tables = open_reference(xartcorr, "mrsxartcorr").content.tables
    dq = np.zeros(target.shape, np.uint32)
    rate = target.astype(np.float32)
    for _ in range(_STRAY_ITERATIONS):
        corrected = correct_xartifact(rate, dq, tables, channel, band)
        rate = (target + (rate - corrected)).astype(np.float32)
    return rate.astype(np.float64)


def _rewrite_rate(path: Path, sci: np.ndarray, **keywords: float) -> None:
    """Replace the SCI array of the rate file and add ``keywords`` to its primary header."""
    from astropy.io import fits

    with fits.open(path, mode="update") as hdul:
        hdul["SCI"].data = sci.astype(np.float32)
        for key, value in keywords.items():
            hdul[0].header[key] = value
