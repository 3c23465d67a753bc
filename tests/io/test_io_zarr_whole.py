"""A Zarr store that is not whole (a missing array or chunk, an unfinished write) is refused."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import xarray as xr

from spec2x.cli import main
from spec2x.errors import InputFileError, Spec2xWarning
from spec2x.io import open_zarr, to_zarr

sys.path.insert(0, str(Path(__file__).parent))
import products  # noqa: E402


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "x_calints.zarr"
    to_zarr(products.rateints(nint=3, ny=8, nx=10), path, chunks={"integration": 1})
    return path


def _root_attrs(store):
    return json.loads((store / "zarr.json").read_text())["attributes"]


def test_written_with_consolidated_metadata_and_a_record(store):
    meta = json.loads((store / "zarr.json").read_text())
    assert "sci" in meta["consolidated_metadata"]["metadata"]
    assert meta["attributes"]["_spec2x_whole"]["sci"] == 3
    assert "_spec2x_whole" not in open_zarr(store).attrs  # never seen by the user


def test_a_missing_array_is_refused(store, capsys):
    shutil.rmtree(store / "sci")
    with pytest.raises(InputFileError, match=r"x_calints.zarr is not whole: missing array 'sci'"):
        open_zarr(store)
    assert main(["info", str(store)]) != 0
    printed = capsys.readouterr()
    assert "missing array 'sci'" in printed.err + printed.out


def test_a_missing_chunk_is_refused(store):
    (store / "err" / "c" / "1" / "0" / "0").unlink()
    with pytest.raises(InputFileError, match=r"missing 1 of 3 chunks of 'err'"):
        open_zarr(store)


def test_an_unfinished_write_is_refused(store):
    meta = json.loads((store / "zarr.json").read_text())
    meta["attributes"]["_spec2x_whole"] = "writing"
    del meta["consolidated_metadata"]
    (store / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(InputFileError, match="its write did not finish"):
        open_zarr(store)


def test_a_store_without_the_record_is_read_with_a_warning(store):
    meta = json.loads((store / "zarr.json").read_text())
    del meta["attributes"]["_spec2x_whole"]
    (store / "zarr.json").write_text(json.dumps(meta))
    with pytest.warns(Spec2xWarning, match="no completeness record"):
        back = open_zarr(store)
    xr.testing.assert_identical(back, products.rateints(nint=3, ny=8, nx=10))


def test_slit_groups_are_checked_too(tmp_path):
    from spec2x.synthetic.slit_layout import slit_layout

    tree = slit_layout([5, 30, 6, 40], [50, 300, 60, 20], seed=1, min_pixels=0)
    path = tmp_path / "x_cal.zarr"
    to_zarr(tree, path)
    group = sorted(p.name for p in path.iterdir() if p.name.startswith("group_"))[0]
    shutil.rmtree(path / group / "dq")
    with pytest.raises(InputFileError, match=f"missing array '{group}/dq'"):
        open_zarr(path)
