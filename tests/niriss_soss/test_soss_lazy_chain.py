"""SOSS on a Dask exposure: nothing computed before the products are but the whole-exposure
fits, NumPy's numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import raise_if_dask_computes

from spec2x.io.streaming import write_products
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


@pytest.fixture(scope="module")
def box_chains(refs):
    """The box chain's products of a Dask exposure and of the same exposure in memory
    (more integrations than the running median's window, in blocks cut unevenly)."""
    params = {"extract_1d": {"soss_atoca": False}}
    lazy = soss_transit_rateints(11, chunks=4)
    return spec2(lazy, refs, params, skip=_SKIP), spec2(lazy.compute(), refs, params, skip=_SKIP)


def test_lazy_box_chain_numpys_numbers(box_chains):
    """calints stay Dask until computed (extract_1d computes the x1dints in passes of its
    own, kept in temporary files), and the products equal the NumPy chain's bit for bit."""
    products, eager = box_chains
    assert products["calints"]["sci"].chunks is not None
    assert products["x1dints"]["flux"].chunks is not None
    for name in ("flux", "flux_error", "npixels"):
        got, want = products["x1dints"][name].values, eager["x1dints"][name].values
        np.testing.assert_array_equal(got, want, err_msg=name, strict=True)
    for name in ("sci", "err", "dq"):
        np.testing.assert_array_equal(
            products["calints"][name].values, eager["calints"][name].values, strict=True
        )


def test_streamed_x1dints_file_is_the_eager_one(box_chains, tmp_path):
    """The lazy x1dints written as the command line writes it (through the products' pass)
    is the file of the NumPy chain's, byte for byte but for DATE."""
    files = []
    for name, products in zip(("lazy", "eager"), box_chains, strict=True):
        (tmp_path / name).mkdir()
        write_products(products, tmp_path / name, "jw_soss", "fits")
        files.append((tmp_path / name / "jw_soss_x1dints.fits").read_bytes())
    date = re.compile(rb"DATE    = '[^']*'")
    assert date.sub(b"", files[0]) == date.sub(b"", files[1])
