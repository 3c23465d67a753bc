"""assign_wcs -> flat_field -> photom on a synthetic MIRI LRS slitless TSO, against jwst's steps.

The pixel wavelengths come from spec2x's assign_wcs (coord ``wavelength``)
and, on the jwst side, from the gwcs jwst's AssignWcsStep attaches; the
flat, photom and area files are the synthetic ones of the MIRI LRS helper.
"""

from __future__ import annotations

import numpy as np
import pytest

from spec2x import open_reference
from spec2x.dq import DQ
from spec2x.io.fits import open_exposure
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.steps.flat_field import flat_field
from spec2x.steps.photom import photom
from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso

pytestmark = pytest.mark.parity


def test_lrs_slitless_chain_matches_jwst(tmp_path):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst.flatfield import FlatFieldStep
    from jwst.photom import PhotomStep
    from jwst_offline import run_jwst_step

    obs = make_lrs_slitless_tso(tmp_path / "tso", seed=3, nints=3)
    refs = obs.references
    ds = open_exposure(obs.exposures[0])
    wcs_refs = {"distortion": refs["distortion"], "specwcs": refs["specwcs"]}
    cal = (
        assign_wcs(ds, {k: open_reference(v) for k, v in wcs_refs.items()})
        .pipe(flat_field, open_reference(refs["flat"]))
        .pipe(photom, open_reference(refs["photom"]), area=open_reference(refs["area"]))
    )

    model = run_jwst_step(
        AssignWcsStep,
        str(obs.exposures[0]),
        {k: str(v) for k, v in wcs_refs.items()},
        rest="N/A",
        tmp_path=tmp_path,
    )
    model = run_jwst_step(
        FlatFieldStep, model, {"flat": str(refs["flat"])}, rest="N/A", tmp_path=tmp_path
    )
    model = run_jwst_step(
        PhotomStep,
        model,
        {"photom": str(refs["photom"]), "area": str(refs["area"])},
        tmp_path=tmp_path,
    )
    for ours, theirs in (
        ("sci", "data"),
        ("err", "err"),
        ("var_poisson", "var_poisson"),
        ("var_rnoise", "var_rnoise"),
        ("var_flat", "var_flat"),
        ("area", "area"),
    ):
        np.testing.assert_allclose(
            cal[ours].values,
            getattr(model, theirs),
            rtol=1e-5,
            atol=0,
            equal_nan=True,
            err_msg=ours,
        )
    np.testing.assert_array_equal(cal["dq"].values, model.dq)
    assert cal.attrs["PHOTMJSR"] == pytest.approx(model.meta.photometry.conversion_megajanskys)
    assert cal.attrs["PIXAR_SR"] == pytest.approx(model.meta.photometry.pixelarea_steradians)
    assert cal["sci"].attrs["units"] == model.meta.bunit_data == "MJy/sr"
    assert (cal.attrs["S_FLAT"], cal.attrs["S_PHOTOM"]) == ("COMPLETE", "COMPLETE")
    calibrated = (cal["dq"].values & DQ.DO_NOT_USE) == 0
    assert calibrated.mean() > 0.3  # the trace region is calibrated
