"""flat_field against jwst 3.0.0 (``jwst.flatfield.flat_field.do_correction``) on the same arrays."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import REALDATA

from spec2x import make_exposure, open_reference
from spec2x.dq import DQ
from spec2x.steps.flat_field import flat_field
from spec2x.synthetic.pixel_refs import write_flat

pytestmark = pytest.mark.parity

VARS = [
    ("sci", "data"),
    ("err", "err"),
    ("var_poisson", "var_poisson"),
    ("var_rnoise", "var_rnoise"),
    ("var_flat", "var_flat"),
]


def _exposure(shape, *, xstart=1, ystart=1, seed=0, subarray="FULL"):
    gen = np.random.default_rng(seed)
    sci = gen.normal(10.0, 3.0, shape).astype(np.float32)
    sci[..., 0, 0] = np.nan
    vp = gen.uniform(0.1, 1.0, shape).astype(np.float32)
    vr = gen.uniform(0.1, 1.0, shape).astype(np.float32)
    dq = np.where(gen.random(shape) < 0.05, np.uint32(DQ.SATURATED), np.uint32(0)).astype(np.uint32)
    dq[..., 1, 2] |= np.uint32(DQ.DO_NOT_USE)
    attrs = {
        "INSTRUME": "MIRI",
        "DETECTOR": "MIRIMAGE",
        "EXP_TYPE": "MIR_LRS-SLITLESS",
        "SUBARRAY": subarray,
    }
    return make_exposure(
        sci, var_poisson=vp, var_rnoise=vr, dq=dq, attrs=attrs, xstart=xstart, ystart=ystart
    )


def _model(ds):
    from stdatamodels.jwst import datamodels as dm

    cls = dm.ImageModel if ds["sci"].ndim == 2 else dm.CubeModel
    m = cls(
        data=ds["sci"].values.copy(),
        err=ds["err"].values.copy(),
        dq=ds["dq"].values.copy(),
        var_poisson=ds["var_poisson"].values.copy(),
        var_rnoise=ds["var_rnoise"].values.copy(),
    )
    m.meta.instrument.name = "MIRI"
    m.meta.instrument.detector = "MIRIMAGE"
    m.meta.exposure.type = ds.attrs["EXP_TYPE"]
    m.meta.subarray.name = ds.attrs["SUBARRAY"]
    for key, attr in (
        ("SUBSTRT1", "xstart"),
        ("SUBSTRT2", "ystart"),
        ("SUBSIZE1", "xsize"),
        ("SUBSIZE2", "ysize"),
    ):
        setattr(m.meta.subarray, attr, int(ds.attrs[key]))
    return m


def _compare(ours, model):
    for a, b in VARS:
        np.testing.assert_allclose(
            ours[a].values, getattr(model, b), rtol=1e-5, equal_nan=True, err_msg=a
        )
    np.testing.assert_array_equal(ours["dq"].values, model.dq)


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize(
    ("shape", "corner"),
    [((20, 16), (1, 1)), ((3, 20, 16), (1, 1)), ((12, 10), (4, 7)), ((2, 12, 10), (4, 7))],
)
def test_flat_field_matches_jwst(tmp_path, shape, corner, inverse):
    pytest.importorskip("jwst")
    from jwst.flatfield.flat_field import do_correction
    from stdatamodels.jwst import datamodels as dm

    path = write_flat(
        tmp_path / "flat.fits",
        instrument="MIRI",
        detector="MIRIMAGE",
        exp_type="MIR_LRS-SLITLESS",
        shape=(20, 16),
        seed=4,
        bad_fraction=0.03,
    )
    ds = _exposure(
        shape,
        xstart=corner[0],
        ystart=corner[1],
        subarray="FULL" if corner == (1, 1) else "GENERIC",
    )
    ours = flat_field(ds, open_reference(path), inverse=inverse)
    model, _ = do_correction(_model(ds), dm.FlatModel(str(path)), inverse=inverse)
    _compare(ours, model)
    assert ours.attrs["S_FLAT"] == model.meta.cal_step.flat_field == "COMPLETE"


def test_real_miri_slitless_flat_matches_jwst():
    pytest.importorskip("jwst")
    from jwst.flatfield.flat_field import do_correction
    from stdatamodels.jwst import datamodels as dm

    path = REALDATA / "miri" / "jwst_miri_flat_slitlessprism.fits"
    ref = open_reference(path)
    ds = _exposure(
        (2, 704, 68), xstart=ref.content.xstart, ystart=ref.content.ystart, subarray="SLITLESSPRISM"
    )
    ours = flat_field(ds, ref)
    model, _ = do_correction(_model(ds), dm.FlatModel(str(path)))
    _compare(ours, model)


def test_flat_field_step_offline_matches(tmp_path):
    jwst = pytest.importorskip("jwst")
    from jwst.flatfield import FlatFieldStep
    from jwst_offline import run_jwst_step

    del jwst
    path = write_flat(
        tmp_path / "flat.fits",
        instrument="MIRI",
        detector="MIRIMAGE",
        exp_type="MIR_LRS-SLITLESS",
        shape=(20, 16),
        seed=8,
        bad_fraction=0.05,
    )
    ds = _exposure((20, 16))
    result = run_jwst_step(
        FlatFieldStep, _model(ds), {"flat": str(path)}, rest="N/A", tmp_path=tmp_path
    )
    ours = flat_field(ds, open_reference(path))
    _compare(ours, result)
    assert ours.attrs["R_FLAT"] == "flat.fits"
