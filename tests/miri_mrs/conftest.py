"""Current-format regions files synthesised from the real FLT9 distortions (once per session)."""

from __future__ import annotations

import pytest
from mrs_helpers import REAL

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
