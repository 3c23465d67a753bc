"""pixel_replace against jwst 3.0.0's ``PixelReplacement`` on the same arrays."""

from __future__ import annotations

import numpy as np
import pytest
from pixel_replace_helpers import VARIANCES, exposure, slits

from spec2x.steps.pixel_replace import pixel_replace

pytestmark = pytest.mark.parity

PAIRS = [("sci", "data"), ("err", "err"), *((v, v) for v in VARIANCES)]
ALGORITHMS = ["mingrad", "fit_profile"]


def _jwst_arrays(model, arrays, dispaxis):
    for ours, theirs in PAIRS:
        setattr(model, theirs, np.array(arrays[ours]))
    model.dq = np.array(arrays["dq"])
    model.meta.wcsinfo.dispersion_direction = dispaxis
    return model


def _replace(model, algorithm):
    from jwst.pixel_replace.pixel_replace import PixelReplacement

    PixelReplacement(model, algorithm=algorithm, n_adjacent_cols=3).replace()
    return model


def _assert_same(ours, model):
    for name, theirs in PAIRS:
        np.testing.assert_allclose(
            ours[name], getattr(model, theirs), rtol=1e-6, atol=0, equal_nan=True, err_msg=name
        )
    np.testing.assert_array_equal(ours["dq"], model.dq)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("nint", [None, 3])
def test_miri_lrs_matches_jwst(algorithm, nint):
    """MIRI LRS (dispersion along y): fixed slit as an image, slitless as integrations."""
    pytest.importorskip("jwst")
    from stdatamodels.jwst import datamodels as dm

    shape = (40, 24) if nint is None else (nint, 40, 24)
    exp_type = "MIR_LRS-FIXEDSLIT" if nint is None else "MIR_LRS-SLITLESS"
    ds = exposure(shape, 2, 11, exp_type)
    model_class = dm.ImageModel if nint is None else dm.CubeModel
    model = _jwst_arrays(model_class(), {n: ds[n].values for n in ds.data_vars}, 2)
    ours = pixel_replace(ds, algorithm=algorithm)
    theirs = _replace(model, algorithm)
    assert (ours["dq"].values & (1 << 28)).any()
    _assert_same({n: ours[n].values for n in ours.data_vars}, theirs)
    assert ours.attrs["S_PXREPL"] == "COMPLETE"


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_nirspec_fixed_slits_match_jwst(algorithm):
    """NIRSpec fixed slits of different sizes (padded in spec2x) against a MultiSlitModel."""
    pytest.importorskip("jwst")
    from stdatamodels.jwst import datamodels as dm

    shapes = [(14, 60), (10, 45)]
    ds, each = slits(shapes, 5)
    model = dm.MultiSlitModel()
    for arrays in each:
        model.slits.append(_jwst_arrays(dm.SlitModel(), arrays, 1))
    ours = pixel_replace(ds, algorithm=algorithm)
    theirs = _replace(model, algorithm)
    for i, (ny, nx) in enumerate(shapes):
        _assert_same({n: ours[n].values[i, :ny, :nx] for n in ours.data_vars}, theirs.slits[i])


@pytest.mark.slow
def test_chain_on_miri_lrs_cal_matches_jwst_step(tmp_path):
    """In the chain, on a copy of spec2x's synthetic MIRI LRS ``cal`` (kept unchanged), as
    jwst's PixelReplaceStep on that ``cal`` file (``fit_profile``)."""
    pytest.importorskip("jwst")
    from jwst.pixel_replace import PixelReplaceStep
    from jwst_offline import run_jwst_step

    from spec2x.io.fits import write_fits
    from spec2x.pipeline import spec2
    from spec2x.synthetic.miri_lrs import make_lrs_fixedslit

    obs = make_lrs_fixedslit(tmp_path, seed=3)
    refs = {k: str(v) for k, v in obs.references.items()}
    steps = {}
    params = {"pixel_replace": {"skip": False, "algorithm": "fit_profile"}}
    products = spec2(obs.exposures[0], refs, params, on_step=steps.__setitem__)
    assert "S_PXREPL" not in products["cal"].attrs
    assert products["s2d"].attrs["S_PXREPL"] == "COMPLETE"
    ours = steps["pixel_replace"]
    assert (ours["dq"].values & (1 << 28)).any()
    cal = write_fits(products["cal"], tmp_path / "cal.fits")
    theirs = run_jwst_step(PixelReplaceStep, str(cal), {}, algorithm="fit_profile")
    _assert_same({n: ours[n].values for n in ours.data_vars}, theirs)


def test_ifu_image_mingrad_matches_jwst():
    """An IFU detector image (NIRSpec IFU, dispersion along x) with ``mingrad``."""
    pytest.importorskip("jwst")
    from stdatamodels.jwst import datamodels as dm

    ds = exposure((30, 36), 1, 8, "NRS_IFU")
    model = _jwst_arrays(dm.IFUImageModel(), {n: ds[n].values for n in ds.data_vars}, 1)
    ours = pixel_replace(ds)
    _assert_same({n: ours[n].values for n in ours.data_vars}, _replace(model, "mingrad"))
