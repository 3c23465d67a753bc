"""MIRI MRS straylight, fringe, photom and flat_field on small hand-made inputs."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from astropy.io import fits
from helpers import assert_in_place_same, raise_if_dask_computes

from spec2x import make_exposure, open_reference
from spec2x.dq import DQ
from spec2x.errors import InputFileError, ReferenceMismatchError, UnsupportedModeError
from spec2x.instruments.miri import mrs_straylight
from spec2x.instruments.miri.mrs_cal_refs import MrsPhotom
from spec2x.instruments.miri.mrs_photom import mrs_time_correction, powerlaw_throughput
from spec2x.pipeline import chain_for
from spec2x.registry import STEPS, calibrated_exp_types
from spec2x.steps.flat_field import flat_field
from spec2x.steps.fringe import fringe
from spec2x.steps.photom import photom
from spec2x.steps.straylight import straylight
from spec2x.synthetic import miri_mrs_refs as syn
from spec2x.synthetic.pixel_refs import write_miri_photom

MRS = {"INSTRUME": "MIRI", "DETECTOR": "MIRIFUSHORT", "CHANNEL": "12", "BAND": "SHORT",
       "EXP_TYPE": "MIR_MRS", "EXPMID": 60096.51}  # fmt: skip


def _cutout(shape=(4, 6), *, xstart=500, ystart=300, seed=0, wavelength=7.0, **attrs):
    """A small piece of an MRS exposure (full-frame coords from ``xstart``, ``ystart``)."""
    gen = np.random.default_rng(seed)
    ds = make_exposure(
        gen.uniform(1.0, 2.0, shape).astype(np.float32),
        var_poisson=np.full(shape, 0.04, np.float32),
        var_rnoise=np.full(shape, 0.01, np.float32),
        attrs={**MRS, **attrs},
        xstart=xstart,
        ystart=ystart,
    )
    return ds.assign_coords(wavelength=(("y", "x"), np.full(shape, wavelength)))


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mrs_refs")
    return {
        "photom": open_reference(syn.write_mrs_photom(folder / "photom.fits", seed=1)),
        "fringe": open_reference(syn.write_mrs_fringe(folder / "fringe.fits")),
        "xart": open_reference(syn.write_mrsxartcorr(folder / "xart.fits")),
        "flat_long": open_reference(syn.write_mrs_flat(folder / "flat.fits", band="LONG")),
        "folder": folder,
    }


# --- photom ---------------------------------------------------------------------------------


def test_powerlaw_throughput_by_hand():
    table = {k: np.array([v], np.float32) for k, v in
             {"t0": 0.0, "tsoft": 0.0, "alpha": -1.0, "year1value": 0.9}.items()}  # fmt: skip
    # two years after t0: 0.9 * 365 / 730; before a year has passed it would exceed 1: capped
    assert powerlaw_throughput(730.0, table)[0] == pytest.approx(0.45, rel=1e-6)
    assert powerlaw_throughput(100.0, table)[0] == 1.0


def test_time_correction_by_side_and_column():
    table = {"binwave": np.array([5.0, 6.0], np.float32), "t0": np.zeros(2, np.float32),
             "tsoft": np.zeros(2, np.float32), "alpha": np.full(2, -1.0, np.float32),
             "year1value": np.array([0.9, 0.8], np.float32)}  # fmt: skip
    other = dict(table, year1value=np.array([0.6, 0.6], np.float32))
    wl = np.array([[5.5, 7.0, np.nan, 5.0, 5.0]])
    cols = np.array([0, 10, 20, 600, 1031])
    corr = mrs_time_correction(wl, cols, "MIRIFUSHORT", {"1": table, "2": other}, 730.0)
    # channel 1 (left): interpolated 0.425 at 5.5 µm, extrapolated to 0.35 at 7 µm; NaN -> 1;
    # channel 2 (right): 0.3; column 1031 is never corrected (jwst's range ends at 1030)
    np.testing.assert_allclose(corr, [[0.425, 0.35, 1.0, 0.3, 1.0]], rtol=1e-6)


def test_photom_multiplies_by_the_image_and_divides_by_the_loss(refs):
    ds = _cutout()
    content: MrsPhotom = refs["photom"].content
    out = photom(ds, refs["photom"])
    sens = content.sci[299:303, 499:505]  # 1-based corner (500, 300)
    corr = mrs_time_correction(np.full((4, 6), 7.0), np.arange(499, 505), "MIRIFUSHORT",
                               content.timecoeff, 60096.51)  # fmt: skip
    expected = ds["sci"].values * (sens.astype(np.float64) / corr)
    np.testing.assert_allclose(out["sci"].values, expected, rtol=1e-6)
    np.testing.assert_allclose(out["var_rnoise"].values, 0.01 * (sens / corr) ** 2, rtol=1e-5)
    assert (corr < 0.999).all()
    assert out["sci"].attrs["units"] == "MJy/sr"
    assert out.attrs["PHOTMJSR"] == pytest.approx(0.05)
    assert out.attrs["PIXAR_A2"] == pytest.approx(0.196**2)
    assert out.attrs["S_PHOTOM"] == "COMPLETE"
    assert out.attrs["R_PHOTOM"] == "photom.fits"
    assert "S_PHOTOM" not in ds.attrs  # input unchanged


def test_photom_flags_nan_conversion_and_ors_dq(refs):
    content = refs["photom"].content
    ys, xs = np.nonzero(np.isnan(content.sci))
    y, x = int(ys[0]), int(xs[0])
    ds = _cutout((3, 3), xstart=max(x, 1), ystart=max(y, 1))
    out = photom(ds, refs["photom"], apply_time_correction=False)
    iy, ix = y - (max(y, 1) - 1), x - (max(x, 1) - 1)
    assert np.isnan(out["sci"].values[iy, ix])
    assert out["dq"].values[iy, ix] & DQ.DO_NOT_USE


def test_photom_without_expmid_skips_the_time_correction(refs, caplog):
    ds = _cutout()
    ds.attrs.pop("EXPMID")
    with caplog.at_level(logging.WARNING):
        out = photom(ds, refs["photom"])
    plain = photom(_cutout(), refs["photom"], apply_time_correction=False)
    np.testing.assert_array_equal(out["sci"].values, plain["sci"].values)
    assert "EXPMID" in caplog.text


def test_photom_inverse_undoes_it(refs):
    ds = _cutout()
    there = photom(ds, refs["photom"], apply_time_correction=False)
    back = photom(there, refs["photom"], apply_time_correction=False, inverse=True)
    np.testing.assert_allclose(back["sci"].values, ds["sci"].values, rtol=1e-6)
    assert back["sci"].attrs["units"] == "DN/s"


def test_photom_reference_of_another_kind_or_band_is_one_clear_error(refs):
    with pytest.raises(ReferenceMismatchError, match=r"photom.fits has BAND='SHORT'.*'LONG'"):
        photom(_cutout(BAND="LONG"), refs["photom"])
    lrs = write_miri_photom(refs["folder"] / "lrs_photom.fits", wavelength_um=[5.0, 10.0],
                            relresponse=[1.0, 1.0], photmjsr=1.0)  # fmt: skip
    with pytest.raises(ReferenceMismatchError, match="not a MIRI MRS photom image"):
        photom(_cutout(), open_reference(lrs))


# --- fringe ---------------------------------------------------------------------------------


def test_fringe_divides_and_leaves_dq(refs):
    content = refs["fringe"].content
    ys, xs = np.nonzero(np.isnan(content.sci))
    y0, x0 = int(ys[0]), int(xs[0])
    ds = _cutout((3, 3), xstart=x0 + 1, ystart=y0 + 1)  # the NaN fringe pixel at [0, 0]
    out = fringe(ds, refs["fringe"])
    flat = np.where(np.isnan(content.sci), 1.0, content.sci)[y0 : y0 + 3, x0 : x0 + 3]
    np.testing.assert_allclose(out["sci"].values, ds["sci"].values / flat, rtol=1e-6)
    np.testing.assert_allclose(out["var_poisson"].values, 0.04 / flat**2, rtol=1e-6)
    assert out["sci"].values[0, 0] == ds["sci"].values[0, 0]
    np.testing.assert_array_equal(out["dq"].values, ds["dq"].values)
    assert out.attrs["S_FRINGE"] == "COMPLETE"
    assert out.attrs["R_FRINGE"] == "fringe.fits"


def test_fringe_owning_its_input_writes_the_same_numbers_into_it(refs):
    from spec2x.io.references import ReferenceSet
    from spec2x.steps import StepContext
    from spec2x.steps.fringe import from_chain

    ys, xs = np.nonzero(np.isnan(refs["fringe"].content.sci))
    ds = _cutout((3, 4), xstart=int(xs[0]) + 1, ystart=int(ys[0]) + 1)  # a NaN fringe pixel
    ctx = StepContext("fringe", ReferenceSet({"fringe": refs["fringe"]}))
    assert assert_in_place_same(from_chain, ds, ctx).attrs["S_FRINGE"] == "COMPLETE"


def test_fringe_na_skips_and_other_band_is_refused(refs):
    assert fringe(_cutout(), None).attrs["S_FRINGE"] == "SKIPPED"
    with pytest.raises(ReferenceMismatchError, match="BAND"):
        fringe(_cutout(BAND="MEDIUM"), refs["fringe"])


# --- flat_field -------------------------------------------------------------------------------


def test_mrs_flat_of_another_band_is_refused(refs):
    with pytest.raises(ReferenceMismatchError, match=r"flat.fits has BAND='LONG'"):
        flat_field(_cutout(), refs["flat_long"])
    out = flat_field(_cutout(BAND="LONG"), refs["flat_long"])
    assert out.attrs["S_FLAT"] == "COMPLETE"
    assert "var_flat" in out


# --- straylight -------------------------------------------------------------------------------


def test_cross_artifact_kernel_is_the_direct_sum():
    gen = np.random.default_rng(3)
    ny, nx = 5, 40
    fimg = gen.uniform(-1.0, 3.0, (ny, nx))
    table = {"lor_fwhm": gen.uniform(4, 8, ny), "lor_scale": gen.uniform(0.01, 0.02, ny),
             "gau_fwhm": gen.uniform(1, 3, ny), "gau_xoff": gen.uniform(3, 6, ny),
             "gau_scale1": gen.uniform(0.01, 0.03, ny), "gau_scale2": gen.uniform(0.005, 0.01, ny)}  # fmt: skip
    table = {k: v.astype(np.float32) for k, v in table.items()}
    gamma = (table["lor_fwhm"] / 2.0).astype(float)[:, None, None]
    s = (table["gau_fwhm"] / (2 * np.sqrt(2 * np.log(2)))).astype(float)[:, None, None]
    a, dx, g1, g2 = (table[k].astype(float)[:, None, None] for k in
                     ("lor_scale", "gau_xoff", "gau_scale1", "gau_scale2"))  # fmt: skip
    d = np.arange(nx)[None, None, :] - np.arange(10, 30)[None, :, None]  # (row, source, target)
    kern = a * gamma**2 / (gamma**2 + d**2)
    kern += g1 * (np.exp(-((d - dx) ** 2) / (2 * s**2)) + np.exp(-((d + dx) ** 2) / (2 * s**2)))
    kern += g2 * (
        np.exp(-((d - 2 * dx) ** 2) / (8 * s**2)) + np.exp(-((d + 2 * dx) ** 2) / (8 * s**2))
    )
    expected = (np.maximum(fimg[:, 10:30], 0)[:, :, None] * kern).sum(axis=1)
    np.testing.assert_allclose(mrs_straylight.xartifact_model(fimg, 10, 30, table), expected,
                               rtol=1e-10, atol=1e-13)  # fmt: skip


def _frame(seed=0):
    gen = np.random.default_rng(seed)
    sci = np.full((1024, 1032), 0.2) + gen.normal(0, 0.05, (1024, 1032))
    sci[:, 100:400] += 5.0  # a bright channel-1 region
    sci[10, 10] = np.nan
    return make_exposure(sci.astype(np.float32), attrs=dict(MRS))


def test_straylight_removes_the_artifact_and_the_pedestal(refs):
    ds = _frame()
    out = straylight(ds, refs["xart"])
    diff = (ds["sci"] - out["sci"]).values
    # light scattered from the bright columns is removed beside them, and the dark
    # columns between the channels end with a median of 0
    assert np.nanmedian(diff[100:900, 420:480]) > 0.01
    assert np.nanmedian(out["sci"].values[50:974, 503:516]) == pytest.approx(0.0, abs=0.01)
    np.testing.assert_array_equal(diff[:, :4], 0.0)  # reference columns untouched
    np.testing.assert_array_equal(diff[:, -4:], 0.0)
    assert np.isnan(out["sci"].values[10, 10])
    for name in ("err", "dq", "var_poisson"):
        np.testing.assert_array_equal(out[name].values, ds[name].values)
    assert out.attrs["S_STRAY"] == "COMPLETE"
    assert out.attrs["R_MRSXAR"] == "xart.fits"
    assert "S_STRAY" not in ds.attrs


def test_straylight_dask_is_numpy(refs):
    ds = _frame(seed=1)
    eager = straylight(ds, refs["xart"])
    with raise_if_dask_computes():
        lazy = straylight(ds.chunk(), refs["xart"])
    np.testing.assert_array_equal(lazy["sci"].values, eager["sci"].values)


def test_straylight_skips_and_refusals(refs):
    ds = _frame()
    assert straylight(ds, None).attrs["S_STRAY"] == "SKIPPED"
    cube = make_exposure(np.ones((2, 8, 8), np.float32), attrs=dict(MRS))
    assert straylight(cube, refs["xart"]).attrs["S_STRAY"] == "SKIPPED"
    with pytest.raises(UnsupportedModeError, match="straylight handles MIR_MRS"):
        straylight(make_exposure(np.ones((4, 4), np.float32), attrs={"EXP_TYPE": "NRS_IFU"}),
                   refs["xart"])  # fmt: skip
    with pytest.raises(ReferenceMismatchError, match="clean_showers needs a MIRI MRS regions"):
        straylight(ds, refs["xart"], clean_showers=True)
    with pytest.raises(ReferenceMismatchError, match="not a MIRI MRS mrsxartcorr"):
        straylight(ds, refs["fringe"])


def test_mrsxartcorr_without_tables_is_one_clear_error(tmp_path):
    path = tmp_path / "empty_xart.fits"
    fits.HDUList([fits.PrimaryHDU(header=fits.Header({"REFTYPE": "MRSXARTCORR",
                                                      "INSTRUME": "MIRI"}))]).writeto(path)  # fmt: skip
    with pytest.raises(InputFileError, match="none of the CH1A"):
        open_reference(path)


# --- chain ----------------------------------------------------------------------------------


def test_mrs_chain_runs_its_steps_and_is_calibrated():
    names = chain_for({"EXP_TYPE": "MIR_MRS"})
    assert names[names.index("straylight") :][:4] == [
        "straylight",
        "flat_field",
        "fringe",
        "photom",
    ]
    assert all(STEPS[s].implemented for s in ("straylight", "fringe", "photom", "flat_field"))
    assert "MIR_MRS" in calibrated_exp_types()
