"""The residual_fringe step (MIRI MRS, 2-D) without jwst: what it corrects, its errors, its reference."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from rfringe_helpers import fringed_exposure, limited_fringefreq

from spec2x import open_reference
from spec2x.errors import InputFileError, MissingReferenceError, ParameterError, StepOrderError
from spec2x.io.references import ReferenceSet
from spec2x.registry import get_step
from spec2x.steps import StepContext
from spec2x.steps.residual_fringe import from_chain, residual_fringe
from spec2x.synthetic.miri_mrs_fringefreq import write_mrs_fringefreq

SLICE = 110


@pytest.fixture(scope="module")
def setup(mrs_cal, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rfringe_step")
    ds = fringed_exposure(mrs_cal.ds, amplitude=0.0), fringed_exposure(mrs_cal.ds)
    freq = open_reference(limited_fringefreq(folder / "fringefreq.fits", (SLICE,)))
    return ds, freq, open_reference(mrs_cal.refs["regions"])


@pytest.fixture(scope="module")
def corrected(setup):
    (clean, ds), freq, regions = setup
    sci = ds["sci"].values.copy()
    out = residual_fringe(ds, freq, regions)
    np.testing.assert_array_equal(ds["sci"].values, sci)  # input unchanged
    return out


def test_fringes_of_the_fitted_slice_are_removed(setup, corrected):
    (clean, ds), _, regions = setup
    labels = regions.content.label_map(0.8)
    inside = (labels == SLICE) & np.isfinite(ds["wavelength"].values)
    before = np.std(ds["sci"].values[inside] / clean["sci"].values[inside] - 1)
    after = np.std(corrected["sci"].values[inside] / clean["sci"].values[inside] - 1)
    assert before > 0.02
    assert after < before / 3
    other = (labels > 0) & (labels != SLICE)  # min_snr out of reach: only scaled there and back
    np.testing.assert_allclose(corrected["sci"].values[other], ds["sci"].values[other], rtol=1e-6)
    assert corrected.attrs["S_RESFRI"] == "COMPLETE"
    for name in ("err", "dq", "var_poisson"):
        np.testing.assert_array_equal(corrected[name].values, ds[name].values)


def test_missing_fringefreq_is_one_clear_error(setup, mrs_cal):
    (_, ds), _, _ = setup
    refs = ReferenceSet({"fringefreq": "N/A", "regions": str(mrs_cal.refs["regions"])})
    with pytest.raises(
        MissingReferenceError, match=r"needs a fringefreq reference .* or skip the step"
    ):
        from_chain(ds, StepContext("residual_fringe", refs, {"skip": False}))


def test_step_is_off_by_default_and_loads():
    spec = get_step("residual_fringe")
    assert spec.skipped_by_default
    assert spec.load() is from_chain


def test_fringe_flat_first_and_paired_regions(setup):
    (_, ds), freq, regions = setup
    with pytest.raises(StepOrderError, match="run fringe first"):
        residual_fringe(ds.assign_attrs(S_FRINGE="SKIPPED"), freq, regions)
    with pytest.raises(ParameterError, match="in pairs"):
        residual_fringe(ds, freq, regions, ignore_region_min=[5.0], ignore_region_max=[])


def test_fringefreq_reader(tmp_path):
    ref = open_reference(write_mrs_fringefreq(tmp_path / "ff.fits"))
    row = ref.content.bands["MEDIUM"][301]
    np.testing.assert_array_equal(row.ffreq, [2.9, 0.4])
    assert ref.content.bands["SHORT"][101].ffreq[1] == 0.0
    assert ref.content.max_amp[0][0] == pytest.approx(4.8)
    with fits.open(tmp_path / "ff.fits") as hdul:
        del hdul["MAX_AMP"]
        hdul.writeto(tmp_path / "bad.fits")
    with pytest.raises(InputFileError, match="lacks the tables"):
        open_reference(tmp_path / "bad.fits")


def test_dask_gives_the_same_without_computing(setup, corrected):
    from helpers import raise_if_dask_computes

    (_, ds), freq, regions = setup
    with raise_if_dask_computes():
        lazy = residual_fringe(ds.chunk(), freq, regions)
    np.testing.assert_array_equal(lazy["sci"].values, corrected["sci"].values)
