"""A synthetic WFSS field whose traces overlap: direct image, segmentation map, dispersed exposure.

Pairs of point sources: in each, a neighbour sits ``offset`` pixels further
along the dispersion and 2 pixels across it, so its order-1 trace runs
through the first source's cut-out.  The direct image (MJy/sr, the mosaic of
:mod:`.wfss`, ``MARGIN`` pixels wider than the detector, with its own gwcs)
holds each source's surface brightness ``F`` in one pixel; the dispersed
exposure holds each source's spectrum ``F / S(λ)`` DN/s per µm (``S``: the
order-1 sensitivity of the synthetic ``photom``) placed where the grism WCS
puts it (:func:`.wfss_inject.inject_point_sources`), plus the seeded noise
of :func:`.wfss.write_wfss_exposure` (0.02 DN/s).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from astropy.modeling import models

from ..datamodel import make_exposure
from ..io.fits import write_fits
from ..wcs.store import set_wcs
from .wfss import MARGIN, WfssScene, _segmentation, exposure_attrs, write_wfss_exposure
from .wfss_inject import inject_point_sources

__all__ = ["direct_wcs", "order_one_sensitivity", "write_contam_scene"]

_GRISMS = {"GRISMR": "NIRCAM", "GRISMC": "NIRCAM", "GR150R": "NIRISS", "GR150C": "NIRISS"}


def direct_wcs(attrs: dict[str, Any], refs: dict[str, Path], shape: tuple[int, int]) -> Any:
    """The direct mosaic's gwcs: pixel (x, y) -> RA, Dec deg (detector pixel + ``MARGIN``)."""
    from astropy import coordinates as coord
    from astropy import units as u
    from gwcs import coordinate_frames as cf
    from gwcs import wcs as gwcs_wcs

    from ..instruments.miri.lrs_wcs import v2v3_to_sky, velocity_aberration
    from ..wcs.grism import imaging_from_refs

    imaging = imaging_from_refs(attrs, {k: str(v) for k, v in refs.items()}, (2048, 2048))
    imaging.bounding_box = None
    shift = models.Shift(-MARGIN) & models.Shift(-MARGIN)
    transform = shift | imaging | velocity_aberration(attrs) | v2v3_to_sky(attrs)
    frame = cf.Frame2D(name="detector", axes_order=(0, 1), unit=(u.pix, u.pix))
    sky = cf.CelestialFrame(reference_frame=coord.ICRS(), name="world")
    return gwcs_wcs.WCS([(frame, transform), (sky, None)])


def order_one_sensitivity(photom: str | os.PathLike[str], attrs: dict[str, Any]) -> Any:
    """λ µm -> order-1 sensitivity S (MJy/sr µm per DN/s) of a synthetic WFSS ``photom``."""
    from ..io.ref_open import open_reference
    from ..wfss_contam.orders import sensitivity

    wave, resp = sensitivity(open_reference(photom), attrs, 1)
    return lambda lam: np.interp(lam, wave, resp)


def _scene(n_pairs: int, dispaxis: int, offset: float, seed: int) -> WfssScene:
    gen = np.random.default_rng(seed)
    size = 2048 + 2 * MARGIN
    a = np.stack([gen.uniform(MARGIN + 300, size - MARGIN - 300, n_pairs) for _ in range(2)])
    a = np.rint(a)
    step = np.array([[offset], [2.0]]) if dispaxis == 1 else np.array([[2.0], [offset]])
    xy = np.concatenate([a, a + step], axis=1)
    n = xy.shape[1]
    return WfssScene(
        label=np.arange(1, n + 1),
        x=xy[0],
        y=xy[1],
        half=np.ones(n, np.int64),
        abmag=np.round(gen.uniform(19.0, 21.0, n), 3),
        is_extended=np.zeros(n, bool),
    )


