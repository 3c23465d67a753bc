"""MIRI MRS WCS: parity with jwst 3.0.0 on the real FLT9 references, inverse, errors."""

from __future__ import annotations

import numpy as np
import pytest
from mrs_helpers import jwst_ifu_wcs, mrs_attrs, real_refs

from spec2x import make_exposure
from spec2x.errors import InputFileError, ReferenceMismatchError
from spec2x.instruments.miri.mrs_maps import mrs_world
from spec2x.instruments.miri.mrs_wcs import mrs_wcs
from spec2x.io.references import Reference, open_reference
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.wcs.store import get_wcs

#: Keywords beyond the pointing: velocity aberration and the barycentric correction.
EXTRA = {"VA_SCALE": 1.00003, "VELOSYS": -23456.7}


@pytest.fixture(scope="module", params=["12A", "34A"])
def pair(request, mrs_regions):
    """(tag, spec2x WCS, jwst WCS, refs, attrs) for channel 1A or 3A."""
    pytest.importorskip("jwst")
    tag = request.param
    attrs = mrs_attrs(tag, **EXTRA)
    refs = real_refs(tag, mrs_regions[tag])
    opened = {k: open_reference(v, k) for k, v in refs.items()}
    ours = mrs_wcs(
        attrs, *(opened[k] for k in ("distortion", "specwcs", "regions", "wavelengthrange"))
    )
    return tag, ours, jwst_ifu_wcs(attrs, refs), opened, attrs


@pytest.fixture(scope="module")
def grid():
    y, x = np.indices((1024, 1032), dtype=np.float64)
    return x, y


@pytest.mark.parity
def test_slice_map_identical(pair):
    _, ours, theirs, _, _ = pair
    mine = ours.get_transform("detector", "alpha_beta").label_mapper.mapper
    jwst = theirs.get_transform("detector", "alpha_beta").label_mapper.mapper
    np.testing.assert_array_equal(mine, jwst)
    assert len(np.unique(mine)) > 28  # every slice of both channels, and 0


@pytest.mark.parity
def test_alpha_beta_lambda_on_every_pixel(pair, grid):
    tag, ours, theirs, _, _ = pair
    mine = ours.get_transform("detector", "alpha_beta")(*grid)
    jwst = theirs.get_transform("detector", "alpha_beta")(*grid)
    for name, a, b in zip(("alpha", "beta", "lambda"), mine, jwst, strict=True):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{tag} {name}")
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=0, equal_nan=True, err_msg=f"{tag} {name}")
    lam = mine[2][np.isfinite(mine[2])]
    low, high = {"12A": (4.85, 8.85), "34A": (11.43, 21.08)}[tag]  # 1A + 2A, 3A + 4A
    assert lam.min() == pytest.approx(low, abs=0.01)
    assert lam.max() == pytest.approx(high, abs=0.01)


