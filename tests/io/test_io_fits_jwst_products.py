"""Products written by jwst's own steps (run offline on spec2x's synthetic inputs) open as the contract says."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x import validate
from spec2x.io import open_product

pytestmark = pytest.mark.parity

_OPTICAL = ("disperser", "wavelengthrange", "fpa", "camera", "collimator", "msa", "fore", "ote")


def test_jwst_nirspec_bots_calints_opens_with_its_wavelength_and_slit(tmp_path):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst.extract_2d import Extract2dStep
    from jwst.flatfield import FlatFieldStep
    from jwst_offline import run_jwst_step

    from spec2x.synthetic.nirspec_bots import make_nirspec_bots

    bots = make_nirspec_bots(1, nints=2, folder=tmp_path / "bots")
    refs = {k: str(v) for k, v in bots.refs.items()}
    model = run_jwst_step(
        AssignWcsStep, str(bots.rateints_path), {k: refs[k] for k in _OPTICAL}, rest="N/A",
        tmp_path=tmp_path,
    )  # fmt: skip
    model = run_jwst_step(Extract2dStep, model, {}, rest="N/A", tmp_path=tmp_path)
    flats = {k: refs[k] for k in ("fflat", "sflat", "dflat")}
    model = run_jwst_step(FlatFieldStep, model, flats, rest="N/A", tmp_path=tmp_path)
    assert type(model).__name__ == "SlitModel"
    assert model.data.ndim == 3
    path = tmp_path / "jw_calints.fits"
    model.save(path)

    ds = open_product(path)
    validate(ds)
    assert ds["sci"].dims == ("slit", "integration", "y", "x")
    assert list(ds["slit_name"].values) == [model.name]
    # a cut-out's y, x are its own pixels; its full-frame place is xstart/ystart (1-based)
    assert int(ds["xstart"].values[0]) == model.xstart
    assert int(ds["ystart"].values[0]) == model.ystart
    np.testing.assert_array_equal(ds["y"].values, np.arange(model.data.shape[1]))
    # the (y, x) WAVELENGTH of a time series is read, on (slit, y, x)
    assert ds["wavelength"].dims == ("slit", "y", "x")
    np.testing.assert_array_equal(ds["wavelength"].values[0], model.wavelength)
    np.testing.assert_array_equal(ds["var_flat"].values[0], model.var_flat)


def test_jwst_miri_lrs_slitless_calints_opens_at_full_frame_rows(tmp_path):
    pytest.importorskip("jwst")
    from jwst_offline import jwst_lrs_flat_fielded

    from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso

    obs = make_lrs_slitless_tso(tmp_path / "tso", seed=1, nints=2)
    model, path = jwst_lrs_flat_fielded(obs, tmp_path, "jw_calints.fits")

    ds = open_product(path)
    validate(ds)
    assert ds["sci"].dims == ("integration", "y", "x")
    ystart = model.meta.subarray.ystart
    np.testing.assert_array_equal(ds["y"].values, np.arange(ystart - 1, ystart - 1 + ds.sizes["y"]))
    np.testing.assert_array_equal(ds["var_flat"].values, model.var_flat)
