"""Synthetic NIRCam DHS time series: keywords, ``regions`` and a short-wave ``specwcs``.

:data:`DHS_KEYWORDS` describe a ``SUB164STRIPE4_DHS`` NRCALONG exposure as
jwst 3.0.0's own DHS tests do: 164 x 2048 pixels holding four 40-row reads
of detector rows 972-1011, each after one reference row (``MSTR_RD1`` 1,
``MSTR_SK1`` 971, ``MSTR_RD2`` 40, ``MSTR_RPT`` 1).  :func:`write_dhs_regions`
writes the full-frame stripe map (``RegionsModel``): label 1 on the rows the
stripes read, 0 elsewhere.  :data:`COLUMN_READ` turns either exposure into one
read along columns (``|SLOWAXIS|`` 1: the same stripes, the image and the
stripe map transposed), a read jwst 3.0.0's DHS code has a branch for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .base import asdf_meta
from .miri_lrs_refs import _write_asdf

__all__ = [
    "COLUMN_READ",
    "DHS_APERTURE",
    "DHS_KEYWORDS",
    "DHS_SHAPE",
    "DHS_SW_KEYWORDS",
    "SW_STRIPES",
    "STRIPE_TRACE_ROW",
    "make_nircam_dhs",
    "write_dhs_regions",
    "write_dhs_sw_specwcs",
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


#: The short-wave (NRCA1) DHS exposure: four stripes of 40 rows interleaved with the
#: reference row, 125 rows apart on the detector, labelled 4, 3, 2, 1 upwards (jwst's test
#: geometry; its labels are 10 ... 7); FILTER the long-wave field point's (the synthetic
#: references' filter), PPS_APER naming the F444W field point.
DHS_SW_KEYWORDS: dict[str, Any] = {
    **DHS_KEYWORDS,
    "DETECTOR": "NRCA1",
    "CHANNEL": "SHORT",
    "PUPIL": "GDHS0",
    "PPS_APER": "NRCA5_GRISM_F444W",
    "MSTR_SK1": 1526,
    "MSTR_SK2": 85,
    "MSTR_ILV": 1,
    "XREF_SCI": 1024.5,
    "YREF_SCI": 24.5,
}
#: The keywords that make a DHS exposure one read along columns: the slow axis along x,
#: the stripes' lines columns (the subarray 2048 x 164).
COLUMN_READ: dict[str, Any] = dict(
    FASTAXIS=-2, SLOWAXIS=1, SUBSIZE1=DHS_SHAPE[0], SUBSIZE2=DHS_SHAPE[1]
)
#: The short-wave stripe labels, from the lowest detector row up.
SW_STRIPES = (4, 3, 2, 1)


def write_dhs_sw_specwcs(
    path: str | os.PathLike[str], labels: tuple[int, ...] = SW_STRIPES
) -> Path:
    """A short-wave DHS ``specwcs`` (NIRCAMGrismModel with ``stripes`` and ``fieldpoints``):
    order 1 of the stripes ``labels`` (listed increasing) for the F322W2 and F444W field
    points, each stripe its own linear models of t (wavelength 2.5-3.9 µm over the
    detector, 0.01 µm more per stripe of :data:`SW_STRIPES`' order from the top)."""
    from astropy import units as u
    from astropy.modeling import models

    meta = asdf_meta("specwcs", "NIRCAM", detector="NRCA1", pupil="GDHS0", exp_type="NRC_TSGRISM")
    meta["instrument"].update(module="A", filter="F150W2")
    meta.update(input_units=u.micron, output_units=u.micron, model_type="NIRCAMGrismModel")
    rank = {label: len(labels) - i for i, label in enumerate(labels)}  # 1 ... n from the top
    points = [(point, s) for point in ("F322W2", "F444W") for s in sorted(labels)]

    def lists(c0: Any, c1: float) -> list[list[list[Any]]]:
        return [[[models.Polynomial1D(1, c0=c0(p, s), c1=c1)]] for p, s in points]

    shift = {"F322W2": 0.0, "F444W": 0.002}
    tree = {
        "meta": meta,
        "orders": [1],
        "stripes": [s for _, s in points],
        "fieldpoints": [p for p, _ in points],
        "displ": lists(lambda p, s: 2.5 + 0.01 * rank[s] + shift[p], 1.4),
        "dispx": lists(lambda p, s: 3028.0 + 5.0 * rank[s], -4827.586),
        "dispy": lists(lambda p, s: 25.3 + rank[s], 6.2),
    }
    return _write_asdf(path, tree)


def write_dhs_regions(
    path: str | os.PathLike[str],
    keywords: dict[str, Any] | None = None,
    labels: tuple[int, ...] = SW_STRIPES,
) -> Path:
    """Write the full-frame DHS ``regions``: long wave, label 1 on the rows every stripe
    reads; short wave, ``labels`` (from the lowest row up) on each stripe's rows; on
    columns instead of rows for a subarray read along columns (``|SLOWAXIS|`` 1), and
    counted from the other end for a negative SLOWAXIS (the detector read the other way).

    Parameters
    ----------
    path : the ASDF file to write.
    keywords : the exposure's keywords (default :data:`DHS_KEYWORDS`; the short wave's
        :data:`DHS_SW_KEYWORDS`).
    """
    k = DHS_KEYWORDS if keywords is None else keywords
    regions = np.zeros((2048, 2048))
    first, height = int(k["MSTR_RD1"]) + int(k["MSTR_SK1"]), int(k["MSTR_RD2"])
    long_wave = "LONG" in str(k["DETECTOR"]).upper()
    for i, label in enumerate((1,) if long_wave else labels):
        start = first + i * (height + int(k["MSTR_SK2"]))
        regions[start : start + height, :] = label
    slowaxis = int(k.get("SLOWAXIS", 2))
    regions = regions[::-1] if slowaxis < 0 else regions  # read from the top
    if abs(slowaxis) == 1:
        regions = regions.T
    regions = np.ascontiguousarray(regions)
    meta = asdf_meta(
        "regions",
        "NIRCAM",
        exp_type="NRC_TSGRISM",
        description=f"synthetic NIRCam DHS stripe map ({k['DETECTOR']})",
    )
    meta["subarray"] = {"name": str(k["SUBARRAY"])}
    meta["model_type"] = "RegionsModel"
    return _write_asdf(path, {"meta": meta, "regions": regions})


#: The trace's row within each 40-row stripe (0-based), and its Gaussian sigma (pixels).
STRIPE_TRACE_ROW, _SIGMA = 20.0, 1.3
#: The EXTRACT1D aperture of every stripe's cut-out: rows 14-26 around the trace.
DHS_APERTURE = {"id": "ANY", "region_type": "target", "dispaxis": 1, "xstart": 0,
                "xstop": 2047, "ystart": 14, "ystop": 26}  # fmt: skip


def _write_dhs_refs(
    folder: Path, seed: int, short: bool, keywords: dict[str, Any]
) -> dict[str, Path]:
    from .extract_refs import write_extract1d
    from .nircam_wfss_cal_refs import write_nircam_wfss_photom
    from .nircam_wfss_refs import write_nircam_wfss_references, write_wavelengthrange
    from .pixel_refs import write_flat

    refs = {k: v for k, v in write_nircam_wfss_references(folder).items() if k != "wavelengthrange"}
    refs["wavelengthrange"] = write_wavelengthrange(
        folder / "tsgrism_wavelengthrange.asdf", time_series=True
    )
    if short:
        refs["specwcs"] = write_dhs_sw_specwcs(folder / "nircam_dhs_sw_specwcs.asdf")
    refs["regions"] = write_dhs_regions(folder / "nircam_dhs_regions.asdf", keywords)
    pupil, detector = str(keywords["PUPIL"]), str(keywords["DETECTOR"])
    refs["photom"] = write_nircam_wfss_photom(folder / "nircam_grism_photom.fits", (pupil,))
    refs["flat"] = write_flat(
        folder / "nircam_tsgrism_flat_full.fits", instrument="NIRCAM", detector=detector,
        exp_type="NRC_TSGRISM", shape=(2048, 2048), seed=seed, FILTER="F322W2", PUPIL=pupil,
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
    short: bool = False,
    columns: bool = False,
    **keywords: Any,
) -> tuple[Path, dict[str, Path]]:
    """Write the references and a DHS ``_rateints.fits`` (SUB164STRIPE4_DHS).

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
    short : the short-wave exposure (:data:`DHS_SW_KEYWORDS`, :func:`write_dhs_sw_specwcs`;
        the same rows hold the stripes), else long wave (:data:`DHS_KEYWORDS`).
    columns : read along columns (:data:`COLUMN_READ`): the image and the ``regions``
        map transposed.
    keywords : more or other exposure keywords (``SLOWAXIS=-1``: the read reversed).

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
    base = DHS_SW_KEYWORDS if short else DHS_KEYWORDS
    keywords = {**base, **(COLUMN_READ if columns else {}), **keywords}
    refs = _write_dhs_refs(folder / "refs", int(gen.integers(0, 2**31)), short, keywords)
    attrs = {**exposure_keywords(nints), **keywords, "FILENAME": "nrc_dhs_rateints.fits"}
    ny, nx = DHS_SHAPE
    x = np.arange(nx, dtype=np.float64)
    column = 40.0 * np.exp(-0.5 * ((x - 900.0) / 600.0) ** 2)
    signal = np.full((ny, nx), 0.5)
    rows = np.arange(40, dtype=np.float64)[:, None]
    profile = np.exp(-0.5 * ((rows - STRIPE_TRACE_ROW) / _SIGMA) ** 2)
    for first in range(1, ny, 41):  # each stripe after its reference row
        signal[first : first + 40] += profile * column
    signal = signal.T if columns else signal
    ds = observe(np.repeat(signal[None], nints, axis=0), attrs, gen, noise=noise)
    return write_fits(ds, folder / str(attrs["FILENAME"])), refs
