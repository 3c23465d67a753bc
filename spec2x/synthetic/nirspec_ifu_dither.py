"""A synthetic NIRSpec IFU dither: an extended source of known surface brightness seen at four
pointings, each exposure with its imprint (leakcal) member.

:func:`make_nirspec_ifu_dither` writes the references of
:func:`.nirspec_ifu_scene.nirspec_ifu_chain_refs`, four full-frame ``_rate``
files (``SRCTYAPT = EXTENDED``, ``PATT_NUM`` 1-4, the pointing moved by
:data:`DITHER`), four imprint exposures (the MSA-closed grid of
:func:`.nirspec_msa_scene.imprint_exposure`, ``PATT_NUM`` of their position) and
one level-2 association per science exposure listing every imprint (jwst's
imprint_subtract picks the one of the same position).  The scene
(:meth:`NirspecIfuDither.surface_brightness`, MJy/sr): a uniform sky plus a
circular Gaussian centred on the first pointing's field, both with linear
spectra.  Each science pixel's rate is the scene at the pixel's (RA, Dec,
lambda) over its calibration (flat, uniform pathloss, photom: MJy/sr per DN/s,
measured by calibrating a unit sky with spec2x's chain; it does not depend on
the pointing), plus the rate file's noise and the imprint exposure, so the
chain (imprint_subtract on) gives the scene back up to the noise.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..demo_files import write_nod_association
from ..instruments.nirspec.ifu import ifu_coordinates
from .nirspec_ifu import IFU_POINTING, make_nirspec_ifu_rate
from .nirspec_ifu_scene import nirspec_ifu_chain_refs
from .nirspec_msa_scene import imprint_exposure

__all__ = ["DITHER", "EXTENDED_FWHM", "NirspecIfuDither", "make_nirspec_ifu_dither"]

#: The 4-point dither: offsets (arcsec east, north) of each exposure's pointing (field 3").
DITHER = ((0.0, 0.0), (0.35, 0.2), (-0.2, 0.35), (0.15, -0.3))
#: FWHM (arcsec) of the extended source.
EXTENDED_FWHM = 2.0
#: Peak of the source and level of the sky at 3 µm, in units of the median calibrated unit sky.
_PEAK, _SKY = 100.0, 20.0


@dataclass(frozen=True)
class NirspecIfuDither:
    """What :func:`make_nirspec_ifu_dither` wrote and the truth to compare with.

    Attributes
    ----------
    rates : the four ``_rate`` files, by dither position.
    imprints : the four imprint ``_rate`` files, by position.
    asns : the four level-2 associations (science ``i`` and every imprint).
    refs : reftype -> path, for ``spec2x run --ref`` and jwst's overrides.
    ra, dec : the source's centre (deg; also TARG_RA/TARG_DEC).
    peak, sky : the source's peak and the sky's surface brightness at 3 µm (MJy/sr).
    fwhm : the source's FWHM (arcsec).
    """

    rates: list[Path]
    imprints: list[Path]
    asns: list[Path]
    refs: dict[str, Path] = field(repr=False)
    ra: float
    dec: float
    peak: float
    sky: float
    fwhm: float = EXTENDED_FWHM

    def surface_brightness(self, ra: np.ndarray, dec: np.ndarray, wave: np.ndarray) -> np.ndarray:
        """The scene (MJy/sr) at (``ra``, ``dec``) (deg) and ``wave`` (µm), broadcast."""
        ra, dec, wave = (np.asarray(a, np.float64) for a in (ra, dec, wave))
        dx = (ra - self.ra) * math.cos(math.radians(self.dec)) * 3600.0
        dy = (dec - self.dec) * 3600.0
        sigma = self.fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
        gauss = np.exp(-(dx**2 + dy**2) / (2.0 * sigma**2))
        return self.sky * (1.0 - 0.05 * (wave - 3.0)) + self.peak * gauss * (
            1.0 + 0.1 * (wave - 3.0)
        )


def make_nirspec_ifu_dither(
    folder: str | os.PathLike[str], grating: str = "PRISM", *, seed: int = 0
) -> NirspecIfuDither:
    """Write the dither into ``folder`` and describe it.

    Parameters
    ----------
    folder : where the rate, imprint and association files and the references go.
    grating : PRISM or a synthetic grating.
    seed : seeds the noise (exposure ``i``: ``seed + i``; its imprint ``seed + 10 + i``).
    """
    from ..io.fits import open_exposure, write_fits
    from ..pipeline import spec2
    from ..steps.assign_wcs import assign_wcs

    d = Path(folder)
    refs = nirspec_ifu_chain_refs(d, grating)
    unit = make_nirspec_ifu_rate(d / "unit_sky_rate.fits", grating, seed=seed, SRCTYAPT="EXTENDED")
    cal = spec2(unit, refs, skip=("imprint_subtract", "cube_build", "extract_1d"))["cal"]
    calibration = cal["sci"].values / open_exposure(unit)["sci"].values  # MJy/sr per DN/s
    level = float(np.nanmedian(cal["sci"].values))
    coords = ifu_coordinates(cal)
    dec0 = float(np.nanmedian(coords["dec"].values))
    ra0 = float(np.nanmedian(coords["ra"].values))
    rates = [d / f"jw01234001001_0310{i + 1}_00001_nrs1_rate.fits" for i in range(len(DITHER))]
    imprints = [d / f"jw01234001001_0410{i + 1}_00001_nrs1_rate.fits" for i in range(len(DITHER))]
    scene = NirspecIfuDither(
        rates, imprints, [p.with_name(p.name.replace("_rate.fits", "_asn.json")) for p in rates],
        refs, ra0, dec0, _PEAK * level, _SKY * level,
    )  # fmt: skip
    ra_ref, dec_ref = IFU_POINTING["RA_REF"], IFU_POINTING["DEC_REF"]
    paths = {reftype: os.fspath(path) for reftype, path in refs.items()}
    for i, (east, north) in enumerate(DITHER):
        keywords = {
            "SRCTYAPT": "EXTENDED", "PATT_NUM": i + 1, "OBSERVTN": "001", "BKGDTARG": False,
            "RA_REF": ra_ref + east / 3600.0 / math.cos(math.radians(dec_ref)),
            "DEC_REF": dec_ref + north / 3600.0, "TARG_RA": ra0, "TARG_DEC": dec0,
        }  # fmt: skip
        rate = open_exposure(make_nirspec_ifu_rate(rates[i], grating, seed=seed + i, **keywords))
        at = ifu_coordinates(assign_wcs(rate, paths))
        truth = scene.surface_brightness(at["ra"].values, at["dec"].values, at["wavelength"].values)
        added = truth / calibration
        noise = rate["sci"].values - 1.0
        sci = np.where(np.isfinite(added), noise + added, rate["sci"].values)
        imprint = imprint_exposure(rate, seed + 10 + i, FILENAME=imprints[i].name)
        write_fits(imprint, imprints[i])
        sci = (sci + imprint["sci"].values).astype(np.float32)
        write_fits(rate.assign(sci=(("y", "x"), sci, rate["sci"].attrs)), rates[i])
    for science, asn in zip(rates, scene.asns, strict=True):
        write_nod_association(asn, science, (), imprints=imprints)
    return scene
