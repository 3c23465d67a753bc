"""photom on WFSS cut-outs: the per-order response over the dispersion, against jwst 3.0.0.

jwst's PhotomStep on its Extract2dStep cut-outs of the synthetic NIRCam
GRISMR exposure, with the synthetic ``NrcWfssPhotomModel``; spec2x's photom
on its own extract_2d cut-outs must agree to 1e-5 (float32 data), with the
same uncalibrated pixels.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from jwst_offline import run_jwst_step

from spec2x.io.fits import open_product
from spec2x.io.references import open_reference
from spec2x.io.source_catalog import read_source_catalog
from spec2x.slits import iter_slits, map_groups
from spec2x.steps._extract_2d_grism import extract_grism
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.steps.photom import photom
from spec2x.synthetic.nircam_wfss_cal_refs import PHOTMJSR, write_nircam_wfss_photom

_WCS_TYPES = ("distortion", "filteroffset", "specwcs")


@pytest.fixture(scope="module")
def cutouts(wfss, tmp_path_factory):
    files = wfss("GRISMR")
    refs = {k: str(files["refs"][k]) for k in _WCS_TYPES}
    ours = assign_wcs(open_product(files["rate"]), refs)
    ids = [int(i) for i in files["scene"].label[::4]]
    ranges = open_reference(files["refs"]["wavelengthrange"]).content
    tree = extract_grism(ours, read_source_catalog(files["catalog"]), ranges, source_ids=ids)
    response = write_nircam_wfss_photom(tmp_path_factory.mktemp("phot") / "photom.fits")
    return files, refs, ids, tree, response


def test_photom_per_order_and_per_micron(cutouts):
    *_, tree, response = cutouts
    out = map_groups(photom, tree, open_reference(response))
    for before, after in zip(iter_slits(tree), iter_slits(out), strict=True):
        assert float(after["photmjsr"][0]) == PHOTMJSR[int(before["spectral_order"][0])]
        assert after["sci"].attrs["units"] == "MJy/sr"
        ratio = (after["sci"] / before["sci"]).values[0]
        lam = before["wavelength"].values[0]
        good = np.isfinite(ratio) & np.isfinite(lam)
        assert good.mean() > 0.5
        # the response per µm over |dλ/dx| µm per pixel: ~ PHOTMJSR / 1e-3 for NIRCam's grisms
        assert np.nanmedian(ratio[good]) > 1e4


@pytest.mark.parity
def test_photom_equals_jwst(cutouts, tmp_path):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst.extract_2d import Extract2dStep
    from jwst.photom import PhotomStep

    files, refs, ids, tree, response = cutouts
    with contextlib.chdir(files["rate"].parent):
        model = run_jwst_step(
            AssignWcsStep, str(files["rate"]), refs, rest="N/A", tmp_path=tmp_path, sip_approx=False
        )
        model = run_jwst_step(
            Extract2dStep,
            model,
            {"wavelengthrange": str(files["refs"]["wavelengthrange"])},
            tmp_path=tmp_path,
            source_ids=ids,
        )
    want = run_jwst_step(
        PhotomStep, model, {"photom": str(response)}, rest="N/A", tmp_path=tmp_path
    ).slits
    got = list(iter_slits(map_groups(photom, tree, open_reference(response))))
    assert len(got) == len(want) > 10
    for s, j in zip(got, want, strict=True):
        np.testing.assert_allclose(s["sci"].values[0], j.data, rtol=1e-5, atol=0, equal_nan=True)
        np.testing.assert_allclose(s["err"].values[0], j.err, rtol=1e-5, atol=0, equal_nan=True)
        np.testing.assert_array_equal(s["dq"].values[0], j.dq)
        assert float(s["photmjsr"][0]) == pytest.approx(j.meta.photometry.conversion_megajanskys)
