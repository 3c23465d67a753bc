"""SOSS traces and wavelength maps: jwst's PASTASOSS model, and the real in-flight geometry."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import REALDATA

from spec2x.errors import InputFileError, ReferenceMismatchError
from spec2x.instruments.niriss.soss_traces import soss_trace, soss_wavemaps, wavecal_polynomial
from spec2x.io.references import open_reference
from spec2x.synthetic.niriss_soss_refs import PWCPOS_CMD, pastasoss_content

REAL = REALDATA / "niriss"
#: Tolerances of the synthetic references against the real spectrace/wavemap
#: (SUBSTRIP96, commanded pupil-wheel position): measured 0.031 px and 0.20 px.
TRACE_TOL_PX = 0.05
WAVE_TOL_PX = 0.25


def test_wavecal_polynomial_coefficient_order():
    # C00 + C10 x + C01 y + C20 x^2 + C11 x y + C02 y^2
    c = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    x, y = np.array([0.5, 2.0]), np.array([-1.0, 3.0])
    expect = 1 + 2 * x + 3 * y + 4 * x**2 + 5 * x * y + 6 * y**2
    np.testing.assert_allclose(wavecal_polynomial(c, x, y), expect, rtol=1e-15)


def test_bad_coefficient_count_is_one_clear_error():
    with pytest.raises(ReferenceMismatchError, match="not a full 2-D polynomial"):
        wavecal_polynomial(np.ones(5), np.zeros(2), np.zeros(2))


@pytest.mark.parity
@pytest.mark.parametrize(
    ("subarray", "pwcpos"), [("SUBSTRIP256", 245.55), ("SUBSTRIP96", PWCPOS_CMD), ("FULL", 245.97)]
)
def test_wavemaps_and_traces_as_jwst(soss_refs, subarray, pwcpos):
    pytest.importorskip("jwst")
    from jwst.extract_1d.soss_extract.pastasoss import get_soss_traces, get_soss_wavemaps
    from stdatamodels.jwst.datamodels import PastasossModel

    model = PastasossModel(str(soss_refs["pastasoss"]))
    ours = open_reference(soss_refs["pastasoss"]).content
    maps_j, traces_j = get_soss_wavemaps(pwcpos, subarray, refmodel=model, spectraces=True)
    maps, traces = soss_wavemaps(ours, pwcpos, subarray)
    assert maps.shape == maps_j.shape
    np.testing.assert_array_equal(np.isnan(maps), np.isnan(maps_j))
    np.testing.assert_allclose(maps, maps_j, rtol=0, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(traces, traces_j, rtol=0, atol=1e-6)
    for order in (1, 2, 3):
        _, xj, yj, wj = get_soss_traces(pwcpos, order, subarray, refmodel=model)
        x, y, w = soss_trace(ours, order, pwcpos, subarray)
        np.testing.assert_array_equal(x, xj)
        np.testing.assert_allclose(y, yj, rtol=0, atol=1e-9)
        np.testing.assert_allclose(w, wj, rtol=0, atol=1e-9)


def _real_order(order):
    from astropy.io import fits

    with fits.open(REAL / "jwst_niriss_spectrace_0022.fits") as hdul:
        data = hdul["ORDER", order].data
        x, y, w = (np.asarray(data[c], float) for c in ("X", "Y", "WAVELENGTH"))
    sort = np.argsort(x)
    return x[sort], y[sort], w[sort]


@pytest.mark.parametrize("order", [1, 2, 3])
def test_synthetic_trace_matches_the_real_spectrace(order):
    """At the commanded position the synthetic trace is the in-flight one (SUBSTRIP96)."""
    xr, yr, wr = _real_order(order)
    x, y, w = soss_trace(pastasoss_content(), order, PWCPOS_CMD, "SUBSTRIP96")
    assert x.size > 400
    dispersion = np.abs(np.gradient(np.interp(x, xr, wr)))
    assert np.abs(y - np.interp(x, xr, yr)).max() < TRACE_TOL_PX
    assert (np.abs(w - np.interp(x, xr, wr)) / dispersion).max() < WAVE_TOL_PX


@pytest.mark.parametrize("order", [1, 2, 3])
def test_synthetic_wavemap_matches_the_real_wavemap(order):
    from astropy.io import fits

    with fits.open(REAL / "jwst_niriss_wavemap_0020.fits") as hdul:
        hdu = hdul["ORDER", order]
        pad = hdu.header["PADDING"]
        real = np.asarray(hdu.data, float)[pad:-pad, pad:-pad]
    maps, _ = soss_wavemaps(pastasoss_content(), PWCPOS_CMD, "SUBSTRIP96", (order,))
    dispersion = np.abs(np.gradient(real, axis=1))
    both = np.isfinite(real) & np.isfinite(maps[0]) & np.isfinite(dispersion)
    # NaN beyond the trace's ends in both, but for at most one column at an end
    assert np.sum(np.isfinite(real).any(axis=0) != np.isfinite(maps[0]).any(axis=0)) <= 1
    assert (np.abs(maps[0] - real)[both] / dispersion[both]).max() < WAVE_TOL_PX


def test_trace_follows_the_pupil_wheel():
    """A turn of the wheel moves the trace (rows) and the column wavelengths."""
    ref = pastasoss_content()
    x0, y0, w0 = soss_trace(ref, 1, PWCPOS_CMD)
    x1, y1, w1 = soss_trace(ref, 1, PWCPOS_CMD + 0.2)
    common = np.intersect1d(x0, x1)
    shift = np.interp(common, x1, y1) - np.interp(common, x0, y0)
    assert np.abs(shift).max() > 1.0
    assert np.abs(np.interp(common, x1, w1) - np.interp(common, x0, w0)).max() > 1e-4


def test_pupil_wheel_outside_the_reference_is_one_clear_error():
    with pytest.raises(ReferenceMismatchError, match=r"PWCPOS=246\.5, outside"):
        soss_wavemaps(pastasoss_content(), 246.5)
    with pytest.raises(InputFileError, match="PWCPOS=None"):
        soss_trace(pastasoss_content(), 1, None)  # type: ignore[arg-type]


def test_unknown_subarray_and_order_are_clear_errors():
    with pytest.raises(InputFileError, match="SUBARRAY='SUB64' is not a SOSS subarray"):
        soss_wavemaps(pastasoss_content(), PWCPOS_CMD, "SUB64")
    with pytest.raises(ReferenceMismatchError, match="not order 4"):
        soss_trace(pastasoss_content(), 4, PWCPOS_CMD)


@pytest.mark.parametrize(
    ("subarray", "rows"), [("SUBSTRIP256", 256), ("SUBSTRIP96", 96), ("FULL", 2048)]
)
def test_map_shape_per_subarray(subarray, rows):
    maps, traces = soss_wavemaps(pastasoss_content(), PWCPOS_CMD, subarray, (1, 2))
    assert maps.shape == (2, rows, 2048)
    assert traces.shape == (2, 3, 5001)
    # no tilt: every row holds the same wavelengths
    np.testing.assert_array_equal(maps[:, 0], maps[:, -1])
