"""Synthetic NIRSpec bright-object time series (``NRS_BRIGHTOBJ``): a transit in S1600A1.

:func:`make_nirspec_bots` writes the optical and calibration references (as
:func:`spec2x.synthetic.nirspec.make_nirspec_fs` does) and one
``_rateints.fits``: the SUB2048 subarray (32 x 2048) centred on the S1600A1
trace, ``nints`` integrations of a point source whose calibrated spectrum is
:func:`~spec2x.synthetic.nirspec.source_spectrum` times a trapezoid transit
light curve (:func:`~spec2x.synthetic.base.transit_light_curve`), a uniform
sky in the slit, read and photon noise and a few flagged bad pixels.  The
source is placed with spec2x's WCS (which matches jwst's) and converted to
DN/s through the inverse of photom, pathloss and the NIRSpec flat, so
calibrating gives ``flux * light_curve`` back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..instruments.nirspec import slits as ns
from ..instruments.nirspec.fs import open_fixed_slits
from . import nirspec as fs
from .base import TransitTruth, rng, transit_light_curve

__all__ = ["NirspecBotsTruth", "make_nirspec_bots"]

_SLIT = "S1600A1"
_SUBARRAY = "SUB2048"


@dataclass
class NirspecBotsTruth(TransitTruth):
    """What a synthetic NIRSpec BOTS observation holds: :class:`TransitTruth` (flux in MJy)
    and the source position in the S1600A1 slit frame (``source_xpos``, ``source_ypos``)."""

    source_xpos: float
    source_ypos: float


def make_nirspec_bots(
    seed: int | np.random.Generator | None,
    *,
    grating: str = "G140M",
    filter: str = "F100LP",
    nints: int = 20,
    depth: float = 0.01,
    xoffset: float = 0.05,
    folder: str | os.PathLike[str] = ".",
    noise: bool = True,
) -> NirspecBotsTruth:
    """Write the references and a NIRSpec BOTS ``_rateints.fits`` into ``folder``.

    Parameters
    ----------
    seed : random seed (noise, bad pixels).
    grating, filter : G140M/F100LP, G395M/F290LP or PRISM/CLEAR.
    nints : integrations; depth : transit depth (fraction), the transit
        lasting 40 % of the series around its middle.
    xoffset : dither offset across the slit (arcsec, ideal x) -> ``source_xpos``.
    noise : add read and photon noise.
    """
    from ..io.fits import write_fits
    from ..steps.extract_2d import source_position_in_slit
    from ._nirspec_fs_inverse import uncalibrate, write_fs_calibration_refs

    grating, filter = grating.upper(), filter.upper()
    gen = rng(seed)
    folder = Path(folder)
    refs_dir = folder / "refs"
    refs, opened = fs.optical_refs(refs_dir, grating, filter)
    ny, nx = fs._SUBARRAY_SIZE[_SUBARRAY]
    attrs = fs._attrs(grating, filter, "NRS1", _SUBARRAY, 1)
    attrs.update(
        EXP_TYPE="NRS_BRIGHTOBJ",
        FXD_SLIT=_SLIT,
        PATTTYPE="NONE",
        NUMDTHPT=1,
        TSOVISIT=True,
        NINTS=nints,
        INTSTART=1,
        INTEND=nints,
        EFFEXPTM=10.0,
        DATAMODL="CubeModel",
        XOFFSET=xoffset,
        YOFFSET=0.0,
        FILENAME="nrs_bots_rateints.fits",
    )
    optics = ns.build_optics(attrs, opened)
    attrs["SUBSTRT2"] = fs._subarray_start(optics, _SUBARRAY, _SLIT)
    attrs["V2_REF"], attrs["V3_REF"] = fs._slit_centre_v2v3(optics, _SLIT)
    seed_int = int(gen.integers(0, 2**31))
    cal_paths = write_fs_calibration_refs(
        refs_dir, grating, filter, "NRS1", (attrs["SUBSTRT2"] - 1 + ny, 2048), fs.PHOTMJ, seed_int
    )
    optics = ns.build_optics(attrs, opened)
    slit = open_fixed_slits(attrs)[0]
    xpos, ypos = source_position_in_slit(attrs, ns.slit_wcs(optics, slit))
    source, inslit = fs._inject(optics, (ny, nx), xpos, ypos, _SLIT)
    rate = uncalibrate(source, dict(attrs, DATAMODL="ImageModel"), opened, cal_paths)
    curve = transit_light_curve((np.arange(nints) + 0.5) / nints, depth)
    signal = curve[:, None, None] * rate[None] + np.where(inslit, fs._SKY, 0.0)[None]
    t_int = attrs["EFFEXPTM"] / 86400.0
    start = 60000.0 + np.arange(nints) * t_int
    ds = fs.observe(
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
    path = write_fits(ds, folder / attrs["FILENAME"])
    refs.update(cal_paths)
    wave = np.linspace(*optics.wrange, 2000) * 1e6
    return NirspecBotsTruth(
        path, refs, wave, fs.source_spectrum(wave), curve, depth, float(xpos), float(ypos)
    )
