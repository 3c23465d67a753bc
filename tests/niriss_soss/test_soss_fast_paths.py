"""SOSS time-series fast paths: the same numbers as the plain computations.

- box extraction's infill: medians and the running median only at the pixels
  bad in some integration, bit for bit the whole-cube computation (NumPy and Dask);
- the background fit: an exposure in memory held in one pass, a Dask one
  streamed by radix selection, the same template and scales;
- the streamed order statistics pick consecutive float32 values apart.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from spec2x.instruments.niriss import soss_bkg_stats
from spec2x.instruments.niriss.soss_background import read_soss_bkg, soss_background_fit
from spec2x.instruments.niriss.soss_infill import TIME_WINDOW, _infill, _nanmedian0
from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.niriss_soss_cal_refs import (
    soss_background_template,
    write_soss_cal_references,
)


def _cube(nints, seed=3):
    gen = np.random.default_rng(seed)
    data = gen.normal(5.0, 1.0, (nints, 12, 40)).astype(np.float32)
    err = gen.uniform(0.1, 0.2, data.shape)
    data.ravel()[gen.integers(0, data.size, 60)] = np.nan
    data[:, 1, 2] = np.nan  # bad in every integration
    data[2:5, 3, 4] = np.inf
    data[0, 5, 6] = data[-1, 6, 7] = np.nan  # at the ends of the running median
    err[-1, 7, 8] = np.nan
    return data, err


def _reference_infill(data, err, refmask):
    """The whole-cube computation: medians everywhere, the running median of every pixel."""
    allbad = np.sum(np.isfinite(err) & np.isfinite(data), axis=0) == 0
    mederr = np.where(allbad | refmask, np.inf, _nanmedian0(err))
    bad = ~np.isfinite(data)
    infilled = np.where(bad, np.where(allbad, 0.0, _nanmedian0(data))[None], data)
    infilled = infilled.astype(data.dtype)
    window = min(data.shape[0], TIME_WINDOW)
    running = ndimage.median_filter(infilled, window, axes=(0,))
    return np.where(bad, running, infilled), mederr


@pytest.mark.parametrize("nints", [1, 4, 23])
def test_infill_only_at_bad_pixels_is_the_whole_cube_infill(nints):
    data, err = _cube(nints)
    refmask = np.zeros(data.shape[1:], bool)
    refmask[:, :2] = True
    want_data, want_err = _reference_infill(data, err, refmask)
    got_data, got_err = _infill(data, err, refmask)
    assert got_data.dtype == want_data.dtype
    np.testing.assert_array_equal(got_data, want_data)
    np.testing.assert_array_equal(got_err, want_err)
    import dask.array as da

    lazy_data, lazy_err = _infill(
        da.from_array(data, chunks=(5, 6, 40)), da.from_array(err), refmask
    )
    np.testing.assert_array_equal(lazy_data.compute(), want_data)
    np.testing.assert_array_equal(np.asarray(lazy_err), want_err)
    import dask

    with dask.config.set({"array.chunk-size": "4KiB"}):  # medians over fewer rows than a chunk
        lazy_data, _ = _infill(da.from_array(data, chunks=(5, -1, -1)), da.from_array(err), refmask)
        np.testing.assert_array_equal(lazy_data.compute(), want_data)


@pytest.mark.parametrize("chunks", [(5, -1, -1), (3, 4, 40)])
def test_settled_infill_spilled_by_row_bands(chunks, monkeypatch):
    """Medians settled through the spilled cubes, bands of 1 row (chunks splitting rows or
    not): the whole cube's infill, bit for bit; and box_arrays' Dask results = NumPy's."""
    import dask.array as da

    from spec2x.instruments.niriss import soss_spill
    from spec2x.instruments.niriss.soss_infill import box_arrays

    monkeypatch.setattr(soss_spill, "BAND_BYTES", 1)
    data, err = _cube(23)
    err = err.astype(np.float32)  # spilled in its own dtype
    refmask = np.zeros(data.shape[1:], bool)
    refmask[:, :2] = True
    want_data, want_err = _reference_infill(data, err.astype(np.float64), refmask)
    lazy = da.from_array(data, chunks=chunks), da.from_array(err, chunks=chunks)
    got_data, got_err = _infill(*lazy, refmask, settle=True)
    assert isinstance(got_err, np.ndarray)
    np.testing.assert_array_equal(got_data.compute(), want_data)
    np.testing.assert_array_equal(got_err, want_err)
    dq = np.zeros(data.shape, np.uint32)
    dq[:, :, :2] = 2**31  # reference pixels
    dq[3, 5, 7] = 1
    eager = box_arrays(data, err, dq)
    streamed = box_arrays(*lazy, da.from_array(dq, chunks=chunks), settle=True)
    for want, got in zip(eager, streamed, strict=True):
        np.testing.assert_array_equal(np.asarray(got), want, strict=True)


