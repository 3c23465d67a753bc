"""Products of the SOSS, WFSS, MOS and MRS modes, made by spec2x from small synthetic inputs.

Shared by ``plain_install_check.py`` (read back in a plain install) and
``test_io_mode_products.py`` (opened by stdatamodels as jwst opens official
products).  Every run is small: 3 SOSS integrations, 10 WFSS catalogue
sources, 4 MOS slitlets, one MRS band (1A, with the real FLT9 distortion,
specwcs and wavelengthrange of ``shared/realdata/miri``: spec2x has no
synthetic MRS distortion).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xarray as xr

#: The stdatamodels class each product opens as (what jwst 3.0.0 writes).
MODELS = {
    "nis_soss_calints": "CubeModel",
    "nis_soss_x1dints": "TSOMultiSpecModel",
    "nrc_wfss_cal": "MultiSlitModel",
    "nrc_wfss_x1d": "WFSSMultiSpecModel",
    "nis_wfss_cal": "MultiSlitModel",
    "nis_wfss_x1d": "WFSSMultiSpecModel",
    "nrs_mos_cal": "MultiSlitModel",
    "nrs_mos_s2d": "MultiSlitModel",
    "nrs_mos_x1d": "MultiSpecModel",
    "mir_mrs_s3d": "IFUCubeModel",
}


@dataclass
class Run:
    """What :func:`spec2x.pipeline.spec2` is given for one mode."""

    science: Path
    refs: dict[str, str]
    params: dict[str, dict[str, Any]] | None = None
    members: dict[str, list[Any]] | None = None
    skip: tuple[str, ...] = ()


def _str(refs: dict[str, Any], **na: str) -> dict[str, str]:
    return {**{k: str(v) for k, v in refs.items()}, **na}


def soss(folder: Path) -> Run:
    """NIS_SOSS SUBSTRIP256, 3 integrations, box extraction."""
    from spec2x.synthetic.niriss_soss_tso import make_soss_transit

    tso = make_soss_transit(folder, nints=3, seed=1)
    refs = _str(tso.refs, **dict.fromkeys(("pathloss", "extract1d", "apcorr", "area"), "N/A"))
    return Run(tso.rateints_path, refs, params={"extract_1d": {"soss_atoca": False}})


def wfss(folder: Path, instrument: str) -> Run:
    """NRC_WFSS (GRISMR, synthetic flat and photom) or NIS_WFSS (GR150R, flat and photom N/A:
    spec2x has no synthetic NIRISS WFSS ones), 10 catalogue sources."""
    from spec2x.synthetic.wfss import write_wfss_exposure

    if instrument == "NIRCAM":
        from spec2x.synthetic.nircam_wfss_cal_refs import (
            write_nircam_wfss_flat,
            write_nircam_wfss_photom,
        )
        from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references

        refs: dict[str, Any] = write_nircam_wfss_references(folder)
        files = write_wfss_exposure(folder, refs, n_sources=10)
        refs["photom"] = write_nircam_wfss_photom(folder / "photom.fits")
        refs["flat"] = write_nircam_wfss_flat(folder / "flat.fits")
    else:
        from spec2x.synthetic.niriss_wfss_refs import write_niriss_wfss_references

        refs = write_niriss_wfss_references(folder)
        files = write_wfss_exposure(folder, refs, instrument="NIRISS", n_sources=10)
        refs.update(photom="N/A", flat="N/A")
    na = dict.fromkeys(("bkg", "extract1d", "apcorr", "area"), "N/A")
    return Run(files["rate"], _str(refs, **na), members={"sourcecat": [str(files["catalog"])]})


def mos(folder: Path) -> Run:
    """NRS_MSASPEC PRISM/CLEAR, 4 slitlets (two on NRS1), no background slitlet."""
    from spec2x.synthetic.extract_refs import write_apcorr_nirspec_fs
    from spec2x.synthetic.nirspec_mos_chain import make_nirspec_mos_chain

    chain = make_nirspec_mos_chain(1, folder=folder, n_slitlets=4, n_background=0, neutral=True)
    write_apcorr_nirspec_fs(chain.refs["apcorr"], mos=True, constant=1.0)
    return Run(chain.truth.rate_paths[0], _str(chain.refs), skip=("master_background_mos",))


#: mode -> how to make its run (in a folder of its own).
RUNS: dict[str, Callable[[Path], Run]] = {
    "nis_soss": soss,
    "nrc_wfss": lambda folder: wfss(folder, "NIRCAM"),
    "nis_wfss": lambda folder: wfss(folder, "NIRISS"),
    "nrs_mos": mos,
}


def run_modes(folder: Path) -> Iterator[tuple[str, Any]]:
    """``(mode_suffix, product)`` of spec2 on each mode of :data:`RUNS`."""
    from spec2x.pipeline import spec2

    for mode, make in RUNS.items():
        run = make(folder / mode)
        result = spec2(run.science, run.refs, run.params, members=run.members, skip=run.skip)
        for suffix, ds in result.items():
            yield f"{mode}_{suffix}", ds


def mrs_cube(folder: Path, realdata: Path) -> xr.Dataset:
    """The ``_s3d`` of spec2x's cube_build (chain step: band 1A) on a synthetic MIR_MRS
    exposure, the WCS from the real FLT9 files in ``realdata/miri`` and synthetic regions."""
    from spec2x.io.fits import open_exposure
    from spec2x.pipeline import run_step
    from spec2x.steps.assign_wcs import assign_wcs
    from spec2x.synthetic.cubepar import write_mrs_cubepar
    from spec2x.synthetic.miri_mrs import make_mrs_rate
    from spec2x.synthetic.miri_mrs_regions import write_mrs_regions

    real = Path(realdata) / "miri"
    folder.mkdir(parents=True, exist_ok=True)
    distortion = real / "jwst_miri_mrs12A_distortion_flt9.asdf"
    refs = {
        "distortion": str(distortion),
        "specwcs": str(real / "jwst_miri_mrs12A_specwcs_flt9.asdf"),
        "regions": str(write_mrs_regions(folder / "regions_12A.asdf", distortion)),
        "wavelengthrange": str(real / "jwst_miri_mrs_wavelengthrange_flt9.asdf"),
    }
    rate = make_mrs_rate(folder / "mrs_rate.fits", seed=11, sky=2.0)
    ds = assign_wcs(open_exposure(rate), refs)
    return run_step(ds, "cube_build", {"cubepar": str(write_mrs_cubepar(folder / "cubepar.fits"))})
