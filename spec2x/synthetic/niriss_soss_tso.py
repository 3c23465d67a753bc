"""A synthetic NIRISS SOSS transit: ``_rateints`` and every reference the chain reads.

The SUBSTRIP256 exposure of :func:`~spec2x.synthetic.niriss_soss.make_soss_rateints`
with the zodiacal ``bkg`` template (twice its level) added and a transit of
``depth`` in the middle of the integrations; the references are the SOSS
WCS/extraction files and the ``bkg``, ``flat`` and ``photom`` files.  The
truth is order 1's spectrum after photom: the injected DN/s per column
times the order's throughput, ``photmj`` and relative response (MJy).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr

from .base import TransitTruth, transit_light_curve
from .niriss_soss import default_spectrum, make_soss_rateints
from .niriss_soss_cal_refs import (
    PHOTMJ,
    relative_response,
    soss_background_template,
    write_soss_cal_references,
)
from .niriss_soss_refs import pastasoss_content, write_soss_references

__all__ = ["SossTransit", "make_soss_transit", "soss_transit_rateints", "soss_transit_refs"]


class SossTransit(TransitTruth):
    """The files and truth of :func:`make_soss_transit` (flux: order 1's, MJy)."""


def make_soss_transit(
    folder: str | os.PathLike[str], *, nints: int = 60, depth: float = 0.01, seed: int = 1
) -> SossTransit:
    """Write ``folder/jw_soss_transit_rateints.fits`` and ``folder/refs``; return the truth."""
    from ..io.fits import write_fits

    folder = Path(folder)
    refs = soss_transit_refs(folder / "refs")
    curve = transit_light_curve(np.linspace(0.0, 1.0, nints), depth)
    ds = soss_transit_rateints(nints, depth=depth, seed=seed)
    path = write_fits(ds, folder / "jw_soss_transit_rateints.fits")
    model = pastasoss_content().orders[1]
    wave = np.linspace(0.9, 2.8, 400)
    thru = np.interp(wave, model.throughput_wavelength, model.throughput)
    flux = default_spectrum(wave) * thru * PHOTMJ[1] * relative_response(wave, 1)
    return SossTransit(path, refs, wave, flux, curve, depth)


def soss_transit_refs(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """Write every reference the chain reads into ``folder``; reftype -> path."""
    return {**write_soss_references(folder), **write_soss_cal_references(folder)}


def soss_transit_rateints(
    nints: int, *, depth: float = 0.01, seed: int = 1, chunks: int | None = None
) -> xr.Dataset:
    """The transit ``_rateints`` of :func:`make_soss_transit` (Dask, made chunk by chunk, with
    ``chunks``: see :func:`~spec2x.synthetic.niriss_soss.make_soss_rateints`)."""
    curve = transit_light_curve(np.linspace(0.0, 1.0, nints), depth)
    return make_soss_rateints(
        nints=nints,
        background=2.0 * soss_background_template(),
        light_curve=curve,
        seed=seed,
        chunks=chunks,
    )
