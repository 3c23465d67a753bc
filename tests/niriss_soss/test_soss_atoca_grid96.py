"""ATOCA's joint wavelength grid on SUBSTRIP96 against jwst 3.0.0's (the grid sets ATOCA's cost)."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.instruments.niriss import soss_atoca_fits
from spec2x.instruments.niriss.soss_atoca import extract_atoca
from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.niriss_soss_refs import write_soss_references


@pytest.mark.parity
@pytest.mark.slow
def test_substrip96_joint_grid_from_jwsts_estimate_is_jwsts(tmp_path, monkeypatch):
    """jwst's ``Extract1dStep`` (ATOCA, ``soss_tikfac=1e-11``) on a 2-integration
    SUBSTRIP96 exposure with a SUBSTRIP96 ``specprofile``: given jwst's flux
    estimate, spec2x builds jwst's joint grid node for node (2695 nodes here).

    The estimates agree to ~4e-8 (relative) from 0.87 µm on; blue of it, where
    the order 1 estimate is ill conditioned (docs/parity.md, ATOCA), they differ
    up to 2.5x, and spec2x's own grid has 2522 nodes.
    """
    pytest.importorskip("jwst")
    from jwst.extract_1d import Extract1dStep
    from jwst.extract_1d.soss_extract import soss_extract as jwst_soss
    from jwst_offline import run_jwst_step

    from spec2x.io.fits import write_fits

    refs = write_soss_references(tmp_path / "refs", "SUBSTRIP96")
    ds = make_soss_rateints(nints=2, subarray="SUBSTRIP96")
    path = write_fits(ds, tmp_path / "soss96_rateints.fits")
    theirs: dict = {}
    make_grid = jwst_soss.Integration.make_decontamination_grid

    def capture(self, estimate, **kwargs):
        theirs["estimate"] = estimate
        theirs["grid"] = make_grid(self, estimate, **kwargs)
        return theirs["grid"]

    monkeypatch.setattr(jwst_soss.Integration, "make_decontamination_grid", capture)
    jwst_refs = {k: refs[k] for k in ("pastasoss", "specprofile", "speckernel")}
    run_jwst_step(
        Extract1dStep, str(path), jwst_refs, rest="N/A", tmp_path=tmp_path, soss_atoca=True,
        soss_tikfac=1e-11,
    )  # fmt: skip
    ours: dict = {}
    own_estimate = soss_atoca_fits._estimate
    build = soss_atoca_fits.decontamination_grid

    def keep_estimate(setup):
        ours["estimate"] = own_estimate(setup)
        return theirs["estimate"]

    def keep_grid(*args, **kwargs):
        ours["grid"] = build(*args, **kwargs)
        return ours["grid"]

    monkeypatch.setattr(soss_atoca_fits, "_estimate", keep_estimate)
    monkeypatch.setattr(soss_atoca_fits, "decontamination_grid", keep_grid)
    extract_atoca(ds, refs, soss_tikfac=1e-11)
    assert ours["grid"].size == theirs["grid"].size
    np.testing.assert_allclose(ours["grid"], theirs["grid"], rtol=1e-12)
    wave = np.linspace(0.87, 2.8, 500)
    np.testing.assert_allclose(ours["estimate"](wave), theirs["estimate"](wave), rtol=1e-6)
