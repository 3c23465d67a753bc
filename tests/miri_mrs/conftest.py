"""Current-format regions files synthesised from the real FLT9 distortions (once per session),
and an exposure with its calibration references for the MRS steps."""

from __future__ import annotations

import pytest
from mrs_helpers import REAL, make_mrs_cal

from spec2x.synthetic.miri_mrs_regions import write_mrs_regions


@pytest.fixture(scope="session")
def mrs_regions(tmp_path_factory):
    """tag (``12A``, ``34A``) -> path of a 9-plane regions file made from that distortion."""
    folder = tmp_path_factory.mktemp("mrs_regions")
    return {
        tag: write_mrs_regions(
            folder / f"regions_{tag}.asdf", REAL + f"jwst_miri_mrs{tag}_distortion_flt9.asdf"
        )
        for tag in ("12A", "34A")
    }


@pytest.fixture(scope="session")
def mrs_cal(tmp_path_factory, mrs_regions):
    """A channel 1A/2A exposure after spec2x's assign_wcs (slices bright, gaps dark), its FITS
    file (which jwst reads, WCS included) and synthetic flat, photom, fringe and mrsxartcorr."""
    return make_mrs_cal(tmp_path_factory.mktemp("mrs_cal"), mrs_regions["12A"])
