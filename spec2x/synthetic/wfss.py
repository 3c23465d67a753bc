"""A synthetic WFSS exposure (NIRCam, NIRISS): catalogue, segmentation map and ``_rate`` file.

The direct image is a mosaic larger than one detector (as a resampled
direct image is): its pixel ``(x, y)`` is detector pixel ``(x - MARGIN,
y - MARGIN)`` of the dispersed exposure, so sources lie on, near and off
the detector and their spectra are whole, partial or off the array.  Each
source is a square segment (half size 1-8 pixels) of the segmentation map;
the catalogue (ECSV, the columns and SkyCoord serialisation of jwst's
``source_catalog``) gives its centroid, sky centroid, the sky corners of its
segment's box, an AB magnitude and ``is_extended``.  Sky positions come
from the imaging part of the grism WCS of the exposure's own pointing.
The ``_rate`` file is seeded noise (no spectra yet) with the keywords
jwst's assign_wcs and extract_2d read (FILTER, PUPIL, FWCPOS for NIRISS,
DISPAXIS, the pointing, SCATFILE, SEGMFILE).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..datamodel import make_exposure
from ..io.fits import write_fits
from ..modes import MODES
from .base import rng
from .nircam_wfss_refs import NRCA5_REFERENCE
from .niriss_wfss_refs import NIS_REFERENCE

__all__ = [
    "MARGIN",
    "WFSS_POINTING",
    "WfssScene",
    "exposure_attrs",
    "make_wfss_scene",
    "write_wfss_exposure",
]

#: Direct-image pixels beyond each detector edge.
MARGIN = 200
_SHAPE = (2048, 2048)
#: Pointing of the synthetic exposure (V2/V3_REF arcsec, RA/DEC_REF, ROLL_REF deg).
WFSS_POINTING: dict[str, Any] = {
    "V2_REF": NRCA5_REFERENCE[0], "V3_REF": NRCA5_REFERENCE[1], "RA_REF": 53.1625,
    "DEC_REF": -27.7914, "ROLL_REF": 31.7, "V3I_YANG": -0.55, "VPARITY": -1,
    "VA_SCALE": 1.0000087, "VELOSYS": -21345.6,
}  # fmt: skip
_FIXED: dict[str, Any] = {
    "TELESCOP": "JWST", "SUBARRAY": "FULL", "DATE-OBS": "2023-10-01", "TIME-OBS": "06:00:00",
    "EXPSTART": 60218.25, "PROGRAM": "01234", "OBSERVTN": "001", "VISIT": "001",
    "VISITGRP": "02", "SEQ_ID": "1", "ACT_ID": "01", "EXPOSURE": "1",
}  # fmt: skip
#: Per instrument: detector keywords, default FILTER and PUPIL, and the exposure type.
_INSTRUMENT: dict[str, dict[str, Any]] = {
    "NIRCAM": {"INSTRUME": "NIRCAM", "DETECTOR": "NRCALONG", "MODULE": "A", "CHANNEL": "LONG",
               "READPATT": "DEEP8", "FILTER": "F356W", "PUPIL": "GRISMR", "EXP_TYPE": MODES["NRC_WFSS"].exp_type},
    "NIRISS": {"INSTRUME": "NIRISS", "DETECTOR": "NIS", "READPATT": "NIS", "FILTER": "GR150R",
               "PUPIL": "F200W", "FWCPOS": 354.5, "EXP_TYPE": MODES["NIS_WFSS"].exp_type,
               "V2_REF": NIS_REFERENCE[0], "V3_REF": NIS_REFERENCE[1]},
}  # fmt: skip


@dataclass(frozen=True)
class WfssScene:
    """Truth of a synthetic WFSS scene (direct-image pixels, one entry per source).

    Attributes
    ----------
    label : source ids (1 ... n).
    x, y : centroid in the direct image (pixels, 0-based).
    half : half size of the square segment (pixels).
    abmag : AB magnitude.
    is_extended : extended source.
    """

    label: np.ndarray
    x: np.ndarray
    y: np.ndarray
    half: np.ndarray
    abmag: np.ndarray
    is_extended: np.ndarray


def make_wfss_scene(n_sources: int = 100, seed: int = 0) -> WfssScene:
    """``n_sources`` sources spread over the direct image (on and off the detector)."""
    gen = rng(seed)
    size = _SHAPE[1] + 2 * MARGIN
    half = gen.integers(1, 9, n_sources)
    x = gen.uniform(10, size - 10, n_sources)
    y = gen.uniform(10, size - 10, n_sources)
    return WfssScene(
        label=np.arange(1, n_sources + 1),
        x=x,
        y=y,
        half=half,
        abmag=np.round(gen.uniform(18.0, 27.5, n_sources), 3),
        is_extended=half > 4,
    )


def _segmentation(scene: WfssScene) -> np.ndarray:
    size = _SHAPE[0] + 2 * MARGIN
    segmap = np.zeros((size, size), np.int32)
    cx, cy = np.rint(scene.x).astype(int), np.rint(scene.y).astype(int)
    for label, x, y, h in zip(scene.label, cx, cy, scene.half, strict=True):
        segmap[y - h : y + h + 1, x - h : x + h + 1] = label
    segmap[cy, cx] = scene.label  # every source keeps at least its centre pixel
    return segmap


def _catalog_table(scene: WfssScene, to_sky: Any) -> Any:
    """The ECSV table of jwst's source_catalog (the columns WFSS reads, and a few more)."""
    from astropy import units as u
    from astropy.coordinates import SkyCoord
    from astropy.table import QTable

    def sky(dx: np.ndarray | float, dy: np.ndarray | float) -> SkyCoord:
        ra, dec, *_ = to_sky(scene.x + dx - MARGIN, scene.y + dy - MARGIN, 1.0, 1)
        return SkyCoord(ra * u.deg, dec * u.deg, frame="icrs")

    edge = scene.half + 0.5
    table = QTable()
    table["label"] = scene.label
    table["xcentroid"] = scene.x * u.pix
    table["ycentroid"] = scene.y * u.pix
    table["sky_centroid"] = sky(0.0, 0.0)
    table["area"] = (2 * scene.half + 1.0) ** 2 * u.pix**2
    table["sky_bbox_ll"] = sky(-edge, -edge)
    table["sky_bbox_ul"] = sky(-edge, edge)
    table["sky_bbox_lr"] = sky(edge, -edge)
    table["sky_bbox_ur"] = sky(edge, edge)
    table["isophotal_abmag"] = scene.abmag
    table["isophotal_abmag_err"] = np.float32(0.05) * np.ones(scene.label.size, np.float32)
    table["is_extended"] = scene.is_extended
    return table


