"""NIRSpec IFU photom: parity with jwst 3.0.0's PhotomStep (synthetic IFU photom and area)."""

from __future__ import annotations

import numpy as np
import pytest
from ifu_helpers import cal_paths, folder, jwst_step, ours

from spec2x.dq import DQ
from spec2x.errors import MissingReferenceError
from spec2x.io.references import open_reference
from spec2x.steps.photom import photom

RTOL = 1e-5


def _ours(grating: str = "PRISM", **kwargs):
    paths = cal_paths(grating)
    area = kwargs.pop("area", open_reference(paths["area"]))
    return photom(ours(grating), open_reference(paths["photom"]), area=area, **kwargs)


@pytest.mark.parity
@pytest.mark.slow
@pytest.mark.parametrize("grating", ["PRISM", "G395M"])
def test_ifu_photom_matches_jwst(grating):
    pytest.importorskip("jwst")
    from jwst.photom import PhotomStep
    from jwst_offline import run_jwst_step

    mine = _ours(grating)
    refs = {k: cal_paths(grating)[k] for k in ("photom", "area")}
    theirs = run_jwst_step(PhotomStep, jwst_step(grating), refs, rest="N/A", tmp_path=folder())
    np.testing.assert_array_equal(mine["dq"].values, theirs.dq)
    for key in ("sci", "err", "var_poisson", "var_rnoise"):
        a, b = mine[key].values, getattr(theirs, {"sci": "data"}.get(key, key))
        np.testing.assert_allclose(a, b, rtol=RTOL, equal_nan=True, err_msg=key)
    phot = theirs.meta.photometry
    assert mine.attrs["PHOTMJSR"] == pytest.approx(phot.conversion_megajanskys, rel=1e-6)
    assert mine.attrs["PIXAR_SR"] == pytest.approx(phot.pixelarea_steradians, rel=1e-6)
    assert mine["sci"].attrs["units"] == theirs.meta.bunit_data == "MJy/sr"


def test_ifu_photom_uses_each_slice_area_and_flags_the_rest():
    out = _ours()
    ds = ours()
    regions = ds["regions"].values
    factor = out["sci"].values / ds["sci"].values
    off = regions == 0
    assert ((out["dq"].values[off] & DQ.NON_SCIENCE) != 0).all()
    np.testing.assert_allclose(factor[off], 1.0)
    # two pixels of one wavelength in slices of different area: factor in inverse ratio of area
    areas = open_reference(cal_paths()["area"]).content.table["pixarea"]
    wl = ds["wavelength"].values
    a = np.nonzero(regions == 1)
    b = np.nonzero(regions == 16)
    ia = np.argmin(np.abs(wl[a] - 2.0))
    ib = np.argmin(np.abs(wl[b] - wl[a][ia]))
    ratio = factor[a][ia] / factor[b][ib]
    assert ratio == pytest.approx(areas[15] / areas[0], rel=2e-3)


def test_ifu_photom_needs_the_ifu_area_table():
    with pytest.raises(MissingReferenceError, match="IFU area"):
        _ours(area=None)
