"""SOSS photom's throughput-loss (TIMECOEFF) correction, as jwst's PhotomStep computes it."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.instruments.niriss.soss_extract import soss_extract_1d
from spec2x.io.references import open_reference
from spec2x.steps.photom import photom
from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.niriss_soss_cal_refs import write_soss_photom

LOSS = {"t0": 59700.0, "lossperyear": [0.01, 0.02, 0.04]}  # a different loss per order
EXPMID = 60147.3  # 1.2 years after t0


@pytest.fixture(scope="module")
def spectra(soss_refs):
    ds = make_soss_rateints(nints=2)
    ds.attrs["EXPMID"] = EXPMID
    return soss_extract_1d(ds, {"pastasoss": soss_refs["pastasoss"]}, soss_atoca=False)


def test_each_order_divided_by_its_own_loss(spectra, tmp_path):
    path = write_soss_photom(tmp_path / "photom_time.fits", timecoeff_linear=LOSS)
    plain = photom(spectra, open_reference(path), apply_time_correction=False)
    timed = photom(spectra, open_reference(path))
    for i, loss in enumerate(LOSS["lossperyear"]):
        expected = 1.0 - np.float32(loss) * (EXPMID - LOSS["t0"]) / 365.0
        a, b = plain["flux"].isel(order=i).values, timed["flux"].isel(order=i).values
        ok = np.isfinite(a) & (a != 0)
        assert ok.sum() > 100
        np.testing.assert_allclose(a[ok] / b[ok], expected, rtol=1e-6)
    no_table = photom(spectra, open_reference(write_soss_photom(tmp_path / "photom.fits")))
    np.testing.assert_array_equal(no_table["flux"].values, plain["flux"].values)


@pytest.mark.parity
def test_correction_as_jwst(spectra, tmp_path):
    """jwst's own correction table (``time_dependence.get_correction_table``) on the file
    stdatamodels reads: the ratio of spec2x's spectra with and without it, order by order."""
    pytest.importorskip("jwst")
    from jwst.photom.time_dependence import get_correction_table
    from stdatamodels.jwst.datamodels import NisSossPhotomModel

    path = write_soss_photom(tmp_path / "photom_time.fits", timecoeff_linear=LOSS)
    with NisSossPhotomModel(str(path)) as model:
        theirs = get_correction_table(model, EXPMID)
        orders = list(model.phot_table["order"])
    plain = photom(spectra, open_reference(path), apply_time_correction=False)
    timed = photom(spectra, open_reference(path))
    for i, order in enumerate(spectra["spectral_order"].values):
        a, b = plain["flux"].isel(order=i).values, timed["flux"].isel(order=i).values
        ok = np.isfinite(a) & (a != 0)
        np.testing.assert_allclose(a[ok] / b[ok], theirs[orders.index(order)], rtol=1e-7)
