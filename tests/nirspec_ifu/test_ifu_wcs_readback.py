"""An exposure with one WCS per slice (NIRSpec IFU) read back from FITS: the mapping is cut out
of the ASDF text and decoded, as a whole, only when a WCS is used."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import xarray as xr
from astropy import coordinates as coord
from astropy import units as u
from astropy.modeling import models
from gwcs import WCS
from gwcs import coordinate_frames as cf

from spec2x.io.fits import open_product, write_fits
from spec2x.io.fits_wcs_group import split_node_wcs
from spec2x.wcs.store import StoredWcs, get_wcs, slit_wcs


def _slices(n: int = 3) -> dict[str, StoredWcs]:
    """``n`` gwcs sharing one transform (YAML anchors across slices, as the IFU's)."""
    shared = models.Shift(1.5) & models.Scale(2.0)
    det = cf.Frame2D(name="detector")
    sky = cf.CelestialFrame(reference_frame=coord.ICRS(), name="world", unit=(u.deg, u.deg))
    return {
        str(i): StoredWcs(
            wcs=WCS([(det, shared | (models.Shift(i) & models.Identity(1))), (sky, None)])
        )  # fmt: skip
        for i in range(n)
    }


def _exposure() -> xr.Dataset:
    zeros = np.zeros((4, 5), np.float32)
    ds = xr.Dataset(
        {"sci": (("y", "x"), zeros), "err": (("y", "x"), zeros),
         "dq": (("y", "x"), np.zeros((4, 5), np.uint32))},
        coords={"y": np.arange(4), "x": np.arange(5)},
        attrs={"TELESCOP": "JWST", "INSTRUME": "NIRSPEC", "EXP_TYPE": "NRS_IFU",
               "DETECTOR": "NRS1", "SUBARRAY": "FULL"},
    )  # fmt: skip
    ds.attrs["wcs"] = _slices()
    return ds


def test_slice_wcs_decode_on_use_and_equal(tmp_path):
    ds = _exposure()
    back = open_product(write_fits(ds, tmp_path / "ifu_slices_cal.fits"))
    stored = slit_wcs(back)
    assert sorted(stored) == ["0", "1", "2"]
    assert all(v._wcs is None for v in stored.values())  # nothing decoded on open
    for name in ("2", "0", "1"):
        np.testing.assert_array_equal(get_wcs(back, slit=name)(1.0, 2.0),
                                      get_wcs(ds, slit=name)(1.0, 2.0))  # fmt: skip
    assert all(v._wcs is not None for v in stored.values())  # one decode gave them all
    again = pickle.loads(pickle.dumps(stored["1"]))
    assert again == ds.attrs["wcs"]["1"]
    twice = open_product(write_fits(back, tmp_path / "ifu_slices_again_cal.fits"))
    np.testing.assert_array_equal(
        get_wcs(twice, slit="2")(3.0, 1.0), get_wcs(ds, slit="2")(3.0, 1.0)
    )


def test_not_a_mapping_is_left_to_asdf():
    assert split_node_wcs("#ASDF 1.0.0\n--- !core/asdf-1.1.0\nspec2x:\n  wcs: !<x> {}\n") is None
    assert split_node_wcs("#ASDF 1.0.0\n--- !core/asdf-1.1.0\nmeta: {}\n") is None
    shared = "--- !core/asdf-1.1.0\nspec2x:\n  wcs:\n    '0': *id001\nother: &id001 1\n"
    assert split_node_wcs(shared) is None


def _ifu_like(tmp_path):
    """A 6 x 8 NRS_IFU exposure of two slices (rows 0-2, 3-5) with the NIRSpec frames: its
    slice WCS and slice map, written."""
    from astropy.modeling.models import Mapping as AxisMapping

    from spec2x.instruments.nirspec.wcs import frames

    tail = models.Scale(2.0) & models.Identity(2)  # parameters: gwcs passes no units
    slices = {}
    for s in range(2):
        fr = frames()
        to_slit = AxisMapping((0, 1, 0)) | models.Shift(-4) & models.Shift(-3 * s) & models.Scale(
            1e-7
        )
        to_slicer = models.Shift(1e-3 * s) & models.Identity(2)
        wcs = WCS([(fr["detector"], to_slit), (fr["slit_frame"], to_slicer), (fr["slicer"], tail),
                   (fr["world"], None)])  # fmt: skip
        wcs.bounding_box = ((-0.5, 7.5), (3 * s - 0.5, 3 * s + 2.5))
        slices[str(s)] = StoredWcs(wcs=wcs)
    ds = _exposure().isel(y=[0, 0, 0, 0, 0, 0], x=[0, 0, 0, 0, 0, 0, 0, 0])
    ds = ds.assign_coords(y=np.arange(6), x=np.arange(8), regions=(("y", "x"), np.repeat([[1], [2]], [3, 3], axis=0).repeat(8, axis=1).astype(np.int32)))  # fmt: skip
    ds.attrs["wcs"] = slices
    return ds, write_fits(ds, tmp_path / "ifu_like_cal.fits")


def test_ifu_meta_wcs_left_unread(tmp_path):
    """spec2x reads its own slice mapping back, lazily, past the ``meta.wcs`` written for jwst."""
    ds, path = _ifu_like(tmp_path)
    back = open_product(path)
    stored = slit_wcs(back)
    assert sorted(stored) == ["0", "1"]
    assert all(v._wcs is None for v in stored.values())
    assert get_wcs(back, slit="1")(2.0, 4.0) == get_wcs(ds, slit="1")(2.0, 4.0)
    assert stored["0"] == ds.attrs["wcs"]["0"]


@pytest.mark.parity
@pytest.mark.slow
def test_ifu_meta_wcs_as_jwst_reads_it(tmp_path):
    """The coordinate-based ``meta.wcs`` stdatamodels opens: the slice map picks each slice's
    transforms, bound to the slice's box."""
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    ds, path = _ifu_like(tmp_path)
    with datamodels.open(path) as model:
        wcs = model.meta.wcs
        assert wcs.available_frames == ["coordinates", "detector", "slicer", "world"]
        y, x = np.indices((6, 8), dtype=float)
        for s in (0, 1):
            rows = slice(3 * s, 3 * s + 3)
            expected = get_wcs(ds, slit=str(s))(x[rows], y[rows])
            np.testing.assert_array_equal(wcs(x[rows], y[rows]), expected)
        selector = wcs.pipeline[1].transform.selector
        assert selector[2].bounding_box.bounding_box(order="F") == ((-0.5, 7.5), (2.5, 5.5))


def test_ifu_meta_wcs_only_on_a_whole_ifu_frame(tmp_path):
    from spec2x.wcs.ifu_selector import ifu_meta_wcs

    ds, _ = _ifu_like(tmp_path)
    assert ifu_meta_wcs(ds).available_frames == ["coordinates", "detector", "slicer", "world"]
    assert ifu_meta_wcs(ds.isel(y=slice(1, None))) is None  # the map's pixels not the detector's
    assert ifu_meta_wcs(ds.assign_attrs(EXP_TYPE="NRS_MSASPEC")) is None
    assert ifu_meta_wcs(ds.drop_vars("regions")) is None
