"""Grouped slits products (spec2x.slits) in FITS and Zarr, and in jwst's MultiSlitModel."""

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import slit_shapes

from spec2x.io import open_product, open_zarr, to_zarr, write_fits
from spec2x.slits import groups, iter_slits, merge, select, split
from spec2x.synthetic.slit_layout import slit_layout
from spec2x.wcs.store import get_wcs

YS = np.array([5, 30, 6, 40, 8, 12])
XS = np.array([50, 300, 60, 20, 400, 100])


def _by_name(slits):
    return {str(s["slit_name"].values[0]): s for s in iter_slits(slits)}


def _same_slits(got, want, names=None):
    """Every slit of ``got`` is the one of ``want`` (pixels, coords, WCS), each at its own size."""
    got, want = _by_name(got), _by_name(want)
    assert sorted(got) == sorted(names if names is not None else want)
    for name, one in got.items():
        xr.testing.assert_identical(one, want[name].assign_attrs(one.attrs))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shapes=slit_shapes(), seed=st.integers(0, 2**16), orders=st.integers(1, 2))
def test_random_slits_survive_select_split_merge_fits_zarr_with_their_wcs(
    tmp_path_factory, shapes, seed, orders
):
    tree = slit_layout(*shapes, seed=seed, min_pixels=0, orders=orders)
    merged = merge(tree)
    _same_slits(merged, tree)
    _same_slits(split(merged, min_pixels=0), tree)
    names = sorted(_by_name(tree))[::2]
    _same_slits(select(tree, names=names), tree, names)
    _same_slits(merge([select(tree, names=[n]) for n in names]), tree, names)
    folder = tmp_path_factory.mktemp("slits")
    back = open_product(write_fits(tree, folder / "x_cal.fits"))
    for a, b in zip(groups(back), groups(tree), strict=True):
        xr.testing.assert_identical(a, b.assign_attrs(a.attrs))  # same groups, same order
    _same_slits(back, tree)
    to_zarr(tree, folder / "x_cal.zarr")
    lazy = open_zarr(folder / "x_cal.zarr")
    for a, b in zip(groups(lazy), groups(tree), strict=True):
        xr.testing.assert_identical(a.load(), b)
    for name, one in _by_name(tree).items():
        world = get_wcs(one, slit=name)(1.0, 2.0)
        np.testing.assert_allclose(get_wcs(merged, slit=name)(1.0, 2.0), world)
        np.testing.assert_allclose(get_wcs(merge(back), slit=name)(1.0, 2.0), world)


def test_grouped_product_is_one_multislit_file_jwst_reads(tmp_path):
    from stdatamodels.jwst import datamodels as dm

    tree = slit_layout(YS, XS, min_pixels=0, orders=2)
    assert len(groups(tree)) > 1
    path = write_fits(tree, tmp_path / "g_cal.fits")
    want = _by_name(tree)
    with dm.MultiSlitModel(str(path)) as model:
        assert len(model.slits) == len(YS)
        for slit in model.slits:
            one = want[slit.name]
            np.testing.assert_array_equal(slit.data, one["sci"].values[0])
            assert slit.data.shape == (one.sizes["y"], one.sizes["x"])  # its own size
            assert (slit.source_id, slit.xsize) == (one["source_id"].values[0], one["xsize"][0])
            assert slit.meta.wcsinfo.spectral_order == one["spectral_order"].values[0]
            np.testing.assert_allclose(
                slit.meta.wcs(3.0, 1.0), get_wcs(one, slit=slit.name)(3.0, 1.0)
            )


def test_grouped_fits_reads_lazily_per_group(tmp_path):
    tree = slit_layout(YS, XS, min_pixels=0)
    lazy = open_product(write_fits(tree, tmp_path / "g_cal.fits"), chunks="auto")
    parts = groups(lazy)
    assert all(p["sci"].chunks is not None for p in parts)
    for a, b in zip(parts, groups(tree), strict=True):
        xr.testing.assert_identical(a.load(), b.assign_attrs(a.attrs))


def test_open_exposure_refuses_a_grouped_product(tmp_path):
    from spec2x.errors import InputFileError
    from spec2x.io import open_exposure

    path = write_fits(slit_layout(YS, XS, min_pixels=0), tmp_path / "g_cal.fits")
    with pytest.raises(InputFileError, match="open_product"):
        open_exposure(path)


def test_spectra_of_every_group_make_one_x1d_with_source_and_order(tmp_path):
    import products

    from spec2x.slits import merge_spectra

    def part(seed, nspec, source, order):  # one spectrum, full length
        ds = products.x1d(seed=seed, nspec=nspec).isel(slit=[0])
        return ds.assign_coords(source_id=("slit", [source]), spectral_order=("slit", [order]))

    parts = [part(2, 50, 7, 1), part(3, 30, 7, 2), part(4, 40, 9, 1)]
    x1d = merge_spectra(parts)
    assert x1d.sizes["spectral"] == 50
    np.testing.assert_array_equal(x1d["flux"].values[1, :30], parts[1]["flux"].values[0])
    assert np.isnan(x1d["wavelength"].values[1, 30:]).all()
    assert x1d["npixels"].values[1, 30:].sum() == 0
    assert (x1d["dq"].values[1, 30:] == 1).all()  # DO_NOT_USE, as extract_1d pads
    back = open_product(write_fits(x1d, tmp_path / "m_x1d.fits"))
    xr.testing.assert_identical(back, x1d.assign_attrs(back.attrs))
    from stdatamodels.jwst import datamodels as dm

    with dm.open(tmp_path / "m_x1d.fits") as model:
        got = [(s.source_id, s.spectral_order, len(s.spec_table)) for s in model.spec]
    assert got == [(7, 1, 50), (7, 2, 30), (9, 1, 40)]
