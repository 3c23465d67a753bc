"""A synthetic MIRI MRS scene: a point or an extended source of known spectrum on ``_rate``
exposures, one or a 4-point dither.

MIRIFUSHORT SHORT exposures (channels 1A and 2A, two bands of one detector)
with every reference their calwebb_spec2 chain reads, in a folder that
:class:`spec2x.ReferenceSet` (and jwst, file by file) takes as is:

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

The point source is a circular Gaussian whose FWHM grows with wavelength as
the MRS PSF does (``0.033 lambda + 0.106`` arcsec, the width the synthetic
extract1d aperture is twice of), at TARG_RA/TARG_DEC, with flux density
:func:`point_source_jy`, on a uniform sky.  The extended source
(``source="extended"``, SRCTYAPT=EXTENDED) is a Gaussian of
:data:`EXTENDED_FWHM`, wider than channel 1's field, of peak surface
brightness :func:`extended_source_mjysr`.  ``dither=4`` writes four
exposures of the same sky, the pointing moved by :data:`DITHER` (calwebb_spec2
calibrates each; one cube of all four is calwebb_spec3's, ``build_cube``).
The scene's surface brightness (:meth:`MrsScene.surface_brightness`) is
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
from typing import Any, Literal

import numpy as np

from .base import rng

__all__ = [
    "DITHER",
    "EXTENDED_FWHM",
    "MRS_WCS_FILES",
    "MrsScene",
    "extended_source_mjysr",
    "make_mrs_scene",
    "point_source_jy",
    "psf_fwhm",
]

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
#: FWHM (arcsec) of the extended source (channel 1's field is about 3.2" x 3.7").
EXTENDED_FWHM = 6.0
#: The 4-point dither: offsets (arcsec east, north) of each exposure's pointing.
DITHER = ((0.0, 0.0), (0.55, 0.3), (-0.3, 0.55), (0.25, -0.45))
_BASE = "jw01523003001_03102_{:05d}_mirifushort_rate.fits"


def psf_fwhm(wavelength: np.ndarray) -> np.ndarray:
    """FWHM (arcsec) of the scene's PSF at ``wavelength`` (µm)."""
    return 0.033 * np.asarray(wavelength, np.float64) + 0.106


def point_source_jy(wavelength: np.ndarray, scale: float = 0.01) -> np.ndarray:
    """Flux density (Jy) of the injected source: a slope with one broad emission bump."""
    w = np.asarray(wavelength, np.float64)
    return scale * (1.0 + 0.08 * (w - 5.0) + 0.3 * np.exp(-0.5 * ((w - 8.5) / 0.4) ** 2))


def extended_source_mjysr(wavelength: np.ndarray, scale: float = 0.01) -> np.ndarray:
    """Peak surface brightness (MJy/sr) of the extended source at ``wavelength`` (µm): ``scale``
    Jy-scaled as :func:`point_source_jy` times 300 MJy/sr per Jy (a few MJy/sr)."""
    return 300.0 * point_source_jy(wavelength, scale)


@dataclass
class MrsScene:
    """What :func:`make_mrs_scene` wrote and the truth to compare with.

    Attributes
    ----------
    rate : the (first) ``_rate`` file.
    refs : reftype -> reference path (all in ``refs_dir``).
    refs_dir : the reference folder.
    ra, dec : the source (deg; also TARG_RA/TARG_DEC).
    scale : the source's flux density scale (Jy; :func:`point_source_jy`).
    source : ``point`` or ``extended``.
    rates : every exposure's ``_rate`` file (the dither positions in order).
    """

    rate: Path
    refs: dict[str, str]
    refs_dir: Path
    ra: float
    dec: float
    scale: float = 0.01
    wavelength: np.ndarray = field(default_factory=lambda: np.linspace(4.8, 8.0, 800), repr=False)
    source: str = "point"
    rates: list[Path] = field(default_factory=list)

    def truth(self, wavelength: np.ndarray) -> np.ndarray:
        """Injected flux density (Jy) of the point source at ``wavelength`` (µm)."""
        return point_source_jy(wavelength, self.scale)

    def surface_brightness(
        self, ra: np.ndarray, dec: np.ndarray, wavelength: np.ndarray
    ) -> np.ndarray:
        """The scene, sky included (MJy/sr), at (RA, Dec) deg and ``wavelength`` µm."""
        return _scene_image(ra, dec, wavelength, self.ra, self.dec, self.scale, self.source)

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
    folder: str | os.PathLike[str],
    *,
    seed: int = 1,
    scale: float = 0.01,
    source: Literal["point", "extended"] = "point",
    dither: Literal[1, 4] = 1,
) -> MrsScene:
    """Write the scene's rate files and references under ``folder``.

    Parameters
    ----------
    folder : the rate files go here, the references to ``folder/refs``.
    seed : of the noise (exposure ``i`` of a dither: ``seed + i``) and the
        references' pixel structure.
    scale : flux density scale of the source (Jy; the extended source's peak
        is :func:`extended_source_mjysr` of it).
    source : ``point`` (SRCTYAPT=POINT) or ``extended`` (SRCTYAPT=EXTENDED).
    dither : 1 exposure, or 4 at the :data:`DITHER` pointings (exposure
        numbers 1 to 4 in the file names).

    Returns
    -------
    The scene: paths and the injected truth.

    Raises
    ------
    ParameterError
        ``source`` or ``dither`` is none of the above.
    """
    from ..errors import ParameterError
    from .miri_mrs import MRS_POINTING

    if source not in ("point", "extended") or dither not in (1, 4):
        raise ParameterError(
            f"make_mrs_scene: source={source!r}, dither={dither!r}; "
            "choose source 'point' or 'extended' and dither 1 or 4"
        )
    folder = Path(folder)
    refs = write_scene_refs(folder / "refs", seed=seed)
    ra_ref, dec_ref = MRS_POINTING["RA_REF"], MRS_POINTING["DEC_REF"]
    rates: list[Path] = []
    gain, centre = None, None
    for i, (east, north) in enumerate(DITHER[:dither]):
        pointing = {"RA_REF": ra_ref + east / 3600.0 / np.cos(np.deg2rad(dec_ref)),
                    "DEC_REF": dec_ref + north / 3600.0}  # fmt: skip
        rate = folder / _BASE.format(i + 1)
        world, gain, found = _exposure(rate, refs, seed + i, source, pointing, gain)
        centre = found if centre is None else centre
        calibrated = _scene_image(*world, *centre, scale, source)
        _write_counts(rate, calibrated, gain, refs["mrsxartcorr"], seed + i, centre)
        rates.append(rate)
    assert centre is not None
    return MrsScene(rates[0], refs, folder / "refs", *centre, scale, source=source, rates=rates)


