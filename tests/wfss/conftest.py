"""Synthetic NIRCam WFSS references and exposures (written once per session, per grism)."""

from __future__ import annotations

import pytest

from spec2x.synthetic.nircam_wfss import write_wfss_exposure
from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references


@pytest.fixture(scope="session")
def nrc_wfss(tmp_path_factory):
    """pupil (GRISMR, GRISMC) -> {refs, rate, catalog, segmentation, scene}; 100 sources."""
    made = {}

    def make(pupil: str = "GRISMR"):
        if pupil not in made:
            folder = tmp_path_factory.mktemp(f"nrc_wfss_{pupil.lower()}")
            refs = write_nircam_wfss_references(folder, pupil)
            made[pupil] = {"refs": refs, **write_wfss_exposure(folder, refs, pupil=pupil)}
        return made[pupil]

    return make
