"""NIRSpec bright-object time series (NRS_BRIGHTOBJ), whole chain: jwst parity and the transit.

A synthetic SUB2048 ``_rateints`` (S1600A1, G140M/F100LP, a 1 % transit) runs
through ``spec2x.spec2`` and jwst's ``Spec2Pipeline`` (offline, every
reference overridden): ``_calints`` and ``_x1dints`` must agree, and the
white-light curve of spec2x's ``_x1dints`` must give the injected depth back.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from e2e_helpers import max_rel

from spec2x.pipeline import spec2
from spec2x.synthetic.extract_refs import write_nirspec_fs_extract1d
from spec2x.synthetic.nirspec_bots import make_nirspec_bots

NINTS = 10


@pytest.fixture(scope="module")
def bots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nrs_bots")
    truth = make_nirspec_bots(11, nints=NINTS, depth=0.01, folder=folder)
    refs = {k: str(v) for k, v in truth.refs.items()}
    refs["extract1d"] = str(write_nirspec_fs_extract1d(folder / "refs", "NRS_BRIGHTOBJ"))
    refs["apcorr"] = "N/A"
    return truth, refs, spec2(truth.rateints_path, refs)


def test_products_and_transit_depth(bots):
    truth, _, ours = bots
    assert sorted(ours) == ["calints", "x1dints"]
    cal = ours["calints"]
    assert cal.attrs["EXP_TYPE"] == "NRS_BRIGHTOBJ"
    assert list(cal["slit_name"].values) == ["S1600A1"]
    assert cal.sizes["integration"] == NINTS
    x1d = ours["x1dints"]
    assert x1d["flux"].dims == ("integration", "spectral")
    flux = np.asarray(x1d["flux"].values, float)
    good = np.all(np.isfinite(flux), axis=0) & (np.nanmedian(flux, axis=0) > 0)
    assert good.sum() > 500
    white = flux[:, good].sum(axis=1)
    curve = truth.light_curve
    out = white[curve == 1.0].mean()
    bottom = white[curve == curve.min()].mean()
    assert 1 - bottom / out == pytest.approx(truth.depth, abs=0.001)
    # and the spectrum itself: F_nu in Jy from MJy, against the truth out of transit
    wl = np.asarray(x1d["wavelength"].values, float)[0]
    inject = np.interp(wl, truth.wavelength, truth.flux) * 1e6
    first = flux[0]
    ok = good & (wl > 1.0) & (wl < 1.8) & (np.abs(wl - 1.28) > 0.01)
    ratio = np.median(first[ok] / inject[ok])
    assert ratio == pytest.approx(1.0, abs=0.03)


@pytest.mark.parity
@pytest.mark.slow
def test_whole_chain_matches_jwst(bots, tmp_path):
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    truth, refs, ours = bots
    run = run_jwst_spec2(truth.rateints_path, refs, output_dir=tmp_path)
    assert sorted(run.files) == ["calints", "x1dints"]
    with datamodels.open(run.files["calints"]) as model:
        theirs = model.slits[0] if hasattr(model, "slits") and len(model.slits) else model
        mine = ours["calints"].isel(slit=0)
        for var, arr in (("sci", theirs.data), ("err", theirs.err),
                         ("var_poisson", theirs.var_poisson), ("var_rnoise", theirs.var_rnoise),
                         ("var_flat", theirs.var_flat)):  # fmt: skip
            values = mine[var].values[:, : arr.shape[1], : arr.shape[2]]
            assert values.shape == arr.shape, var
            np.testing.assert_array_equal(np.isnan(values), np.isnan(arr), var)
            assert max_rel(values, arr) < 1e-5, var
        np.testing.assert_array_equal(mine["dq"].values[:, : arr.shape[1], : arr.shape[2]],
                                      theirs.dq)  # fmt: skip
    with datamodels.open(run.files["x1dints"]) as model:
        table = model.spec[0].spec_table
        mine = ours["x1dints"]
        flux = np.asarray(mine["flux"].values, float)
        wave = np.asarray(mine["wavelength"].values, float)
        assert flux.shape == table["FLUX"].shape
        np.testing.assert_allclose(wave, table["WAVELENGTH"], atol=1e-5)
        assert max_rel(flux, table["FLUX"]) < 1e-4


@pytest.mark.slow
def test_chunked_rateints_give_the_numpy_products(bots):
    import dask

    from spec2x.io.fits import open_exposure

    truth, refs, ours = bots
    lazy = open_exposure(truth.rateints_path, chunks={"integration": 3})
    assert len(lazy["sci"].chunks[0]) > 1
    with dask.config.set(scheduler="threads"):
        products = spec2(lazy, refs)
        cal = products["calints"].compute()
        x1d = products["x1dints"].compute()
    for var in ("sci", "err", "var_poisson", "var_rnoise", "var_flat", "dq"):
        np.testing.assert_array_equal(cal[var].values, ours["calints"][var].values, var)
    for var in ("flux", "flux_error", "surf_bright", "npixels", "wavelength"):
        np.testing.assert_allclose(
            x1d[var].values, ours["x1dints"][var].values, rtol=1e-12, err_msg=var
        )
