"""The fixed slit a MOS exposure carries, calibrated as a fixed slit (jwst 3.0.0).

A synthetic MOS exposure of 5 slitlets (3 on NRS1, one of them background
only) whose MSA configuration also opens S200A1 with a point source of its
own (:func:`spec2x.synthetic.nirspec_mos_chain.make_nirspec_mos_chain`,
``fixed_slit``).  Every reference is in one folder, the MOS ones with
``EXP_TYPE=NRS_MSASPEC``, the fixed-slit ones with ``NRS_FIXEDSLIT``:
``spec2x run --refs`` picks each by type, and jwst's ``Spec2Pipeline`` gets
the MOS files as overrides and the fixed-slit ones where it asks with a
model of ``EXP_TYPE=NRS_FIXEDSLIT`` (as CRDS would select them).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from s2d_parity import assert_fixed_slit_products, fs_references, peak_rel

from spec2x.cli import main
from spec2x.io.fits import open_product
from spec2x.synthetic.nirspec_mos_chain import make_nirspec_mos_chain

FIXED = "S200A1"
#: Optical references (CRDS files outside the folder): given one by one.
_OPTICS = ("camera", "collimator", "fpa", "ote", "fore", "disperser")


@pytest.fixture(scope="module")
def mos_fs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nrs_mos_fs")
    chain = make_nirspec_mos_chain(5, folder=folder, n_slitlets=5, n_background=1, fixed_slit=FIXED)
    rate = chain.truth.rate_paths[0]
    out = folder / "ours"
    optics = [a for k in _OPTICS for a in ("--ref", f"{k}={chain.truth.refs[k]}")]
    argv = ["run", str(rate), "--output-dir", str(out), "-q", "--refs", str(chain.refs_dir)]
    argv += ["--skip", "master_background_mos"]  # the slitlets' business, not the fixed slit's
    assert main([*argv, *optics]) == 0
    base = rate.name.replace("_rate.fits", "")
    return chain, {k: out / f"{base}_{k}.fits" for k in ("cal", "s2d", "x1d")}


@pytest.mark.slow
def test_fixed_slit_goes_last_with_its_msa_labels(mos_fs):
    _, files = mos_fs
    cal, x1d = open_product(files["cal"]), open_product(files["x1d"])
    assert cal.attrs["EXP_TYPE"] == x1d.attrs["EXP_TYPE"] == "NRS_MSASPEC"
    names = [str(n) for n in x1d["slit_name"].values]
    assert names[-1] == FIXED
    assert all(n.isdigit() for n in names[:-1])
    fs = x1d.isel(slit=-1)
    assert str(fs["source_type"].values) == "POINT"
    assert int(fs["quadrant"].values) == 5


@pytest.mark.parity
@pytest.mark.slow
def test_fixed_slit_matches_jwst(mos_fs, tmp_path, monkeypatch):
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    chain, files = mos_fs
    fs_references(monkeypatch, chain.fs_refs)
    skip = {"master_background_mos": {"skip": True}}
    run = run_jwst_spec2(chain.truth.rate_paths[0], chain.refs, skip, output_dir=tmp_path)
    worst = {}
    for kind in ("cal", "s2d"):
        with datamodels.open(files[kind]) as ours, datamodels.open(run.files[kind]) as theirs:
            assert [s.name for s in ours.slits] == [s.name for s in theirs.slits]
            a, b = ours.slits[-1], theirs.slits[-1]
            assert a.name == FIXED
            for var in ("data", "err", "wavelength"):
                worst[f"{kind} {var}"] = peak_rel(getattr(a, var), getattr(b, var))
            if kind == "cal":
                np.testing.assert_array_equal(a.dq, b.dq)
                for corner in ("xstart", "ystart", "xsize", "ysize"):
                    assert getattr(a, corner) == getattr(b, corner), corner
            for label in ("source_id", "source_name", "source_type", "quadrant"):
                assert getattr(a, label) == getattr(b, label), (kind, label)
    with datamodels.open(files["x1d"]) as ours, datamodels.open(run.files["x1d"]) as theirs:
        a, b = ours.spec[-1], theirs.spec[-1]
        assert a.name == b.name == FIXED
        for col in ("WAVELENGTH", "FLUX", "FLUX_ERROR", "SURF_BRIGHT", "NPIXELS"):
            worst[f"x1d {col}"] = peak_rel(a.spec_table[col], b.spec_table[col])
    print("fixed slit, largest relative differences:", {k: f"{v:.1e}" for k, v in worst.items()})
    assert_fixed_slit_products(worst, files, run.files)
