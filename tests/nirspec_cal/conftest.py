"""Fixtures for NIRSpec fixed-slit calibration tests: small synthetic references."""

from __future__ import annotations

import pytest
from nrs_cal_helpers import REF_SHAPE

from spec2x.io.references import open_reference
from spec2x.synthetic import nirspec_cal_refs as ncr


@pytest.fixture(scope="session")
def cal_refs(tmp_path_factory):
    """Paths of small G140M/F100LP references (flats cover REF_SHAPE)."""
    d = tmp_path_factory.mktemp("nirspec_cal_refs")
    paths = ncr.write_nirspec_cal_refs(d, shape=REF_SHAPE)
    paths["sflat3d"] = ncr.write_sflat(d / "sflat3d.fits", shape=REF_SHAPE, nplanes=4, seed=3)
    paths["fflat_bots"] = ncr.write_fflat(d / "fflat_bots.fits", exp_type="NRS_BRIGHTOBJ")
    return paths


@pytest.fixture(scope="session")
def opened(cal_refs):
    return {k: open_reference(v) for k, v in cal_refs.items()}
