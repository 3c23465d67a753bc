"""Synthetic NIRCam DHS time series (long wave): keywords and a ``regions`` reference.

:data:`DHS_KEYWORDS` describe a ``SUB164STRIPE4_DHS`` NRCALONG exposure as
jwst 3.0.0's own DHS tests do: 164 x 2048 pixels holding four 40-row reads
of detector rows 972-1011, each after one reference row (``MSTR_RD1`` 1,
``MSTR_SK1`` 971, ``MSTR_RD2`` 40, ``MSTR_RPT`` 1).  :func:`write_dhs_regions`
writes the full-frame stripe map (``RegionsModel``): label 1 on the rows the
stripes read, 0 elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .base import asdf_meta
from .miri_lrs_refs import _write_asdf

__all__ = [
    "DHS_APERTURE",
    "DHS_KEYWORDS",
    "DHS_SHAPE",
    "STRIPE_TRACE_ROW",
    "make_nircam_dhs",
    "write_dhs_regions",
]

#: (ny, nx) of one integration.
DHS_SHAPE = (164, 2048)

#: The subarray, multistripe and source keywords of the synthetic DHS exposure.
DHS_KEYWORDS: dict[str, Any] = dict(
    EXP_TYPE="NRC_TSGRISM",
    DETECTOR="NRCALONG",
    CHANNEL="LONG",
    MODULE="A",
    PUPIL="GRISMR",
    FILTER="F322W2",
    SUBARRAY="SUB164STRIPE4_DHS",
    SUBSTRT1=1,
    SUBSIZE1=DHS_SHAPE[1],
    SUBSTRT2=1,
    SUBSIZE2=DHS_SHAPE[0],
    FASTAXIS=-1,
    SLOWAXIS=2,
    SSTR_NST=0,
    MSTR_RD1=1,
    MSTR_SK1=971,
    MSTR_RD2=40,
    MSTR_SK2=0,
    MSTR_RPT=1,
    MSTR_ILV=0,
    XREF_SCI=862.0,
    YREF_SCI=20.5,
)


def write_dhs_regions(path: str | os.PathLike[str], keywords: dict[str, Any] | None = None) -> Path:
    """Write the full-frame DHS ``regions`` (label 1 on the stripes' detector rows).

    Parameters
    ----------
    path : the ASDF file to write.
    keywords : the exposure's multistripe keywords (default :data:`DHS_KEYWORDS`).
    """
    k = DHS_KEYWORDS if keywords is None else keywords
    regions = np.zeros((2048, 2048))
    first = int(k["MSTR_RD1"]) + int(k["MSTR_SK1"])
    regions[first : first + int(k["MSTR_RD2"]), :] = 1
    meta = asdf_meta(
        "regions",
        "NIRCAM",
        exp_type="NRC_TSGRISM",
        description="synthetic NIRCam DHS stripe map (long wave)",
    )
    meta["subarray"] = {"name": str(k["SUBARRAY"])}
    meta["model_type"] = "RegionsModel"
    return _write_asdf(path, {"meta": meta, "regions": regions})


#: The trace's row within each 40-row stripe (0-based), and its Gaussian sigma (pixels).
STRIPE_TRACE_ROW, _SIGMA = 20.0, 1.3
#: The EXTRACT1D aperture of every stripe's cut-out: rows 14-26 around the trace.
DHS_APERTURE = {"id": "ANY", "region_type": "target", "dispaxis": 1, "xstart": 0,
                "xstop": 2047, "ystart": 14, "ystop": 26}  # fmt: skip


def _write_dhs_refs(folder: Path, seed: int) -> dict[str, Path]:
    from .extract_refs import write_extract1d
    from .nircam_wfss_cal_refs import write_nircam_wfss_photom
    from .nircam_wfss_refs import write_nircam_wfss_references, write_wavelengthrange
    from .pixel_refs import write_flat

    refs = {k: v for k, v in write_nircam_wfss_references(folder).items() if k != "wavelengthrange"}
    refs["wavelengthrange"] = write_wavelengthrange(
        folder / "tsgrism_wavelengthrange.asdf", time_series=True
    )
    refs["regions"] = write_dhs_regions(folder / "nircam_dhs_regions.asdf")
    refs["photom"] = write_nircam_wfss_photom(folder / "nircam_grism_photom.fits", ("GRISMR",))
    refs["flat"] = write_flat(
        folder / "nircam_tsgrism_flat_full.fits", instrument="NIRCAM", detector="NRCALONG",
        exp_type="NRC_TSGRISM", shape=(2048, 2048), seed=seed, FILTER="F322W2", PUPIL="GRISMR",
    )  # fmt: skip
    refs["extract1d"] = write_extract1d(
        folder / "nircam_dhs_extract1d.json", [DHS_APERTURE], instrument="NIRCAM",
        exp_type="NRC_TSGRISM",
    )  # fmt: skip
    return refs


def make_nircam_dhs(
    seed: int | np.random.Generator | None,
    *,
    nints: int = 2,
    folder: str | os.PathLike[str] = ".",
    noise: bool = True,
) -> tuple[Path, dict[str, Path]]:
    """Write the references and a long-wave DHS ``_rateints.fits`` (SUB164STRIPE4_DHS).

    Each of the four stripes holds the same trace (the stripes read the same
    detector rows): a smooth continuum (DN/s) along every column of the
    trace, a Gaussian across it centred on :data:`STRIPE_TRACE_ROW`, on a
    0.5 DN/s sky; the reference rows hold the sky only.

    Parameters
    ----------
    seed : random seed (flat structure, noise, bad pixels).
    nints : integrations.
    folder : where the files go (references under ``refs/``).
    noise : add read and photon noise.

    Returns
    -------
    The ``_rateints.fits`` path and reftype -> path of every reference the chain needs.
    """
    from ..io.fits import write_fits
    from .base import rng
    from .nircam_tsgrism import exposure_keywords
    from .nirspec import observe

    gen = rng(seed)
    folder = Path(folder)
    refs = _write_dhs_refs(folder / "refs", int(gen.integers(0, 2**31)))
    attrs = {**exposure_keywords(nints), **DHS_KEYWORDS, "FILENAME": "nrc_dhs_rateints.fits"}
    ny, nx = DHS_SHAPE
    x = np.arange(nx, dtype=np.float64)
    column = 40.0 * np.exp(-0.5 * ((x - 900.0) / 600.0) ** 2)
    signal = np.full((ny, nx), 0.5)
    rows = np.arange(40, dtype=np.float64)[:, None]
    profile = np.exp(-0.5 * ((rows - STRIPE_TRACE_ROW) / _SIGMA) ** 2)
    for first in range(1, ny, 41):  # each stripe after its reference row
        signal[first : first + 40] += profile * column
    ds = observe(np.repeat(signal[None], nints, axis=0), attrs, gen, noise=noise)
    return write_fits(ds, folder / str(attrs["FILENAME"])), refs
