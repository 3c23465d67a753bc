"""SOSS background read a block of integrations at a time: exact percentiles, Dask = NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.instruments.niriss import soss_bkg_stats
from spec2x.instruments.niriss.soss_background import (
    read_soss_bkg,
    soss_background_fit,
    subtract_soss_background,
)
from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.niriss_soss_cal_refs import (
    soss_background_template,
    write_soss_cal_references,
)


@pytest.fixture(scope="module")
def bkg(tmp_path_factory):
    refs = write_soss_cal_references(tmp_path_factory.mktemp("soss_bkg"))
    return read_soss_bkg(str(refs["bkg"]), {})


@pytest.mark.parametrize("keep", [10, 4_000_000])
def test_block_percentiles_are_numpys(monkeypatch, keep):
    """Ties, a spike and blocks of uneven size; ``keep`` 10 forces the histogram narrowing."""
    monkeypatch.setattr(soss_bkg_stats, "_KEEP", keep)
    gen = np.random.default_rng(2)
    values = np.concatenate([gen.normal(3, 1, 5000), np.full(700, 2.5), gen.exponential(50, 300)])
    values = values.astype(np.float32)
    gen.shuffle(values)
    blocks = list(np.array_split(values, 7))
    qs = [0, 25, 35, 50, 99.9, 100]
    got = soss_bkg_stats.block_percentiles(lambda: iter(blocks), qs)
    np.testing.assert_array_equal(got, np.percentile(values, qs))  # float64 interpolation
    for q in (35.0, 62.5):  # one scalar percentile: numpy interpolates in float32
        one = soss_bkg_stats.block_percentiles(lambda: iter(blocks), [q], scalar=True)[0]
        assert one == np.percentile(values, q)
        assert one.dtype == np.float32
    assert soss_bkg_stats.block_median(lambda: iter(blocks)) == np.median(values)
    assert soss_bkg_stats.block_median(lambda: iter(blocks[:-1] + [blocks[-1][:-1]])) == np.median(
        values[:-1]
    )
    assert np.isnan(soss_bkg_stats.block_percentiles(lambda: iter([np.empty(0)]), [50])[0])


def test_background_fit_by_blocks_is_the_whole_exposure_fit(bkg):
    """One integration at a time, four, or all at once: the same template and scales."""
    ds = make_soss_rateints(nints=5, background=1.7 * soss_background_template(1.1))
    templates = bkg.content.templates
    sci, dq = ds["sci"].values, ds["dq"].values
    whole = soss_background_fit(sci, dq, templates, block=5)
    for size in (1, 4):
        best, scales = soss_background_fit(sci, dq, templates, block=size)
        assert best == whole[0]
        np.testing.assert_array_equal(scales, whole[1])


def test_background_of_a_dask_exposure_is_numpys_and_lazy(bkg):
    dask = pytest.importorskip("dask")
    ds = make_soss_rateints(nints=4, background=2.0 * soss_background_template())
    lazy = ds.chunk({"integration": 1})
    out, done = subtract_soss_background(lazy, bkg)
    assert done
    assert dask.is_dask_collection(out["sci"].data)
    expected, _ = subtract_soss_background(ds, bkg)
    np.testing.assert_array_equal(out["sci"].values, expected["sci"].values)
