"""The MOS calibration steps on slit groups, on Dask chunks, and their properties."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from mos_cal_helpers import cal_refs, ours

from spec2x.instruments.nirspec.flat import nirspec_flat
from spec2x.slits import groups, map_groups, split
from spec2x.steps.barshadow import barshadow
from spec2x.steps.pathloss import pathloss

pytestmark = pytest.mark.slow
KEYS = ("sci", "err", "var_flat", "dq", "pathloss_point", "barshadow")


def _chain(ds):
    refs = cal_refs()
    ds = nirspec_flat(ds, refs["fflat"], refs["sflat"], refs["dflat"])
    return barshadow(pathloss(ds, refs["pathloss"]), refs["barshadow"])


def _by_name(parts):
    out = {}
    for part in parts:
        for i, name in enumerate(np.asarray(part["slit_name"].values).astype(str)):
            ys, xs = int(part["ysize"][i]), int(part["xsize"][i])
            out[name] = {k: np.asarray(part[k][i])[:ys, :xs] for k in KEYS}
    return out


def test_groups_give_the_same_numbers():
    whole = _by_name([ours()["barshadow"]])
    tree = split(ours()["wavecorr"], max_padding=1.05, min_pixels=0)
    assert isinstance(tree, xr.DataTree)
    assert len(groups(tree)) > 1
    result = map_groups(_chain, tree)
    parts = _by_name(groups(result))
    assert sorted(parts) == sorted(whole)
    for name, mine in parts.items():
        for key in KEYS:
            np.testing.assert_array_equal(mine[key], whole[name][key], err_msg=f"{name} {key}")


def test_dask_chunks_along_slits_give_the_same_numbers():
    eager = ours()["barshadow"]
    lazy = _chain(ours()["wavecorr"].chunk({"slit": 7}))
    assert lazy["sci"].chunks is not None
    for key in KEYS:
        np.testing.assert_array_equal(lazy[key].values, eager[key].values, err_msg=key)


def test_input_unchanged_dq_only_grows_and_inverse_undoes():
    before = ours()["wavecorr"].copy(deep=True)
    out = _chain(ours()["wavecorr"])
    xr.testing.assert_identical(ours()["wavecorr"], before)
    assert ((out["dq"].values & before["dq"].values) == before["dq"].values).all()
    refs = cal_refs()
    shadowed = ours()["barshadow"]
    back = barshadow(shadowed, refs["barshadow"], inverse=True)
    ok = np.isfinite(back["sci"].values)
    np.testing.assert_allclose(
        back["sci"].values[ok], ours()["pathloss"]["sci"].values[ok], rtol=1e-6
    )


def test_the_steps_owning_their_input_write_the_same_numbers_into_it():
    from helpers import assert_in_place_same
    from mos_cal_helpers import cal_paths

    from spec2x.io.references import ReferenceSet
    from spec2x.steps import StepContext
    from spec2x.steps import barshadow as barshadow_step
    from spec2x.steps import flat_field as flat_step
    from spec2x.steps import pathloss as pathloss_step

    refs = ReferenceSet(cal_paths())
    done = ours()
    corrected = (done["pathloss"]["pathloss_correction_type"].values != "NONE").all()
    for module, before, every in ((flat_step, "wavecorr", True),
                                  (pathloss_step, "flat_field", corrected),
                                  (barshadow_step, "pathloss", True)):  # fmt: skip
        step = module.__name__.rsplit(".", 1)[1]
        ctx = StepContext(step, refs)
        pure = assert_in_place_same(module.from_chain, done[before], ctx, in_place=every)
        np.testing.assert_array_equal(pure["sci"].values, done[step]["sci"].values)
