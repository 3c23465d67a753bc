"""Synthetic NIRCam and NIRISS WFSS references and exposures (once per session, per grism)."""

from __future__ import annotations

import pytest

from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references
from spec2x.synthetic.niriss_wfss_refs import write_niriss_wfss_references
from spec2x.synthetic.wfss import write_wfss_exposure

#: grism -> (instrument, the keyword holding the grism, the reference writer).
_GRISMS = {
    "GRISMR": ("NIRCAM", "PUPIL", write_nircam_wfss_references),
    "GRISMC": ("NIRCAM", "PUPIL", write_nircam_wfss_references),
    "GR150R": ("NIRISS", "FILTER", write_niriss_wfss_references),
    "GR150C": ("NIRISS", "FILTER", write_niriss_wfss_references),
}


@pytest.fixture(scope="session")
def wfss(tmp_path_factory):
    """grism -> {refs, rate, catalog, segmentation, scene}: 100 sources, the grism's references."""
    made = {}

    def make(grism: str = "GRISMR"):
        if grism not in made:
            instrument, key, write_refs = _GRISMS[grism]
            folder = tmp_path_factory.mktemp(f"wfss_{grism.lower()}")
            refs = write_refs(folder, grism)
            files = write_wfss_exposure(folder, refs, instrument=instrument, **{key: grism})
            made[grism] = {"refs": refs, **files}
        return made[grism]

    return make
