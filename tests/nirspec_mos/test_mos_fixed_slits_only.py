"""A MOS exposure that opens only a fixed slit: no MSA slitlet (jwst 3.0.0).

The synthetic MOS exposure of :mod:`test_mos_fixed_slits` with its MSA
metadata file cut down to the fixed-slit rows (S200A1, quadrant 5): the
slitlets' shutters are not open, their light on the detector is never
extracted.  jwst's ``Spec2Pipeline._process_nirspec_msa_slits`` then runs
no MOS step (master_background_mos, barshadow: their status is left unset)
and calibrates S200A1 as ``NRS_FIXEDSLIT``; spec2x the same (S_MSBSUB and
S_BARSHA unset too).  Also ``--ref NRS_FIXEDSLIT:TYPE=PATH``: the fixed slit's
references given one by one give the products ``--refs DIR`` gives.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from s2d_parity import assert_fixed_slit_products, fs_references, peak_rel

from spec2x.cli import main
from spec2x.io.fits import open_product
from spec2x.synthetic.nirspec_mos_chain import make_nirspec_mos_chain

pytestmark = pytest.mark.slow

FIXED = "S200A1"
_OPTICS = ("camera", "collimator", "fpa", "ote", "fore", "disperser")
_KINDS = ("cal", "s2d", "x1d")


def _fixed_slits_only(msa_metadata: Path) -> None:
    """Keep only the fixed-slit rows of the MSA metadata file's SHUTTER_INFO."""
    with fits.open(msa_metadata) as hdul:
        table = hdul["SHUTTER_INFO"].data
        hdul["SHUTTER_INFO"].data = table[np.char.strip(table["fixed_slit"]) != "NONE"]
        hdul.writeto(msa_metadata, overwrite=True)


def _run(rate: Path, out: Path, refs: list[str]) -> dict[str, Path]:
    assert main(["run", str(rate), "--output-dir", str(out), "-q", *refs]) == 0
    base = rate.name.replace("_rate.fits", "")
    return {k: out / f"{base}_{k}.fits" for k in _KINDS}


@pytest.fixture(scope="module")
def fs_only(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nrs_mos_fs_only")
    chain = make_nirspec_mos_chain(5, folder=folder, n_slitlets=5, n_background=1, fixed_slit=FIXED)
    _fixed_slits_only(chain.truth.msa_metadata)
    optics = [a for k in _OPTICS for a in ("--ref", f"{k}={chain.truth.refs[k]}")]
    files = _run(
        chain.truth.rate_paths[0], folder / "ours", ["--refs", str(chain.refs_dir), *optics]
    )
    return chain, optics, files


def test_products_hold_the_fixed_slit_alone(fs_only):
    _, _, files = fs_only
    cal, s2d, x1d = (open_product(files[k]) for k in _KINDS)
    for ds in (cal, s2d, x1d):
        assert ds.attrs["EXP_TYPE"] == "NRS_MSASPEC"
        assert [str(n) for n in np.atleast_1d(ds["slit_name"].values)] == [FIXED]
    for ds in (cal, s2d, x1d):  # jwst runs no MSA-only step: their statuses stay unset
        assert "S_MSBSUB" not in ds.attrs
        assert "S_BARSHA" not in ds.attrs
    assert cal.attrs["S_FLAT"] == cal.attrs["S_PTHLOS"] == cal.attrs["S_PHOTOM"] == "COMPLETE"
    assert int(np.ravel(x1d["quadrant"].values)[0]) == 5
    assert str(np.ravel(x1d["source_type"].values)[0]) == "POINT"


def test_fixed_slit_references_given_one_by_one(fs_only, tmp_path):
    """MOS references as ``TYPE=PATH``, the fixed slit's as ``NRS_FIXEDSLIT:TYPE=PATH``, no
    folder: the same products as the folder, where each file is picked by EXP_TYPE."""
    chain, optics, files = fs_only
    refs = [a for k, v in chain.refs.items() for a in ("--ref", f"{k}={v}")]
    refs += [a for k, v in chain.fs_refs.items() for a in ("--ref", f"NRS_FIXEDSLIT:{k}={v}")]
    mine = _run(chain.truth.rate_paths[0], tmp_path, [*refs, *optics])
    for kind in _KINDS:
        a, b = open_product(mine[kind]), open_product(files[kind])
        for name in ("sci", "flux"):
            if name in b:
                np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=kind)
    header = fits.getheader(mine["cal"])
    for reftype, keyword in (
        ("fflat", "R_FFLAT"),
        ("pathloss", "R_PTHLOS"),
        ("photom", "R_PHOTOM"),
    ):
        assert header[keyword] == chain.fs_refs[reftype].name


@pytest.mark.parity
def test_matches_jwst(fs_only, tmp_path, monkeypatch):
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    chain, _, files = fs_only
    fs_references(monkeypatch, chain.fs_refs)
    run = run_jwst_spec2(chain.truth.rate_paths[0], chain.refs, output_dir=tmp_path)
    worst = {}
    for kind in ("cal", "s2d"):
        with datamodels.open(files[kind]) as ours, datamodels.open(run.files[kind]) as theirs:
            assert ours.meta.exposure.type == theirs.meta.exposure.type == "NRS_MSASPEC"
            assert [s.name for s in ours.slits] == [s.name for s in theirs.slits] == [FIXED]
            a, b = ours.slits[0], theirs.slits[0]
            for var in ("data", "err", "wavelength"):
                worst[f"{kind} {var}"] = peak_rel(getattr(a, var), getattr(b, var))
            if kind == "cal":
                np.testing.assert_array_equal(a.dq, b.dq)
            for label in ("xstart", "ystart", "xsize", "ysize", "source_id", "source_name",
                          "source_type", "quadrant", "slitlet_id"):  # fmt: skip
                assert getattr(a, label) == getattr(b, label), (kind, label)
            for step in ("flat_field", "pathloss", "photom", "wavecorr", "srctype"):
                assert getattr(ours.meta.cal_step, step) == getattr(theirs.meta.cal_step, step)
            assert theirs.meta.cal_step.master_background is None  # never run
            assert ours.meta.cal_step.master_background is None
            assert ours.meta.cal_step.barshadow is theirs.meta.cal_step.barshadow is None
    with datamodels.open(files["x1d"]) as ours, datamodels.open(run.files["x1d"]) as theirs:
        assert [s.name for s in ours.spec] == [s.name for s in theirs.spec] == [FIXED]
        for col in ("WAVELENGTH", "FLUX", "FLUX_ERROR", "SURF_BRIGHT", "NPIXELS"):
            worst[f"x1d {col}"] = peak_rel(
                ours.spec[0].spec_table[col], theirs.spec[0].spec_table[col]
            )
    print(
        "fixed slit only, largest relative differences:", {k: f"{v:.1e}" for k, v in worst.items()}
    )
    assert_fixed_slit_products(worst, files, run.files)
