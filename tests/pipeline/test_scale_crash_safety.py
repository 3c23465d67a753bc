"""Products replaced without a moment where neither is whole; what killed runs left is cleaned."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import pytest
from pipeline_fakes import exposure

from spec2x.io import atomic
from spec2x.io.fits import write_fits
from spec2x.io.zarr_store import open_zarr
from spec2x.scale import jobs_from_inputs, run_many


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    return int(proc.stdout)


def _dead_owner() -> str:
    return f"{atomic.owner_tag().split('-')[0]}-{_dead_pid()}-0badf00d"


@pytest.fixture
def one_input(tmp_path):
    ds = exposure("MIR_LRS-SLITLESS", value=2.0, name="jw00_rate.fits")
    return [write_fits(ds, tmp_path / "jw00_rate.fits")]


def test_replacing_a_store_keeps_the_old_one_until_the_new_one_is_in(tmp_path, monkeypatch):
    """Killed between the renames (here: the second rename fails), the old store survives."""
    old, new = tmp_path / "x.zarr", tmp_path / "new.zarr"
    for path, text in ((old, "old"), (new, "new")):
        path.mkdir()
        (path / "zarr.json").write_text(text)
    real = os.replace
    calls = []

    def second_fails(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:
            raise OSError("killed here")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", second_fails)
    with pytest.raises(OSError, match="killed here"):
        atomic.replace(new, old)
    monkeypatch.undo()
    assert (old / "zarr.json").read_text() == "old"  # put back at once
    assert calls[0][0] == old
    assert calls[0][1].name.endswith(".old")
    atomic.replace(new, old)
    assert (old / "zarr.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.zarr"]


def test_a_backup_without_its_product_is_restored(tmp_path, caplog):
    """A run killed between 'old -> backup' and 'new -> product' left only the backup."""
    backup = tmp_path / f".x_calints.zarr.{_dead_owner()}.old"
    backup.mkdir()
    (backup / "zarr.json").write_text("old")
    spent = tmp_path / f".x_cal.zarr.{_dead_owner()}.old"  # killed while deleting a spent backup
    spent.mkdir()
    (tmp_path / "x_cal.zarr").mkdir()
    with caplog.at_level(logging.WARNING, logger="spec2x"):
        found = atomic.recover(tmp_path)
    assert found.restored == ["x_calints.zarr"]
    assert found.removed == [spent.name]
    assert (tmp_path / "x_calints.zarr" / "zarr.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x_cal.zarr", "x_calints.zarr"]
    assert len(caplog.records) == 1
    assert "restored x_calints.zarr from its backup" in caplog.text


def test_stale_staging_of_dead_runs_is_cleaned_at_the_next_run(
    fake_steps, one_input, tmp_path, caplog
):
    out = tmp_path / "out"
    out.mkdir()
    stale = out / f".spec2x-jw00-{_dead_owner()}"
    stale.mkdir()
    (stale / "jw00_cal.fits").write_bytes(b"SIMPLE  =")
    tmp = out / f".jw00_x1d.fits.{_dead_owner()}.tmp"
    tmp.write_bytes(b"")
    live = out / f".spec2x-other-{atomic.owner_tag()}-0123abcd"  # this process: alive
    live.mkdir()
    unowned = out / ".spec2x-jw07-89abcdef"  # an older spec2x's name
    unowned.mkdir()
    with caplog.at_level(logging.INFO, logger="spec2x"):
        results = run_many(jobs_from_inputs(one_input), output_dir=out)
    assert results[0].ok, results[0].error
    assert not stale.exists()
    assert not tmp.exists()
    assert live.exists()
    assert unowned.exists()
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(lines) == 1
    assert "removed 2 leftover(s) of killed runs" in lines[0]
    assert ".spec2x-jw07-89abcdef" in lines[0]
    assert "remove it by hand" in lines[0]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "jw00_cal.fits",
        "jw00_x1d.fits",
    ]


def test_rerun_into_zarr_products_replaces_them(fake_steps, one_input, tmp_path):
    out = tmp_path / "out"
    for _ in range(2):
        results = run_many(jobs_from_inputs(one_input), output_dir=out, fmt="zarr")
        assert results[0].ok, results[0].error
    np.testing.assert_allclose(open_zarr(out / "jw00_cal.zarr")["sci"], 3.0)
    assert sorted(p.name for p in out.iterdir()) == ["jw00_cal.zarr", "jw00_x1d.zarr"]
