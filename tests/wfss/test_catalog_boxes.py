"""Source catalogue, segmentation map and the grism box rules (hand-computed; vectorised)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from wfss_helpers import nrc_attrs

from spec2x._kernels.grism_boxes import clip_to_detector, order_boxes, to_index
from spec2x.errors import InputFileError
from spec2x.instruments.nircam.wfss_wcs import nircam_wfss_wcs
from spec2x.io.references import open_reference
from spec2x.io.source_catalog import (
    check_segmentation,
    read_segmentation_map,
    read_source_catalog,
)
from spec2x.wcs.grism_boxes import grism_boxes, select_sources

SHAPE = (100, 200)  # (ny, nx)


def _jwst_catalog() -> Path:
    jwst = pytest.importorskip("jwst")
    return Path(jwst.__file__).parent / "assign_wcs" / "tests" / "data" / (
        "step_SourceCatalogStep_cat.ecsv")  # fmt: skip


def test_reads_the_catalogue_jwst_ships():
    """The same sources, centroids, corners, magnitudes as jwst's get_object_info."""
    from jwst.assign_wcs.util import get_object_info

    path = _jwst_catalog()
    cat = read_source_catalog(path)
    objects = get_object_info(str(path))
    np.testing.assert_array_equal(cat.label, [o.label for o in objects])
    np.testing.assert_array_equal(cat.ra, [o.sky_centroid.icrs.ra.deg for o in objects])
    np.testing.assert_array_equal(cat.abmag, [o.isophotal_abmag for o in objects])
    np.testing.assert_array_equal(cat.is_extended, [o.is_extended for o in objects])
    corners = ("sky_bbox_ll", "sky_bbox_lr", "sky_bbox_ul", "sky_bbox_ur")
    jwst_ra = [[getattr(o, c).ra.deg for c in corners] for o in objects]
    jwst_dec = [[getattr(o, c).dec.deg for c in corners] for o in objects]
    np.testing.assert_array_equal(cat.corner_ra, jwst_ra)
    np.testing.assert_array_equal(cat.corner_dec, jwst_dec)


def test_a_catalogue_without_a_column_is_one_clear_error(tmp_path):
    text = _jwst_catalog().read_text().replace("isophotal_abmag_err", "abmag_err_renamed")
    bad = tmp_path / "cat.ecsv"
    bad.write_text(text)
    with pytest.raises(InputFileError, match=r"cat.ecsv lacks the column\(s\) isophotal_abmag_err"):
        read_source_catalog(bad)
    with pytest.raises(InputFileError, match=r"missing.ecsv not found; set SCATFILE"):
        read_source_catalog(tmp_path / "missing.ecsv")


def test_segmentation_map_must_hold_every_source(wfss, tmp_path):
    files = wfss("GRISMR")
    cat = read_source_catalog(files["catalog"])
    segmap = read_segmentation_map(files["segmentation"])
    check_segmentation(cat, segmap)  # the synthetic pair matches
    other = np.where(segmap == 7, 0, segmap)
    with pytest.raises(InputFileError, match=r"1 source\(s\) \(7\) not in the segmentation map"):
        check_segmentation(cat, other)


def test_rounding_is_gwcs_to_index():
    np.testing.assert_array_equal(to_index(np.array([0.5, 1.49999, -0.5, -0.50001])), [1, 1, 0, -1])


@pytest.mark.parametrize(
    ("xs", "ys", "keep", "partial"),
    [
        ((10.2, 60.7), (20.0, 30.4), True, False),  # inside
        ((-30.0, 60.0), (20.0, 30.0), True, True),  # runs off the left edge
        ((-30.0, 0.4), (20.0, 30.0), False, False),  # xmax = 0: no pixel past the edge
        ((-30.0, 0.5), (20.0, 30.0), True, True),  # xmax = 1
        ((198.5, 260.0), (20.0, 30.0), False, False),  # xmin = 199 = nx - 1
        ((10.0, 60.0), (-9.0, -0.6), False, False),  # ymax = -1: off across
        ((10.0, 60.0), (-9.0, -0.5), True, True),  # ymax = 0 touches the detector
        ((10.0, 60.0), (99.0, 140.0), True, True),  # ymin = 99 = ny - 1 touches
    ],
)
def test_box_rules_dispersion_along_x(xs, ys, keep, partial):
    out = order_boxes(np.array([xs]), np.array([ys]), SHAPE, dispaxis=1)
    assert out["keep"][0] == keep
    assert out["partial"][0] == partial
    assert out["xmin"][0] == to_index(min(xs))
    assert out["ymax"][0] == to_index(max(ys))


def test_box_rules_dispersion_along_y_swap_the_axes():
    # across (x) may just touch; along (y) needs a pixel past the edge
    out = order_boxes(np.array([[-5.0, -0.5]]), np.array([[10.0, 80.0]]), SHAPE, dispaxis=2)
    assert out["keep"][0]
    out = order_boxes(np.array([[10.0, 20.0]]), np.array([[-5.0, 0.4]]), SHAPE, dispaxis=2)
    assert not out["keep"][0]


