"""master_background_mos from the background slitlets: the moving median of the combined
spectrum (``median_kernel``) against jwst 3.0.0's MasterBackgroundMosStep, and the step
FAILED when no background spectrum has a finite flux."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from mos_cal_helpers import _typed, cal_refs, cut, master_background_substeps
from mos_helpers import folder, jwst_extracted

from spec2x.steps.master_background_mos import is_background_slitlet, master_background_mos

#: Source slitlets besides the four background-only ones (MSA slitlets only: jwst runs
#: the step on them).
N_SOURCES = 4
#: An even width: jwst and spec2x take it one smaller (3).
KERNEL = 4
#: Effective exposure time (s): the weight of each background spectrum (the same for all).
EXPTIME = 1200.0


@lru_cache(maxsize=1)
def _slits():
    ds = _typed()
    msa = ds["quadrant"].values < 5
    bkg = np.flatnonzero(is_background_slitlet(ds["source_name"].values) & msa)
    keep = np.unique(
        np.r_[np.flatnonzero(msa & ~np.isin(np.arange(msa.size), bkg))[:N_SOURCES], bkg]
    )
    ds = ds.isel(slit=keep).assign_attrs(EFFEXPTM=EXPTIME)
    # a read noise for the inverse-variance weights of resample_spec (the planes have none)
    rnoise = ds["var_poisson"].notnull().where(ds["var_poisson"].notnull()).astype(np.float32)
    return ds.assign(var_rnoise=rnoise), keep


def _subtracted(before, after, i):
    return cut(before, i, "sci") - cut(after, i, "sci")


@pytest.mark.parity
@pytest.mark.slow
def test_median_kernel_matches_jwst():
    pytest.importorskip("jwst")
    from jwst.extract_1d import Extract1dStep
    from jwst.master_background import MasterBackgroundMosStep
    from jwst.srctype.srctype import set_source_type
    from jwst_offline import jwst_offline_env
    from stdatamodels.jwst import datamodels as dm

    ds, keep = _slits()
    ours = master_background_mos(ds, cal_refs(), median_kernel=KERNEL)
    plain = master_background_mos(ds, cal_refs())
    assert ours.attrs["S_MSBSUB"] == plain.attrs["S_MSBSUB"] == "COMPLETE"
    model = set_source_type(jwst_extracted().copy())
    mos = dm.MultiSlitModel()
    mos.update(model)
    mos.meta.exposure.exposure_time = EXPTIME
    for i in keep:
        mos.slits.append(model.slits[int(i)])
        mos.slits[-1].var_rnoise = np.ones_like(mos.slits[-1].data)
    before = [np.array(s.data, copy=True) for s in mos.slits]
    # every other extract_1d reference (psf, specprofile ...) "N/A": no CRDS
    substeps = master_background_substeps(tuple(Extract1dStep.reference_file_types))
    with jwst_offline_env(folder()):
        theirs = MasterBackgroundMosStep.call(mos, median_kernel=KERNEL, steps=substeps)
    assert theirs.meta.cal_step.master_background == "COMPLETE"
    assert len(theirs.slits) == ds.sizes["slit"]
    worst, effect = 0.0, 0.0
    for i, slit in enumerate(theirs.slits):
        name = str(ds["slit_name"].values[i])
        assert slit.name == name
        np.testing.assert_array_equal(cut(ours, i, "dq"), slit.dq, err_msg=name)
        mine, jw = _subtracted(ds, ours, i), before[i] - slit.data
        assert np.array_equal(np.isnan(mine), np.isnan(jw)), name
        ok = np.isfinite(jw)
        peak = np.abs(jw[ok]).max()
        worst = max(worst, float(np.abs(mine[ok] - jw[ok]).max() / peak))
        unfiltered = _subtracted(ds, plain, i)[ok]
        effect = max(effect, float(np.abs(unfiltered - jw[ok]).max() / peak))
    assert worst < 1e-4
    assert effect > 100 * max(worst, 1e-7)  # the median changed the background: not vacuous
    print(f"median_kernel={KERNEL}: largest difference / peak background {worst:.2e} "
          f"(without the median {effect:.2e})")  # fmt: skip


def test_no_finite_background_spectrum_fails_and_changes_nothing():
    """jwst's combine_1d hands back its input spectra there and the step goes on; spec2x
    records FAILED and leaves the data as they were (module notes of the step)."""
    ds, _ = _slits()
    bkg = is_background_slitlet(ds["source_name"].values)
    sci = ds["sci"].values.copy()
    sci[bkg] = np.nan
    blank = ds.assign(sci=(ds["sci"].dims, sci, ds["sci"].attrs))
    out = master_background_mos(blank, cal_refs())
    assert out.attrs["S_MSBSUB"] == "FAILED"
    np.testing.assert_array_equal(out["sci"].values, blank["sci"].values)
    np.testing.assert_array_equal(out["dq"].values, blank["dq"].values)
    assert master_background_mos(ds, cal_refs()).attrs["S_MSBSUB"] == "COMPLETE"
