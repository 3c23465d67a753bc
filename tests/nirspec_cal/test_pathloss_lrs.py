"""MIRI LRS fixed-slit pathloss against jwst 3.0.0 on a synthetic nod with the same WCS inputs."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_in_place_same

from spec2x.io.fits import open_exposure
from spec2x.io.references import ReferenceSet, open_reference
from spec2x.steps import StepContext
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.steps.pathloss import from_chain, pathloss
from spec2x.synthetic.miri_lrs import make_lrs_fixedslit


@pytest.fixture(scope="module")
def lrs(tmp_path_factory):
    obs = make_lrs_fixedslit(tmp_path_factory.mktemp("lrs_pl"), seed=2)
    refs = {k: open_reference(v, k) for k, v in obs.references.items()}
    ds = assign_wcs(open_exposure(obs.exposures[0]), refs)
    return obs, refs, ds.assign_attrs(SRCTYPE="POINT")


def test_point_source_is_multiplied_by_the_correction(lrs):
    _, refs, ds = lrs
    out = pathloss(ds, refs["pathloss"])
    assert out.attrs["S_PTHLOS"] == "COMPLETE"
    corr = out["pathloss_point"].values
    ok = np.isfinite(corr) & np.isfinite(out["sci"].values)
    assert ok.sum() > 1000
    np.testing.assert_allclose(out["sci"].values[ok], (ds["sci"].values * corr)[ok], rtol=1e-6)
    assert (corr[ok] >= 1.0).all()  # a correction for light lost: > 1
    skipped = pathloss(ds.assign_attrs(SRCTYPE="EXTENDED"), refs["pathloss"])
    assert skipped.attrs["S_PTHLOS"] == "SKIPPED"


def test_owning_its_input_writes_the_same_numbers_into_it(lrs):
    _, refs, ds = lrs
    ctx = StepContext("pathloss", ReferenceSet({"pathloss": refs["pathloss"]}))
    assert assert_in_place_same(from_chain, ds, ctx).attrs["S_PTHLOS"] == "COMPLETE"


@pytest.mark.parity
@pytest.mark.parametrize("user_slit_loc", [None, 0.1])
def test_matches_jwst(lrs, user_slit_loc):
    pytest.importorskip("jwst")
    from gwcs import wcs as gwcs_wcs
    from jwst.assign_wcs import miri
    from jwst.pathloss.pathloss import do_correction
    from stdatamodels.jwst import datamodels as dm

    obs, refs, ds = lrs
    model = dm.ImageModel(str(obs.exposures[0]))
    paths = {k: str(obs.references[k]) for k in ("distortion", "specwcs")}
    model.meta.wcs = gwcs_wcs.WCS(miri.lrs(model, paths))
    model.meta.wcsinfo.dispersion_direction = 2
    model.meta.target.source_type = "POINT"
    model.var_flat = np.zeros_like(model.data)
    do_correction(
        model, dm.MirLrsPathlossModel(str(obs.references["pathloss"])), user_slit_loc=user_slit_loc
    )
    out = pathloss(ds, refs["pathloss"], user_slit_loc=user_slit_loc)
    for key, theirs in (
        ("pathloss_point", model.pathloss_point),
        ("sci", model.data),
        ("err", model.err),
        ("var_poisson", model.var_poisson),
        ("dq", model.dq),
    ):
        mine = out[key].values
        if key == "dq":
            assert np.array_equal(mine, theirs)
            continue
        assert np.array_equal(np.isnan(mine), np.isnan(theirs)), key
        ok = ~np.isnan(theirs)
        np.testing.assert_allclose(mine[ok], theirs[ok], rtol=1e-5, err_msg=key)
