"""Synthetic NIRSpec MOS exposure: a few dozen slitlets with injected spectra.

:func:`make_nirspec_mos` writes the optical references (PRISM/CLEAR: the real
CV3 model, with the full-grid synthetic ``msa``), an MSA metadata file
(:mod:`.nirspec_msa`: three-shutter slitlets, some background only, two off
NRS1, the S200A1 fixed slit with a source of its own) and one ``_rate.fits``
per dither point of the 3-shutter nod.  Each source is a point source with a
spectrum of its own (the fixed-slit spectrum of :func:`.nirspec.source_spectrum`
times a per-source amplitude) placed with spec2x's WCS (equal to jwst's) at
its position in the shutter, ``(source_xpos, source_ypos)`` in the slitlet's
slit frame; a uniform sky fills every open aperture.  Fluxes go to DN/s as
``MJy / PHOTMJ`` (no flat, pathloss or photom inverse).  With ``extended=N``
the first N source slitlets on NRS1 hold an extended source instead
(stellarity 0, so srctype calls it EXTENDED): a uniform surface brightness
(MJy/sr, :meth:`NirspecMosTruth.surface_brightness`) over the whole slitlet,
at each pixel's own wavelength, taken to DN/s over a pixel of
:data:`PIXEL_AREA_ARCSEC2` (the neutral ``area`` of
:func:`.nirspec_mos_chain.make_nirspec_mos_chain`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..instruments.nirspec import slits as ns
from ..instruments.nirspec.msa_wcs import msa_slitlets, slitlets_to_slits
from ..io.references import open_reference
from .base import rng
from .nirspec import PHOTMJ, _attrs, inject_point_source, observe, source_spectrum
from .nirspec_msa import mos_layout, write_msa_metadata
from .nirspec_refs import TEMPLATE_DIR, write_wavelengthrange

__all__ = [
    "EXTENDED_PIXELS",
    "MOS_ATTRS",
    "PIXEL_AREA_ARCSEC2",
    "NirspecMosTruth",
    "imprint_exposure",
    "make_nirspec_mos",
    "mos_optical_refs",
]

#: Keywords of the synthetic MOS exposures (the pointing of the fixed-slit ones, PRISM/CLEAR).
MOS_ATTRS: dict[str, Any] = {
    **{
        k: v
        for k, v in _attrs("PRISM", "CLEAR", "NRS1", "FULL", 1).items()
        if k not in ("SRCTYAPT", "PATTTYPE", "MSAMETFL")
    },
    "EXP_TYPE": "NRS_MSASPEC",
    "FXD_SLIT": "NONE",
    "PROGRAM": "01234",
    "MSAMETID": 1,
    "NOD_TYPE": "3-SHUTTER-SLITLET",
    "NUMDTHPT": 3,
}
_SKY = 0.05  # DN/s per pixel inside an open aperture
#: Pixel solid angle (arcsec^2) an extended source's surface brightness is injected over.
PIXEL_AREA_ARCSEC2 = 0.02
#: An extended source's surface brightness: its spectrum spread over this many pixels.
EXTENDED_PIXELS = 20.0
_ARCSEC2_SR = (np.pi / 180.0 / 3600.0) ** 2
_OPTICS = {
    "camera": "jwst_nirspec_camera_0004.asdf",
    "collimator": "jwst_nirspec_collimator_0004.asdf",
    "fpa": "jwst_nirspec_fpa_0005.asdf",
    "ote": "jwst_nirspec_ote_0005.asdf",
    "fore": "jwst_nirspec_fore_0028.asdf",
    "disperser": "jwst_nirspec_disperser_0034.asdf",
}


@dataclass
class NirspecMosTruth:
    """What a synthetic MOS observation holds.

    Attributes
    ----------
    rate_paths : one ``_rate.fits`` per dither point; msa_metadata : the MSAMETFL file.
    refs : reftype -> path of the optical references.
    amplitude : source id -> factor on :func:`.nirspec.source_spectrum` (MJy).
    photmj : MJy per DN/s used for the injection.
    sky : DN/s per pixel added in every open aperture.
    extended : the ids of the extended sources.
    """

    rate_paths: list[Path]
    msa_metadata: Path
    refs: dict[str, Path]
    amplitude: dict[int, float] = field(default_factory=dict)
    photmj: float = PHOTMJ
    sky: float = _SKY
    extended: tuple[int, ...] = ()

    def spectrum(self, source_id: int, wavelength_um: Any) -> np.ndarray:
        """The injected spectrum (MJy) of a point source."""
        return self.amplitude[int(source_id)] * source_spectrum(wavelength_um)

    def surface_brightness(self, source_id: int, wavelength_um: Any) -> np.ndarray:
        """The injected surface brightness (MJy/sr) of an extended source."""
        area_sr = EXTENDED_PIXELS * PIXEL_AREA_ARCSEC2 * _ARCSEC2_SR
        return self.spectrum(source_id, wavelength_um) / area_sr


def mos_optical_refs(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """The PRISM/CLEAR optical references with the full-grid msa, written into ``folder``."""
    from .nirspec_refs import write_msa

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    refs = {k: TEMPLATE_DIR / name for k, name in _OPTICS.items()}
    refs["msa"] = write_msa(folder / "spec2x_nirspec_msa.asdf")
    refs["wavelengthrange"] = write_wavelengthrange(folder / "spec2x_nirspec_wavelengthrange.asdf")
    return refs


def _extended(optics: ns.NirspecOptics, slit: Any, inslit: np.ndarray, scale: float) -> Any:
    """DN/s of an extended source filling ``slit`` (``inslit``: its pixels), at each pixel's
    wavelength: ``scale * source_spectrum / EXTENDED_PIXELS / PHOTMJ``."""
    yy, xx = np.nonzero(inslit)
    lam = ns.slit_wcs(optics, slit, to_sky=False).get_transform("detector", "slit_frame")(xx, yy)[2]
    out = np.zeros(inslit.shape)
    out[yy, xx] = np.nan_to_num(scale * source_spectrum(lam * 1e6)) / EXTENDED_PIXELS / PHOTMJ
    return out


def _scene(
    optics: ns.NirspecOptics,
    slits: list[Any],
    amplitude: dict[int, float],
    extended: tuple[int, ...] = (),
) -> Any:
    """Noiseless DN/s image: each source on its trace (or filling its slitlet when
    ``extended``), sky in every open aperture."""
    signal = np.zeros((2048, 2048))
    boxes = ns.traced_boxes(optics, slits)
    for slit, box in zip(slits, boxes, strict=True):
        scale = amplitude.get(int(slit.source_id), 0.0)
        wide = int(slit.source_id) in extended

        def spectrum(w: np.ndarray, scale: float = 0.0 if wide else scale) -> np.ndarray:
            return scale * source_spectrum(w)

        source, inslit = inject_point_source(
            optics, slit, signal.shape, slit.source_xpos, slit.source_ypos,
            spectrum=spectrum, box=(tuple(box[0]), tuple(box[1])),
        )  # fmt: skip
        signal += source / PHOTMJ + np.where(inslit, _SKY, 0.0)
        if wide:
            signal += _extended(optics, slit, inslit, scale)
    return signal


def make_nirspec_mos(
    seed: int | np.random.Generator | None,
    *,
    folder: str | os.PathLike[str] = ".",
    n_slitlets: int = 30,
    dither_points: tuple[int, ...] = (1,),
    noise: bool = True,
    n_background: int = 4,
    fixed_slit: str | None = "S200A1",
    extended: int = 0,
) -> NirspecMosTruth:
    """Write the references, the MSA metadata file and MOS rate files into ``folder``.

    Parameters
    ----------
    seed : random seed (layout, amplitudes, noise, bad pixels).
    n_slitlets : slitlets in the MSA configuration (4 background only, 2 off NRS1).
    dither_points : the nod positions (1..3) to write an exposure for.
    noise : add read and photon noise.
    n_background : background-only slitlets (jwst's master_background_mos uses them).
    fixed_slit : the fixed slit the configuration also opens (None: MSA slitlets only).
    extended : source slitlets on NRS1 that hold an extended source (the first ones).
    """
    from ..io.fits import write_fits

    gen = rng(seed)
    folder = Path(folder)
    refs = mos_optical_refs(folder / "refs")
    opened = {k: open_reference(v, k) for k, v in refs.items()}
    layout = mos_layout(n_slitlets, n_background=n_background, seed=int(gen.integers(0, 2**31)))
    wide = np.flatnonzero((layout.source_id > 0) & (layout.quadrant != 1))[:extended]
    if wide.size < extended:
        raise ValueError(f"{extended} extended sources asked, {wide.size} source slitlets on NRS1")
    layout = replace(layout, stellarity=np.where(np.isin(np.arange(n_slitlets), wide), 0.0,
                                                 layout.stellarity))  # fmt: skip
    extended_ids = tuple(int(i) for i in layout.source_id[wide])
    meta = write_msa_metadata(folder / "jw01234001001_01_msa.fits", layout, fixed_slit=fixed_slit)
    ids = np.r_[layout.source_id[layout.source_id > 0], layout.source_id.max() + 1]
    amplitude = {
        int(i): float(a) for i, a in zip(ids, gen.uniform(0.5, 3.0, ids.size), strict=True)
    }
    paths = []
    for point in dither_points:
        attrs = dict(
            MOS_ATTRS,
            MSAMETFL=meta.name,
            PATT_NUM=point,
            FILENAME=f"jw01234001001_01101_0000{point}_nrs1_rate.fits",
        )
        optics = ns.build_optics(attrs, opened)
        table = msa_slitlets(attrs, opened["msa"], path=meta)
        slits, _, _ = ns.select_on_detector(optics, slitlets_to_slits(table))
        ds = observe(_scene(optics, slits, amplitude, extended_ids), attrs, gen, noise=noise)
        paths.append(write_fits(ds, folder / attrs["FILENAME"]))
    return NirspecMosTruth(paths, meta, refs, amplitude, extended=extended_ids)


def imprint_exposure(
    like: Any,
    seed: int | np.random.Generator | None,
    *,
    level: float = 0.05,
    **attrs: Any,
) -> Any:
    """An imprint (leakcal) rate exposure on the pixels of ``like``: MSA closed.

    The light leaking through the closed MSA, a faint grid of the shutter
    pattern (period 23 x 47 pixels) at ``level`` DN/s, plus read noise and a
    few flagged pixels.

    Parameters
    ----------
    like : the science exposure whose keywords and pixel grid the imprint takes.
    seed : random seed.
    level : peak of the imprint pattern, DN/s.
    attrs : keywords to change (``PATT_NUM``, ``BKGDTARG``, ``FILENAME`` ...).
    """
    from ..datamodel import make_exposure
    from ..dq import DQ

    gen = rng(seed)
    ny, nx = like.sizes["y"], like.sizes["x"]
    yy, xx = np.mgrid[0:ny, 0:nx]
    grid = (np.cos(2 * np.pi * yy / 23.0) * np.cos(2 * np.pi * xx / 47.0)) ** 2
    sci = (level * grid + gen.normal(0.0, 0.01, (ny, nx))).astype(np.float32)
    dq = np.where(gen.random((ny, nx)) < 0.001, np.uint32(DQ.HOT), np.uint32(0))
    keywords = {**like.attrs, "FILENAME": "imprint_rate.fits", **attrs}
    return make_exposure(sci, dq=dq.astype(np.uint32), attrs=keywords)
