"""NIRISS SOSS superstripe time series (SUB680STRIPE_SOSS), whole chain against jwst 3.0.0.

jwst's calwebb_spec2 runs a collated superstripe ``_rateints`` as SUBSTRIP256
and copies its ``INT_TIMES_STRIPE`` table unchanged into the ``_calints`` and
the ``_x1dints``; spec2x does the same (``spec2x.io.fits_stripe_times``).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from astropy.io import fits
from e2e_helpers import max_rel

from spec2x.io.fits import open_product, write_fits
from spec2x.pipeline import spec2
from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.niriss_soss_cal_refs import (
    soss_background_template,
    write_soss_cal_references,
)
from spec2x.synthetic.niriss_soss_refs import write_soss_references
from spec2x.synthetic.superstripe import with_superstripes

pytestmark = [pytest.mark.parity, pytest.mark.slow]

NINTS, STRIPES = 3, 4
BOX = {"extract_1d": {"soss_atoca": False}}


@pytest.fixture(scope="module")
def superstripe(tmp_path_factory):
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    folder = tmp_path_factory.mktemp("nis_soss_superstripe")
    refs = {**write_soss_references(folder / "refs"), **write_soss_cal_references(folder / "refs")}
    refs = {k: str(v) for k, v in refs.items()}
    refs["pathloss"] = "N/A"
    ds = make_soss_rateints(nints=NINTS, background=2.0 * soss_background_template())
    path = write_fits(with_superstripes(ds, STRIPES), folder / "jw_soss_rateints.fits")
    run = run_jwst_spec2(path, refs, BOX, output_dir=folder / "jwst")
    ours = spec2(path, refs, BOX)
    written = {k: write_fits(v, folder / f"ours_{k}.fits") for k, v in ours.items()}
    return path, run.files, written


def _table(path):
    with fits.open(path) as hdul:
        return hdul["INT_TIMES_STRIPE"].data.copy()


def test_stripe_times_carried_as_jwst(superstripe):
    path, theirs, ours = superstripe
    given = _table(path)
    assert len(given) == NINTS * STRIPES
    for product in ("calints", "x1dints"):
        mine, jwst = _table(ours[product]), _table(theirs[product])
        assert mine.dtype.names == jwst.dtype.names == given.dtype.names
        for name in given.dtype.names:
            np.testing.assert_array_equal(mine[name], jwst[name])
            np.testing.assert_array_equal(mine[name], given[name])
        again = open_product(ours[product])  # read back: the table again
        np.testing.assert_array_equal(
            again["stripe_times_stripe_number"].values, given["stripe_number"]
        )


def test_products_equal_jwst_and_open_in_stdatamodels(superstripe):
    """calints exactly, x1dints to 1e-8 (measured 1.05e-9, order 3's near-zero fluxes)."""
    from stdatamodels.jwst import datamodels

    _, theirs, ours = superstripe
    with datamodels.open(ours["calints"]) as mine, datamodels.open(theirs["calints"]) as jwst:
        assert type(mine) is type(jwst) is datamodels.CubeModel
        assert mine.meta.subarray.name == "SUB680STRIPE_SOSS"
        assert len(mine.int_times_stripe) == NINTS * STRIPES
        np.testing.assert_array_equal(mine.data, jwst.data)
        np.testing.assert_array_equal(mine.dq, jwst.dq)
    with datamodels.open(ours["x1dints"]) as mine, datamodels.open(theirs["x1dints"]) as jwst:
        assert type(mine) is type(jwst) is datamodels.TSOMultiSpecModel
        assert len(mine.int_times_stripe) == len(jwst.int_times_stripe)
        assert [s.spectral_order for s in mine.spec] == [s.spectral_order for s in jwst.spec]
        for a, b in zip(mine.spec, jwst.spec, strict=True):
            for col in ("WAVELENGTH", "FLUX", "FLUX_ERROR"):
                assert max_rel(a.spec_table[col], b.spec_table[col]) < 1e-8, col
