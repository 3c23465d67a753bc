"""Synthetic NIRSpec fixed-slit observations: rate files with a known point source.

:func:`make_nirspec_fs` writes the optical references (:mod:`.nirspec_refs`)
and a nodded pair of ``_rate.fits`` exposures.  A point source with a known
spectrum sits in the primary slit S200A1, off-centre along the dispersion
(``XOFFSET``, so the slit position ``source_xpos`` differs from 0 and
wavecorr matters) and at two nod positions along the slit (``YOFFSET``).  It
is placed with spec2x's WCS of each exposure (which matches jwst's): the trace
is where the slit point ``(source_xpos, source_ypos)`` lands at each
wavelength, with a Gaussian cross-dispersion profile; a uniform sky fills the
slit, plus read and photon noise and a few flagged bad pixels.

Flux scale: the source is drawn as the calibrated (``cal``) image would show
it, ``F_nu(lambda) * profile`` MJy per pixel with the profile summing to 1
over a column, then converted to DN/s through the inverse of photom, pathloss
and the NIRSpec flat with the synthetic references written beside the optical
ones (:mod:`._nirspec_fs_inverse`); calibrating with them gives the spectrum
back.  ``calibration=False`` uses ``DN/s = MJy / PHOTMJ`` instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import xarray as xr
from scipy.special import erf

from ..datamodel import make_exposure
from ..dq import DQ
from ..instruments.nirspec import slits as ns
from ..instruments.nirspec.fs import open_fixed_slits
from ..io.references import open_reference
from .base import rng
from .nirspec_refs import GRATINGS, write_nirspec_optical_refs

__all__ = [
    "PHOTMJ",
    "NirspecFSTruth",
    "inject_point_source",
    "make_nirspec_fs",
    "source_spectrum",
]

#: MJy per DN/s used to inject the source (flat = pathloss = relresponse = 1).
PHOTMJ = 1.0e-4
_SUBARRAY_SIZE = {"FULL": (2048, 2048), "SUBS200A1": (64, 2048), "SUB2048": (32, 2048)}
_READ_NOISE = 0.01  # DN/s per pixel (1 sigma) in a rate image
_SKY = 0.05  # DN/s per pixel inside the slit
_PSF_SIGMA = 0.9  # pixels, cross-dispersion


@dataclass
class NirspecFSTruth:
    """What a synthetic NIRSpec FS observation holds.

    Attributes
    ----------
    rate_paths : the nodded ``_rate.fits`` files (source at nod 1, nod 2).
    refs_dir : folder of the optical references; refs : reftype -> path.
    wavelength : µm; flux : MJy, the injected source spectrum on that grid.
    source_xpos, source_ypos : source position in the S200A1 slit frame
        (slit units) in each exposure.
    photmj : MJy per DN/s of the injection.
    attrs : the keywords of each exposure.
    """

    rate_paths: list[Path]
    refs_dir: Path
    refs: dict[str, Path]
    wavelength: np.ndarray
    flux: np.ndarray
    source_xpos: list[float]
    source_ypos: list[float]
    photmj: float = PHOTMJ
    attrs: list[dict[str, Any]] = field(default_factory=list)


def source_spectrum(wavelength_um: np.ndarray) -> np.ndarray:
    """The injected point-source spectrum, F_nu in MJy (a smooth slope with two lines)."""
    w = np.asarray(wavelength_um, float)
    cont = 2.0e-3 * (w / 2.0) ** -1.0
    lines = 1.5e-3 * np.exp(-0.5 * ((w - 1.28) / 0.002) ** 2) + 1.0e-3 * np.exp(
        -0.5 * ((w - 4.05) / 0.005) ** 2
    )
    return cont + lines


def _attrs(
    grating: str, filter_name: str, detector: str, subarray: str, ystart: int
) -> dict[str, Any]:
    ny, nx = _SUBARRAY_SIZE[subarray]
    return {
        "TELESCOP": "JWST",
        "INSTRUME": "NIRSPEC",
        "DETECTOR": detector,
        "FILTER": filter_name,
        "GRATING": grating,
        "FXD_SLIT": "S200A1",
        "EXP_TYPE": "NRS_FIXEDSLIT",
        "SUBARRAY": subarray,
        "SUBSTRT1": 1,
        "SUBSTRT2": ystart,
        "SUBSIZE1": nx,
        "SUBSIZE2": ny,
        "GWA_XTIL": 0.3467,
        "GWA_YTIL": 0.1334,
        "GWA_TILT": 37.0,
        "V2_REF": 321.87,
        "V3_REF": -477.94,
        "ROLL_REF": 45.0,
        "RA_REF": 53.1,
        "DEC_REF": -27.8,
        "V3I_YANG": 138.5,
        "VPARITY": -1,
        "VA_SCALE": 1.0,
        "MSAMETFL": "N/A",
        "SRCTYAPT": "POINT",
        "PATTTYPE": "2-POINT-NOD",
        "NUMDTHPT": 2,
        "DATE-OBS": "2023-01-01",
        "TIME-OBS": "00:00:00",
        "EFFEXPTM": 1000.0,
        "BUNIT": "DN/s",
        "DATAMODL": "ImageModel",
        "LAMP": "NONE",
    }


def _fixed_slit(slit_name: str) -> Any:
    return [s for s in open_fixed_slits({"SUBARRAY": "FULL", "FXD_SLIT": slit_name})
            if s.name == slit_name][0]  # fmt: skip


def _subarray_start(optics: ns.NirspecOptics, subarray: str, slit_name: str = "S200A1") -> int:
    """SUBSTRT2 that centres the subarray's rows on the slit's trace (1 for FULL)."""
    if subarray == "FULL":
        return 1
    slit = _fixed_slit(slit_name)
    wcs = ns.slit_wcs(optics, slit, to_sky=False)
    (_, _), (y0, y1) = ns.slit_bounding_box(
        wcs.get_transform("detector", "slit_frame"), optics.wrange, slit.ymin, slit.ymax
    )
    return int(round(0.5 * (y0 + y1))) - (_SUBARRAY_SIZE[subarray][0] // 2 - 1)


def _slit_centre_v2v3(optics: ns.NirspecOptics, slit_name: str = "S200A1") -> tuple[float, float]:
    """V2, V3 (arcsec) of the slit centre: the aperture reference point of the pointing."""
    wcs = ns.slit_wcs(optics, _fixed_slit(slit_name))
    v2, v3, _ = wcs.get_transform("slit_frame", "v2v3")(0.0, 0.0, 2.0e-6)
    return float(v2), float(v3)


def optical_refs(
    folder: Path, grating: str, filter_name: str
) -> tuple[dict[str, Path], dict[str, Any]]:
    """Write the optical references of ``grating``/``filter_name``: (reftype -> path, opened)."""
    written = write_nirspec_optical_refs(folder, gratings=(grating,))
    refs = {k: v for k, v in written.items() if not isinstance(v, dict)}
    refs["disperser"] = cast(dict[str, Path], written["disperser"])[grating]
    fore = filter_name if grating in GRATINGS or filter_name == "CLEAR" else "CLEAR"
    refs["fore"] = cast(dict[str, Path], written["fore"])[fore]
    return refs, {k: open_reference(v, k) for k, v in refs.items()}


def _inject(
    optics: ns.NirspecOptics,
    shape: tuple[int, int],
    xpos: float,
    ypos: float,
    slit_name: str = "S200A1",
) -> tuple[np.ndarray, np.ndarray]:
    """(source MJy per pixel, in-slit mask) images for a point source at slit position (xpos, ypos)."""
    slit = [s for s in open_fixed_slits(dict(optics.attrs)) if s.name == slit_name][0]
    return inject_point_source(optics, slit, shape, xpos, ypos)


def inject_point_source(
    optics: ns.NirspecOptics,
    slit: Any,
    shape: tuple[int, int],
    xpos: float,
    ypos: float,
    *,
    spectrum: Any = source_spectrum,
    box: ns.Box | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(source MJy per pixel, in-slit mask) of a point source at (xpos, ypos) of ``slit``.

    The trace is where the slit point lands at each wavelength (spec2x's WCS,
    equal to jwst's), with a Gaussian cross-dispersion profile summing to 1
    over a column times ``spectrum(lambda [µm])`` (MJy).  With ``box`` (pixel
    edges ((x0, x1), (y0, y1))) only the pixels in it are computed.
    """
    wcs = ns.slit_wcs(optics, slit, to_sky=False)
    lam = np.linspace(*optics.wrange, 20000)
    xt, yt = wcs.get_transform("slit_frame", "detector")(
        np.full(lam.size, xpos), np.full(lam.size, ypos), lam
    )
    good = np.isfinite(xt) & np.isfinite(yt)
    xt, yt, lam = xt[good], yt[good], lam[good]
    order = np.argsort(xt)
    xt, yt, lam = xt[order], yt[order], lam[order]
    ny, nx = shape
    (x0, x1), (y0, y1) = box if box is not None else ((-0.5, nx - 0.5), (-0.5, ny - 0.5))
    cols = np.arange(max(0, int(np.ceil(x0))), min(nx, int(np.floor(x1)) + 1))
    rows = np.arange(max(0, int(np.ceil(y0))), min(ny, int(np.floor(y1)) + 1))[:, None]
    on = (cols >= xt[0]) & (cols <= xt[-1])
    lam_c = np.interp(cols, xt, lam)  # m, wavelength at the trace in each column
    y_c = np.interp(cols, xt, yt)
    per_col = np.where(on, spectrum(lam_c * 1e6), 0.0)
    edges = (
        (rows + 0.5 - y_c) / (np.sqrt(2) * _PSF_SIGMA),
        (rows - 0.5 - y_c) / (np.sqrt(2) * _PSF_SIGMA),
    )
    source, inslit = np.zeros(shape), np.zeros(shape, bool)
    block = (slice(rows[0, 0], rows[-1, 0] + 1), slice(cols[0], cols[-1] + 1))
    source[block] = 0.5 * (erf(edges[0]) - erf(edges[1])) * per_col
    yy, xx = np.broadcast_arrays(rows, cols[None, :])
    inslit[block] = np.isfinite(wcs.get_transform("detector", "slit_frame")(xx, yy)[2])
    return source, inslit


