"""Whole chain against jwst: spec2x.spec2 and Spec2Pipeline (offline) on the synthetic MIRI LRS TSO.

Also runs the ``spec2x run`` command on the same files, with the references
found in a folder (``--refs``), and checks it writes what spec2() makes.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from spec2x.cli import main
from spec2x.io.fits import open_product
from spec2x.pipeline import spec2
from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso


@pytest.fixture(scope="module")
def tso(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lrs_tso_chain")
    obs = make_lrs_slitless_tso(folder, seed=5, nints=2)
    refs = {k: str(v) for k, v in obs.references.items()}
    return obs, refs, spec2(obs.exposures[0], refs), folder


def _maxrel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    both = np.isfinite(a) & np.isfinite(b) & (b != 0)
    return float(np.max(np.abs(a[both] - b[both]) / np.abs(b[both])))


@pytest.mark.parity
@pytest.mark.slow
def test_whole_chain_matches_jwst(tso, tmp_path):
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    obs, refs, ours, _ = tso
    run = run_jwst_spec2(obs.exposures[0], refs, output_dir=tmp_path)
    assert sorted(run.files) == ["calints", "x1dints"]
    assert sorted(ours) == ["calints", "x1dints"]
    with datamodels.open(run.files["calints"]) as cal:
        mine = ours["calints"]
        for var, theirs in (("sci", cal.data), ("err", cal.err), ("var_poisson", cal.var_poisson),
                            ("var_rnoise", cal.var_rnoise), ("var_flat", cal.var_flat)):  # fmt: skip
            np.testing.assert_array_equal(np.isnan(mine[var].values), np.isnan(theirs), var)
            assert _maxrel(mine[var].values, theirs) < 1e-5, var  # measured 3e-7
        np.testing.assert_array_equal(mine["dq"].values, cal.dq)
        for step in ("S_WCS", "S_SRCTYP", "S_FLAT", "S_PHOTOM"):
            assert mine.attrs[step] == "COMPLETE"
    with datamodels.open(run.files["x1dints"]) as x1d:
        table = x1d.spec[0].spec_table
        mine = ours["x1dints"]
        assert mine["flux"].shape == table["FLUX"].shape
        np.testing.assert_allclose(mine["wavelength"].values, table["WAVELENGTH"], atol=1e-5)
        assert _maxrel(mine["flux"].values, table["FLUX"]) < 1e-5  # measured 2e-7
        assert _maxrel(mine["flux_error"].values, table["FLUX_ERROR"]) < 1e-5


def test_command_line_on_the_same_files(tso, tmp_path, capsys):
    obs, refs, ours, folder = tso
    code = main(["run", str(obs.exposures[0]), "--refs", str(folder),
                 "--ref", f"extract1d={refs['extract1d']}", "--output-dir", str(tmp_path)])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 0, err
    base = obs.exposures[0].name.removesuffix("_rateints.fits")
    cal = open_product(tmp_path / f"{base}_calints.fits")
    np.testing.assert_array_equal(cal["sci"].values, ours["calints"]["sci"].values)
    x1d = open_product(tmp_path / f"{base}_x1dints.fits")
    np.testing.assert_array_equal(x1d["flux"].values, ours["x1dints"]["flux"].values)


@pytest.mark.parity
@pytest.mark.slow
def test_nodded_fixed_slit_association_matches_jwst(tmp_path):
    """The level-2 association path: nod A with nod B as background, cal -> s2d -> x1d."""
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels

    from spec2x.synthetic.miri_lrs import make_lrs_fixedslit

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    obs = make_lrs_fixedslit(tmp_path / "data", seed=3)
    refs = {k: str(v) for k, v in obs.references.items()}
    ours = spec2(obs.association[0], refs)
    assert sorted(ours) == ["cal", "s2d", "x1d"]
    assert ours["cal"].attrs["S_BKDSUB"] == "COMPLETE"
    run = run_jwst_spec2(obs.association[0], refs, output_dir=tmp_path)
    assert sorted(run.files) == ["cal", "s2d", "x1d"]
    with datamodels.open(run.files["cal"]) as cal:
        assert cal.meta.cal_step.bkg_subtract == "COMPLETE"
        for var, theirs in (("sci", cal.data), ("err", cal.err), ("var_flat", cal.var_flat)):
            np.testing.assert_array_equal(np.isnan(ours["cal"][var].values), np.isnan(theirs))
            assert _maxrel(ours["cal"][var].values, theirs) < 1e-5, var  # measured 3e-7
        np.testing.assert_array_equal(ours["cal"]["dq"].values, cal.dq)
    with datamodels.open(run.files["s2d"]) as s2d:
        assert _maxrel(ours["s2d"]["sci"].isel(slit=0).values, s2d.data) < 1e-3  # measured 1.6e-4
    with datamodels.open(run.files["x1d"]) as x1d:
        flux = x1d.spec[0].spec_table["FLUX"]
        assert _maxrel(ours["x1d"]["flux"].values.ravel(), flux) < 1e-5  # measured 3e-7


def test_the_chain_writes_into_the_exposure_it_read_but_not_into_the_callers(tso, caplog):
    """flat_field and photom write into the arrays of an exposure the chain read from its
    file (``spec2x.ownership``); the products equal those of a run where no step may (an
    ``on_step`` callback); a Dataset the caller passes stays unchanged."""
    obs, refs, _, _ = tso
    with caplog.at_level(logging.DEBUG, "spec2x"):
        owned = spec2(obs.exposures[0], refs)
        assert "flat_field may write into its input's arrays" in caplog.text
        assert "photom may write into" in caplog.text
        caplog.clear()
        pure = spec2(obs.exposures[0], refs, on_step=lambda step, ds: None)
        assert "may write into" not in caplog.text
        caplog.clear()
        given = open_product(obs.exposures[0])
        kept = given.copy(deep=True)
        theirs = spec2(given, refs)
        assert "flat_field may write into" not in caplog.text
    for name in kept.data_vars:
        np.testing.assert_array_equal(given[name].values, kept[name].values)
    for product in (owned, theirs):
        for name in ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat"):
            np.testing.assert_array_equal(product["calints"][name], pure["calints"][name])
        np.testing.assert_array_equal(product["x1dints"]["flux"], pure["x1dints"]["flux"])