def test_point_source_height_replaces_the_cross_extent():
    x, y = np.array([[10.0, 60.0], [10.0, 60.0]]), np.array([[20.0, 40.0], [20.0, 40.0]])
    out = order_boxes(x, y, SHAPE, 1, cross=np.array([30.2, np.nan]), half_height=5)
    np.testing.assert_array_equal(out["ymin"], [25, 20])
    np.testing.assert_array_equal(out["ymax"], [35, 40])


def test_an_all_nan_box_is_dropped():
    out = order_boxes(np.full((1, 8), np.nan), np.full((1, 8), np.nan), SHAPE, 1)
    assert not out["keep"][0]


def test_cutout_is_clamped_like_extract_2d():
    start, length, ok = clip_to_detector(
        np.array([-5, 10, 195, 200]), np.array([20, 30, 260, 230]), 200
    )
    np.testing.assert_array_equal(start, [0, 10, 195, 200])
    np.testing.assert_array_equal(length, [21, 21, 5, 0])
    np.testing.assert_array_equal(ok, [True, True, True, False])


def test_selection_by_magnitude_ids_and_nan(wfss):
    cat = read_source_catalog(wfss("GRISMR")["catalog"])
    np.testing.assert_array_equal(select_sources(cat), np.arange(len(cat)))
    bright = select_sources(cat, mmag_extract=22.0)
    np.testing.assert_array_equal(bright, np.flatnonzero(cat.abmag < 22.0))
    picked = select_sources(cat, source_ids=[3, 17, 999])
    np.testing.assert_array_equal(cat.label[picked], [3, 17])


class _Counting:
    """A WCS whose backward transform counts its calls."""

    def __init__(self, wcs):
        self.wcs, self.calls = wcs, 0

    @property
    def backward_transform(self):
        def call(*args):
            self.calls += 1
            return self.wcs.backward_transform(*args)

        return call

    def get_transform(self, *frames):
        return self.wcs.get_transform(*frames)


def test_boxes_take_one_wcs_call_per_order_and_wavelength(wfss):
    """Vectorised: the number of WCS evaluations does not grow with the number of sources."""
    files = wfss("GRISMR")
    refs = files["refs"]
    wcs = nircam_wfss_wcs(nrc_attrs(), refs)
    cat = read_source_catalog(files["catalog"])
    ranges = open_reference(refs["wavelengthrange"]).content.for_orders("F356W", (1, 2))
    counting = _Counting(wcs)
    table = grism_boxes(counting, cat, ranges, shape=(2048, 2048), dispaxis=1, half_height=5)
    assert counting.calls == 2 * 3  # two orders x (two ends + the point-source centre)
    assert table.sizes["box"] > 50
    mags = table["abmag"].values
    assert np.all(np.diff(mags) >= 0)  # brightest first
    few = grism_boxes(wcs, cat, ranges, shape=(2048, 2048), dispaxis=1, nbright=10)
    np.testing.assert_array_equal(few["source_id"], table["source_id"][:10])


def _jwst_rules(xs, ys, dispaxis):
    """jwst 3.0.0's per-source rules (``_create_grism_bbox``), line for line."""
    from gwcs.utils import to_index as gwcs_index

    xmin, xmax = gwcs_index(np.nanmin(xs)), gwcs_index(np.nanmax(xs))
    ymin, ymax = gwcs_index(np.nanmin(ys)), gwcs_index(np.nanmax(ys))
    pts = np.array([[ymin, xmin], [ymax, xmax]])
    extent = np.array([[0, 0], [SHAPE[0] - 1, SHAPE[1] - 1]])
    disp, xdisp = (1, 0) if dispaxis == 1 else (0, 1)
    along = (pts[1, disp] - extent[0, disp] > 0) and (extent[1, disp] - pts[0, disp] > 0)
    across = (pts[1, xdisp] - extent[0, xdisp] >= 0) and (extent[1, xdisp] - pts[0, xdisp] >= 0)
    inside = np.all(np.logical_and(extent[0] <= pts, pts <= extent[1]), axis=1)
    keep = along and across
    return dict(xmin=xmin, xmax=xmax, ymin=ymin, ymax=ymax, keep=keep,
                partial=keep and bool(len(pts[~inside])))  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(
    points=arrays(
        np.float64, st.tuples(st.integers(1, 12), st.just(8)), elements=st.floats(-80, 300)
    ),
    dispaxis=st.sampled_from([1, 2]),
)
def test_all_sources_at_once_follow_jwsts_rules_one_by_one(points, dispaxis):
    """The array rules on a stack of sources give what jwst's code gives each source."""
    x, y = points, points[:, ::-1] * 0.4
    together = order_boxes(x, y, SHAPE, dispaxis)
    for i in range(points.shape[0]):
        want = _jwst_rules(x[i], y[i], dispaxis)
        for key, value in want.items():
            assert together[key][i] == value, key