def observe(
    signal: np.ndarray,
    attrs: dict[str, Any],
    gen: np.random.Generator,
    *,
    noise: bool = True,
    int_times: dict[str, np.ndarray] | None = None,
) -> xr.Dataset:
    """The exposure of a noiseless ``signal`` (DN/s; ``(y, x)`` or ``(integration, y, x)``).

    Photon noise over ``EFFEXPTM`` and read noise (when ``noise``), their
    variances, and a few bad pixels (``DO_NOT_USE | HOT``, the same pixels in
    every integration).
    """
    var_poisson = np.maximum(signal, 0) / attrs["EFFEXPTM"]
    var_rnoise = np.full(signal.shape, _READ_NOISE**2)
    sci = signal.copy()
    if noise:
        sci = sci + gen.normal(size=signal.shape) * np.sqrt(var_poisson + var_rnoise)
    npix = signal.shape[-1] * signal.shape[-2]
    dq = np.zeros(signal.shape, np.uint32)
    bad = gen.choice(npix, size=max(1, npix // 5000), replace=False)
    dq.reshape(-1, npix)[:, bad] = DQ.DO_NOT_USE | DQ.HOT
    return make_exposure(
        sci.astype(np.float32),
        var_poisson=var_poisson.astype(np.float32),
        var_rnoise=var_rnoise.astype(np.float32),
        dq=dq,
        attrs=attrs,
        ystart=attrs["SUBSTRT2"],
        int_times=int_times,
    )


def make_nirspec_fs(
    seed: int | np.random.Generator | None,
    *,
    grating: str = "G140M",
    filter: str = "F100LP",
    subarray: str = "FULL",
    detector: str = "NRS1",
    folder: str | os.PathLike[str] = ".",
    xoffset: float = 0.03,
    nod_offsets: tuple[float, float] = (-0.6, 0.6),
    noise: bool = True,
    sky: float = _SKY,
    calibration: bool = True,
) -> NirspecFSTruth:
    """Write the references and a nodded pair of NIRSpec FS rate files into ``folder``.

    Parameters
    ----------
    seed : random seed (noise, bad pixels).
    grating, filter : G140M/F100LP, G395M/F290LP or PRISM/CLEAR.
    subarray : ``"FULL"`` (2048 x 2048) or ``"SUBS200A1"`` (64 rows on the S200A1 trace).
    detector : NRS1 (the synthetic gratings put S200A1 on NRS1).
    xoffset : dither offset across the slit (arcsec, ideal x) -> ``source_xpos``.
    nod_offsets : along-slit offsets (arcsec, ideal y) of the two exposures.
    noise : add read and photon noise (False gives the noiseless truth image).
    sky : uniform sky in the slit (DN/s per pixel).
    calibration : write fflat/sflat/dflat/wavecorr/pathloss/photom/area
        references too and convert the source to DN/s through their inverse
        (so calibrating returns ``flux``); False: ``DN/s = MJy / PHOTMJ``.
    """
    from ..io.fits import write_fits

    grating, filter, subarray = grating.upper(), filter.upper(), subarray.upper()
    if subarray not in _SUBARRAY_SIZE:
        raise ValueError(f"subarray must be one of {list(_SUBARRAY_SIZE)}, not {subarray!r}")
    gen = rng(seed)
    folder = Path(folder)
    refs_dir = folder / "refs"
    refs, opened = optical_refs(refs_dir, grating, filter)
    shape = _SUBARRAY_SIZE[subarray]
    base = _attrs(grating, filter, detector, subarray, 1)
    optics = ns.build_optics(base, opened)
    base["SUBSTRT2"] = _subarray_start(optics, subarray)
    base["V2_REF"], base["V3_REF"] = _slit_centre_v2v3(optics)
    paths, xposs, yposs, all_attrs = [], [], [], []
    from ..steps.extract_2d import source_position_in_slit

    cal_paths: dict[str, Path] = {}
    if calibration:
        from ._nirspec_fs_inverse import write_fs_calibration_refs

        flat_shape = (base["SUBSTRT2"] - 1 + shape[0], 2048)
        seed_int = int(gen.integers(0, 2**31))
        cal_paths = write_fs_calibration_refs(
            refs_dir, grating, filter, detector, flat_shape, PHOTMJ, seed_int
        )
    for k, yoff in enumerate(nod_offsets):
        attrs = dict(
            base,
            XOFFSET=xoffset,
            YOFFSET=yoff,
            PATT_NUM=k + 1,
            FILENAME=f"nrs_fs_nod{k + 1}_rate.fits",
        )
        optics = ns.build_optics(attrs, opened)
        slit = open_fixed_slits(attrs)[0]
        xpos, ypos = source_position_in_slit(attrs, ns.slit_wcs(optics, slit))
        source, inslit = _inject(optics, shape, xpos, ypos)
        if calibration:
            from ._nirspec_fs_inverse import uncalibrate

            source = uncalibrate(source, attrs, opened, cal_paths)
        else:
            source = source / PHOTMJ
        ds = observe(source + np.where(inslit, sky, 0.0), attrs, gen, noise=noise)
        paths.append(write_fits(ds, folder / attrs["FILENAME"]))
        xposs.append(xpos)
        yposs.append(ypos)
        all_attrs.append(attrs)
    refs.update(cal_paths)
    wave = np.linspace(*optics.wrange, 2000) * 1e6
    return NirspecFSTruth(
        paths, refs_dir, refs, wave, source_spectrum(wave), xposs, yposs, PHOTMJ, all_attrs
    )
