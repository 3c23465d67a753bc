"""Synthetic SOSS references and exposure, written once per session."""

from __future__ import annotations

import pytest

from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.niriss_soss_refs import write_soss_references


@pytest.fixture(scope="session")
def soss_refs(tmp_path_factory):
    """reftype -> path of the four synthetic SOSS references (SUBSTRIP256 profile)."""
    return write_soss_references(tmp_path_factory.mktemp("soss_refs"))


@pytest.fixture(scope="session")
def soss_rateints():
    """A 2-integration SUBSTRIP256 exposure at PWCPOS = 245.79 (not the commanded 245.76)."""
    return make_soss_rateints(nints=2)
