"""``spec2x run --chunks``: a time series read in chunks and its products streamed to disk.

One pass: every block of the input is read once (nothing is computed before
the products are written, no product recomputes the chain), and the products
equal those of the eager run.
"""

from __future__ import annotations

import collections
import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

from spec2x.cli import main
from spec2x.errors import ParameterError
from spec2x.io import fits_images, streaming
from spec2x.io.fits import open_product
from spec2x.io.zarr_store import open_zarr


def _run(*args) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["-q", "run", *map(str, args)])
    assert code == 0, out.getvalue()


def _refs(manifest) -> Path:
    return Path(manifest["products"]["quicklook"]).parent / "refs"


@pytest.fixture
def block_reads(monkeypatch):
    """How many times each block of each input image was read."""
    reads: collections.Counter = collections.Counter()
    original = fits_images._read_block

    def counting(slab, region):
        reads[(id(slab), tuple((r.start, r.stop) for r in region))] += 1
        return original(slab, region)

    monkeypatch.setattr(fits_images, "_read_block", counting)
    return reads


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["fits", "zarr"])
def test_chunked_run_is_one_pass_and_equals_eager(demo_runs, block_reads, tmp_path, fmt):
    manifest = demo_runs("mir_lrs_slitless")
    _run(manifest["input"], "--refs", _refs(manifest), "--output-dir", tmp_path,
         "--chunks", "16", "--format", fmt)  # fmt: skip
    nints = open_product(manifest["products"]["calints"]).sizes["integration"]
    assert block_reads, "the input was not read in chunks"
    assert set(block_reads.values()) == {1}, "a block of the input was read twice"
    assert len({key for key, _ in block_reads}) * -(-nints // 16) == len(block_reads)
    opener = open_product if fmt == "fits" else open_zarr
    for suffix in ("calints", "x1dints"):
        ours = opener(next(tmp_path.glob(f"*_{suffix}.{fmt}")))
        eager = open_product(manifest["products"][suffix])
        for var in eager.data_vars:
            np.testing.assert_array_equal(ours[var].values, eager[var].values, err_msg=var)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [f".{fmt}"] * 2  # no pass stores left


def test_input_chunks_rules(tmp_path, monkeypatch, demo_runs):
    path = demo_runs("mir_lrs_slitless")["input"]
    assert streaming.input_chunks(path, None) is None
    assert streaming.input_chunks(path, 0) is None
    assert streaming.input_chunks(path, 7) == {"integration": 7}
    assert streaming.input_chunks(path, "auto") is None  # small: read whole
    monkeypatch.setattr(streaming, "AUTO_CHUNK_FILE_BYTES", 1)
    monkeypatch.setattr(streaming, "_CHUNK_FILE_BYTES", Path(path).stat().st_size // 10)
    nints = open_product(path, chunks="auto").sizes["integration"]
    tenth = streaming.input_chunks(path, "auto")["integration"]  # a tenth of the file a chunk
    assert abs(tenth - nints / 10) <= 1
    assert streaming.input_chunks(str(tmp_path / "x_rateints.zarr"), "auto") is None
    with pytest.raises(ParameterError, match="--chunks -1"):
        streaming.input_chunks(path, -1)


def test_auto_chunks_streams_only_what_does_not_fit(monkeypatch, demo_runs):
    """``--chunks auto`` reads whole a file under 1 GB and a quarter of the memory available."""
    path = demo_runs("mir_lrs_slitless")["input"]
    size = Path(path).stat().st_size
    monkeypatch.setattr(streaming, "_available_memory", lambda: 4 * size + 4)
    assert streaming.auto_chunk_limit() == size + 1
    assert streaming.input_chunks(path, "auto") is None
    monkeypatch.setattr(streaming, "_available_memory", lambda: 4 * size - 4)
    assert streaming.input_chunks(path, "auto") is not None  # its eager run would not fit
    monkeypatch.setattr(streaming, "_available_memory", lambda: None)
    assert streaming.auto_chunk_limit() == streaming.AUTO_CHUNK_FILE_BYTES == 2**30
    monkeypatch.undo()
    assert streaming._available_memory() > 0


def test_bad_chunks_option_is_one_line(capsys):
    assert main(["run", "x_rateints.fits", "--chunks", "many"]) == 2
    err = capsys.readouterr().err
    assert "'many': give a number of integrations, auto or 0" in err
