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


def _sets(seed=2):
    """Three value sets: ties, a spike, negative values and both zeros (float32); a
    float64 set; and one empty."""
    gen = np.random.default_rng(seed)
    first = np.concatenate(
        [
            gen.normal(3, 1, 5000),
            np.full(700, 2.5),
            gen.exponential(50, 300),
            -gen.exponential(2, 90),
        ]
    ).astype(np.float32)
    first[:40] = 0.0
    first[40:60] = -0.0
    gen.shuffle(first)
    second = gen.normal(-1e3, 1e-3, 3001)  # float64
    return [first, second, np.empty(0, np.float32)]


class _Passes:
    """Blocks of ``sets`` of uneven size, counting the passes over them."""

    def __init__(self, sets, n=7):
        self.blocks = list(zip(*(np.array_split(v, n) for v in sets), strict=True))
        self.passes = 0

    def __call__(self):
        self.passes += 1
        return iter(self.blocks)


@pytest.mark.parametrize("keep", [10, 4_000_000])
def test_block_percentiles_are_numpys(monkeypatch, keep):
    """Every set's percentiles and median in the same passes: one when the values fit in
    ``keep``, else one per 16-bit digit (four for float64), all sets and ranks together."""
    monkeypatch.setattr(soss_bkg_stats, "_KEEP", keep)
    sets = _sets()
    qs = [0, 25, 35, 50, 99.9, 100]
    blocks = _Passes(sets)
    got = soss_bkg_stats.block_percentiles(blocks, qs)
    assert blocks.passes == (1 if keep > 10_000 else 4)
    for values, percentiles in zip(sets[:2], got, strict=False):
        np.testing.assert_array_equal(percentiles, np.percentile(values, qs))  # float64 lerp
    assert np.isnan(got[2]).all()
    blocks = _Passes(sets[:1])
    medians = soss_bkg_stats.block_medians(blocks)
    assert blocks.passes == (1 if keep > 10_000 else 2)
    assert medians == [np.median(sets[0])]
    assert soss_bkg_stats.block_medians(_Passes([sets[0][:-1]])) == [np.median(sets[0][:-1])]
    for q in (35.0, 62.5):  # one scalar percentile: numpy interpolates in float32
        one = soss_bkg_stats.block_percentiles(_Passes(sets[:1]), [q], scalar=True)[0][0]
        assert one == np.percentile(sets[0], q)
        assert one.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_radix_keys_order_as_the_floats(dtype):
    info = np.finfo(dtype)
    values = np.array(
        [-info.max, -1.5, -info.tiny, -info.smallest_subnormal, -0.0, 0.0,
         info.smallest_subnormal, info.tiny, 1.0, 1.5, info.max], dtype=dtype
    )  # fmt: skip
    keys = soss_bkg_stats._keys(values)
    assert (np.diff(keys.astype(object)) > 0).all()
    back = [soss_bkg_stats._value(int(k), np.dtype(dtype)) for k in keys]
    assert np.array_equal(np.array(back, dtype).view(keys.dtype), values.view(keys.dtype))


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


class _Counted:
    """An array read by Dask, counting the reads of each integration."""

    def __init__(self, array):
        self.array, self.shape, self.dtype, self.ndim = array, array.shape, array.dtype, array.ndim
        self.reads = np.zeros(array.shape[0], int)

    def __getitem__(self, key):
        self.reads[key[0]] += 1
        return self.array[key]


@pytest.mark.parametrize(("keep", "passes"), [(1000, 7), (4_000_000, 4)])
def test_background_of_a_dask_exposure_is_numpys_read_in_few_passes(bkg, monkeypatch, keep, passes):
    """Every statistic of every template part from the same passes: 2 per order statistic
    streamed by radix (threshold, ratio percentiles, medians) and 1 for the residuals;
    1 per statistic when its values fit in ``keep``.  The subtraction stays lazy."""
    da = pytest.importorskip("dask.array")
    monkeypatch.setattr(soss_bkg_stats, "_KEEP", keep)
    ds = make_soss_rateints(nints=4, background=2.0 * soss_background_template())
    counted = {name: _Counted(ds[name].values) for name in ("sci", "dq")}
    lazy = ds.assign(
        {n: (ds[n].dims, da.from_array(c, chunks=(1, -1, -1))) for n, c in counted.items()}
    )
    out, done = subtract_soss_background(lazy, bkg)
    assert done
    assert da.core.is_dask_collection(out["sci"].data)
    for c in counted.values():
        assert (c.reads == passes).all()
    expected, _ = subtract_soss_background(ds, bkg)
    np.testing.assert_array_equal(out["sci"].values, expected["sci"].values)
