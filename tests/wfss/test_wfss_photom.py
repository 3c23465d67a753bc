"""photom on WFSS cut-outs: the per-order response over the dispersion, against jwst 3.0.0.

jwst's PhotomStep on its Extract2dStep cut-outs of the synthetic NIRCam
GRISMR exposure, with the synthetic ``NrcWfssPhotomModel``; spec2x's photom
on its own extract_2d cut-outs must agree to 1e-5 (float32 data), with the
same uncalibrated pixels.
"""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.io.references import open_reference
from spec2x.slits import iter_slits, map_groups
from spec2x.steps.photom import photom
from spec2x.synthetic.nircam_wfss_cal_refs import PHOTMJSR


def test_photom_per_order_and_per_micron(grismr_cutouts):
    tree = grismr_cutouts["cutouts"]
    out = map_groups(photom, tree, open_reference(grismr_cutouts["photom"]))
    for before, after in zip(iter_slits(tree), iter_slits(out), strict=True):
        assert float(after["photmjsr"][0]) == PHOTMJSR[int(before["spectral_order"][0])]
        assert after["sci"].attrs["units"] == "MJy/sr"
        ratio = (after["sci"] / before["sci"]).values[0]
        good = np.isfinite(ratio) & np.isfinite(before["wavelength"].values[0])
        assert good.mean() > 0.5
        # the response per µm over |dλ/dx| µm per pixel: ~ PHOTMJSR / 1e-3 for NIRCam's grisms
        assert np.nanmedian(ratio[good]) > 1e4


@pytest.mark.parity
def test_photom_equals_jwst(grismr_cutouts, jwst_grismr):
    tree = grismr_cutouts["cutouts"]
    want = jwst_grismr["photom"].slits
    got = list(iter_slits(map_groups(photom, tree, open_reference(grismr_cutouts["photom"]))))
    assert len(got) == len(want) > 10
    for s, j in zip(got, want, strict=True):
        np.testing.assert_allclose(s["sci"].values[0], j.data, rtol=1e-5, atol=0, equal_nan=True)
        np.testing.assert_allclose(s["err"].values[0], j.err, rtol=1e-5, atol=0, equal_nan=True)
        np.testing.assert_array_equal(s["dq"].values[0], j.dq)
        assert float(s["photmjsr"][0]) == pytest.approx(j.meta.photometry.conversion_megajanskys)