def _exposure(
    rate: Path,
    refs: dict[str, str],
    seed: int,
    source: str,
    pointing: dict[str, float],
    gain: np.ndarray | None,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, tuple[float, float]]:
    """Write a blank rate file; each pixel's (RA, Dec, lambda), the calibration factor
    (MJy/sr per DN/s: flat, fringe, photom) and the middle of channel 1's field."""
    from ..io.fits import open_exposure
    from ..pipeline import run_step
    from ..steps.assign_wcs import assign_wcs
    from ..wcs.store import get_wcs
    from .miri_mrs import make_mrs_rate

    keywords: dict[str, Any] = {"SRCTYAPT": source.upper(), "DITHOPFR": f"{source.upper()}-SOURCE",
                                "EXPMID": EXPMID, **pointing}  # fmt: skip
    make_mrs_rate(rate, seed=seed, sky=0.0, **keywords)
    ds = assign_wcs(open_exposure(rate), {t: refs[t] for t in (*MRS_WCS_FILES, "regions")})
    y, x = np.indices(ds["sci"].shape, dtype=np.float64)
    ra, dec, wave = get_wcs(ds)(x, y)
    left = np.isfinite(wave[:, :512])
    centre = float(np.median(ra[:, :512][left])), float(np.median(dec[:, :512][left]))
    if gain is None:  # the same pixels at every pointing
        unit = ds.assign(sci=ds["sci"].copy(data=np.ones(ds["sci"].shape, np.float32)))
        for step in ("flat_field", "fringe", "photom"):
            unit = run_step(unit, step, refs)
        gain = np.asarray(unit["sci"].values, np.float64)
    return (ra, dec, wave), gain, centre


def _write_counts(
    rate: Path,
    calibrated: np.ndarray,
    gain: np.ndarray,
    xartcorr: str,
    seed: int,
    centre: tuple[float, float],
) -> None:
    """The rate (DN/s) whose calibration is ``calibrated``: through the gain and the straylight
    backwards, plus noise; TARG_RA/TARG_DEC at the source."""
    from astropy.io import fits

    onsky = np.isfinite(calibrated) & np.isfinite(gain) & (gain != 0)
    target = np.where(onsky, calibrated / np.where(onsky, gain, 1.0), 0.0)
    with fits.open(rate) as hdul:
        channel, band = str(hdul[0].header["CHANNEL"]), str(hdul[0].header["BAND"])
    sci = _add_cross_artifact(target, xartcorr, channel, band)
    sci = sci + rng(seed).normal(0.0, NOISE, sci.shape)
    _rewrite_rate(rate, sci, TARG_RA=centre[0], TARG_DEC=centre[1])


def _scene_image(
    ra: np.ndarray,
    dec: np.ndarray,
    wave: np.ndarray,
    ra0: float,
    dec0: float,
    scale: float,
    source: str = "point",
) -> np.ndarray:
    """Surface brightness (MJy/sr) of the source and the sky at each position (NaN off the
    slices): the PSF-wide point source, or the extended Gaussian of :data:`EXTENDED_FWHM`."""
    dx = (np.asarray(ra) - ra0) * np.cos(np.deg2rad(dec0)) * 3600.0
    dy = (np.asarray(dec) - dec0) * 3600.0
    if source == "extended":
        sigma = np.full(np.shape(wave), EXTENDED_FWHM / (2.0 * np.sqrt(2.0 * np.log(2.0))))
        peak = extended_source_mjysr(wave, scale)
    else:
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
