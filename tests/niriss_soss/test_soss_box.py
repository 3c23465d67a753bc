"""SOSS box extraction per order: jwst's extract_1d without ATOCA, and the injected spectrum."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.dq import DQ
from spec2x.errors import InputFileError, ReferenceMismatchError
from spec2x.instruments.niriss.soss_box import box_weights, soss_box_extract
from spec2x.instruments.niriss.soss_infill import _median_finite
from spec2x.synthetic.niriss_soss import default_spectrum, make_soss_rateints
from spec2x.synthetic.niriss_soss_refs import pastasoss_content


def test_box_weights_by_hand():
    # a 3-row box centred on row 2.25: rows 1 (0.75 inside), 2, 3 (whole), 4 (0.25)
    w = box_weights(np.array([2.25]), 3.0, 6, np.array([5]))
    np.testing.assert_allclose(w[:, 5], [0, 0.75, 1, 1, 0.25, 0])
    assert w[:, :5].sum() == 0


def _with_bad_pixels(ds):
    """A few NaNs in one integration, pixels DO_NOT_USE in all, a zero error, on the traces."""
    sci, err, dq = ds["sci"].values.copy(), ds["err"].values.copy(), ds["dq"].values.copy()
    sci[1, 60:64, 700:703] = np.nan
    dq[:, 50:52, 1200] |= np.uint32(DQ.DO_NOT_USE)
    sci[:, 50:52, 1200] = np.nan
    err[0, 90, 400] = 0.0
    return ds.assign(sci=(ds["sci"].dims, sci), err=(ds["err"].dims, err), dq=(ds["dq"].dims, dq))


@pytest.mark.parity
@pytest.mark.parametrize("subarray", ["SUBSTRIP256", "SUBSTRIP96"])
def test_box_spectra_as_jwst(tmp_path, soss_refs, subarray):
    """jwst's Extract1dStep (soss_atoca=False): every order and integration to 1e-4 (measured 1e-11)."""
    pytest.importorskip("jwst")
    from jwst.extract_1d import Extract1dStep
    from jwst_offline import run_jwst_step

    from spec2x.io.fits import write_fits

    ds = _with_bad_pixels(make_soss_rateints(nints=3, subarray=subarray))
    path = write_fits(ds, tmp_path / "soss_rateints.fits")
    refs = {k: soss_refs[k] for k in ("pastasoss", "specprofile", "speckernel")}
    if subarray == "SUBSTRIP96":
        from spec2x.synthetic.niriss_soss_refs import write_specprofile

        refs["specprofile"] = write_specprofile(tmp_path / "profile96.fits", subarray)
    result = run_jwst_step(
        Extract1dStep, str(path), refs, rest="N/A", tmp_path=tmp_path, soss_atoca=False
    )
    ours = soss_box_extract(ds, soss_refs["pastasoss"])
    assert [s.spectral_order for s in result.spec] == list(ours["order"].values)
    for spec in result.spec:
        table, order = spec.spec_table, spec.spectral_order
        n = len(table["WAVELENGTH"][0])
        mine = ours.sel(order=order).isel(column=slice(0, n))
        np.testing.assert_allclose(mine["wavelength"].values, table["WAVELENGTH"][0], rtol=1e-9)
        for ours_name, theirs in (("flux", "FLUX"), ("flux_error", "FLUX_ERROR")):
            np.testing.assert_allclose(
                mine[ours_name].values, table[theirs], rtol=1e-4, atol=0, equal_nan=True
            )
        np.testing.assert_allclose(mine["npixels"].values, table["NPIXELS"], rtol=1e-9)
        assert np.isnan(ours.sel(order=order)["flux"].values[:, n:]).all()


def test_injected_spectrum_is_recovered():
    """Order 1, away from order 2: the 40-row box holds 99.9 % of the σ = 6 profile."""
    ds = make_soss_rateints(nints=2, background=0.0, noise=1e-4)
    out = soss_box_extract(ds, pastasoss_content())
    ref = pastasoss_content().orders[1]
    wave = out["wavelength"].sel(order=1).values
    truth = default_spectrum(wave) * np.interp(wave, ref.throughput_wavelength, ref.throughput)
    cols = slice(900, 1900)  # order 2 lies 50+ rows away there (17 at column 0: overlap)
    ratio = out["flux"].sel(order=1).values[:, cols] / truth[cols]
    np.testing.assert_allclose(ratio, 0.99911, rtol=2e-4)


def test_input_unchanged_and_layout(soss_rateints):
    before = soss_rateints.copy(deep=True)
    out = soss_box_extract(soss_rateints, pastasoss_content())
    assert soss_rateints.identical(before)
    assert out["flux"].dims == ("order", "integration", "column")
    assert list(out["order"].values) == [1, 2, 3]
    assert out["flux"].attrs["units"] == "DN/s"
    assert out["wavelength"].attrs["units"] == "um"
    assert (
        int(np.isfinite(out["wavelength"].sel(order=2)).sum())
        == pastasoss_content().orders[2].cutoff
    )


def test_substrip96_has_orders_1_and_2(soss_refs):
    out = soss_box_extract(
        make_soss_rateints(nints=1, subarray="SUBSTRIP96"), soss_refs["pastasoss"]
    )
    assert list(out["order"].values) == [1, 2]


def test_bad_input_is_one_clear_error(soss_rateints, soss_refs):
    with pytest.raises(InputFileError, match="SUBARRAY='FULL'"):
        soss_box_extract(make_soss_rateints(nints=1, subarray="FULL"), soss_refs["pastasoss"])
    with pytest.raises(ReferenceMismatchError, match="outside"):
        soss_box_extract(soss_rateints.assign_attrs(PWCPOS=247.0), soss_refs["pastasoss"])
    with pytest.raises(ReferenceMismatchError, match="REFTYPE='SPECKERNEL'"):
        soss_box_extract(soss_rateints, soss_refs["speckernel"])


@pytest.mark.parametrize("nints", [1, 2, 5, 60])
def test_median_over_integrations_is_numpys(nints):
    """The partition median of the infill is ``np.median`` bit for bit (ties, float32/64)."""
    gen = np.random.default_rng(nints)
    for dtype in (np.float32, np.float64):
        cube = gen.normal(size=(nints, 4, 9)).astype(dtype)
        cube[:, 0] = 1.5
        got = _median_finite(cube)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.median(cube, axis=0))