def write_contam_scene(
    folder: str | os.PathLike[str],
    refs: dict[str, Path],
    photom: str | os.PathLike[str],
    *,
    grism: str = "GRISMR",
    blocking: str | None = None,
    n_pairs: int = 4,
    offset: float = 150.0,
    brightness: float = 3.0e6,
    slope: float = 0.0,
    seed: int = 0,
) -> dict[str, Any]:
    """Write the direct image, catalogue, segmentation map and dispersed ``_rate`` file.

    Parameters
    ----------
    folder : where the files go.
    refs : the grism's synthetic references (``distortion``, ``specwcs``, ``filteroffset``).
    photom : the synthetic WFSS ``photom`` (the order-1 sensitivity of the traces).
    grism : GRISMR, GRISMC (NIRCam) or GR150R, GR150C (NIRISS).
    blocking : the blocking filter (NIRCam FILTER, NIRISS PUPIL; None: F356W, F200W).
    n_pairs : pairs of overlapping sources (labels 1..n are the first of each pair,
        n+1..2n their neighbours).
    offset : the neighbour's distance along the dispersion (pixels).
    brightness : each source's surface brightness in its direct-image pixel (MJy/sr).
    slope : the spectra's tilt: the dispersed light is ``1 + slope * x`` times the flat
        spectrum, ``x`` the wavelength mapped from the order-1 range onto [-1, 1]
        (what wfss_contam's ``polyfit_degree`` fits; 0: flat, the direct image's colour).
    seed : of positions and noise.

    Returns
    -------
    ``rate``, ``catalog``, ``segmentation``, ``direct`` (paths), ``scene``
    (:class:`~.wfss.WfssScene`), ``flux`` (MJy/sr per source) and ``wcs``
    (the exposure's grism WCS) and ``sensitivity`` (λ -> S).
    """
    from ..instruments.nircam import wfss_wcs as nircam
    from ..instruments.niriss import wfss_wcs as niriss
    from .nircam_wfss_refs import WAVELENGTH_RANGES
    from .niriss_wfss_refs import NIS_WAVELENGTH_RANGES

    instrument = _GRISMS[grism]
    key, other = ("PUPIL", "FILTER") if instrument == "NIRCAM" else ("FILTER", "PUPIL")
    blocking = blocking or ("F356W" if instrument == "NIRCAM" else "F200W")
    keys = {key: grism, other: blocking}
    attrs = exposure_attrs(instrument, **keys, DIRIMAGE="wfss_direct_i2d.fits")
    build = nircam.nircam_wfss_wcs if instrument == "NIRCAM" else niriss.niriss_wfss_wcs
    wcs = build(attrs, refs)
    scene = _scene(n_pairs, int(attrs["DISPAXIS"]), offset, seed)
    flux = np.full(scene.label.size, brightness)
    sens = order_one_sensitivity(photom, attrs)
    to_sky = direct_wcs(attrs, refs, (2448, 2448))
    ra, dec = to_sky(scene.x, scene.y)
    lam = (WAVELENGTH_RANGES if instrument == "NIRCAM" else NIS_WAVELENGTH_RANGES)[blocking][1]
    lo, hi = lam
    traces = inject_point_sources(
        np.zeros((2048, 2048)), wcs, ra, dec, flux,
        lambda w: (1.0 + slope * (2.0 * (w - lo) / (hi - lo) - 1.0)) / sens(w), lam,
    )  # fmt: skip
    extra: dict[str, Any] = {**keys, "DIRIMAGE": attrs["DIRIMAGE"]}
    files = write_wfss_exposure(
        folder, refs, instrument=instrument, seed=seed, background=traces, scene=scene, **extra
    )
    image = np.zeros(_segmentation(scene).shape, np.float32)
    image[np.rint(scene.y).astype(int), np.rint(scene.x).astype(int)] = flux
    direct = make_exposure(image, attrs={**attrs, "EXP_TYPE": "NRC_IMAGE"}, units="MJy/sr")
    direct = set_wcs(direct, to_sky)
    path = write_fits(direct.drop_vars("var_flat"), Path(folder) / attrs["DIRIMAGE"])
    return {**files, "direct": path, "flux": flux, "wcs": wcs, "sensitivity": sens}
