"""NIRISS SOSS time series (NIS_SOSS), whole chain: jwst parity, the transit, Dask, bad input.

A synthetic SUBSTRIP256 ``_rateints`` (orders 1 and 2 overlapping, the
zodiacal ``bkg`` template scaled in, a 1 % transit) runs through
``spec2x.spec2`` with ``soss_atoca=False`` and through jwst's
``Spec2Pipeline`` (offline, every reference overridden, the same
parameter): ``_calints`` and every order of ``_x1dints`` must agree, and
the white-light curve must give the injected depth back.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from e2e_helpers import max_rel

from spec2x.io.fits import write_fits
from spec2x.pipeline import spec2
from spec2x.synthetic.base import transit_light_curve
from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.niriss_soss_cal_refs import (
    soss_background_template,
    write_soss_cal_references,
)
from spec2x.synthetic.niriss_soss_refs import write_soss_references

NINTS = 12
DEPTH = 0.01
BOX = {"extract_1d": {"soss_atoca": False}}


@pytest.fixture(scope="module")
def soss(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nis_soss")
    refs = {**write_soss_references(folder / "refs"), **write_soss_cal_references(folder / "refs")}
    refs = {k: str(v) for k, v in refs.items()}
    refs["pathloss"] = "N/A"
    curve = transit_light_curve(np.linspace(0, 1, NINTS), DEPTH)
    ds = make_soss_rateints(
        nints=NINTS, background=2.0 * soss_background_template(), light_curve=curve
    )
    path = write_fits(ds, folder / "jw_soss_rateints.fits")
    return path, refs, curve, spec2(path, refs, BOX)


def test_products_and_transit_depth(soss):
    _, _, curve, ours = soss
    assert sorted(ours) == ["calints", "x1dints"]
    cal, x1d = ours["calints"], ours["x1dints"]
    for key in ("S_BKDSUB", "S_FLAT", "S_SRCTYP", "S_EXTR1D", "S_PHOTOM"):
        assert x1d.attrs[key] == "COMPLETE", key
    assert x1d.attrs["S_PTHLOS"] == "SKIPPED"
    assert cal.sizes["integration"] == NINTS
    assert x1d["flux"].dims == ("order", "integration", "spectral")
    assert list(x1d["spectral_order"].values) == [1, 2, 3]
    assert x1d["flux"].attrs["units"] == "MJy"
    flux = np.asarray(x1d["flux"].sel(order=0).values if "order" in x1d.coords else x1d["flux"][0])
    good = np.all(np.isfinite(flux), axis=0) & (np.nanmedian(flux, axis=0) > 0)
    assert good.sum() > 1500
    white = flux[:, good].sum(axis=1)
    out, bottom = white[curve == 1.0].mean(), white[curve == curve.min()].mean()
    assert 1 - bottom / out == pytest.approx(DEPTH, rel=0.02)


def test_x1dints_opens_in_jwst(soss, tmp_path):
    pytest.importorskip("stdatamodels")
    from stdatamodels.jwst import datamodels

    path = write_fits(soss[3]["x1dints"], tmp_path / "jw_soss_x1dints.fits")
    with datamodels.open(path) as model:
        assert isinstance(model, datamodels.TSOMultiSpecModel)
        assert [s.spectral_order for s in model.spec] == [1, 2, 3]
        assert model.spec[0].spec_table["FLUX"].shape[0] == NINTS


def test_default_is_atoca(soss, caplog):
    """jwst's default soss_atoca=True runs spec2x's ATOCA, with no warning."""
    path, refs, _, _ = soss
    with caplog.at_level(logging.WARNING):
        x1d = spec2(path, refs)["x1dints"]
    assert "ATOCA" not in caplog.text
    assert list(x1d["spectral_order"].values) == [1, 2, 3]
    assert np.isfinite(x1d["flux"].values).any()


@pytest.mark.parity
@pytest.mark.slow
def test_whole_chain_matches_jwst(soss, tmp_path):
    """Spec2Pipeline (soss_atoca=False): calints exactly (measured 0), x1dints to 1e-4
    every order (measured 1e-9 at worst, on order 3's near-zero fluxes)."""
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    path, refs, _, ours = soss
    run = run_jwst_spec2(path, refs, BOX, output_dir=tmp_path)
    assert sorted(run.files) == ["calints", "x1dints"]
    with datamodels.open(run.files["calints"]) as model:
        assert model.meta.cal_step.bkg_subtract == "COMPLETE"
        mine = ours["calints"]
        for var in ("sci", "err", "var_poisson", "var_rnoise", "var_flat"):
            theirs = getattr(model, "data" if var == "sci" else var)
            np.testing.assert_array_equal(np.isnan(mine[var].values), np.isnan(theirs), var)
            assert max_rel(mine[var].values, theirs) < 1e-5, var
        np.testing.assert_array_equal(mine["dq"].values, model.dq)
    with datamodels.open(run.files["x1dints"]) as model:
        x1d = ours["x1dints"]
        assert [s.spectral_order for s in model.spec] == list(x1d["spectral_order"].values)
        for i, spec in enumerate(model.spec):
            table = spec.spec_table
            n = table["FLUX"].shape[1]
            wave = x1d["wavelength"].isel(order=i).values[..., :n]
            np.testing.assert_allclose(np.broadcast_to(wave, (NINTS, n)), table["WAVELENGTH"])
            for col in ("FLUX", "FLUX_ERROR", "NPIXELS"):
                mine = x1d[col.lower()].isel(order=i).values[:, :n]
                assert max_rel(mine, table[col]) < 1e-4, (spec.spectral_order, col)
            for col in ("BACKGROUND", "SURF_BRIGHT", "DQ"):  # jwst leaves them zero for SOSS
                assert not np.any(table[col]), col
                assert not np.any(x1d[col.lower()].isel(order=i).values[:, :n]), col


def test_chunked_rateints_give_the_numpy_products(soss):
    import dask

    from spec2x.io.fits import open_exposure

    path, refs, _, ours = soss
    lazy = open_exposure(path, chunks={"integration": 5})
    with dask.config.set(scheduler="synchronous"):
        products = spec2(lazy, refs, BOX)
        # the box extraction computes the spectra in passes of its own; the calints stay lazy
        assert products["calints"]["sci"].chunks is not None
        cal, x1d = products["calints"].compute(), products["x1dints"].compute()
    for var in ("sci", "err", "dq"):
        np.testing.assert_array_equal(cal[var].values, ours["calints"][var].values, var)
    for var in ("flux", "flux_error", "npixels", "wavelength"):
        np.testing.assert_allclose(
            x1d[var].values, ours["x1dints"][var].values, rtol=1e-12, err_msg=var
        )