def exposure_attrs(instrument: str = "NIRCAM", **keywords: Any) -> dict[str, Any]:
    """The keywords of a synthetic WFSS exposure of ``instrument`` (``keywords`` override)."""
    attrs = {**_FIXED, **WFSS_POINTING, **_INSTRUMENT[instrument], **keywords}
    rows = instrument == "NIRCAM" and attrs["PUPIL"] == "GRISMR" or attrs["FILTER"] == "GR150C"
    attrs.setdefault("DISPAXIS", 1 if rows else 2)
    attrs.setdefault("SCATFILE", "wfss_direct_cat.ecsv")
    attrs.setdefault("SEGMFILE", "wfss_direct_segm.fits")
    return attrs


def write_wfss_exposure(
    folder: str | os.PathLike[str],
    refs: dict[str, Path],
    *,
    instrument: str = "NIRCAM",
    n_sources: int = 100,
    seed: int = 0,
    background: np.ndarray | None = None,
    scene: WfssScene | None = None,
    **keywords: Any,
) -> dict[str, Any]:
    """Write the catalogue, segmentation map and ``_rate`` file of a WFSS exposure.

    Parameters
    ----------
    folder : where the three files go.
    refs : the synthetic references of the instrument
        (:func:`~.nircam_wfss_refs.write_nircam_wfss_references`,
        :func:`~.niriss_wfss_refs.write_niriss_wfss_references`).
    instrument : NIRCAM (FILTER F356W, PUPIL GRISMR by default) or NIRISS
        (FILTER GR150R, PUPIL F200W).
    n_sources : number of catalogue sources.
    seed : of the scene and the noise.
    background : (2048, 2048) DN/s sky on which the noise lies (None: a 0.3 DN/s pedestal).
    scene : the sources (None: :func:`make_wfss_scene` of ``n_sources`` and ``seed``).
    keywords : more or other header keywords (FILTER, PUPIL ...).

    Returns
    -------
    ``rate``, ``catalog``, ``segmentation`` (paths) and ``scene`` (:class:`WfssScene`).
    """
    from astropy.io import fits

    from ..instruments.nircam import wfss_wcs as nircam
    from ..instruments.niriss import wfss_wcs as niriss

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    attrs = exposure_attrs(instrument, **keywords)
    build = nircam.nircam_wfss_wcs if instrument == "NIRCAM" else niriss.niriss_wfss_wcs
    wcs = build(attrs, refs)
    scene = make_wfss_scene(n_sources, seed) if scene is None else scene
    catalog = folder / attrs["SCATFILE"]
    _catalog_table(scene, wcs.get_transform("detector", "world")).write(
        catalog, format="ascii.ecsv", overwrite=True
    )
    segmentation = folder / attrs["SEGMFILE"]
    primary = fits.PrimaryHDU()
    primary.header["DATAMODL"] = "SegmentationMapModel"  # integer labels when jwst opens it
    fits.HDUList([primary, fits.ImageHDU(_segmentation(scene), name="SCI")]).writeto(
        segmentation, overwrite=True
    )
    noise = rng(seed + 1).normal(0.0, 0.02, _SHAPE).astype(np.float32)
    variance = np.full(_SHAPE, 0.02**2, np.float32)
    sky = np.float32(0.3) if background is None else np.asarray(background, np.float32)
    ds = make_exposure(
        noise + sky,
        err=np.sqrt(2 * variance),
        var_poisson=variance,
        var_rnoise=variance,
        attrs=attrs,
    )
    rate = write_fits(ds.drop_vars("var_flat"), folder / f"{attrs['EXP_TYPE'].lower()}_rate.fits")
    return {"rate": rate, "catalog": catalog, "segmentation": segmentation, "scene": scene}
