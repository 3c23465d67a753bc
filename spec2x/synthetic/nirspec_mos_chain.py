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

import numpy as np

from ..instruments.nirspec.msa_meta import read_msa_metadata
from .extract_refs import write_apcorr_nirspec_fs, write_extract1d
from .nirspec import PHOTMJ
from .nirspec_cal_refs import write_dflat, write_sflat
from .nirspec_mos_refs import write_barshadow, write_mos_fflat, write_mos_pathloss
from .nirspec_msa import write_msaoper
from .nirspec_msa_scene import NirspecMosTruth, make_nirspec_mos
from .nirspec_slit_refs import write_wavecorr
from .pixel_refs import write_nirspec_mos_area, write_nirspec_mos_photom

__all__ = ["MOS_EXTRACT_WIDTH", "NirspecMosChain", "make_nirspec_mos_chain", "mos_cal_refs"]

_MOS = "NRS_MSASPEC"
#: Full width (pixels) of the box extraction aperture of the synthetic extract1d reference.
MOS_EXTRACT_WIDTH = 7


@dataclass
class NirspecMosChain:
    """A synthetic MOS observation and every reference of its chain.

    Attributes
    ----------
    truth : the scene (rate files, MSA metadata file, injected spectra).
    refs : reftype -> path, for ``spec2x run --ref`` and jwst's overrides.
    """

    truth: NirspecMosTruth
    refs: dict[str, Path]


def _area_rows(msa_metadata: Path, constant: bool) -> list[tuple[int, int, int, float]]:
    """(quadrant, shutter x, shutter y, pixel area arcsec^2) of each slitlet's centre shutter
    (``constant``: one area for all, so the scene's flat sky is flat in MJy/sr too)."""
    table = read_msa_metadata(msa_metadata, 1, 1)
    q, x, y = (table[c].values.astype(int) for c in ("quadrant", "xcen", "ycen"))
    area = 0.02 + (0.0 if constant else 1e-5) * np.arange(q.size)
    msa = q < 5  # fixed slits (quadrant 5) take their area from the FS table
    columns = (q[msa].tolist(), x[msa].tolist(), y[msa].tolist(), area[msa].tolist())
    return list(zip(*columns, strict=True))


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
    waves = np.linspace(0.55, 5.4, 120)
    photom_row = {
        "filter": "CLEAR",
        "grating": "PRISM",
        "photmj": PHOTMJ if neutral else 2.5e-3,
        "wavelength": waves,
        "relresponse": np.ones_like(waves) if neutral else 1.0 + 0.2 * np.sin(waves),
    }
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
        "photom": write_nirspec_mos_photom(d / "photom.fits", rows=[photom_row]),
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


def make_nirspec_mos_chain(
    seed: int | np.random.Generator | None,
    *,
    folder: str | os.PathLike[str] = ".",
    n_slitlets: int = 30,
    n_background: int = 4,
    noise: bool = True,
    neutral: bool = False,
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
    """
    truth = make_nirspec_mos(
        seed, folder=folder, n_slitlets=n_slitlets, noise=noise,
        n_background=n_background, fixed_slit=None,
    )  # fmt: skip
    refs = dict(truth.refs)
    refs.update(mos_cal_refs(Path(folder) / "refs", truth.msa_metadata, neutral=neutral))
    return NirspecMosChain(truth, refs)
