"""SOSS ATOCA in blocks of integrations: same numbers whatever the block, memory flat over
integrations on the lazy path, a NumPy exposure infilled once."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from spec2x.errors import InputFileError
from spec2x.instruments.niriss.soss_atoca import extract_atoca
from spec2x.instruments.niriss.soss_atoca_setup import integration_blocks
from spec2x.synthetic.niriss_soss import make_soss_rateints

_FAST = {"soss_tikfac": 1e-11}
_FIELDS = ("flux", "flux_error", "npixels", "model")


def _arrays(out) -> dict[str, np.ndarray]:
    return {name: np.asarray(out[name].values) for name in _FIELDS}


@pytest.fixture(scope="module")
def whole(soss_refs):
    """5 integrations fitted as one block (the unblocked computation)."""
    ds = make_soss_rateints(nints=5)
    return ds, extract_atoca(ds, soss_refs, block=5, soss_modelname="m", **_FAST)


def _same(got, expected) -> None:
    for name in _FIELDS:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name, strict=True)
    np.testing.assert_array_equal(got["integration"], np.arange(1, 6))
    assert got.attrs["SOSS_TIKFAC"] == expected.attrs["SOSS_TIKFAC"]
    assert got.attrs["SOSS_NGRID"] == expected.attrs["SOSS_NGRID"]


def test_atoca_blocks_do_not_change_the_numbers(whole, soss_refs):
    """Blocks of 2 and 3 give bit-identical spectra and trace models."""
    ds, expected = whole
    _same(extract_atoca(ds, soss_refs, block=2, soss_modelname="m", **_FAST), expected)


def test_atoca_dask_exposure_as_numpy(whole, soss_refs):
    """A Dask exposure (chunks of 2, blocks of 3 and 2) gives NumPy's numbers, bit for bit;
    its spectra are written to temporary files block by block and read back lazily."""
    ds, expected = whole
    lazy = ds.chunk({ds["sci"].dims[0]: 2})
    got = extract_atoca(lazy, soss_refs, block=3, soss_modelname="m", **_FAST)
    assert got["flux"].chunks == ((3,), (3, 2), (2048,))  # kept on disk, read back by blocks
    _same(got, expected)


def test_atoca_numpy_exposure_infilled_once(whole, soss_refs, monkeypatch):
    """A NumPy exposure is infilled once for the masks, the mean and every block."""
    from spec2x.instruments.niriss import soss_infill

    calls = []
    fill = soss_infill._fill
    monkeypatch.setattr(soss_infill, "_fill", lambda *a: calls.append(1) or fill(*a))
    extract_atoca(whole[0], soss_refs, block=2, **_FAST)
    assert len(calls) == 1


def _peak(ds, refs) -> int:
    ds = ds.chunk({ds["sci"].dims[0]: 2})  # the lazy path (a NumPy exposure is held whole)
    tracemalloc.start()
    try:
        extract_atoca(ds, refs, block=2, **_FAST)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_atoca_memory_flat_over_integrations(soss_refs):
    """Peak traced memory for 8 integrations of a Dask exposure stays within 1.3x that of 2
    (blocks of 2).

    Before the blocks, every integration held float64 trace models of each
    order and the decontaminated images: the peak grew about as the number
    of integrations (4x from 20 to 80; 1.7x here).
    """
    small, large = make_soss_rateints(nints=2), make_soss_rateints(nints=8)
    ratio = _peak(large, soss_refs) / _peak(small, soss_refs)
    assert ratio < 1.3, ratio  # 1.73 unblocked; 0.94 in blocks


def test_atoca_no_integration_fitted_alone():
    """A lone last integration joins the block before it (one right-hand side rounds otherwise)."""
    spans = [(p.start, p.stop) for p in integration_blocks(17, 16)]
    assert spans == [(0, 17)]
    assert [(p.start, p.stop) for p in integration_blocks(5, 1)] == [(0, 2), (2, 5)]
    assert [(p.start, p.stop) for p in integration_blocks(1, 16)] == [(0, 1)]


def test_atoca_block_must_be_positive(soss_refs):
    with pytest.raises(InputFileError, match="block"):
        extract_atoca(make_soss_rateints(nints=1), soss_refs, block=0)
