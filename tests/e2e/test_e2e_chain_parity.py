"""Whole chain against jwst 3.0.0 with nodded background: MIRI LRS fixed slit and NIRSpec FS.

jwst's ``Spec2Pipeline`` (offline, every reference overridden with the demo's
synthetic files) runs on the demo's association (nod B the background of nod
A); its ``_cal``, ``_s2d`` and ``_x1d`` files are compared with the ones
``spec2x demo`` wrote.  (The MIRI LRS slitless TSO chain is covered by
tests/pipeline/test_pipeline_lrs_chain_parity.py.)

Tolerances: cal sci/err/variances rtol 1e-5 (pixel arithmetic in float32),
DQ equal; x1d flux and error rtol 1e-4, wavelengths within 1e-5 µm; s2d:
same grid and NaN pattern, values within 1e-5 of the image's largest
absolute value (drizzle weights are summed in another order; measured 2e-7
for MIRI LRS).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from e2e_helpers import max_rel

from spec2x.io.fits import open_product

pytestmark = [pytest.mark.parity, pytest.mark.slow]


def _one_slit(model):
    slits = getattr(model, "slits", None)
    return slits[0] if slits is not None and len(slits) else model


@pytest.fixture(scope="module", params=["mir_lrs_fs", "nrs_fs"])
def both(request, demo_runs, tmp_path_factory):
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    manifest = demo_runs(request.param)
    out = tmp_path_factory.mktemp(f"jwst_{request.param}")
    run = run_jwst_spec2(manifest["input"], manifest["refs"], output_dir=out)
    assert {"cal", "s2d", "x1d"} <= set(run.files)
    return manifest, run


def test_cal(both):
    from stdatamodels.jwst import datamodels

    manifest, run = both
    ours = open_product(manifest["products"]["cal"])
    assert ours.attrs["S_BKDSUB"] == "COMPLETE"
    with datamodels.open(run.files["cal"]) as model:
        theirs = _one_slit(model)
        for var, arr in (("sci", theirs.data), ("err", theirs.err),
                         ("var_poisson", theirs.var_poisson), ("var_rnoise", theirs.var_rnoise),
                         ("var_flat", theirs.var_flat)):  # fmt: skip
            mine = np.squeeze(ours[var].values)
            assert mine.shape == arr.shape, var
            np.testing.assert_array_equal(np.isnan(mine), np.isnan(arr), var)
            assert max_rel(mine, arr) < 1e-5, var  # measured: MIRI 6e-7
        np.testing.assert_array_equal(np.squeeze(ours["dq"].values), theirs.dq)


def test_s2d(both):
    from stdatamodels.jwst import datamodels

    manifest, run = both
    ours = open_product(manifest["products"]["s2d"])
    with datamodels.open(run.files["s2d"]) as model:
        theirs = _one_slit(model)
        mine = np.squeeze(ours["sci"].values).astype(np.float64)
        assert mine.shape == theirs.data.shape
        np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs.data))
        scale = np.nanmax(np.abs(theirs.data))
        assert np.nanmax(np.abs(mine - theirs.data)) < 1e-5 * scale  # measured: MIRI 2e-7
        wave = np.squeeze(ours["wavelength"].values)
        np.testing.assert_allclose(wave, theirs.wavelength, atol=1e-5, equal_nan=True)


def test_x1d(both):
    from stdatamodels.jwst import datamodels

    manifest, run = both
    ours = open_product(manifest["products"]["x1d"])
    with datamodels.open(run.files["x1d"]) as model:
        table = model.spec[0].spec_table
        flux = np.squeeze(ours["flux"].values)
        assert flux.shape == table["FLUX"].shape
        np.testing.assert_allclose(np.squeeze(ours["wavelength"].values), table["WAVELENGTH"],
                                   atol=1e-5)  # fmt: skip
        assert max_rel(flux, table["FLUX"]) < 1e-4  # measured: MIRI 2.4e-7
        assert max_rel(np.squeeze(ours["flux_error"].values), table["FLUX_ERROR"]) < 1e-4
        np.testing.assert_array_equal(np.squeeze(ours["npixels"].values), table["NPIXELS"])
