"""A synthetic NIRSpec IFU exposure: a ``_rate`` file and its optical references.

:func:`write_nirspec_ifu_refs_set` writes everything the IFU WCS needs: the
CV3 optics of :mod:`.nirspec_refs` (camera, collimator, FPA, OTE, fore,
PRISM disperser, synthetic gratings, wavelengthrange) and the IFU optics of
:mod:`.nirspec_ifu_refs` (ifuslicer, ifufore, the CV3 ifupost, chromcorr).
:func:`make_nirspec_ifu_rate` writes a full-frame ``NRS_IFU`` rate file
(flat level with seeded noise) with the keywords jwst's ``assign_wcs`` needs:
DETECTOR, FILTER, GRATING, the GWA tilt sensors and temperature, the
pointing (V2_REF/V3_REF at the IFU field centre of this model), VA_SCALE,
VELOSYS and the dates.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..modes import MODES
from .base import flat_rate
from .nirspec_cal_refs import MODES as WAVELENGTH_RANGES
from .nirspec_cal_refs import write_dflat, write_fflat, write_sflat
from .nirspec_ifu_refs import write_nirspec_ifu_refs
from .nirspec_refs import GRATINGS, write_nirspec_optical_refs
from .nirspec_slit_refs import write_pathloss
from .pixel_refs import write_nirspec_ifu_area, write_nirspec_mos_photom

__all__ = [
    "IFU_POINTING",
    "IFU_SLICE_ARCSEC",
    "ifu_filter",
    "make_nirspec_ifu_rate",
    "nirspec_ifu_cal_paths",
    "nirspec_ifu_paths",
]

#: The IFU field centre of the synthetic model (V2, V3 arcsec) and a sky position (deg).
IFU_POINTING = {"V2_REF": 300.14, "V3_REF": -498.2, "RA_REF": 53.1, "DEC_REF": -27.8}
#: Width and length (arcsec) of one IFU slice: the aperture of the synthetic IFU pathloss.
IFU_SLICE_ARCSEC = (0.105, 3.15)
#: Keywords of every synthetic IFU exposure.
_FIXED: dict[str, Any] = {
    "TELESCOP": "JWST", "INSTRUME": "NIRSPEC", "SUBARRAY": "FULL", "READPATT": "NRSIRS2RAPID",
    "SUBSTRT1": 1, "SUBSTRT2": 1, "SUBSIZE1": 2048, "SUBSIZE2": 2048,
    "DATE-OBS": "2026-01-01", "TIME-OBS": "12:00:00", "EXPSTART": 61041.5,
    "GWA_XTIL": 0.3467, "GWA_YTIL": 0.1334, "GWA_TILT": 37.0,
    "ROLL_REF": 45.0, "PA_V3": 45.0, "V3I_YANG": 138.5, "VPARITY": -1,
    "VA_SCALE": 1.0000087, "VELOSYS": 8765.4, "PATTTYPE": "NONE",
}  # fmt: skip


def ifu_filter(grating: str) -> str:
    """The filter the synthetic instrument pairs with ``grating`` (PRISM: CLEAR)."""
    grating = grating.upper()
    return GRATINGS[grating]["filter"] if grating in GRATINGS else "CLEAR"


def nirspec_ifu_paths(folder: str | os.PathLike[str], grating: str = "PRISM") -> dict[str, Path]:
    """Write the IFU WCS references of ``grating`` into ``folder``; reftype -> path."""
    grating = grating.upper()
    filter_name = ifu_filter(grating)
    optics = write_nirspec_optical_refs(folder, gratings=(grating,), msa_grid=(2, 2))
    ifu = write_nirspec_ifu_refs(folder, filters=(filter_name,))
    chosen = {"disperser": grating, "fore": filter_name, "chromcorr": filter_name}
    return {
        k: v[chosen[k]] if isinstance(v, dict) else v
        for k, v in {**optics, **ifu}.items()
        if k != "msa"
    }


def nirspec_ifu_cal_paths(
    folder: str | os.PathLike[str], grating: str = "PRISM", *, seed: int = 0
) -> dict[str, Path]:
    """Write the IFU calibration references of ``grating`` on NRS1; reftype -> path.

    fflat, sflat (a 3-D cube) and dflat: the flats of :mod:`.nirspec_cal_refs`
    with ``EXP_TYPE=NRS_IFU`` and one ``ANY`` fast-variation row (jwst reads
    row 0 for the IFU); photom: one row for the filter/grating, a smooth
    response over the band; area: a pixel area per slice (arcsec^2, a few per
    cent apart); pathloss: one aperture of the size of a slice.
    """
    grating = grating.upper()
    filter_name = ifu_filter(grating)
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    mode: dict[str, Any] = {"exp_type": MODES["NRS_IFU"].exp_type, "seed": seed}
    tag = f"{grating}_{filter_name}".lower()
    common = {"grating": grating, "filter_name": filter_name, "slits": ("ANY",), **mode}
    return {
        "fflat": write_fflat(d / f"spec2x_ifu_fflat_{tag}.fits", **common),
        "sflat": write_sflat(d / f"spec2x_ifu_sflat_{tag}.fits", nplanes=5, **common),
        "dflat": write_dflat(d / "spec2x_ifu_dflat_nrs1.fits", **mode),
        "photom": write_nirspec_mos_photom(
            d / f"spec2x_ifu_photom_{tag}.fits",
            rows=[_photom_row(grating, filter_name)],
            exp_type=mode["exp_type"],
        ),
        "pathloss": write_pathloss(
            d / "spec2x_ifu_pathloss.fits",
            exp_type=mode["exp_type"],
            slits=("IFU",),
            sizes={"IFU": IFU_SLICE_ARCSEC},
        ),
        "area": write_nirspec_ifu_area(
            d / "spec2x_ifu_area.fits",
            pixarea=list(0.01 * (1.0 + 0.02 * np.cos(np.arange(30) / 5.0))),
        ),
    }


def _photom_row(grating: str, filter_name: str) -> dict[str, Any]:
    lo, hi = WAVELENGTH_RANGES[(grating, filter_name)]
    wl = np.linspace(lo, hi, 300)
    x = (wl - lo) / (hi - lo)
    return {
        "filter": filter_name,
        "grating": grating,
        "photmj": 3.1e-7,
        "wavelength": wl,
        "relresponse": 1.0 + 0.3 * x - 0.5 * (x - 0.4) ** 2,
    }


def make_nirspec_ifu_rate(
    path: str | os.PathLike[str], grating: str = "PRISM", *, seed: int = 0, **keywords: Any
) -> Path:
    """Write a full-frame NIRSpec IFU ``_rate`` file (1 DN/s and noise) and return its path.

    ``grating`` is PRISM (FILTER=CLEAR) or a synthetic grating (G140M, G395M,
    with its filter); ``seed`` seeds the noise; ``keywords`` add to or replace
    the header keywords (``DETECTOR="NRS2"``, another pointing ...).
    """
    grating = grating.upper()
    attrs = {
        **_FIXED,
        **IFU_POINTING,
        "DETECTOR": "NRS1",
        "GRATING": grating,
        "FILTER": ifu_filter(grating),
        "EXP_TYPE": MODES["NRS_IFU"].exp_type,
        "DATAMODL": "IFUImageModel",
        **keywords,
    }
    return flat_rate(path, (2048, 2048), attrs, seed=seed, level=1.0)
