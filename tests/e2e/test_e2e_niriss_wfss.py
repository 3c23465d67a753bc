"""NIRISS WFSS (NIS_WFSS), whole chain with the background template: spec2x against jwst.

The synthetic GR150R / F200W exposure (60 catalogue sources, point-source
spectra dispersed in orders 0 and 1 on a sky of 1.7 x the ``bkg``
template; :func:`spec2x.synthetic.wfss_bkg_refs.write_wfss_bkg_exposure`)
with its synthetic references (grism WCS, wavelengthrange, ``bkg``, a
full-frame flat, an NisWfssPhotomModel) runs through spec2x and jwst's
Spec2Pipeline offline: bkg_subtract (its scale), every cut-out of the
``_cal`` and every spectrum of the ``_x1d`` must agree.

Measured (2026-12-06): the scale is equal, every cut-out identical to
jwst's (pixels, variances, float32 wavelengths) and the spectra equal to
2.3e-16: the centroids come from one scalar WCS call per source and the
wavelengths from one dispersion-model call per cut-out, as jwst's (the
NIRISS models take the first pixel's source position for all).  Checked to
1e-6 (cal and x1d).
"""

from __future__ import annotations

import numpy as np
import pytest
from e2e_wfss import compare_wfss_chain_with_jwst, run_wfss_chain

from spec2x.slits import iter_slits
from spec2x.synthetic.niriss_wfss_cal_refs import write_niriss_wfss_flat, write_niriss_wfss_photom
from spec2x.synthetic.niriss_wfss_refs import write_niriss_wfss_references
from spec2x.synthetic.wfss_bkg_refs import write_wfss_bkg_exposure

_NA = ("extract1d", "apcorr", "area")
_SCALE = 1.7


@pytest.fixture(scope="module")
def nis_wfss(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nis_wfss")
    refs = write_niriss_wfss_references(folder)
    files = write_wfss_bkg_exposure(folder, refs, instrument="NIRISS", scale=_SCALE, seed=4)
    refs["bkg"] = files["bkg"]
    cal = {"photom": write_niriss_wfss_photom, "flat": write_niriss_wfss_flat}
    given, products = run_wfss_chain(files["rate"], refs, _NA, cal)
    return files, given, products


def test_background_scaled_and_one_spectrum_per_cutout(nis_wfss):
    _, _, ours = nis_wfss
    cutouts = list(iter_slits(ours["cal"]))
    attrs = cutouts[0].attrs
    assert attrs["S_BKDSUB"] == "COMPLETE"
    assert attrs["BKGD_SCL"] == pytest.approx(_SCALE, rel=5e-3)
    # order 0 is a direct image: cut out, not extracted (as jwst)
    dispersed = [c for c in cutouts if int(c["spectral_order"].values[0]) != 0]
    assert len(dispersed) == ours["x1d"].sizes["slit"] > 20
    assert len(dispersed) < len(cutouts)
    assert set(np.unique(ours["x1d"]["spectral_order"].values)) == {1}


@pytest.mark.parity
@pytest.mark.slow
def test_whole_chain_matches_jwst(nis_wfss, tmp_path):
    pytest.importorskip("jwst")
    from stdatamodels.jwst import datamodels

    files, refs, ours = nis_wfss
    checks = ({"wavelength": "WAVELENGTH", "flux": "FLUX", "surf_bright": "SURF_BRIGHT"}, 1e-6, 0.0)
    jwst_files = compare_wfss_chain_with_jwst(
        files["rate"], refs, ours, tmp_path, cal_rtol=1e-6, x1d_checks=(checks,)
    )
    with datamodels.open(jwst_files["cal"]) as model:
        assert model.meta.cal_step.bkg_subtract == "COMPLETE"
        scale = next(iter_slits(ours["cal"])).attrs["BKGD_SCL"]
        assert scale == pytest.approx(model.meta.background.scaling_factor, rel=1e-10)