def test_streamed_order_statistics_of_consecutive_floats(monkeypatch):
    """Consecutive float32 values (ranks one bit apart): streamed by radix = held = numpy."""
    monkeypatch.setattr(soss_bkg_stats, "_KEEP", 50)
    values = np.float32(1.0) + np.arange(30000, dtype=np.float32) * np.finfo(np.float32).eps
    values = np.repeat(values, 2)
    np.random.default_rng(4).shuffle(values)
    blocks = [(b,) for b in np.array_split(values, 9)]
    qs = [25.0, 35.0, 50.0]
    got = soss_bkg_stats.block_percentiles(lambda: iter(blocks), qs)[0]
    np.testing.assert_array_equal(got, np.percentile(values, qs))
    assert soss_bkg_stats.block_medians(lambda: iter(blocks)) == [np.median(values)]
    held = soss_bkg_stats.block_percentiles(lambda: iter(blocks), qs, keep=np.inf)[0]
    np.testing.assert_array_equal(held, got)


@pytest.mark.slow
def test_background_fit_held_or_streamed_is_the_same(tmp_path, monkeypatch):
    """NumPy (held, one pass) and Dask (streamed by radix selection: few values kept) agree."""
    import dask.array as da

    refs = write_soss_cal_references(tmp_path)
    templates = read_soss_bkg(str(refs["bkg"]), {}).content.templates
    monkeypatch.setattr(soss_bkg_stats, "_KEEP", 20_000)
    ds = make_soss_rateints(nints=1, background=1.7 * soss_background_template(1.1))
    sci, dq = ds["sci"].values, ds["dq"].values
    held = soss_background_fit(sci, dq, templates, block=2)
    streamed = soss_background_fit(
        da.from_array(sci, chunks=(1, -1, -1)), da.from_array(dq), templates, block=2
    )
    assert held[0] == streamed[0] == 1
    np.testing.assert_array_equal(held[1], streamed[1])


@pytest.mark.parametrize("lazy", [False, True])
def test_unusable_everywhere_is_every_integrations_flag(lazy):
    """DO_NOT_USE in every integration from one AND: the per-integration test's pixels."""
    import dask.array as da

    from spec2x.instruments.niriss.soss_infill import unusable_everywhere

    gen = np.random.default_rng(5)
    dq = gen.integers(0, 8, (6, 12, 40)).astype(np.uint32)
    dq[:, 3, 4] |= 1  # DO_NOT_USE everywhere, other bits varying
    dq[:, 5, 6] = 1
    dq[2, 5, 6] = 2  # not in one integration
    expected = np.all(dq & 1 != 0, axis=0)
    got = unusable_everywhere(da.from_array(dq, chunks=(2, 6, 40)) if lazy else dq)
    np.testing.assert_array_equal(np.asarray(got), expected)
    assert expected[3, 4]
    assert not expected[5, 6]
