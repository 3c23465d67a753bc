"""The ASDF extension's tree: arrays outlive the file, per-slit WCS cut out as text."""

from __future__ import annotations

import numpy as np
import products  # noqa: E402  (tests/io on sys.path through conftest)
import xarray as xr

from spec2x.io import open_product, write_fits
from spec2x.io.fits_asdf import read_asdf_tree, split_wcs
from spec2x.io.fits_scan import scan_fits
from spec2x.wcs.store import StoredWcs, clear_cache, get_wcs, set_wcs, wcs_coord, wcs_object


def test_block_arrays_are_read_before_the_asdf_file_closes(tmp_path):
    # a coord with no FITS home and more elements than are written inline: a binary block
    ds = products.x1dints(nint=4, nspec=30)
    big = np.linspace(0.0, 360.0, 5000)
    ds = ds.assign_coords(trace=("trace", big), slit_ra=("integration", [0.0, 360.0, -0.0, 1e-9]))
    path = write_fits(ds, tmp_path / "t_x1dints.fits")
    tree = read_asdf_tree(scan_fits(path))
    data = tree["spec2x"]["coords"]["trace"]["data"]
    assert type(data) is np.ndarray  # not asdf's lazy NDArrayType: the file is closed
    back = open_product(path)
    np.testing.assert_array_equal(back["trace"].values, big)
    np.testing.assert_array_equal(back["slit_ra"].values, [0.0, 360.0, -0.0, 1e-9])


def test_slit_wcs_is_kept_as_text_until_asked(tmp_path):
    ds = products.slits()
    wcs = [
        products.slit_wcs(int(nx), int(ny), offset=i)
        for i, (ny, nx) in enumerate(products.SLIT_SIZES)
    ]
    ds = ds.assign_coords(wcs=wcs_coord(wcs))
    path = write_fits(ds, tmp_path / "s_cal.fits")
    tree = read_asdf_tree(scan_fits(path))
    stored = [s["meta"]["wcs"] for s in tree["slits"]]
    assert all(isinstance(w, StoredWcs) and w._wcs is None for w in stored)  # not decoded
    back = open_product(path)
    xr.testing.assert_identical(
        back, ds.assign_attrs(FILENAME=path.name, DATAMODL="MultiSlitModel")
    )
    x, y = np.array([3.0, 5.0]), np.array([2.0, 4.0])
    for i in range(ds.sizes["slit"]):
        ours = wcs_object(back["wcs"].values[i])
        np.testing.assert_allclose(ours(x, y), wcs_object(ds["wcs"].values[i])(x, y))


def test_a_wcs_shared_by_slits_is_one_text_one_anchored_into_goes_through_asdf():
    text = (
        "#ASDF 1.0.0\n%YAML 1.1\n%TAG ! tag:stsci.edu:asdf/\n--- !core/asdf-1.1.0\n"
        "slits:\n- meta:\n    wcs: &id001 !<tag:stsci.edu:gwcs/wcs-1.2.0>\n      name: &id002 a\n"
        "- meta:\n    wcs: *id001\n"
    )
    into = text.replace("- meta:\n    wcs: *id001\n", "- meta:\n    wcs: *id001\n  name: *id002\n")
    assert split_wcs(into) is None  # *id002 would point into a WCS cut out
    rest, texts = split_wcs(text)  # one WCS shared by two slits
    assert "gwcs" not in rest
    ((key, wcs_text),) = texts.items()
    assert rest.count(f"'{key}'") == 1
    assert rest.count("*id001") == 1  # the alias is kept
    assert wcs_text.endswith("wcs: !<tag:stsci.edu:gwcs/wcs-1.2.0>\n  name: &id002 a\n...\n")


def test_exposure_wcs_is_kept_as_text_until_asked(tmp_path):
    """An exposure's ``meta.wcs`` (and spec2x's alias of it) reads back as one undecoded text."""
    ds = products.rateints(nint=2, ny=20, nx=30)
    ds = set_wcs(ds, products.slit_wcs(30, 20))
    path = write_fits(ds, tmp_path / "e_calints.fits")
    clear_cache()
    tree = read_asdf_tree(scan_fits(path))
    stored = tree["meta"]["wcs"]
    assert isinstance(stored, StoredWcs)
    assert stored._wcs is None
    assert tree["spec2x"]["wcs"] is stored  # the YAML alias: one value
    back = open_product(path)
    assert back.attrs["wcs"]._wcs is None  # reading builds no gwcs
    xr.testing.assert_identical(back, ds.assign_attrs(FILENAME=path.name, DATAMODL="CubeModel"))
    x, y = np.array([3.0, 5.0]), np.array([2.0, 4.0])
    np.testing.assert_allclose(get_wcs(back)(x, y), get_wcs(ds)(x, y))


def test_slit_wcs_sharing_transforms_are_cut_out_together_and_decoded_on_use(tmp_path):
    """Slits whose gwcs share transforms and frames (NIRSpec slitlets: YAML anchors across
    slits) read back undecoded; the first WCS used decodes them all, equal to those written."""
    from astropy.modeling.models import Mapping
    from gwcs import WCS

    shared = products.slit_wcs(8, 4)
    ds = products.slits()
    wcs = []
    for i in range(ds.sizes["slit"]):
        first = Mapping((0, 1)) | shared.forward_transform  # the box is set on this: the slit's
        own = WCS([(shared.input_frame, first), (shared.output_frame, None)])
        own.bounding_box = ((-0.5, 7.5 + i), (-0.5, 3.5))
        wcs.append(own)
    ds = ds.assign_coords(wcs=wcs_coord(wcs))
    path = write_fits(ds, tmp_path / "shared_cal.fits")
    clear_cache()
    stored = [s["meta"]["wcs"] for s in read_asdf_tree(scan_fits(path))["slits"]]
    assert all(isinstance(w, StoredWcs) and w._wcs is None for w in stored)
    back = open_product(path)
    x, y = np.array([3.0, 5.0]), np.array([2.0, 4.0])
    values = back["wcs"].values
    assert all(v._wcs is None for v in values)  # reading built no gwcs
    np.testing.assert_array_equal(wcs_object(values[-1])(x, y), wcs[-1](x, y))
    assert values[0]._group._decoded is not None  # one decode gave them all
    for i, v in enumerate(values):
        assert wcs_object(v).bounding_box.bounding_box(order="F") == ((-0.5, 7.5 + i), (-0.5, 3.5))
        np.testing.assert_array_equal(wcs_object(v)(x, y), wcs[i](x, y))
