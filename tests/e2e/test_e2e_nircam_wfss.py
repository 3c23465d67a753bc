"""NIRCam WFSS (NRC_WFSS), whole chain: spec2x.spec2 against jwst's Spec2Pipeline.

The synthetic GRISMR exposure (100 catalogue sources, 77 on the detector)
with its synthetic references (grism WCS, wavelengthrange, a full-frame
flat, an NrcWfssPhotomModel; no background template: bkg_subtract is
skipped by both) runs through both pipelines offline: every cut-out of the
``_cal`` and every spectrum of the ``_x1d`` (jwst 3.0.0 writes a
WFSSMultiSpecModel, one table per order, one row per source) must agree.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from e2e_helpers import max_rel

from spec2x.pipeline import spec2
from spec2x.registry import calibrated_exp_types
from spec2x.slits import iter_slits
from spec2x.synthetic.nircam_wfss_cal_refs import write_nircam_wfss_flat, write_nircam_wfss_photom
from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references
from spec2x.synthetic.wfss import write_wfss_exposure

_NA = ("bkg", "extract1d", "apcorr", "area")


@pytest.fixture(scope="module")
def nrc_wfss(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nrc_wfss")
    refs = write_nircam_wfss_references(folder)
    files = write_wfss_exposure(folder, refs)
    refs["photom"] = write_nircam_wfss_photom(folder / "photom.fits")
    refs["flat"] = write_nircam_wfss_flat(folder / "flat.fits")
    given = {**{k: str(v) for k, v in refs.items()}, **dict.fromkeys(_NA, "N/A")}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)  # SCATFILE names the catalogue beside the exposure
        products = spec2(str(files["rate"]), given)
    return files, given, products


def test_products_one_spectrum_per_cutout(nrc_wfss):
    _, _, ours = nrc_wfss
    assert "NRC_WFSS" in calibrated_exp_types()
    assert sorted(ours) == ["cal", "x1d"]
    cutouts = list(iter_slits(ours["cal"]))
    assert len(cutouts) == ours["x1d"].sizes["slit"] > 50
    assert all(c.attrs["S_FLAT"] == "COMPLETE" for c in cutouts[:1])
    flux = ours["x1d"]["flux"].values
    assert np.isfinite(flux).any(axis=1).all()


@pytest.mark.parity
@pytest.mark.slow
def test_whole_chain_matches_jwst(nrc_wfss, tmp_path, monkeypatch):
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels
    from wfss.wfss_helpers import compare_wfss_x1d

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    files, refs, ours = nrc_wfss
    monkeypatch.chdir(files["rate"].parent)
    steps = {"assign_wcs": {"sip_approx": False}}  # its fit would ask CRDS again
    run = run_jwst_spec2(files["rate"], refs, steps, output_dir=tmp_path)
    assert sorted(run.files) == ["cal", "x1d"]
    mine = [s.isel(slit=0) for s in iter_slits(ours["cal"])]
    with datamodels.open(run.files["cal"]) as model:
        assert len(model.slits) == len(mine)
        for s, j in zip(mine, model.slits, strict=True):
            assert int(s["source_id"]) == j.source_id
            for var, arr in (("sci", j.data), ("err", j.err), ("var_poisson", j.var_poisson),
                             ("var_rnoise", j.var_rnoise), ("var_flat", j.var_flat)):  # fmt: skip
                np.testing.assert_array_equal(np.isnan(s[var].values), np.isnan(arr), var)
                assert max_rel(s[var].values, arr) < 1e-5, var
            np.testing.assert_array_equal(s["dq"].values, j.dq)
            np.testing.assert_allclose(s["wavelength"].values, j.wavelength, atol=1e-6)
    x1d = ours["x1d"]
    with datamodels.open(run.files["x1d"]) as model:
        columns = {"wavelength": "WAVELENGTH", "flux": "FLUX", "surf_bright": "SURF_BRIGHT"}
        compared = compare_wfss_x1d(x1d, model.spec, columns, rtol=1e-4)
        assert compared == x1d.sizes["slit"]
