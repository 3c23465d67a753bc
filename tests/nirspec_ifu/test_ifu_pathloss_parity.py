"""NIRSpec IFU pathloss: parity with jwst 3.0.0's PathLossStep (synthetic IFU pathloss)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_in_place_same
from ifu_helpers import cal_paths, folder, jwst_step, ours

from spec2x.errors import ReferenceMismatchError
from spec2x.io.references import open_reference
from spec2x.steps.pathloss import pathloss

RTOL = 1e-5


def _ours(source_type=None, grating="PRISM", **kwargs):
    ref = open_reference(cal_paths(grating)["pathloss"])
    return pathloss(ours(grating), ref, source_type=source_type, **kwargs)


@pytest.mark.parity
@pytest.mark.slow
@pytest.mark.parametrize(("grating", "source_type"), [("PRISM", "POINT"), ("G395M", None)])
def test_ifu_pathloss_matches_jwst(grating, source_type):
    pytest.importorskip("jwst")
    from jwst.pathloss import PathLossStep
    from jwst_offline import run_jwst_step

    mine = _ours(source_type, grating)
    theirs = run_jwst_step(
        PathLossStep,
        jwst_step(grating),
        {"pathloss": cal_paths(grating)["pathloss"]},
        rest="N/A",
        tmp_path=folder(),
        source_type=source_type,
    )
    np.testing.assert_array_equal(mine["dq"].values, theirs.dq)
    for key in ("sci", "err", "var_poisson", "var_rnoise", "pathloss_point", "pathloss_uniform"):
        a, b = mine[key].values, getattr(theirs, {"sci": "data"}.get(key, key))
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=key)
        np.testing.assert_allclose(a, b, rtol=RTOL, equal_nan=True, err_msg=key)


def test_ifu_pathloss_point_or_uniform():
    point, uniform = _ours("POINT"), _ours("EXTENDED")
    sci = ours()["sci"].values
    np.testing.assert_allclose(point["sci"].values, sci / point["pathloss_point"].values, rtol=1e-6)
    np.testing.assert_allclose(
        uniform["sci"].values, sci / uniform["pathloss_uniform"].values, rtol=1e-6
    )
    # a slice-wide aperture loses more of a point source than of a uniform one
    assert np.nanmedian(point["pathloss_point"].values) < np.nanmedian(
        point["pathloss_uniform"].values
    )
    back = pathloss(
        point, open_reference(cal_paths()["pathloss"]), source_type="POINT", inverse=True
    )
    ok = np.isfinite(point["sci"].values)
    np.testing.assert_allclose(back["sci"].values[ok], sci[ok], rtol=1e-6)


def test_ifu_pathloss_owning_its_input_writes_the_same_numbers_into_it():
    from spec2x.io.references import ReferenceSet
    from spec2x.steps import StepContext
    from spec2x.steps.pathloss import from_chain

    refs = ReferenceSet({"pathloss": cal_paths()["pathloss"]})
    ctx = StepContext("pathloss", refs, params={"source_type": "POINT"})
    pure = assert_in_place_same(from_chain, ours(), ctx)
    np.testing.assert_array_equal(pure["sci"].values, _ours("POINT")["sci"].values)


def test_ifu_pathloss_refuses_a_non_pathloss_file():
    with pytest.raises(ReferenceMismatchError, match="not a pathloss"):
        pathloss(ours(), open_reference(cal_paths()["area"]))
