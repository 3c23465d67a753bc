"""The WCS of all MOS slitlets evaluated in one stacked call equals each slit's own, bit for bit.

The slitlets of the synthetic 30-slitlet exposure (:mod:`mos_helpers`) are cut
out by extract_2d; their WCSs (the same optical transforms, per-slit cut-out
origin, shutter and slit extent) are evaluated together by
:func:`spec2x._kernels.stacked_transforms.stacked_pixel_frames` and compared
with gwcs evaluating each slit alone; resample_spec with all slits in one
stacked call gives the products it gives slit by slit.
"""

from __future__ import annotations

import numpy as np
import pytest
from mos_helpers import assigned_with_data

from spec2x._kernels.stacked_transforms import stacked_pixel_frames
from spec2x.steps import resample_spec as step
from spec2x.steps.extract_2d import extract_2d
from spec2x.wcs.store import get_wcs

pytestmark = pytest.mark.slow  # the 30-slitlet exposure: seconds of WCS work on an idle core


@pytest.fixture(scope="module")
def slitlets():
    ds = extract_2d(assigned_with_data())
    ny, nx = ds["sci"].shape[1:]
    rng = np.random.default_rng(3)
    for name in ("var_rnoise", "var_flat"):
        ds[name] = (("slit", "y", "x"), rng.uniform(0.5, 2.0, (ds.sizes["slit"], ny, nx)))
    ds["err"] = np.sqrt(ds["var_poisson"] + ds["var_rnoise"] + ds["var_flat"])
    names = [str(n) for n in ds["slit_name"].values]
    shapes = [(int(h), int(w)) for h, w in zip(ds["ysize"].values, ds["xsize"].values, strict=True)]
    return ds, [get_wcs(ds, slit=n) for n in names], shapes


def test_stacked_frames_equal_each_slit_evaluated_alone(slitlets):
    _, wcss, shapes = slitlets
    assert len(wcss) > 20
    stacked = stacked_pixel_frames(wcss, shapes, keep=("slit_frame",))
    for wcs, shape, frames in zip(wcss, shapes, stacked, strict=True):
        y, x = np.indices(shape, dtype=np.float64)
        d2s = wcs.get_transform(wcs.available_frames[0], "slit_frame")
        world = wcs(x, y)  # gwcs alone, NaN outside the bounding box
        inside = np.isfinite(frames["slit_frame"][0]) | np.isfinite(world[0])
        slit = tuple(np.where(inside, v, np.nan) for v in d2s(x, y))
        for mine, theirs in zip(frames["world"] + frames["slit_frame"], world + slit, strict=True):
            np.testing.assert_array_equal(mine, theirs)


def test_resample_spec_stacked_equals_slit_by_slit(slitlets, monkeypatch):
    ds = slitlets[0]
    stacked = step.resample_spec(ds)
    monkeypatch.setattr(step, "_BATCH", 1)
    alone = step.resample_spec(ds)
    for name in (*stacked.data_vars, "wavelength"):
        np.testing.assert_array_equal(stacked[name].values, alone[name].values, err_msg=name)
