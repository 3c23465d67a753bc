"""Synthetic WFSS background templates: the ``bkg`` reference of NIRCam and NIRISS WFSS.

A ``WfssBkgModel`` (SCI, ERR, DQ, DQ_DEF; full frame) valid for jwst
3.0.0's datamodels: a smooth sky-like template near 1 (a slope along the
dispersion, a broad bump, seeded pixel scatter) with a few DO_NOT_USE
pixels at zero.  :func:`wfss_background_template` gives the same image for
putting a known background into a synthetic exposure.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from astropy.io import fits

from ..dq import DQ
from .base import reference_header, rng, write_reference_fits
from .pixel_refs import _dq_def_hdu

__all__ = ["wfss_background_template", "write_wfss_bkg", "write_wfss_bkg_exposure"]

_SHAPE = (2048, 2048)
#: instrument -> (DETECTOR, EXP_TYPE, default FILTER, default PUPIL).
_SELECTORS = {
    "NIRCAM": ("NRCALONG", "NRC_WFSS", "F356W", "GRISMR"),
    "NIRISS": ("NIS", "NIS_WFSS", "GR150R", "F200W"),
}


def wfss_background_template(
    seed: int = 0, shape: tuple[int, int] = _SHAPE
) -> tuple[np.ndarray, np.ndarray]:
    """(template float32, dq uint32): a smooth pattern near 1, 0.1 % of pixels zero and DO_NOT_USE."""
    gen = rng(seed)
    yy, xx = np.indices(shape, dtype=np.float64) / np.array(shape, dtype=np.float64)[:, None, None]
    smooth = 0.8 + 0.3 * xx + 0.15 * np.exp(-((xx - 0.6) ** 2 + (yy - 0.4) ** 2) / 0.08)
    sci = (smooth * (1 + 0.01 * gen.standard_normal(shape))).astype(np.float32)
    dq = np.zeros(shape, np.uint32)
    bad = gen.choice(sci.size, size=sci.size // 1000, replace=False)
    sci.flat[bad] = 0.0
    dq.flat[bad] = np.uint32(DQ.DO_NOT_USE)
    return sci, dq


def write_wfss_bkg(
    path: str | os.PathLike[str],
    instrument: str = "NIRCAM",
    *,
    filter: str | None = None,
    pupil: str | None = None,
    seed: int = 0,
) -> Path:
    """Write a full-frame WFSS ``bkg`` reference (``WfssBkgModel``) of
    :func:`wfss_background_template`.

    Parameters
    ----------
    path : output file.
    instrument : NIRCAM (NRCALONG, F356W/GRISMR by default) or NIRISS (GR150R/F200W).
    filter, pupil : the FILTER and PUPIL selectors (None: the instrument's default).
    seed : of the template's pixel scatter and bad pixels.
    """
    detector, exp_type, default_filter, default_pupil = _SELECTORS[instrument.upper()]
    sci, dq = wfss_background_template(seed)
    hdr = reference_header(
        "bkg",
        instrument,
        DETECTOR=detector,
        EXP_TYPE=exp_type,
        FILTER=filter or default_filter,
        PUPIL=pupil or default_pupil,
        SUBARRAY="FULL",
        SUBSTRT1=1,
        SUBSTRT2=1,
        SUBSIZE1=sci.shape[1],
        SUBSIZE2=sci.shape[0],
        BUNIT="DN/s",
    )
    hdus = [
        fits.ImageHDU(sci, name="SCI"),
        fits.ImageHDU((0.001 * sci).astype(np.float32), name="ERR"),
        fits.ImageHDU(dq, name="DQ"),
        _dq_def_hdu(["DO_NOT_USE"]),
    ]
    return write_reference_fits(path, hdr, hdus, datamodel="WfssBkgModel")


def write_wfss_bkg_exposure(
    folder: str | os.PathLike[str],
    refs: dict[str, Path],
    *,
    instrument: str = "NIRCAM",
    scale: float = 1.7,
    n_sources: int = 60,
    seed: int = 0,
    **keywords: Any,
) -> dict[str, object]:
    """A WFSS exposure whose sky is ``scale`` times the template, with its point sources'
    spectra dispersed on it, and the matching ``bkg`` reference.

    Parameters
    ----------
    folder : where the files go.
    refs : the instrument's synthetic WCS references (with ``wavelengthrange``).
    instrument : NIRCAM or NIRISS.
    scale : the background level as a multiple of the template (the truth the fit finds).
    n_sources, seed, keywords : as :func:`spec2x.synthetic.wfss.write_wfss_exposure`.

    Returns
    -------
    :func:`~spec2x.synthetic.wfss.write_wfss_exposure`'s files plus ``bkg`` (path).
    """
    from ..io.fits import open_product, write_fits
    from ..io.references import open_reference
    from ..io.source_catalog import read_source_catalog
    from ..steps.assign_wcs import assign_wcs
    from ..wcs.store import get_wcs
    from .wfss import write_wfss_exposure
    from .wfss_inject import inject_point_sources

    folder = Path(folder)
    template, _ = wfss_background_template(seed)
    files = write_wfss_exposure(
        folder, refs, instrument=instrument, n_sources=n_sources, seed=seed,
        background=scale * template, **keywords,
    )  # fmt: skip
    rate = open_product(files["rate"])
    assert isinstance(rate, xr.Dataset)
    element = rate.attrs["FILTER" if instrument.upper() == "NIRCAM" else "PUPIL"]
    wcs_refs = {k: str(refs[k]) for k in ("distortion", "filteroffset", "specwcs")}
    wcs = get_wcs(assign_wcs(rate, wcs_refs))
    ranges = open_reference(refs["wavelengthrange"]).content
    cat = read_source_catalog(files["catalog"])
    point = ~cat.is_extended
    sci = rate["sci"].values.copy()
    brightness = 10.0 ** (-0.4 * (cat.abmag[point] - 20.0))
    for order, band in ranges.for_orders(element, ranges.orders_for(element)).items():
        inject_point_sources(
            sci, wcs, cat.ra[point], cat.dec[point], brightness,
            lambda lam: np.full(np.shape(lam), 200.0), band, order=order,
        )  # fmt: skip
    write_fits(rate.assign(sci=(rate["sci"].dims, sci, rate["sci"].attrs)), files["rate"])
    pupil = rate.attrs.get("PUPIL")
    bkg = write_wfss_bkg(
        folder / f"{instrument.lower()}_wfss_bkg.fits", instrument,
        filter=rate.attrs.get("FILTER"), pupil=pupil, seed=seed,
    )  # fmt: skip
    return {**files, "bkg": bkg}
