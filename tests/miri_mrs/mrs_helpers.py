"""Helpers shared by the MIRI MRS tests: the real FLT9 references, exposure keywords, jwst's WCS."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import REALDATA, set_jwst_pointing

_REALDATA = REALDATA / "miri"
if not _REALDATA.is_dir():  # pragma: no cover - a checkout without shared/
    pytest.skip(f"real MIRI reference files not found in {_REALDATA}", allow_module_level=True)
REAL = f"{_REALDATA}/"
WAVELENGTHRANGE = REAL + "jwst_miri_mrs_wavelengthrange_flt9.asdf"
GROUND_REGIONS = REAL + "jwst_miri_regions_0017.asdf"
#: band file tag -> (DETECTOR, CHANNEL, BAND)
SETTINGS = {"12A": ("MIRIFUSHORT", "12", "SHORT"), "34A": ("MIRIFULONG", "34", "SHORT")}


def real_refs(tag: str, regions: Any) -> dict[str, Any]:
    """The FLT9 distortion, specwcs and wavelengthrange of ``tag`` with ``regions``
    (in the order :func:`spec2x.instruments.miri.mrs_wcs.mrs_wcs` takes them)."""
    return {
        "distortion": REAL + f"jwst_miri_mrs{tag}_distortion_flt9.asdf",
        "specwcs": REAL + f"jwst_miri_mrs{tag}_specwcs_flt9.asdf",
        "regions": regions,
        "wavelengthrange": WAVELENGTHRANGE,
    }


def mrs_attrs(tag: str, **extra: Any) -> dict[str, Any]:
    """Keywords of an MRS exposure (full frame) of the detector and band of ``tag``."""
    detector, channel, band = SETTINGS[tag]
    attrs = dict(
        INSTRUME="MIRI",
        DETECTOR=detector,
        CHANNEL=channel,
        BAND=band,
        EXP_TYPE="MIR_MRS",
        V2_REF=-503.654,
        V3_REF=-318.742,
        ROLL_REF=254.3,
        RA_REF=80.4875,
        DEC_REF=-69.4989,
    )
    attrs.update(extra)
    return attrs


def jwst_ifu_wcs(attrs: dict[str, Any], refs: dict[str, Any]) -> Any:
    """jwst 3.0.0's MRS gwcs (``jwst.assign_wcs.miri.ifu``) for the same keywords and files."""
    from gwcs import wcs as gwcs_wcs
    from jwst.assign_wcs import miri
    from stdatamodels.jwst.datamodels import IFUImageModel

    model = IFUImageModel(np.zeros((1024, 1032), np.float32))
    model.meta.exposure.type = attrs["EXP_TYPE"]
    for key in ("INSTRUME", "DETECTOR", "CHANNEL", "BAND"):
        setattr(model.meta.instrument, "name" if key == "INSTRUME" else key.lower(), attrs[key])
    set_jwst_pointing(model, attrs)
    return gwcs_wcs.WCS(miri.ifu(model, {k: str(v) for k, v in refs.items()}))


#: Mid time (MJD) of the calibration test exposure: a year after the photom tables' t0.
EXPMID = 60096.51


def make_mrs_cal(folder: Any, regions: Any) -> Any:
    """A full-frame channel 1A/2A exposure after spec2x's assign_wcs, written to FITS, with
    synthetic ``flat``, ``photom``, ``fringe``, ``mrsxartcorr`` (and the ``regions``) beside it.

    Returns a namespace: ``ds`` (the exposure as read back), ``path``, ``refs`` (type -> path).
    """
    from types import SimpleNamespace

    from spec2x.io.fits import open_exposure, write_fits
    from spec2x.io.references import open_reference
    from spec2x.steps.assign_wcs import assign_wcs
    from spec2x.synthetic import miri_mrs_refs as syn
    from spec2x.synthetic.miri_mrs import make_mrs_rate

    rate = make_mrs_rate(folder / "mrs_rate.fits", seed=3, EXPMID=EXPMID)
    ds = assign_wcs(open_exposure(rate), real_refs("12A", regions))
    labels = open_reference(regions, "regions").content.label_map(0.8)
    gen = np.random.default_rng(7)
    trend = 5.0 + 3.0 * np.sin(np.arange(labels.shape[0]) / 50.0)[:, None]
    sci = np.where(labels > 0, trend, 0.2) + gen.normal(0.0, 0.05, labels.shape)
    path = write_fits(ds.assign(sci=ds["sci"].copy(data=sci.astype(np.float32))),
                      folder / "mrs_assign_wcs.fits")  # fmt: skip
    refs = {
        "flat": syn.write_mrs_flat(folder / "mrs_flat.fits"),
        "photom": syn.write_mrs_photom(folder / "mrs_photom.fits"),
        "fringe": syn.write_mrs_fringe(folder / "mrs_fringe.fits"),
        "mrsxartcorr": syn.write_mrsxartcorr(folder / "mrs_xartcorr.fits"),
        "regions": regions,
    }
    return SimpleNamespace(ds=open_exposure(path), path=path, refs=refs)
