"""assign_wcs and srctype as the chain calls them, on Dask-backed exposures."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import raise_if_dask_computes
from miri_lrs_helpers import REAL_DISTORTION, REAL_SPECWCS, lrs_attrs

from spec2x import make_exposure
from spec2x.errors import MissingReferenceError, UnsupportedModeError
from spec2x.instruments.miri import lrs_wcs as miri_lrs
from spec2x.io.references import ReferenceSet, open_reference
from spec2x.modes import MODES, Mode
from spec2x.steps import StepContext
from spec2x.steps import assign_wcs as assign_wcs_module
from spec2x.steps import srctype as srctype_module
from spec2x.steps.assign_wcs import assign_wcs, builder


def _slitless(chunked: bool = False):
    attrs = lrs_attrs("MIR_LRS-SLITLESS", TSOVISIT=True, NINTS=4, SRCTYAPT="EXTENDED")
    sci = np.random.default_rng(0).normal(size=(4, 416, 72)).astype(np.float32)
    ds = make_exposure(sci, attrs=attrs, xstart=1, ystart=529)
    return ds.chunk({"integration": 1}) if chunked else ds


def test_dask_input_stays_lazy_and_equal():
    refs = {
        "distortion": open_reference(REAL_DISTORTION),
        "specwcs": open_reference(REAL_SPECWCS["MIR_LRS-SLITLESS"]),
    }
    eager = assign_wcs(_slitless(), refs)
    with raise_if_dask_computes():
        lazy = assign_wcs(_slitless(chunked=True), refs)
        lazy = srctype_module.srctype(lazy)
    assert lazy["sci"].chunks is not None
    np.testing.assert_array_equal(lazy["wavelength"].values, eager["wavelength"].values)
    np.testing.assert_array_equal(lazy["sci"].values, eager["sci"].values)
    assert lazy.attrs["SRCTYPE"] == "POINT"  # a TSO is a point source whatever APT says


def test_from_chain_uses_the_reference_set(tmp_path):
    ctx = StepContext(
        "assign_wcs",
        ReferenceSet({"distortion": REAL_DISTORTION, "specwcs": REAL_SPECWCS["MIR_LRS-SLITLESS"]}),
    )
    out = assign_wcs_module.from_chain(_slitless(), ctx)
    assert out.attrs["R_SPCWCS"] == "jwst_miri_specwcs_0006.fits"
    assert np.isfinite(out["wavelength"]).sum() > 20000
    na = StepContext("assign_wcs", ReferenceSet({"distortion": REAL_DISTORTION, "specwcs": "N/A"}))
    with pytest.raises(MissingReferenceError, match="specwcs"):
        assign_wcs_module.from_chain(_slitless(), na)
    src = srctype_module.from_chain(
        out, StepContext("srctype", ReferenceSet(), {"source_type": "EXTENDED"})
    )
    assert src.attrs["SRCTYPE"] == "EXTENDED"
    assert src.attrs["S_SRCTYP"] == "COMPLETE"


def test_registry_takes_a_new_mode_in_one_entry(monkeypatch):
    seen = {}

    def build(ds, refs, **params):
        seen.update(refs=refs, params=params)
        return ds.assign_coords(wavelength=(("y", "x"), np.ones((ds.sizes["y"], ds.sizes["x"]))))

    new = Mode("NRS_TEST", "NIRSPEC", wcs_reftypes=("distortion",), wcs_build=build)
    monkeypatch.setitem(MODES, "NRS_TEST", new)
    ds = make_exposure(np.zeros((3, 4)), attrs={"EXP_TYPE": "NRS_TEST"})
    out = assign_wcs(ds, {"distortion": REAL_DISTORTION}, slit_y_low=-0.6)
    assert set(seen["refs"]) == {"distortion"}
    assert seen["params"]["slit_y_low"] == -0.6
    assert out.attrs["DISPAXIS"] == 1
    assert out.attrs["R_DISTOR"] == "jwst_miri_imager_distortion_flt9.asdf"
    text_mode = Mode(
        "NRS_TEST", "NIRSPEC", wcs_build="spec2x.instruments.miri.lrs_wcs:assign_from_refs"
    )
    assert builder(text_mode) is miri_lrs.assign_from_refs
    with pytest.raises(UnsupportedModeError, match="MIR_WFSS"):
        assign_wcs(make_exposure(np.zeros((3, 4)), attrs={"EXP_TYPE": "MIR_WFSS"}), {})
    with pytest.raises(UnsupportedModeError, match="NRS_NOPE"):
        assign_wcs(make_exposure(np.zeros((3, 4)), attrs={"EXP_TYPE": "NRS_NOPE"}), {})
