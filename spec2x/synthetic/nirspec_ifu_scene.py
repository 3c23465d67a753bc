"""A synthetic NIRSpec IFU observation: a point source of known spectrum on a flat sky, and every
reference its calwebb_spec2 chain reads.

:func:`make_nirspec_ifu_scene` writes the IFU optics and calibration
references (:mod:`.nirspec_ifu`), a ``cubepar`` (:mod:`.nirspec_cubepar`),
an IFU ``extract1d``, the IFU ``apcorr`` of the source's Gaussian PSF as the
cube sees it, ``msaoper`` with the full MSA, and a full-frame rate
file: the flat 1 DN/s sky of :func:`.nirspec_ifu.make_nirspec_ifu_rate` plus
a Gaussian point source (``SRCTYAPT = POINT``, at TARG_RA/TARG_DEC) near the
middle of the field.
The source is injected in count rate through the chain's own calibration:
each pixel gets ``S(ra, dec, lambda) / c`` where ``S`` is the source's
surface brightness (MJy/sr) and ``c`` the pixel's calibration (MJy/sr per
DN/s: flat, point-source pathloss, photom) measured by calibrating the sky
alone.  jwst 3.0.0's ``Spec2Pipeline`` runs on it offline with these files as
overrides; the ``x1d`` gives :meth:`NirspecIfuScene.flux_jy` back.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..instruments.nirspec.ifu import ifu_coordinates
from .ifu_extract_refs import write_ifu_extract1d, write_nrs_ifu_apcorr
from .nirspec_cubepar import write_nirspec_cubepar
from .nirspec_ifu import (
    ifu_filter,
    make_nirspec_ifu_rate,
    nirspec_ifu_cal_paths,
    nirspec_ifu_paths,
)
from .nirspec_msa import write_msaoper
from .nirspec_refs import write_msa

__all__ = ["NirspecIfuScene", "make_nirspec_ifu_scene", "nirspec_ifu_chain_refs"]

#: Offset (arcsec) of the source from the median sky position of the IFU pixels (RA, Dec).
_OFFSET = (0.12, -0.07)
#: Size (arcsec) of the detector pixels (across a slice) and of the cube's spaxels.
_SAMPLING = 0.1


@dataclass(frozen=True)
class NirspecIfuScene:
    """The observation: its rate file, references and the injected source.

    Attributes
    ----------
    rate : the ``_rate`` file.
    refs : reftype -> path, for ``spec2x run --ref`` and jwst's overrides.
    ra, dec : the source's position (deg).
    fwhm : its Gaussian FWHM (arcsec).
    peak : its peak surface brightness at 3 µm (MJy/sr).
    """

    rate: Path
    refs: dict[str, Path]
    ra: float
    dec: float
    fwhm: float
    peak: float

    def surface_brightness(self, wave: np.ndarray) -> np.ndarray:
        """The source's peak surface brightness (MJy/sr) at ``wave`` (µm)."""
        return self.peak * (1.0 + 0.1 * (np.asarray(wave, np.float64) - 3.0))

    def flux_jy(self, wave: np.ndarray) -> np.ndarray:
        """The source's flux density (Jy) at ``wave`` (µm): peak x 2 pi sigma^2 (sr) x 1e6."""
        sigma = self.fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0))) * math.pi / (180.0 * 3600.0)
        return self.surface_brightness(wave) * 2.0 * math.pi * sigma**2 * 1.0e6


def nirspec_ifu_chain_refs(
    folder: str | os.PathLike[str], grating: str = "PRISM", *, fwhm: float = 0.2
) -> dict[str, Path]:
    """Every reference of the IFU chain of ``grating`` (NRS1), written into ``folder``.

    The ``apcorr`` is that of a Gaussian point source of ``fwhm`` (arcsec)
    sampled by the pixels and drizzled onto the spaxels (both 0.1"): each box
    adds ``0.1**2 / 12`` to the Gaussian's variance.
    """
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    grating = grating.upper()
    to_sigma = 2.0 * math.sqrt(2.0 * math.log(2.0))
    cube_fwhm = to_sigma * math.sqrt((fwhm / to_sigma) ** 2 + 2.0 * _SAMPLING**2 / 12.0)
    return {
        **nirspec_ifu_paths(d, grating),
        **nirspec_ifu_cal_paths(d, grating),
        "cubepar": write_nirspec_cubepar(d / "spec2x_nrs_ifu_cubepar.fits"),
        "extract1d": write_ifu_extract1d(
            d / "spec2x_nrs_ifu_extract1d.asdf",
            instrument="NIRSPEC",
            exp_type="NRS_IFU",
            wavelength=(0.5, 5.5),
        ),
        "apcorr": write_nrs_ifu_apcorr(
            d / f"spec2x_nrs_ifu_apcorr_{grating.lower()}.asdf",
            grating=grating,
            filter_name=ifu_filter(grating),
            fwhm=(0.0, cube_fwhm),
        ),
        "msaoper": write_msaoper(d / "spec2x_nirspec_msaoper.json"),
        "msa": write_msa(d / "spec2x_nirspec_msa_full.asdf"),
    }


def make_nirspec_ifu_scene(
    folder: str | os.PathLike[str],
    grating: str = "PRISM",
    *,
    seed: int = 0,
    fwhm: float = 0.2,
    contrast: float = 300.0,
) -> NirspecIfuScene:
    """Write the observation into ``folder`` and describe it.

    Parameters
    ----------
    folder : where the rate file and references go.
    grating : PRISM or a synthetic grating.
    seed : seeds the sky's noise.
    fwhm : the source's FWHM (arcsec).
    contrast : the source's peak at 3 µm over the median calibrated sky.
    """
    from ..io.fits import open_exposure, write_fits
    from ..pipeline import spec2

    d = Path(folder)
    refs = nirspec_ifu_chain_refs(d, grating, fwhm=fwhm)
    sky = make_nirspec_ifu_rate(d / "sky_rate.fits", grating, seed=seed, SRCTYAPT="POINT")
    cal = spec2(sky, refs, skip=("cube_build", "extract_1d"))["cal"]
    coords = ifu_coordinates(cal)
    rate = open_exposure(sky)
    calibration = cal["sci"].values / rate["sci"].values  # MJy/sr per DN/s, each pixel
    ra, dec = coords["ra"].values, coords["dec"].values
    dec0 = float(np.nanmedian(dec)) + _OFFSET[1] / 3600.0
    ra0 = float(np.nanmedian(ra)) + _OFFSET[0] / 3600.0 / math.cos(math.radians(dec0))
    peak = contrast * float(np.nanmedian(cal["sci"].values))
    scene = NirspecIfuScene(d / f"nrs_ifu_{grating.lower()}_rate.fits", refs, ra0, dec0, fwhm, peak)
    dx = (ra - ra0) * math.cos(math.radians(dec0)) * 3600.0
    dy = (dec - dec0) * 3600.0
    sigma = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    source = np.exp(-(dx**2 + dy**2) / (2 * sigma**2)) * scene.surface_brightness(
        coords["wavelength"].values
    )
    added = np.where(np.isfinite(source) & np.isfinite(calibration), source / calibration, 0.0)
    sci = (rate["sci"].values + added).astype(np.float32)
    out = rate.assign(sci=(("y", "x"), sci, rate["sci"].attrs))
    write_fits(out.assign_attrs(TARG_RA=ra0, TARG_DEC=dec0), scene.rate)
    return scene
