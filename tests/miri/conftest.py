"""Synthetic MIRI LRS observations shared by the tests in this folder (made once per session)."""

from __future__ import annotations

import pytest

from spec2x.synthetic.miri_lrs import make_lrs_fixedslit, make_lrs_slitless_tso


@pytest.fixture(scope="session")
def lrs_fixedslit(tmp_path_factory):
    """A nodded fixed-slit pair and its references (seed 7)."""
    return make_lrs_fixedslit(tmp_path_factory.mktemp("lrs_fs"), seed=7)


@pytest.fixture(scope="session")
def lrs_tso(tmp_path_factory):
    """A short slitless time series (12 integrations, 2 % transit) and its references (seed 7)."""
    return make_lrs_slitless_tso(tmp_path_factory.mktemp("lrs_tso"), seed=7, nints=12, depth=0.02)
