"""A synthetic NIRSpec MOS exposure with every reference its calwebb_spec2 chain reads.

:func:`make_nirspec_mos_chain` writes the scene of
:func:`.nirspec_msa_scene.make_nirspec_mos` (PRISM/CLEAR on NRS1; point and
extended sources by stellarity, background-only slitlets, 1x3-shutter
slitlets, a failed-open shutter) and the calibration references of
:mod:`.nirspec_mos_refs` and friends: ``wavecorr``, ``msaoper``, the MSA
quadrant ``fflat``, ``sflat``, ``dflat``, ``pathloss``, ``barshadow``,
``photom``, ``area`` (a row per slitlet's source shutter), ``extract1d``
(one ``ANY`` aperture) and ``apcorr`` (NrsMosApcorrModel).  jwst 3.0.0's
``Spec2Pipeline`` runs on it offline with these files as overrides.

``neutral=True`` writes the flux calibration the scene was injected with
(``photmj`` = :data:`.nirspec.PHOTMJ`, flat relative response, one pixel
area for every slitlet) so that the ``x1d`` of a point source gives its
injected spectrum back and the sky, flat in DN/s, is flat in MJy/sr.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..instruments.nirspec.msa_meta import read_msa_metadata
from .extract_refs import write_apcorr_nirspec_fs, write_extract1d, write_nirspec_fs_extract1d
from .nirspec import PHOTMJ
from .nirspec_cal_refs import FS_SLITS, write_dflat, write_fflat, write_sflat
from .nirspec_mos_refs import write_barshadow, write_mos_fflat, write_mos_pathloss
from .nirspec_msa import write_msaoper
from .nirspec_msa_scene import PIXEL_AREA_ARCSEC2, NirspecMosTruth, make_nirspec_mos
from .nirspec_slit_refs import write_pathloss, write_wavecorr
from .pixel_refs import (
    write_nirspec_fs_area,
    write_nirspec_fs_photom,
    write_nirspec_mos_area,
    write_nirspec_mos_photom,
)

__all__ = [
    "MOS_EXTRACT_WIDTH",
    "NirspecMosChain",
    "make_nirspec_mos_chain",
    "mos_cal_refs",
    "mos_fixed_slit_refs",
]

_MOS = "NRS_MSASPEC"
_FS = "NRS_FIXEDSLIT"
#: Full width (pixels) of the box extraction aperture of the synthetic extract1d reference.
MOS_EXTRACT_WIDTH = 7


@dataclass
class NirspecMosChain:
    """A synthetic MOS observation and every reference of its chain.

    Attributes
    ----------
    truth : the scene (rate files, MSA metadata file, injected spectra).
    refs : reftype -> path, for ``spec2x run --ref`` and jwst's overrides.
    fs_refs : reftype -> path of the references of the fixed slits the
        exposure carries (``EXP_TYPE=NRS_FIXEDSLIT``; empty without a fixed
        slit).  All of them are in one folder, ``refs_dir``, where a
        :class:`spec2x.io.references.ReferenceSet` picks each file by
        ``EXP_TYPE`` as CRDS would.
    """

    truth: NirspecMosTruth
    refs: dict[str, Path]
    fs_refs: dict[str, Path]
    refs_dir: Path


def _area_rows(msa_metadata: Path, constant: bool) -> list[tuple[int, int, int, float]]:
    """(quadrant, shutter x, shutter y, pixel area arcsec^2) of each slitlet's centre shutter
    (``constant``: one area for all, so the scene's flat sky is flat in MJy/sr too)."""
    table = read_msa_metadata(msa_metadata, 1, 1)
    q, x, y = (table[c].values.astype(int) for c in ("quadrant", "xcen", "ycen"))
    area = PIXEL_AREA_ARCSEC2 + (0.0 if constant else 1e-5) * np.arange(q.size)
    msa = q < 5  # fixed slits (quadrant 5) take their area from the FS table
    columns = (q[msa].tolist(), x[msa].tolist(), y[msa].tolist(), area[msa].tolist())
    return list(zip(*columns, strict=True))


def _photom_row(neutral: bool, **selectors: str) -> dict[str, object]:
    waves = np.linspace(0.55, 5.4, 120)
    return {
        "filter": "CLEAR",
        "grating": "PRISM",
        **selectors,
        "photmj": PHOTMJ if neutral else 2.5e-3,
        "wavelength": waves,
        "relresponse": np.ones_like(waves) if neutral else 1.0 + 0.2 * np.sin(waves),
    }


def mos_cal_refs(
    folder: str | os.PathLike[str],
    msa_metadata: str | os.PathLike[str],
    *,
    neutral: bool = False,
) -> dict[str, Path]:
    """Write the MOS calibration, extraction and msaoper references into ``folder``
    (the area table has a row for each slitlet of ``msa_metadata``, MSAMETID 1)."""
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    aperture = {"id": "ANY", "region_type": "target", "dispaxis": 1}
    return {
        "wavecorr": write_wavecorr(d / "wavecorr.asdf", exp_type=_MOS, slits=("MOS",)),
        "msaoper": write_msaoper(d / "msaoper.json"),
        "fflat": write_mos_fflat(d / "fflat.fits"),
        "sflat": write_sflat(
            d / "sflat.fits",
            grating="PRISM",
            filter_name="CLEAR",
            exp_type=_MOS,
            slits=("ANY",),
            nplanes=2,
        ),  # fmt: skip
        "dflat": write_dflat(d / "dflat.fits", exp_type=_MOS, wavelengths=(0.6, 2.0, 5.3)),
        "barshadow": write_barshadow(d / "barshadow.fits"),
        "pathloss": write_mos_pathloss(d / "pathloss.fits"),
        "photom": write_nirspec_mos_photom(d / "photom.fits", rows=[_photom_row(neutral)]),
        "area": write_nirspec_mos_area(
            d / "area.fits", shutters=_area_rows(Path(msa_metadata), constant=neutral)
        ),
        "extract1d": write_extract1d(
            d / "extract1d.json",
            [dict(aperture, extract_width=MOS_EXTRACT_WIDTH)],
            instrument="NIRSPEC",
            exp_type=_MOS,
        ),
        "apcorr": write_apcorr_nirspec_fs(d / "apcorr.fits", mos=True),
    }


def mos_fixed_slit_refs(
    folder: str | os.PathLike[str], *, neutral: bool = False
) -> dict[str, Path]:
    """Write the fixed-slit references (``EXP_TYPE=NRS_FIXEDSLIT``, PRISM/CLEAR on NRS1) that
    jwst calibrates and extracts the fixed slits of a MOS exposure with: ``wavecorr``,
    ``fflat`` (a row per slit), ``sflat``, ``dflat``, ``pathloss``, ``photom`` and ``area``
    (a row per slit), ``extract1d`` and ``apcorr``; names start with ``fs_``."""
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    mode: dict[str, Any] = dict(grating="PRISM", filter_name="CLEAR", exp_type=_FS)
    rows = [_photom_row(neutral, slit=slit) for slit in FS_SLITS]
    area = (
        dict.fromkeys(FS_SLITS, 0.02)
        if neutral
        else {s: 0.0215 + 1e-4 * i for i, s in enumerate(FS_SLITS)}
    )
    return {
        "wavecorr": write_wavecorr(d / "fs_wavecorr.asdf", exp_type=_FS),
        "fflat": write_fflat(d / "fs_fflat.fits", **mode, seed=1),
        "sflat": write_sflat(d / "fs_sflat.fits", **mode, seed=1),
        "dflat": write_dflat(
            d / "fs_dflat.fits", exp_type=_FS, wavelengths=(0.6, 2.0, 5.3), seed=1
        ),
        "pathloss": write_pathloss(d / "fs_pathloss.fits", exp_type=_FS),
        "photom": write_nirspec_fs_photom(d / "fs_photom.fits", rows=rows),
        "area": write_nirspec_fs_area(d / "fs_area.fits", pixarea=area),
        "extract1d": write_nirspec_fs_extract1d(d, _FS),
        "apcorr": write_apcorr_nirspec_fs(
            d / "fs_apcorr.fits", rows=[("CLEAR", "PRISM", s) for s in FS_SLITS]
        ),
    }


def make_nirspec_mos_chain(
    seed: int | np.random.Generator | None,
    *,
    folder: str | os.PathLike[str] = ".",
    n_slitlets: int = 30,
    n_background: int = 4,
    noise: bool = True,
    neutral: bool = False,
    fixed_slit: str | None = None,
    extended: int = 0,
) -> NirspecMosChain:
    """Write a MOS exposure (dither point 1, MSA slitlets only) and its references.

    Parameters
    ----------
    seed : random seed of the scene.
    n_slitlets : slitlets in the MSA configuration (two fall off NRS1).
    n_background : background-only slitlets among them (0: jwst skips
        master_background_mos).
    noise : add read and photon noise.
    neutral : flux calibration equal to the injection's (see the module notes).
    fixed_slit : a fixed slit the MSA configuration also opens, with a point
        source of its own (``S200A1``), and its references (``fs_refs``).
    """
    truth = make_nirspec_mos(
        seed, folder=folder, n_slitlets=n_slitlets, noise=noise,
        n_background=n_background, fixed_slit=fixed_slit, extended=extended,
    )  # fmt: skip
    refs_dir = Path(folder) / "refs"
    refs = dict(truth.refs)
    refs.update(mos_cal_refs(refs_dir, truth.msa_metadata, neutral=neutral))
    fs_refs = mos_fixed_slit_refs(refs_dir, neutral=neutral) if fixed_slit else {}
    return NirspecMosChain(truth, refs, fs_refs, refs_dir)
