"""clean_flicker_noise on NIRSpec MOS against jwst 3.0.0 (``flicker_regions = "msa"``).

The synthetic MOS exposure of :mod:`mos_helpers` (30 slitlets and the S200A1
fixed slit, full frame) after each pipeline's assign_wcs, with flicker stripes,
light in every slit box and the failed-open shutters of the synthetic msaoper.
"""

from __future__ import annotations

import numpy as np
import pytest
from mos_helpers import (
    MOS_ATTRS,
    N_SLITLETS,
    assigned,
    folder,
    jwst_assigned,
    mos_exposure,
    mos_paths,
    mos_refs,
)

from spec2x.dq import DQ
from spec2x.io.references import open_reference
from spec2x.steps._flicker_mask import NRS_FS_ROWS, scene_mask
from spec2x.steps.clean_flicker_noise import flicker_noise
from spec2x.steps.msa_flagging import msa_flagging
from spec2x.synthetic.flicker import add_flicker_noise
from spec2x.synthetic.nirspec_msa import write_msaoper
from spec2x.wcs.store import slit_wcs, wcs_object

pytestmark = [pytest.mark.parity, pytest.mark.slow]


def _scene(ds):
    """Seeded sky (1 DN/s), a brighter trace in every slit's box, a few NaNs; flagged."""
    r = np.random.default_rng(17)
    sci = r.normal(1.0, 0.05, size=(2048, 2048)).astype(np.float32)
    for stored in slit_wcs(ds).values():
        (x0, x1), (y0, y1) = wcs_object(stored).bounding_box.bounding_box(order="F")
        sci[int(y0) + 2 : int(y1) - 1, max(int(x0), 0) : max(int(x1), 0)] += 3.0
    sci[r.integers(0, 2048, 200), r.integers(0, 2048, 200)] = np.nan
    ds = ds.copy()
    ds["sci"] = (("y", "x"), sci)
    ds["dq"] = (("y", "x"), np.zeros(sci.shape, np.uint32))
    ds.attrs.update(SLOWAXIS=1, FASTAXIS=2)
    return add_flicker_noise(ds, 23, amplitude=0.05)


@pytest.fixture(scope="module")
def msaoper_path():
    return str(write_msaoper(folder() / "jwst_nirspec_msaoper_flicker.json"))


@pytest.fixture(scope="module")
def ours(msaoper_path):
    """spec2x's exposure after assign_wcs and msa_flagging."""
    return msa_flagging(_scene(assigned()), open_reference(msaoper_path, "msaoper"), mos_refs())


@pytest.fixture(scope="module")
def theirs_input(ours):
    """jwst's assigned model holding the same rate (unflagged: jwst's step flags it)."""
    model = jwst_assigned().copy()
    model.data = ours["sci"].values.copy()
    model.dq = np.zeros(model.data.shape, np.uint32)
    model.err = np.zeros_like(model.data)
    model.meta.subarray.slowaxis, model.meta.subarray.fastaxis = 1, 2
    model.meta.cal_step.assign_wcs = "COMPLETE"
    model.meta.instrument.msa_metadata_id = MOS_ATTRS["MSAMETID"]
    return model


def test_mos_mask_equals_jwst(ours, theirs_input):
    """Slit boxes, the failed-open pixels (the fixed slit is open: its rows kept), NaNs and
    the 2-sigma clip: the mask of jwst's ``create_mask`` on the flagged exposure."""
    from jwst.clean_flicker_noise.clean_flicker_noise import create_mask

    model = theirs_input.copy()
    model.dq = ours["dq"].values.copy()  # msa_flagging's flags (equal to jwst's: test_msa_flagging)
    for n_sigma in (0.0, 2.0):
        theirs = create_mask(model, mask_science_regions=True, n_sigma=n_sigma, single_mask=True)
        mine = scene_mask(ours, mask_science_regions=True, n_sigma=n_sigma, fit_histogram=False,
                          single_mask=True)  # fmt: skip
        np.testing.assert_array_equal(mine, theirs)
    assert (ours["dq"].values & DQ.MSA_FAILED_OPEN).any()
    assert mine[NRS_FS_ROWS].any()  # S200A1 open: the fixed-slit rows are not all masked


def test_mos_mask_without_fixed_slit_equals_jwst():
    """No fixed slit in the MSA metadata: both mask the fixed-slit rows 922-1115 too."""
    from jwst.clean_flicker_noise.clean_flicker_noise import create_mask

    from spec2x.instruments.nirspec.msa_wcs import assign_msa_slits
    from spec2x.synthetic.nirspec_msa import mos_layout, write_msa_metadata

    path = write_msa_metadata(folder() / "jw01234001001_02_msa.fits", mos_layout(N_SLITLETS),
                              fixed_slit=None)  # fmt: skip
    ds = _scene(assign_msa_slits(mos_exposure(MSAMETFL=str(path)), mos_refs()))
    model = jwst_assigned(str(path)).copy()
    model.data, model.dq = ds["sci"].values.copy(), ds["dq"].values.copy()
    theirs = create_mask(model, mask_science_regions=True, n_sigma=0.0, single_mask=True)
    mine = scene_mask(ds, mask_science_regions=True, n_sigma=0.0, fit_histogram=False,
                      single_mask=True)  # fmt: skip
    np.testing.assert_array_equal(mine, theirs)
    assert not mine[NRS_FS_ROWS].any()


def test_mos_median_clean_equals_jwst(ours, theirs_input, msaoper_path, tmp_path, monkeypatch):
    """The whole step, fit_method median: jwst flags the failed-open shutters itself (its
    MSAFlagOpenStep given the same msaoper); sci equal bit for bit."""
    from jwst.assign_wcs import AssignWcsStep
    from jwst.clean_flicker_noise import CleanFlickerNoiseStep
    from jwst.clean_flicker_noise import clean_flicker_noise as jwst_module
    from jwst.msaflagopen import MSAFlagOpenStep
    from jwst_offline import run_jwst_step

    flagged = []

    class FlagOpen(MSAFlagOpenStep):  # the step jwst runs inside, with our msaoper
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.override_msaoper = msaoper_path

        def process(self, *args):
            result = super().process(*args)
            flagged.append(int(((result.dq & DQ.MSA_FAILED_OPEN) > 0).sum()))
            return result

    monkeypatch.setattr(jwst_module, "MSAFlagOpenStep", FlagOpen)
    model = theirs_input.copy()
    paths = mos_paths()
    for reftype in AssignWcsStep.reference_file_types:  # where msaflagopen finds them
        getattr(model.meta.ref_file, reftype).name = paths.get(reftype, "N/A")
    params = {"fit_method": "median", "mask_science_regions": True}
    result = run_jwst_step(CleanFlickerNoiseStep, model, {"flat": "N/A", "pastasoss": "N/A"},
                           tmp_path=tmp_path, skip=False, **params)  # fmt: skip
    mine = flicker_noise(ours, **params).result
    assert flagged == [int(((ours["dq"].values & DQ.MSA_FAILED_OPEN) > 0).sum())]
    assert mine.attrs["S_CLNFNS"] == result.meta.cal_step.clean_flicker_noise == "COMPLETE"
    before = theirs_input.data
    assert np.nanmax(np.abs(result.data - before)) > 0.05  # stripes were removed
    np.testing.assert_array_equal(mine["sci"].values, result.data)
