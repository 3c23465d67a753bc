"""extract_2d on NIRSpec fixed slits: parity with jwst, padding, subsets, Dask, errors."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from nrs_helpers import (
    BASE_ATTRS,
    jwst_assign_wcs,
    jwst_image_model,
    shared_full_assigned,
    shared_full_jwst,
    shared_paths,
    shared_refs,
)

from spec2x.datamodel import PADDING_DQ, make_exposure
from spec2x.errors import InputFileError, StepOrderError
from spec2x.instruments.nirspec.fs import assign_fixed_slits
from spec2x.steps.extract_2d import extract_2d
from spec2x.wcs.store import get_wcs

SUB_ATTRS = dict(
    BASE_ATTRS,
    SUBARRAY="SUBS200A1",
    SUBSTRT1=1,
    SUBSTRT2=1041,
    SUBSIZE1=2048,
    SUBSIZE2=64,
    XOFFSET=0.05,
    YOFFSET=0.3,
)


@pytest.fixture(scope="module")
def paths():
    return shared_paths()


@pytest.fixture(scope="module")
def refs():
    return shared_refs()


def _image(shape, seed=1):
    r = np.random.default_rng(seed)
    return r.normal(size=shape).astype(np.float32), r.integers(0, 4, size=shape).astype(np.uint32)


@pytest.fixture(scope="module")
def full():
    return shared_full_assigned()


@pytest.fixture(scope="module")
def full_slits(full):
    return extract_2d(full)


@pytest.mark.parity
@pytest.mark.parametrize("which", ["full", "subarray"])
def test_cutouts_match_jwst(which, full_slits, refs, paths, tmp_path):
    pytest.importorskip("jwst")
    from jwst.extract_2d.nirspec import nrs_extract2d

    if which == "full":
        ours, model = full_slits, shared_full_jwst()
    else:
        sci, dq = _image((64, 2048), seed=3)
        ds = make_exposure(sci, dq=dq, attrs=dict(SUB_ATTRS), ystart=1041)
        ours = extract_2d(assign_fixed_slits(ds, refs))
        model = jwst_image_model(SUB_ATTRS, shape=sci.shape)
        model.data = sci
        for name in ("err", "var_rnoise", "var_poisson"):
            setattr(model, name, np.zeros_like(sci))
        model.dq = np.zeros(sci.shape, np.uint32)
        model = jwst_assign_wcs(model, paths, tmp_path)
        model.meta.cal_step.assign_wcs = "COMPLETE"
    result = nrs_extract2d(model)
    assert list(ours["slit_name"].values) == [s.name for s in result.slits]
    for k, slit in enumerate(result.slits):
        mine = ours.isel(slit=k)
        for key in ("xstart", "ystart", "xsize", "ysize", "source_id"):
            assert int(mine[key]) == getattr(slit, key), key
        ny, nx = slit.data.shape
        np.testing.assert_array_equal(mine["sci"].values[:ny, :nx], slit.data)
        lam = mine["wavelength"].values[:ny, :nx]
        assert np.array_equal(np.isnan(lam), np.isnan(slit.wavelength))
        ok = np.isfinite(lam)
        np.testing.assert_allclose(lam[ok], slit.wavelength[ok], rtol=1e-6)
        assert float(mine["source_xpos"]) == pytest.approx(slit.source_xpos, abs=1e-9)
        assert float(mine["source_ypos"]) == pytest.approx(slit.source_ypos, abs=1e-9)
        # the stored cut-out WCS is jwst's
        x, y = np.meshgrid(np.arange(0, nx, 3), np.arange(0, ny, 2))
        ok = np.isfinite(lam[::2, ::3])
        theirs = slit.meta.wcs(x, y)
        np.testing.assert_allclose(
            get_wcs(ours, slit=slit.name)(x, y)[0][ok], theirs[0][ok], rtol=0, atol=1e-10
        )


def test_padding_and_product_layout(full, full_slits):
    s = full_slits
    assert s["sci"].dims == ("slit", "y", "x")
    assert s.attrs["S_EXTR2D"] == "COMPLETE"
    assert s.attrs["DATAMODL"] == "MultiSlitModel"
    assert "wcs" not in s.attrs  # one WCS per slit, in the coord that follows isel/concat
    assert all(w is not None for w in s["wcs"].values)
    for k in range(s.sizes["slit"]):
        ny, nx = int(s["ysize"][k]), int(s["xsize"][k])
        y0, x0 = int(s["ystart"][k]) - 1, int(s["xstart"][k]) - 1
        np.testing.assert_array_equal(
            s["dq"].values[k, :ny, :nx], full["dq"].values[y0 : y0 + ny, x0 : x0 + nx]
        )
        pad = np.ones(s["sci"].shape[1:], bool)
        pad[:ny, :nx] = False
        assert np.all(np.isnan(s["sci"].values[k][pad]))
        assert np.all(s["dq"].values[k][pad] == PADDING_DQ)
        assert np.all(np.isnan(s["wavelength"].values[k][pad]))
    assert full["sci"].dims == ("y", "x")  # input unchanged


def test_selection_does_not_change_a_slit(full, full_slits):
    one = extract_2d(full, slit_names=["S400A1"])
    k = list(full_slits["slit_name"].values).index("S400A1")
    ny, nx = int(one["ysize"][0]), int(one["xsize"][0])
    np.testing.assert_array_equal(
        one["sci"].values[0, :ny, :nx], full_slits["sci"].values[k, :ny, :nx]
    )
    np.testing.assert_array_equal(
        one["wavelength"].values[0, :ny, :nx], full_slits["wavelength"].values[k, :ny, :nx]
    )
    by_id = extract_2d(full, source_ids=[14])  # S1600A1 when S200A1 is primary
    assert list(by_id["slit_name"].values) == ["S1600A1"]
    with pytest.raises(InputFileError, match="open slits"):
        extract_2d(full, slit_names=["NOPE"])


def test_dask_gives_the_same_cutouts(full, full_slits):
    lazy = extract_2d(full.chunk({"y": 512}), slit_names=["S200A2", "S1600A1"])
    assert lazy["sci"].chunks is not None
    eager = full_slits.isel(slit=[1, 3])
    ny, nx = lazy.sizes["y"], lazy.sizes["x"]
    for name in ("sci", "dq", "var_poisson"):
        got, want = lazy[name].values, eager[name].values
        np.testing.assert_array_equal(got, want[:, :ny, :nx])
        assert want.shape[1] >= ny


def test_subarray_without_the_slit_is_a_clear_error(refs):
    attrs = dict(SUB_ATTRS, SUBSTRT2=1)
    sci, dq = _image((64, 2048))
    ds = assign_fixed_slits(make_exposure(sci, dq=dq, attrs=attrs), refs)
    with pytest.raises(InputFileError, match="S200A1.*does not cover"):
        extract_2d(ds)


def test_needs_assign_wcs():
    ds = make_exposure(np.zeros((4, 4), np.float32), attrs=dict(BASE_ATTRS))
    with pytest.raises(StepOrderError, match="assign_wcs"):
        extract_2d(ds)


BOTS_ATTRS = dict(
    BASE_ATTRS,
    EXP_TYPE="NRS_BRIGHTOBJ",
    FXD_SLIT="S1600A1",
    SUBARRAY="SUB2048",
    SUBSTRT2=920,
    SUBSIZE2=32,
    XOFFSET=0.1,
    YOFFSET=-0.05,
)


@pytest.fixture(scope="module")
def bots(refs):
    r = np.random.default_rng(5)
    sci = r.normal(size=(3, 32, 2048)).astype(np.float32)
    mjd = {"int_mid_MJD_UTC": 60000.0 + np.arange(3) / 1440}
    ds = make_exposure(sci, attrs=dict(BOTS_ATTRS), ystart=920, int_times=mjd)
    return ds, extract_2d(assign_fixed_slits(ds, refs))


def test_bots_rateints_keep_integrations(bots):
    ds, out = bots
    assert out["sci"].dims == ("slit", "integration", "y", "x")
    assert out.attrs["DATAMODL"] == "SlitModel"
    assert list(out["slit_name"].values) == ["S1600A1"]
    ny, nx = int(out["ysize"][0]), int(out["xsize"][0])
    y0, x0 = int(out["ystart"][0]) - 1, int(out["xstart"][0]) - 1
    np.testing.assert_array_equal(
        out["sci"].values[0, :, :ny, :nx], ds["sci"].values[:, y0 : y0 + ny, x0 : x0 + nx]
    )
    assert out["wavelength"].dims == ("slit", "y", "x")
    np.testing.assert_array_equal(
        out["int_times_int_mid_MJD_UTC"].values, 60000.0 + np.arange(3) / 1440
    )
    assert float(out["source_xpos"][0]) != 0.0
    lazy = extract_2d(assign_fixed_slits(ds.chunk({"integration": 1}), shared_refs()))
    assert lazy["sci"].chunks is not None
    np.testing.assert_array_equal(lazy["sci"].values, out["sci"].values)


@pytest.mark.parity
def test_bots_matches_jwst(bots, paths, tmp_path):
    pytest.importorskip("jwst")
    from jwst.extract_2d.nirspec import nrs_extract2d
    from stdatamodels.jwst import datamodels as dm

    ds, ours = bots
    image = jwst_image_model(BOTS_ATTRS, shape=(32, 2048))
    model = dm.CubeModel(ds["sci"].values)
    model.update(image)
    for name in ("err", "var_rnoise", "var_poisson"):
        setattr(model, name, np.zeros_like(ds["sci"].values))
    model.dq = np.zeros(ds["sci"].shape, np.uint32)
    cols = ["int_start_MJD_UTC", "int_mid_MJD_UTC", "int_end_MJD_UTC"]
    cols += [c.replace("MJD_UTC", "BJD_TDB") for c in cols]
    table = np.zeros(3, dtype=[("integration_number", ">i4")] + [(c, ">f8") for c in cols])
    table["integration_number"] = [1, 2, 3]
    model.int_times = table
    model = jwst_assign_wcs(model, paths, tmp_path)
    model.meta.cal_step.assign_wcs = "COMPLETE"
    theirs = nrs_extract2d(model)
    for key in ("xstart", "ystart", "xsize", "ysize", "source_id"):
        assert int(ours[key][0]) == getattr(theirs, key), key
    assert float(ours["source_xpos"][0]) == pytest.approx(theirs.source_xpos, abs=1e-9)
    assert float(ours["source_ypos"][0]) == pytest.approx(theirs.source_ypos, abs=1e-9)
    ny, nx = theirs.data.shape[-2:]
    np.testing.assert_array_equal(ours["sci"].values[0, :, :ny, :nx], theirs.data)
    lam = ours["wavelength"].values[0, :ny, :nx]
    ok = np.isfinite(lam)
    np.testing.assert_allclose(lam[ok], theirs.wavelength[ok], rtol=1e-6)


@pytest.mark.parity
def test_slits_file_opens_in_jwst_with_our_wcs(refs, tmp_path):
    pytest.importorskip("jwst")
    from stdatamodels.jwst import datamodels as dm

    from spec2x.io.fits import write_fits

    sci, dq = _image((64, 2048), seed=4)
    ds = make_exposure(sci, dq=dq, attrs=dict(SUB_ATTRS), ystart=1041)
    slits = extract_2d(assign_fixed_slits(ds, refs))
    path = write_fits(slits, tmp_path / "nrs_fs_extract_2d.fits")
    with dm.open(path) as model:
        assert isinstance(model, dm.MultiSlitModel)
        slit = model.slits[0]
        assert (slit.name, slit.xstart, slit.ystart) == (
            "S200A1",
            int(slits["xstart"][0]),
            int(slits["ystart"][0]),
        )
        x, y = np.meshgrid(np.arange(0, 400, 37), np.arange(0, 39, 5))
        theirs = slit.meta.wcs(x, y)
        mine = get_wcs(slits, slit="S200A1")(x, y)
        for a, b in zip(mine, theirs, strict=True):
            np.testing.assert_array_equal(a, b)


def test_slit_descriptions_follow_the_selection(full):
    from spec2x.instruments.nirspec.fs import slits_from_attrs

    one = extract_2d(full, slit_names=["S200A2"])
    assert [s.name for s in slits_from_attrs(one.attrs)] == ["S200A2"]
    assert len(slits_from_attrs(full.attrs)) == 5


def test_slits_of_too_different_shapes_go_to_padded_groups(full, full_slits):
    from spec2x.slits import groups, held_pixels, iter_slits

    tree = extract_2d(full, max_padding=1.0, min_pixels=0)  # force one group per shape
    parts = groups(tree)
    assert len(parts) > 1
    ys, xs = full_slits["ysize"].values, full_slits["xsize"].values
    assert sum(p["sci"].size for p in parts) == held_pixels(ys, xs, [[i] for i in range(len(ys))])
    assert tree.attrs["S_EXTR2D"] == "COMPLETE"
    single = {str(s["slit_name"].values[0]): s for s in iter_slits(full_slits)}
    for one in iter_slits(tree):
        name = str(one["slit_name"].values[0])
        xr.testing.assert_identical(one, single[name])  # same pixels, coords and WCS


@pytest.mark.parametrize("which", ["full", "subarray"])
def test_detector_pixels_place_every_cutout_pixel_on_the_exposure(which, full, full_slits, refs):
    """y, x are each image's own rows and columns; detector_pixels gives the full-frame place."""
    from spec2x.slits import detector_pixels

    if which == "full":
        exposure, slits = full, full_slits
    else:
        sci, dq = _image((64, 2048), seed=3)
        exposure = make_exposure(sci, dq=dq, attrs=dict(SUB_ATTRS), ystart=1041)
        slits = extract_2d(assign_fixed_slits(exposure, refs))
    dy, dx = detector_pixels(slits)
    ey, ex = detector_pixels(exposure)
    np.testing.assert_array_equal(ey.values, exposure["y"].values)  # an exposure's are its coords
    assert dy.dims == ("slit", "y")
    assert dx.dims == ("slit", "x")
    for k in range(slits.sizes["slit"]):
        ny, nx = int(slits["ysize"][k]), int(slits["xsize"][k])
        rows, cols = dy.values[k, :ny].astype(int), dx.values[k, :nx].astype(int)
        assert np.isnan(dy.values[k, ny:]).all()
        on_exposure = exposure["sci"].sel(y=rows, x=cols).values
        np.testing.assert_array_equal(slits["sci"].values[k, :ny, :nx], on_exposure)


def test_detector_pixels_refuse_a_resampled_product(full_slits):
    from spec2x.slits import detector_pixels

    s2d = full_slits.assign_attrs(S_RESAMP="COMPLETE")
    with pytest.raises(InputFileError, match="no detector position"):
        detector_pixels(s2d)
