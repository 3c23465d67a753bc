"""bkg_subtract against jwst 3.0.0 (``jwst.background.background_sub``) on the same arrays."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x import make_exposure
from spec2x.dq import DQ
from spec2x.steps.bkg_subtract import average_background, bkg_subtract

pytestmark = pytest.mark.parity

ATTRS = {"INSTRUME": "MIRI", "DETECTOR": "MIRIMAGE", "EXP_TYPE": "MIR_LRS-FIXEDSLIT"}


def _exposure(shape, seed, *, level=10.0, xstart=1, ystart=1, nan=False):
    gen = np.random.default_rng(seed)
    sci = gen.normal(level, 1.0, shape).astype(np.float32)
    sci[gen.random(shape) < 0.03] += 50.0  # outliers for the clipping
    err = gen.uniform(0.5, 1.5, shape).astype(np.float32)
    dq = np.where(gen.random(shape) < 0.05, np.uint32(DQ.HOT), np.uint32(0)).astype(np.uint32)
    if nan:
        sci[..., 0, 1] = np.nan
        err[..., 1, 0] = np.nan
    return make_exposure(sci, err=err, dq=dq, attrs=ATTRS, xstart=xstart, ystart=ystart)


def _model(ds):
    from stdatamodels.jwst import datamodels as dm

    cls = dm.ImageModel if ds["sci"].ndim == 2 else dm.CubeModel
    m = cls(data=ds["sci"].values.copy(), err=ds["err"].values.copy(), dq=ds["dq"].values.copy())
    m.meta.instrument.name = "MIRI"
    m.meta.filename = "x.fits"
    m.meta.subarray.xstart = int(ds.attrs["SUBSTRT1"])
    m.meta.subarray.ystart = int(ds.attrs["SUBSTRT2"])
    m.meta.subarray.xsize = int(ds.attrs["SUBSIZE1"])
    m.meta.subarray.ysize = int(ds.attrs["SUBSIZE2"])
    return m


CASES = {
    "rate, 3 backgrounds": ((30, 20), [(30, 20)] * 3, {}),
    "rate, 5 backgrounds, maxiters=1, sigma=1.5": (
        (16, 12),
        [(16, 12)] * 5,
        {"sigma": 1.5, "maxiters": 1},
    ),
    "rate, 2 backgrounds with NaN": ((16, 12), [(16, 12)] * 2, {"nan": True}),
    "rateints, 2 backgrounds of 4 integrations": ((3, 16, 12), [(4, 16, 12), (5, 16, 12)], {}),
    "rateints with NaN": ((2, 10, 8), [(6, 10, 8)] * 3, {"nan": True, "sigma": 2.0}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_background_sub_matches_jwst(case):
    pytest.importorskip("jwst")
    from jwst.background.background_sub import background_sub

    sci_shape, bkg_shapes, opts = CASES[case]
    sigma, maxiters, nan = opts.get("sigma", 3.0), opts.get("maxiters"), opts.get("nan", False)
    sci = _exposure(sci_shape, 1, level=30.0)
    bkgs = [_exposure(s, 10 + i, nan=nan) for i, s in enumerate(bkg_shapes)]
    ours = bkg_subtract(sci, bkgs, sigma=sigma, maxiters=maxiters)
    combined = average_background(sci, bkgs, sigma=sigma, maxiters=maxiters)
    bkg_model, result = background_sub(_model(sci), [_model(b) for b in bkgs], sigma, maxiters)
    np.testing.assert_allclose(ours["sci"].values, result.data, rtol=1e-5, equal_nan=True)
    np.testing.assert_array_equal(ours["dq"].values, result.dq)
    np.testing.assert_array_equal(ours["err"].values, sci["err"].values)  # jwst leaves err alone
    np.testing.assert_allclose(combined["sci"].values, bkg_model.data, rtol=1e-5, equal_nan=True)
    np.testing.assert_allclose(combined["err"].values, bkg_model.err, rtol=1e-5, equal_nan=True)
    np.testing.assert_array_equal(combined["dq"].values, bkg_model.dq)
    assert ours.attrs["S_BKDSUB"] == "COMPLETE"


def test_subarray_science_with_full_frame_backgrounds_matches_jwst():
    pytest.importorskip("jwst")
    from jwst.background.background_sub import background_sub

    sci = _exposure((8, 6), 1, level=30.0, xstart=5, ystart=9)
    bkgs = [_exposure((24, 16), 20 + i) for i in range(3)]
    ours = bkg_subtract(sci, bkgs)
    _, result = background_sub(_model(sci), [_model(b) for b in bkgs], 3.0, None)
    np.testing.assert_allclose(ours["sci"].values, result.data, rtol=1e-5)
    np.testing.assert_array_equal(ours["dq"].values, result.dq)
