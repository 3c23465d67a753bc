"""Shared machinery of the synthetic instruments: reference headers, seeds, writing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

__all__ = [
    "TransitTruth",
    "asdf_meta",
    "flat_rate",
    "reference_header",
    "rng",
    "transit_light_curve",
    "write_reference_fits",
]

#: Keywords every CRDS reference file carries.
_CRDS_DEFAULTS = {
    "TELESCOP": "JWST",
    "PEDIGREE": "DUMMY",
    "USEAFTER": "2022-01-01T00:00:00",
    "AUTHOR": "spec2x.synthetic",
    "ORIGIN": "spec2x",
}


def rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A seeded generator (a Generator passes through; None means seed 0, never the clock)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(0 if seed is None else seed)


def flat_rate(
    path: str | os.PathLike[str],
    shape: tuple[int, int],
    attrs: Mapping[str, Any],
    *,
    seed: int,
    level: float,
    noise: float = 0.05,
) -> Path:
    """Write a ``_rate`` file (DN/s): ``level`` plus seeded Gaussian ``noise``, keywords ``attrs``.

    ``err`` and the variances are those of the noise (read and Poisson halves).
    """
    from ..datamodel import make_exposure
    from ..io.fits import write_fits

    sci = (level + rng(seed).normal(0.0, noise, shape)).astype(np.float32)
    variance = np.full(shape, noise**2, np.float32)
    ds = make_exposure(
        sci,
        err=np.sqrt(2 * variance),
        var_poisson=variance,
        var_rnoise=variance,
        attrs=dict(attrs),
    )
    return write_fits(ds.drop_vars("var_flat"), Path(path))


def reference_header(
    reftype: str, instrument: str, *, description: str = "", **selectors: Any
) -> fits.Header:
    """Primary header of a CRDS-format reference file.

    ``selectors`` are uppercase keywords (``DETECTOR``, ``EXP_TYPE``,
    ``FILTER``, ``SUBARRAY``, ...) written as given.
    """
    hdr = fits.Header()
    hdr["REFTYPE"] = reftype.upper()
    hdr["INSTRUME"] = instrument.upper()
    for key, value in _CRDS_DEFAULTS.items():
        hdr[key] = value
    hdr["DESCRIP"] = description or f"synthetic {reftype} reference for spec2x tests"
    for key, value in selectors.items():
        hdr[key.upper()] = value
    hdr["HISTORY"] = "Synthetic reference written by spec2x.synthetic; not a calibration."
    return hdr


def write_reference_fits(
    path: str | os.PathLike[str],
    header: fits.Header,
    hdus: list[fits.ImageHDU | fits.BinTableHDU] | None = None,
    *,
    datamodel: str | None = None,
) -> Path:
    """Write a reference FITS file atomically; ``datamodel`` sets DATAMODL (jwst's model class)."""
    header = header.copy()
    if datamodel is not None:
        header["DATAMODL"] = datamodel
    hdul = fits.HDUList([fits.PrimaryHDU(header=header), *(hdus or [])])
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    hdul.writeto(tmp, overwrite=True)
    os.replace(tmp, path)
    return path


def asdf_meta(
    reftype: str, instrument: str, **selectors: Mapping[str, Any] | Any
) -> dict[str, Any]:
    """The ``meta`` tree of an ASDF reference file (jwst's reference-file schema layout)."""
    meta: dict[str, Any] = {
        "reftype": reftype.upper(),
        "telescope": "JWST",
        "pedigree": "DUMMY",
        "useafter": "2022-01-01T00:00:00",
        "author": "spec2x.synthetic",
        "description": f"synthetic {reftype} reference for spec2x tests",
        "instrument": {"name": instrument.upper()},
    }
    for key, value in selectors.items():
        if key in ("detector", "filter", "grating", "pupil", "band", "channel"):
            meta["instrument"][key] = value
        elif key == "exp_type":
            meta.setdefault("exposure", {})["type"] = value
        else:
            meta[key] = value
    return meta


def transit_light_curve(
    phase: np.ndarray, depth: float, duration: float = 0.4, ingress: float = 0.06
) -> np.ndarray:
    """Trapezoid transit: 1 out of transit, ``1 - depth`` at the bottom; ``phase`` in [0, 1]."""
    d = np.abs(np.asarray(phase) - 0.5)
    edge = np.clip((duration / 2 - d) / ingress, 0.0, 1.0)
    return 1.0 - depth * edge


@dataclass
class TransitTruth:
    """What a synthetic time series with a transit holds.

    Attributes
    ----------
    rateints_path : the ``_rateints.fits`` file.
    refs : reftype -> path of every reference the chain needs.
    wavelength : µm; flux : MJy, the out-of-transit source spectrum.
    light_curve : relative flux of each integration; depth : transit depth.
    """

    rateints_path: Path
    refs: dict[str, Path]
    wavelength: np.ndarray
    flux: np.ndarray
    light_curve: np.ndarray
    depth: float
