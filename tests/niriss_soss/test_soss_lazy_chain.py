"""SOSS on a Dask exposure: nothing computed before the products are but the whole-exposure
fits, NumPy's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import raise_if_dask_computes

from spec2x.pipeline import spec2
from spec2x.synthetic.niriss_soss_tso import soss_transit_rateints, soss_transit_refs

#: bkg_subtract fits its template's scale on the whole exposure when it runs (as jwst),
#: ATOCA its model (block by block) and the box extraction its medians over integrations
#: and masks, so they compute at their steps; the rest of the chain must not.
_SKIP = ["bkg_subtract"]


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    out = {k: str(v) for k, v in soss_transit_refs(tmp_path_factory.mktemp("refs")).items()}
    return {**out, "pathloss": "N/A"}


def test_lazy_chain_computes_nothing(refs):
    """Up to extract_1d, the chain's calints stay Dask until computed."""
    with raise_if_dask_computes():
        products = spec2(
            soss_transit_rateints(5, chunks=2), refs, None, skip=[*_SKIP, "extract_1d", "photom"]
        )
    assert products["calints"]["sci"].chunks is not None


def test_lazy_box_chain_numpys_numbers(refs):
    """calints stay Dask until computed (extract_1d computes the x1dints in passes of its
    own), and the products equal the NumPy chain's bit for bit."""
    params = {"extract_1d": {"soss_atoca": False}}
    lazy = soss_transit_rateints(5, chunks=2)
    products = spec2(lazy, refs, params, skip=_SKIP)
    assert products["calints"]["sci"].chunks is not None
    eager = spec2(lazy.compute(), refs, params, skip=_SKIP)
    for name in ("flux", "flux_error", "npixels"):
        got, want = products["x1dints"][name].values, eager["x1dints"][name].values
        np.testing.assert_array_equal(got, want, err_msg=name, strict=True)
    for name in ("sci", "err", "dq"):
        np.testing.assert_array_equal(
            products["calints"][name].values, eager["calints"][name].values, strict=True
        )
