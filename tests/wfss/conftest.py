"""Synthetic NIRCam and NIRISS WFSS references and exposures (once per session, per grism)."""

from __future__ import annotations

import pytest

from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references
from spec2x.synthetic.niriss_wfss_refs import write_niriss_wfss_references
from spec2x.synthetic.wfss import write_wfss_exposure


@pytest.fixture(scope="session")
def nrc_wfss(tmp_path_factory):
    """pupil (GRISMR, GRISMC) -> {refs, rate, catalog, segmentation, scene}; 100 sources."""
    made = {}

    def make(pupil: str = "GRISMR"):
        if pupil not in made:
            folder = tmp_path_factory.mktemp(f"nrc_wfss_{pupil.lower()}")
            refs = write_nircam_wfss_references(folder, pupil)
            made[pupil] = {"refs": refs, **write_wfss_exposure(folder, refs, PUPIL=pupil)}
        return made[pupil]

    return make


@pytest.fixture(scope="session")
def nis_wfss(tmp_path_factory):
    """grism (GR150R, GR150C) -> {refs, rate, catalog, segmentation, scene}; 100 sources."""
    made = {}

    def make(grism: str = "GR150R"):
        if grism not in made:
            folder = tmp_path_factory.mktemp(f"nis_wfss_{grism.lower()}")
            refs = write_niriss_wfss_references(folder, grism)
            files = write_wfss_exposure(folder, refs, instrument="NIRISS", FILTER=grism)
            made[grism] = {"refs": refs, **files}
        return made[grism]

    return make
