"""Synthetic NIRCam grism time series (``NRC_TSGRISM``): a transit seen through GRISMR.

:func:`make_nircam_tsgrism` writes the references jwst 3.0.0 reads for the
mode (the synthetic NIRCam ``distortion``, ``filteroffset`` and GRISMR
``specwcs`` of :mod:`spec2x.synthetic.nircam_wfss_refs`, a time-series
``wavelengthrange``, the WFSS ``photom``, a SUBGRISM64 ``flat`` and an
``extract1d`` aperture) and a SUBGRISM64 ``_rateints`` (64 x 2048, F322W2):
one point source at the aperture reference point whose spectrum (F_nu in
MJy, :func:`source_flux`) times a transit light curve is dispersed where
spec2x's time-series grism WCS (equal to jwst's) puts it, converted to DN/s
through the inverse of photom (PHOTMJSR, the relative response, the
dispersion of each column) and of the flat, and spread over rows with a
Gaussian profile.  Calibrating and summing the aperture gives the flux back.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..instruments.nircam.tsgrism_wcs import tsgrism_wcs
from .base import TransitTruth, rng, transit_light_curve
from .extract_refs import write_extract1d
from .nircam_wfss_cal_refs import PHOTMJSR, relative_response, write_nircam_wfss_photom
from .nircam_wfss_refs import (
    WAVELENGTH_RANGES,
    write_nircam_wfss_references,
    write_wavelengthrange,
)
from .nirspec import observe
from .pixel_refs import write_flat
from .wfss import WFSS_POINTING

__all__ = ["PIXAR_SR", "exposure_keywords", "make_nircam_tsgrism", "source_flux"]

#: Pixel solid angle of the synthetic photom (sr).
PIXAR_SR = 9.30711286318865e-14
_FILTER = "F322W2"
_SHAPE = (64, 2048)
#: Where the trace lies: the aperture reference point (1-based as XREF_SCI/YREF_SCI).
_XREF, _YREF = 1560.0, 35.0
_SIGMA = 1.2  # cross-dispersion Gaussian sigma, pixels
_SKY = 0.5  # DN/s
#: The EXTRACT1D aperture: rows 29-41 around the trace, the columns it covers.
TSGRISM_APERTURE = {"id": "ANY", "region_type": "target", "dispaxis": 1, "xstart": 40,
                    "xstop": 1620, "ystart": 29, "ystop": 41, "bkg_coeff": [[2.5], [12.5],
                    [57.5], [62.5]], "bkg_fit": "poly", "bkg_order": 0}  # fmt: skip


def source_flux(wavelength: np.ndarray) -> np.ndarray:
    """The injected F_nu (MJy) out of transit: a smooth continuum with one absorption line."""
    lam = np.asarray(wavelength, np.float64)
    return 2e-3 * (3.2 / lam) ** 1.5 * (1 - 0.3 * np.exp(-0.5 * ((lam - 3.3) / 0.01) ** 2))


def exposure_keywords(nints: int) -> dict[str, object]:
    """The keywords of the synthetic SUBGRISM64 time series of ``nints`` integrations."""
    return {
        **WFSS_POINTING,
        "TELESCOP": "JWST", "INSTRUME": "NIRCAM", "DETECTOR": "NRCALONG", "MODULE": "A",
        "CHANNEL": "LONG", "FILTER": _FILTER, "PUPIL": "GRISMR", "EXP_TYPE": "NRC_TSGRISM",
        "SUBARRAY": "SUBGRISM64", "SUBSTRT1": 1, "SUBSTRT2": 1, "SUBSIZE1": _SHAPE[1],
        "SUBSIZE2": _SHAPE[0], "XREF_SCI": _XREF, "YREF_SCI": _YREF, "XOFFSET": 0.0,
        "YOFFSET": 0.0, "TSOVISIT": True, "NINTS": nints, "INTSTART": 1, "INTEND": nints,
        "EFFEXPTM": 20.0, "READPATT": "RAPID", "PATTTYPE": "NONE", "DATE-OBS": "2023-10-01",
        "TIME-OBS": "06:00:00", "EXPSTART": 60218.25, "DATAMODL": "CubeModel",
        "FILENAME": "nrc_tsgrism_rateints.fits",
    }  # fmt: skip


def _write_refs(folder: Path, seed: int) -> dict[str, Path]:
    refs = {k: v for k, v in write_nircam_wfss_references(folder).items() if k != "wavelengthrange"}
    refs["wavelengthrange"] = write_wavelengthrange(
        folder / "tsgrism_wavelengthrange.asdf", time_series=True
    )
    refs["photom"] = write_nircam_wfss_photom(folder / "nircam_grism_photom.fits", ("GRISMR",))
    refs["flat"] = write_flat(
        folder / "nircam_tsgrism_flat.fits",
        instrument="NIRCAM",
        detector="NRCALONG",
        exp_type="NRC_TSGRISM",
        shape=_SHAPE,
        seed=seed,
        subarray="SUBGRISM64",
        FILTER=_FILTER,
        PUPIL="GRISMR",
    )
    refs["extract1d"] = write_extract1d(
        folder / "nircam_tsgrism_extract1d.json",
        [TSGRISM_APERTURE],
        instrument="NIRCAM",
        exp_type="NRC_TSGRISM",
    )
    return refs


def _source_rate(attrs: dict[str, object], refs: dict[str, Path]) -> tuple[np.ndarray, np.ndarray]:
    """(y, x) DN/s of the source before the flat, and the trace wavelength (µm) per column."""
    from astropy.io import fits

    wcs = tsgrism_wcs(attrs, refs, shape=_SHAPE)
    x = np.arange(_SHAPE[1], dtype=np.float64)
    lam = np.asarray(wcs(x, np.full_like(x, _YREF), 1)[2])
    low, high = WAVELENGTH_RANGES[_FILTER][1]
    response = relative_response(lam, low, high)
    per_pixel = np.abs(np.gradient(lam))
    inside = (lam > low) & (lam < high)
    column = np.where(
        inside, source_flux(lam) / (PHOTMJSR[1] * response * PIXAR_SR) * per_pixel, 0.0
    )
    rows = np.arange(_SHAPE[0], dtype=np.float64)[:, None]
    profile = np.exp(-0.5 * ((rows - _YREF) / _SIGMA) ** 2) / (_SIGMA * np.sqrt(2 * np.pi))
    with fits.open(refs["flat"]) as hdul:
        flat = np.nan_to_num(np.asarray(hdul["SCI"].data, np.float64), nan=1.0)
    return profile * column[None] * flat, lam


def make_nircam_tsgrism(
    seed: int | np.random.Generator | None,
    *,
    nints: int = 3,
    depth: float = 0.01,
    folder: str | os.PathLike[str] = ".",
    noise: bool = True,
) -> TransitTruth:
    """Write the references and a NIRCam grism time-series ``_rateints.fits`` into ``folder``.

    Parameters
    ----------
    seed : random seed (flat structure, noise, bad pixels).
    nints : integrations; depth : transit depth (fraction), the transit
        lasting 40 % of the series around its middle.
    folder : where the files go (references under ``refs/``).
    noise : add read and photon noise.

    Returns
    -------
    :class:`~spec2x.synthetic.base.TransitTruth` (``wavelength`` µm and ``flux``
    MJy on the trace columns, out of transit).
    """
    from ..io.fits import write_fits

    gen = rng(seed)
    folder = Path(folder)
    refs = _write_refs(folder / "refs", int(gen.integers(0, 2**31)))
    attrs = exposure_keywords(nints)
    rate, lam = _source_rate(attrs, refs)
    curve = transit_light_curve((np.arange(nints) + 0.5) / nints, depth)
    signal = curve[:, None, None] * rate[None] + _SKY
    t_int = float(attrs["EFFEXPTM"]) / 86400.0  # type: ignore[arg-type]
    start = 60218.25 + np.arange(nints) * t_int
    ds = observe(
        signal,
        attrs,
        gen,
        noise=noise,
        int_times={
            "integration_number": np.arange(1, nints + 1, dtype=np.int32),
            "int_start_MJD_UTC": start,
            "int_mid_MJD_UTC": start + t_int / 2,
            "int_end_MJD_UTC": start + t_int,
        },
    )
    path = write_fits(ds, folder / str(attrs["FILENAME"]))
    order = np.argsort(lam)
    return TransitTruth(path, refs, lam[order], source_flux(lam[order]), curve, depth)
