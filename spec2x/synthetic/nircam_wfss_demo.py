"""The ``spec2x demo nrc_wfss`` observation: a NIRCam GRISMR field with known spectra.

The synthetic WFSS exposure (:func:`spec2x.synthetic.wfss.write_wfss_exposure`,
F356W/GRISMR) gets the order-1 spectra of its brightest point sources
dispersed where the grism WCS puts them
(:func:`spec2x.synthetic.wfss_inject.inject_point_sources`), times the
flat; the references (grism WCS, wavelengthrange, NrcWfssPhotomModel, flat)
and a background template the sky is a multiple of (``bkg``) go to one
folder and a level-2 association names the exposure and its
source catalogue and segmentation map.  The demo source is the brightest
injected one whose order-1 trace lies whole on the detector, clear of every
other injected trace; its calibrated flux is known
(:func:`~spec2x.synthetic.wfss_inject.expected_flux`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .nircam_wfss_cal_refs import (
    PHOTMJSR,
    relative_response,
    write_nircam_wfss_flat,
    write_nircam_wfss_photom,
)
from .nircam_wfss_refs import WAVELENGTH_RANGES, write_nircam_wfss_references
from .wfss import write_wfss_exposure
from .wfss_bkg_refs import wfss_background_template, write_wfss_bkg
from .wfss_inject import expected_flux, inject_point_sources

__all__ = ["WfssDemo", "make_nrc_wfss_demo"]

_RANGE = WAVELENGTH_RANGES["F356W"][1]
_PIXAR_SR = 9.30711286318865e-14
_INJECTED = 12  # the brightest point sources get a spectrum
_HALF_HEIGHT = 6  # rows either side of a trace kept clear of other traces
_SKY = 0.4  # DN/s: the sky is this times the bkg template (bkg_subtract scales it back)


def _counts(lam: np.ndarray) -> np.ndarray:
    """DN/s per µm of a source of AB magnitude 20 (a slope and a ripple)."""
    lam = np.asarray(lam, np.float64)
    return 1.0e4 * (3.5 / lam) ** 2 * (1.0 + 0.3 * np.sin(12.0 * lam))


@dataclass(frozen=True)
class WfssDemo:
    """The demo's association, references and the demo source's truth.

    Attributes
    ----------
    association : level-2 association (science, sourcecat, segmap members).
    refs : reftype -> reference path.
    source_id : the catalogue label of the demo source.
    wavelength, flux : its order-1 spectrum, µm and Jy (the x1d ``flux``).
    """

    association: Path
    refs: dict[str, str]
    source_id: int
    wavelength: np.ndarray
    flux: np.ndarray


def _traces(wcs: object, ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """(x0, x1, y0, y1) pixel box of each source's order-1 trace over the injected range."""
    ends = [wcs.backward_transform(ra, dec, np.full(ra.shape, lam), np.ones(ra.shape))  # type: ignore[attr-defined]
            for lam in _RANGE]  # fmt: skip
    x = np.stack([np.asarray(e[0]) for e in ends])
    y = np.stack([np.asarray(e[1]) for e in ends])
    return np.stack([x.min(0), x.max(0), y.min(0) - _HALF_HEIGHT, y.max(0) + _HALF_HEIGHT], axis=1)


def _demo_source(boxes: np.ndarray, order: np.ndarray, shape: tuple[int, ...]) -> int:
    """Index (in ``order``, brightest first) of the first trace on the detector and clear of others."""
    x0, x1, y0, y1 = boxes.T
    overlap = (x0[:, None] < x1[None]) & (x0[None] < x1[:, None])
    overlap &= (y0[:, None] < y1[None]) & (y0[None] < y1[:, None])
    on = (x0 >= 0) & (x1 < shape[1]) & (y0 >= 0) & (y1 < shape[0])
    for k in order:
        if on[k] and overlap[k].sum() == 1:
            return int(k)
    raise RuntimeError("no isolated injected source on the detector; change the seed")


def make_nrc_wfss_demo(inputs: Path, refs_dir: Path, seed: int) -> WfssDemo:
    """Write the demo's exposure, catalogue, segmentation map, association (``inputs``)
    and references (``refs_dir``)."""
    from astropy.io import fits

    from ..io.fits import open_exposure, write_fits
    from ..io.source_catalog import read_source_catalog
    from ..steps.assign_wcs import assign_wcs
    from ..wcs.store import get_wcs

    refs = write_nircam_wfss_references(refs_dir)
    refs["photom"] = write_nircam_wfss_photom(refs_dir / "nircam_wfss_photom.fits")
    refs["flat"] = write_nircam_wfss_flat(refs_dir / "nircam_wfss_flat.fits", seed=seed)
    refs["bkg"] = write_wfss_bkg(refs_dir / "nircam_wfss_bkg.fits", "NIRCAM", seed=seed)
    sky = _SKY * wfss_background_template(seed)[0]
    files = write_wfss_exposure(inputs, refs, n_sources=60, seed=seed, background=sky)
    rate = open_exposure(files["rate"])
    wcs_refs = {k: str(refs[k]) for k in ("distortion", "filteroffset", "specwcs")}
    wcs = get_wcs(assign_wcs(rate, wcs_refs))
    cat = read_source_catalog(files["catalog"])
    point = np.flatnonzero(~cat.is_extended)
    chosen = point[np.argsort(cat.abmag[point])][:_INJECTED]
    scale = 10 ** (-0.4 * (cat.abmag[chosen] - 20.0))
    signal = np.zeros(rate["sci"].shape, np.float32)
    inject_point_sources(signal, wcs, cat.ra[chosen], cat.dec[chosen], scale, _counts, _RANGE)
    with fits.open(refs["flat"]) as hdul:
        flat = np.nan_to_num(np.asarray(hdul["SCI"].data, np.float32), nan=1.0)
    sci = rate["sci"].values + signal * flat
    write_fits(rate.assign(sci=(rate["sci"].dims, sci, rate["sci"].attrs)), files["rate"])
    k = _demo_source(_traces(wcs, cat.ra[chosen], cat.dec[chosen]), np.arange(chosen.size),
                     signal.shape)  # fmt: skip
    lam = np.linspace(*_RANGE, 901)
    flux = expected_flux(
        scale[k] * _counts(lam), PHOTMJSR[1], relative_response(lam, *_RANGE), _PIXAR_SR
    )
    members = [("science", files["rate"]), ("sourcecat", files["catalog"]),
               ("segmap", files["segmentation"])]  # fmt: skip
    association = inputs / "nrc_wfss_asn.json"
    association.write_text(json.dumps({
        "asn_type": "spec2", "asn_rule": "Asn_Lv2WFSS", "asn_id": "a3001",
        "asn_pool": "spec2x_demo", "program": "09999", "target": "t001",
        "products": [{"name": "nrc_wfss", "members": [
            {"expname": os.fspath(Path(p).name), "exptype": role} for role, p in members]}],
    }, indent=2))  # fmt: skip
    given = {k: str(v) for k, v in refs.items()}
    return WfssDemo(association, given, int(cat.label[chosen[k]]), lam, flux)
