"""NIRCam grism time series (NRC_TSGRISM, GRISMR): the WCS equal to jwst 3.0.0's; refusals."""

from __future__ import annotations

import numpy as np
import pytest
from wfss_helpers import REAL_SPECWCS, jwst_tsgrism_cube, nrc_attrs

from spec2x.datamodel import make_exposure
from spec2x.errors import InputFileError, MissingReferenceError
from spec2x.instruments.nircam.tsgrism_wcs import tsgrism_wcs
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.wcs.store import get_wcs

SHAPE = (64, 2048)
#: SUBGRISM64: the last 64 rows; the source at jwst's reference point (1-based).
SUBARRAY = dict(SUBARRAY="SUBGRISM64", SUBSTRT1=1, SUBSTRT2=1985, XREF_SCI=1068.0, YREF_SCI=34.0)


def _attrs(**extra):
    return nrc_attrs(EXP_TYPE="NRC_TSGRISM", FILTER="F322W2", **{**SUBARRAY, **extra})


def _refs(wfss, real):
    refs = {k: v for k, v in wfss("GRISMR")["refs"].items() if k != "wavelengthrange"}
    if real:
        if not REAL_SPECWCS["GRISMR"].is_file():  # pragma: no cover - no shared/
            pytest.skip("real NIRCam specwcs not found")
        refs["specwcs"] = REAL_SPECWCS["GRISMR"]
    return refs


def _jwst(attrs, refs):
    from gwcs import wcs as gwcs_wcs
    from jwst.assign_wcs import nircam

    model = jwst_tsgrism_cube(attrs, SHAPE)
    return gwcs_wcs.WCS(nircam.tsgrism(model, {k: str(v) for k, v in refs.items()}))


@pytest.mark.parity
@pytest.mark.parametrize("real", [False, True], ids=["synthetic", "real_specwcs"])
def test_same_wcs_as_jwst(wfss, real):
    pytest.importorskip("jwst")
    refs = _refs(wfss, real)
    ours = tsgrism_wcs(_attrs(), refs, shape=SHAPE)
    theirs = _jwst(_attrs(), refs)
    assert ours.available_frames == theirs.available_frames
    y, x = np.mgrid[0:64:7, 0:2048:97].astype(np.float64)
    mine = ours(x, y, 1)
    for a, b in zip(mine, theirs(x, y, 1), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)
    ra, dec, lam, _ = mine
    back = ours.backward_transform(ra, dec, lam, 1)
    for a, b in zip(back, theirs.backward_transform(ra, dec, lam, 1), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)
    np.testing.assert_allclose(back[0], x, atol=1e-6)  # along the trace, back on the column


def test_assign_wcs_on_a_time_series(wfss):
    refs = _refs(wfss, real=False)
    ds = make_exposure(np.zeros((2, *SHAPE), np.float32), attrs=_attrs(), ystart=1985)
    out = assign_wcs(ds, refs)
    assert out.attrs["DISPAXIS"] == 1
    assert out.attrs["S_WCS"] == "COMPLETE"
    lam = get_wcs(out)(1000.0, 33.0, 1)[2]
    assert 2.4 < lam < 5.0


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"MODULE": "B"}, InputFileError, r"only calibrated for MODULE=A"),
        ({"SUBARRAY": "SUB41S1_2-SPECTRA"}, None, None),
        ({"SUBARRAY": "SUBGRISMDHS"}, MissingReferenceError, r"SUBARRAY='SUBGRISMDHS' is an"),
        ({"PUPIL": "GRISMC"}, InputFileError, r"PUPIL='GRISMC'; NRC_TSGRISM uses GRISMR"),
        ({"XREF_SCI": None}, InputFileError, r"lacks the XREF_SCI keyword"),
    ],
)
def test_refusals_are_one_clear_error(wfss, change, error, message):
    refs = _refs(wfss, real=False)
    attrs = {k: v for k, v in _attrs(**change).items() if v is not None}
    if error is None:
        tsgrism_wcs(attrs, refs, shape=SHAPE)  # another subarray name is fine
        return
    with pytest.raises(error, match=message):
        tsgrism_wcs(attrs, refs, shape=SHAPE)
