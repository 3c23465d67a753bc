"""NIRSpec slit flat against jwst 3.0.0 ``do_nirspec_flat_field`` on the same slits and files."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import REALDATA
from nrs_cal_helpers import make_slits, to_multislit

from spec2x.instruments.nirspec.flat import nirspec_flat
from spec2x.io.references import open_reference

pytestmark = pytest.mark.parity
REAL_FFLAT = str(REALDATA / "nirspec" / "jwst_nirspec_fflat_0017.fits")
RTOL = 1e-5


def _jwst_models(paths):
    from stdatamodels.jwst import datamodels as dm

    return [None if p is None else dm.NirspecFlatModel(str(p)) for p in paths]


def _compare(ours, slit_models, ds, keys=("sci", "err", "var_poisson", "var_rnoise", "var_flat")):
    worst = 0.0
    for i, sl in enumerate(slit_models):
        ys, xs = sl.data.shape[-2:]
        assert np.array_equal(np.asarray(ours["dq"][i])[..., :ys, :xs], sl.dq), sl.name
        for key in keys:
            theirs = getattr(sl, {"sci": "data"}.get(key, key))
            mine = np.asarray(ours[key][i])[..., :ys, :xs]
            assert np.array_equal(np.isnan(mine), np.isnan(theirs)), (sl.name, key)
            ok = ~np.isnan(theirs)
            np.testing.assert_allclose(mine[ok], theirs[ok], rtol=RTOL, err_msg=f"{sl.name} {key}")
            rel = np.abs(mine[ok] - theirs[ok]) / np.maximum(np.abs(theirs[ok]), 1e-30)
            worst = max(worst, float(rel.max(initial=0.0)))
    return worst


@pytest.mark.parametrize("sflat_key", ["sflat", "sflat3d"])
def test_fixed_slits_match_jwst(cal_refs, sflat_key):
    pytest.importorskip("jwst")
    from jwst.flatfield.flat_field import do_nirspec_flat_field

    ds = make_slits(seed=4, shape=(12, 160))
    paths = [cal_refs["fflat"], cal_refs[sflat_key], cal_refs["dflat"]]
    ours = nirspec_flat(ds, *(open_reference(p) for p in paths))
    model = to_multislit(ds)
    do_nirspec_flat_field(model, *_jwst_models(paths))
    _compare(ours, model.slits, ds)
    # the point/uniform flats jwst keeps on point-source slits
    for i, sl in enumerate(model.slits):
        ys, xs = sl.data.shape
        if sl.source_type == "POINT":
            for key in ("flatfield_point", "flatfield_uniform"):
                mine = np.asarray(ours[key][i])[:ys, :xs]
                theirs = getattr(sl, key)
                ok = np.isfinite(theirs)
                assert np.array_equal(ok, np.isfinite(mine))
                np.testing.assert_allclose(mine[ok], theirs[ok], rtol=RTOL)


def test_real_fflat_and_not_applicable_dflat(cal_refs):
    pytest.importorskip("jwst")
    from jwst.flatfield.flat_field import do_nirspec_flat_field

    ds = make_slits(seed=5, substrt=(3, 2), shape=(12, 160))
    ours = nirspec_flat(ds, open_reference(REAL_FFLAT), open_reference(cal_refs["sflat"]), None)
    model = to_multislit(ds)
    do_nirspec_flat_field(model, *_jwst_models([REAL_FFLAT, cal_refs["sflat"], None]))
    _compare(ours, model.slits, ds)


def test_inverse_matches_jwst(cal_refs):
    pytest.importorskip("jwst")
    from jwst.flatfield.flat_field import do_nirspec_flat_field

    ds = make_slits(seed=6, shape=(12, 160))
    paths = [cal_refs["fflat"], cal_refs["sflat"], cal_refs["dflat"]]
    ours = nirspec_flat(ds, *(open_reference(p) for p in paths), inverse=True)
    model = to_multislit(ds)
    do_nirspec_flat_field(model, *_jwst_models(paths), inverse=True)
    _compare(ours, model.slits, ds)


def test_brightobj_matches_jwst(cal_refs):
    pytest.importorskip("jwst")
    from jwst.flatfield.flat_field import do_nirspec_flat_field

    ds = make_slits(["S1600A1"], exp_type="NRS_BRIGHTOBJ", nint=3, srctype=["POINT"], seed=7)
    paths = [cal_refs["fflat_bots"], cal_refs["sflat"], cal_refs["dflat"]]
    ours = nirspec_flat(ds, *(open_reference(p) for p in paths))
    model = to_multislit(ds)
    do_nirspec_flat_field(model, *_jwst_models(paths))
    _compare(ours, [model], ds)
