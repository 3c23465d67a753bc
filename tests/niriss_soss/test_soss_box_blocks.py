"""SOSS box extraction of a Dask exposure a block of integrations at a time from spilled cubes:
NumPy's spectra bit for bit (bad pixels at the blocks' edges and the exposure's ends, short
blocks, fewer integrations than the running median's window), the spill files' lifetime."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

from spec2x.dq import DQ
from spec2x.instruments.niriss import soss_spill
from spec2x.instruments.niriss.soss_box import soss_box_extract
from spec2x.synthetic.niriss_soss import make_soss_rateints


def _exposure(nints: int):
    """A SUBSTRIP96 exposure with bad pixels in the boxes: NaN and inf data at the blocks'
    edges and the ends, NaN and non-positive errors, DO_NOT_USE everywhere, a pixel
    bad in every integration, reference pixels."""
    ds = make_soss_rateints(nints=nints, subarray="SUBSTRIP96", seed=5)
    sci, err, dq = (ds[n].values.copy() for n in ("sci", "err", "dq"))
    gen = np.random.default_rng(7)
    idx = gen.integers(0, sci.size, 300)
    sci.ravel()[idx[:200]] = np.nan
    err.ravel()[idx[200:]] = np.nan
    for i in {0, 2, 3, nints - 1}:  # the ends, the edges of blocks of 3 and 4
        sci[i, 30:40, 100 + 3 * i] = np.inf
        sci[i, 40:45, 500] = np.nan
    sci[:, 50, 600] = np.nan  # in every integration
    err[nints // 2, 20:30, 700] = 0.0
    err[:, 25, 800] = -1.0
    dq[:, 60:62, 900] |= np.uint32(DQ.DO_NOT_USE)
    dq[:, :, :4] |= np.uint32(DQ.REFERENCE_PIXEL)
    return ds.assign(sci=(ds["sci"].dims, sci), err=(ds["err"].dims, err), dq=(ds["dq"].dims, dq))


@pytest.mark.parametrize(
    ("nints", "chunks"), [(23, (4, 4, 4, 4, 4, 3)), (10, (3, 3, 3, 1)), (6, (2, 2, 2))]
)
def test_blocks_are_numpys_spectra(soss_refs, nints, chunks, monkeypatch):
    """Bit for bit, the medians read back in bands of 700 columns (3 to a row)."""
    monkeypatch.setattr(soss_spill, "BAND_BYTES", 8 * 3 * nints * 700)
    eager = _exposure(nints)
    lazy = eager.chunk({"integration": chunks})
    want = soss_box_extract(eager, soss_refs["pastasoss"])
    got = soss_box_extract(lazy, soss_refs["pastasoss"])
    assert got["flux"].chunks is not None
    for name in ("flux", "flux_error", "npixels"):
        np.testing.assert_array_equal(got[name].values, want[name].values, strict=True)
        assert got[name].equals(want[name]), name


def test_spill_files_closed_but_the_spectra_held_until_dropped(soss_refs):
    """The cubes' files are closed by the extraction; the spectra's one, read back in
    blocks of the exposure's chunks, when its arrays are dropped."""
    gc.collect()
    assert not _spill_files()
    lazy = _exposure(7).chunk({"integration": 3})
    got = soss_box_extract(lazy, soss_refs["pastasoss"])
    assert len(_spill_files()) == 1
    assert got["flux"].chunks == ((2,), (3, 3, 1), (2048,))
    del got
    gc.collect()
    assert not _spill_files()


def _spill_files() -> list[str]:
    """The spilled files this process has open."""
    links = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            links.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # closed meanwhile
            continue
    return [link for link in links if "spec2x-spill-" in link]
