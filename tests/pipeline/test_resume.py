"""spec2 goes on from a product: the steps its ``S_*`` keywords record as done are not run again."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x import spec2, write_fits
from spec2x.pipeline import resume


def test_resume_starts_after_the_last_completed_step():
    chain = ["assign_wcs", "srctype", "flat_field", "photom", "extract_1d"]
    assert resume(chain, {}) == chain
    assert resume(chain, {"S_WCS": "COMPLETE", "S_FLAT": "COMPLETE"}) == ["photom", "extract_1d"]
    assert resume(chain, {"S_WCS": "COMPLETE", "S_SRCTYP": "SKIPPED"}) == chain[1:]
    assert resume(chain, {"S_EXTR1D": "COMPLETE"}) == []


@pytest.fixture(scope="module")
def lrs_tso(tmp_path_factory):
    from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso

    return make_lrs_slitless_tso(tmp_path_factory.mktemp("tso"), seed=1, nints=3)


def test_spec2x_calints_goes_on_to_the_same_spectra(lrs_tso, tmp_path):
    refs = {k: str(v) for k, v in lrs_tso.references.items()}
    full = spec2(lrs_tso.exposures[0], refs)
    cal = write_fits(full["calints"], tmp_path / "x_calints.fits")
    again = spec2(cal, refs)
    assert set(again) == {"calints", "x1dints"}
    np.testing.assert_array_equal(again["x1dints"]["flux"].values, full["x1dints"]["flux"].values)


@pytest.mark.parity
def test_jwst_flat_fielded_calints_goes_on_with_photom_and_extract_1d(lrs_tso, tmp_path, caplog):
    pytest.importorskip("jwst")
    from jwst_offline import jwst_lrs_flat_fielded

    refs = {k: str(v) for k, v in lrs_tso.references.items()}
    _, path = jwst_lrs_flat_fielded(lrs_tso, tmp_path, "jw_flat_calints.fits")

    with caplog.at_level("INFO", logger="spec2x"):
        ours = spec2(path, refs)
    assert "has flat_field done: continuing with" in caplog.text
    full = spec2(lrs_tso.exposures[0], refs, skip=["srctype"])  # jwst's run above had none
    np.testing.assert_allclose(
        ours["x1dints"]["flux"].values, full["x1dints"]["flux"].values, rtol=1e-5, equal_nan=True
    )