@pytest.mark.parity
def test_sky_on_every_pixel(pair, grid):
    _, ours, theirs, _, _ = pair
    ra, dec, lam = ours(*grid)
    jra, jdec, jlam = theirs(*grid)
    np.testing.assert_array_equal(np.isnan(ra), np.isnan(jra))
    np.testing.assert_allclose(ra, jra, rtol=0, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(dec, jdec, rtol=0, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(lam, jlam, rtol=1e-7, atol=0, equal_nan=True)


def test_world_of_every_pixel_is_the_gwcs_call(pair, grid):
    """assign_wcs's slice-sorted, blocked evaluation gives the gwcs's own numbers, bit for bit."""
    _, ours, _, _, _ = pair
    for got, want in zip(mrs_world(ours, (1024, 1032)), ours(*grid), strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parity
def test_world_to_detector_on_a_sample(pair):
    _, ours, theirs, _, attrs = pair
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1031, 400)
    y = rng.uniform(0, 1023, 400)
    ra, dec, lam = ours(x, y)
    ok = np.isfinite(ra)
    assert ok.sum() > 200
    # the analytic inverse (gwcs's ``invert`` trips over the label array at the edge, in jwst too)
    back = ours.get_transform("world", "detector")(ra[ok], dec[ok], lam[ok])
    # jwst's inverse forgets the barycentric scaling: give it the observed wavelength
    observed = lam[ok] * (1 + attrs["VELOSYS"] / 299792458.0)
    jback = theirs.get_transform("world", "detector")(ra[ok], dec[ok], observed)
    for mine, jwst, start in zip(back, jback, (x[ok], y[ok]), strict=True):
        np.testing.assert_allclose(mine, jwst, rtol=0, atol=1e-7)
        # the distortion's x/y polynomials invert its alpha/lambda ones to 0.06 px
        np.testing.assert_allclose(mine, start, atol=0.1)
    # without the correction jwst's round trip is off by VELOSYS / c in wavelength
    assert (
        np.abs(theirs.get_transform("world", "detector")(ra[ok], dec[ok], lam[ok])[1] - y[ok]).max()
        > 0.2
    )


def test_regions_from_both_formats(mrs_regions):
    from mrs_helpers import GROUND_REGIONS

    ground = open_reference(GROUND_REGIONS).content
    assert ground.planes.shape == (1, 1024, 1032)
    np.testing.assert_array_equal(ground.label_map(0.8), ground.planes[0])
    current = open_reference(mrs_regions["12A"]).content
    assert current.planes.shape == (9, 1024, 1032)
    np.testing.assert_array_equal(current.label_map(0.8), current.planes[7])
    # a higher throughput threshold keeps fewer pixels, each with the same label
    inner, outer = current.planes[8], current.planes[0]
    assert (inner > 0).sum() < (current.planes[7] > 0).sum() < (outer > 0).sum()
    np.testing.assert_array_equal(outer[inner > 0], inner[inner > 0])


def test_synthetic_regions_valid_for_stdatamodels(mrs_regions):
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    with datamodels.RegionsModel(str(mrs_regions["34A"])) as model:
        model.validate()
        assert model.regions.shape == (9, 1024, 1032)
        assert model.meta.instrument.channel == "34"
        assert model.meta.instrument.band == "SHORT"
        labels = set(np.unique(model.regions[7])) - {0}
    assert labels == set(range(301, 317)) | set(range(401, 413))


def test_distortion_of_another_channel_is_one_clear_error(mrs_regions):
    refs = real_refs("34A", mrs_regions["12A"])
    attrs = mrs_attrs("12A")
    with pytest.raises(
        ReferenceMismatchError, match=r"jwst_miri_mrs34A_distortion_flt9.asdf.*DETECTOR"
    ):
        mrs_wcs(
            attrs, refs["distortion"], refs["specwcs"], refs["regions"], refs["wavelengthrange"]
        )
    # the same detector, another band: the BAND keyword is named
    dist = open_reference(real_refs("12A", None)["distortion"])
    medium = Reference(dist.reftype, dist.path, dict(dist.header, BAND="MEDIUM"), dist.content)
    with pytest.raises(
        ReferenceMismatchError, match=r"mrs12A_distortion.*BAND='MEDIUM'.*BAND='SHORT'"
    ):
        mrs_wcs(
            attrs,
            medium,
            *(
                real_refs("12A", mrs_regions["12A"])[k]
                for k in ("specwcs", "regions", "wavelengthrange")
            ),
        )


@pytest.mark.parametrize(
    ("change", "keyword"),
    [
        ({"CHANNEL": "34"}, "CHANNEL"),
        ({"BAND": "SHORTER"}, "BAND"),
        ({"DETECTOR": "MIRIMAGE"}, "DETECTOR"),
    ],
)
def test_bad_channel_or_band_is_one_clear_error(mrs_regions, change, keyword):
    refs = real_refs("12A", mrs_regions["12A"])
    with pytest.raises(InputFileError, match=rf"{keyword}="):
        mrs_wcs(mrs_attrs("12A", **change), *refs.values())


def test_lrs_imager_files_still_open_as_before():
    from mrs_helpers import REAL

    assert "model" in open_reference(REAL + "jwst_miri_imager_distortion_flt9.asdf").content
    assert "WAVETABLE" in open_reference(REAL + "jwst_miri_specwcs_0005.fits").content


def test_assign_wcs_step_on_an_mrs_exposure(mrs_regions):
    refs = real_refs("12A", mrs_regions["12A"])
    ds = make_exposure(np.ones((1024, 1032), np.float32), attrs=mrs_attrs("12A"))
    out = assign_wcs(ds, refs)
    assert "wavelength" not in ds.coords
    wcs = get_wcs(out)
    wl = out["wavelength"].values
    sample = (np.array([100.0, 600.0, 300.0]), np.array([500.0, 20.0, 900.0]))
    np.testing.assert_array_equal(wl[sample[1].astype(int), sample[0].astype(int)], wcs(*sample)[2])
    assert np.isnan(wl).mean() < 0.3
    assert out.attrs["R_REGION"] == refs["regions"].name
    assert out.attrs["R_WAVRAN"] == "jwst_miri_mrs_wavelengthrange_flt9.asdf"
    assert out.attrs["S_WCS"] == "COMPLETE"
