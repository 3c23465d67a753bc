"""NRC_TSGRISM extract_2d: the cut-out equal to jwst 3.0.0's Extract2dStep; refusals."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.errors import InputFileError, ParameterError, ReferenceMismatchError
from spec2x.instruments.nircam.tsgrism_extract import extract_tsgrism, tsgrism_order
from spec2x.io.fits import open_exposure
from spec2x.io.references import open_reference
from spec2x.slits import iter_slits
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.synthetic.nircam_tsgrism import make_nircam_tsgrism

_WCS = ("distortion", "filteroffset", "specwcs")


@pytest.fixture(scope="module")
def ts(tmp_path_factory):
    truth = make_nircam_tsgrism(2, nints=2, folder=tmp_path_factory.mktemp("tsg"), noise=False)
    refs = {k: str(v) for k, v in truth.refs.items()}
    exposure = assign_wcs(open_exposure(truth.rateints_path), {k: refs[k] for k in _WCS})
    return truth, refs, exposure


def _one(tree):
    (part,) = list(iter_slits(tree))
    return part.isel(slit=0)


@pytest.mark.parity
@pytest.mark.parametrize("height", [None, 50, 100])
def test_cutout_equals_jwst(ts, height, tmp_path):
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst.extract_2d import Extract2dStep
    from jwst_offline import run_jwst_step

    truth, refs, exposure = ts
    order = tsgrism_order(open_reference(refs["wavelengthrange"]), exposure.attrs, None)
    ours = _one(extract_tsgrism(exposure, order, height=height))
    wcs_refs = {k: refs[k] for k in _WCS}
    model = run_jwst_step(
        AssignWcsStep, str(truth.rateints_path), wcs_refs, rest="N/A", tmp_path=tmp_path,
        sip_approx=False,
    )  # fmt: skip
    theirs = run_jwst_step(
        Extract2dStep, model, {"wavelengthrange": refs["wavelengthrange"]}, rest="N/A",
        tmp_path=tmp_path, tsgrism_extract_height=height,
    )  # fmt: skip
    assert ours["sci"].shape == theirs.data.shape
    np.testing.assert_array_equal(ours["sci"].values, theirs.data)
    np.testing.assert_array_equal(ours["dq"].values, theirs.dq)
    np.testing.assert_array_equal(ours["wavelength"].values, theirs.wavelength)
    for ours_key, value in (("xstart", theirs.xstart), ("ystart", theirs.ystart),
                            ("xsize", theirs.xsize), ("ysize", theirs.ysize),
                            ("source_ypos", theirs.source_ypos)):  # fmt: skip
        assert ours[ours_key].item() == value, ours_key
    assert ours["source_xpos"].item() == pytest.approx(theirs.source_xpos, abs=1e-9)
    assert ours.attrs["SPORDER"] == theirs.meta.wcsinfo.spectral_order
    y, x = np.mgrid[0 : ours.sizes["y"] : 9, 0:2048:101].astype(float)
    from spec2x.wcs.store import get_wcs

    for a, b in zip(get_wcs(ours, slit="1")(x, y), theirs.meta.wcs(x, y), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)


def test_refusals(ts, tmp_path):
    _, refs, exposure = ts
    ranges = open_reference(refs["wavelengthrange"])
    with pytest.raises(ParameterError, match=r"extract_orders=\[1, 2\].*one order only"):
        tsgrism_order(ranges, exposure.attrs, [1, 2])
    with pytest.raises(ReferenceMismatchError, match="no extract_orders row for FILTER='F999W'"):
        tsgrism_order(ranges, {**exposure.attrs, "FILTER": "F999W"}, None)
    from spec2x.synthetic.nircam_wfss_refs import write_wavelengthrange

    wfss = open_reference(write_wavelengthrange(tmp_path / "wfss_range.asdf"))
    with pytest.raises(ReferenceMismatchError, match="is not for NRC_TSGRISM"):
        tsgrism_order(wfss, exposure.attrs, None)
    no_offset = exposure.copy()
    no_offset.attrs = {k: v for k, v in exposure.attrs.items() if k != "XOFFSET"}
    with pytest.raises(InputFileError, match="needs XOFFSET"):
        extract_tsgrism(no_offset, 1)
    with pytest.raises(ParameterError, match="tsgrism_extract_height=0"):
        extract_tsgrism(exposure, 1, height=0)


def test_dask_input_stays_lazy_gives_the_numpy_cutout_and_is_untouched(ts):
    from helpers import raise_if_dask_computes

    truth, refs, exposure = ts
    order = tsgrism_order(open_reference(refs["wavelengthrange"]), exposure.attrs, None)
    before = exposure.copy(deep=True)
    eager = _one(extract_tsgrism(exposure, order))
    chunked = exposure.chunk({"integration": 1})
    with raise_if_dask_computes():
        lazy = _one(extract_tsgrism(chunked, order))
    assert lazy["sci"].chunks is not None
    assert lazy.attrs["S_EXTR2D"] == "COMPLETE"
    for name in ("sci", "err", "dq"):
        np.testing.assert_array_equal(lazy[name].values, eager[name].values)
    assert exposure.identical(before)
