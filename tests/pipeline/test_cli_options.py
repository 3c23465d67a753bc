"""The spec2x command tells the truth: global options, one report per error, paths for workers."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from crds_cache_helpers import write_cache
from pipeline_fakes import exposure, slitless_rate
from pipeline_fakes import run_cli as _run

import spec2x
from spec2x.cli import main
from spec2x.io.fits import write_fits


@pytest.fixture
def rate(tmp_path):
    return slitless_rate(tmp_path)


def test_unknown_reference_type_is_refused(fake_steps, rate, tmp_path, capsys):
    code, out, err = _run(capsys, "run", rate, "--ref", "flatt=x.fits", "--output-dir", tmp_path)
    assert code == 2
    assert err.strip() == (
        "spec2x: error: unknown reference type 'flatt' in --ref; did you mean 'flat'?"
    )
    assert fake_steps == []  # nothing ran
    code, _, err = _run(capsys, "run", rate, "--ref", "zzz=x.fits", "--output-dir", tmp_path)
    assert code == 2
    assert "known: " in err
    assert "photom" in err


def test_a_failed_exposure_is_reported_once_on_stderr(fake_steps, tmp_path, capsys):
    name = "jw09999001001_03101_00001_mirimage"
    path = write_fits(exposure("MIR_LRS-SLITLESS", name=f"{name}_rate.fits"), tmp_path / "a.fits")
    os.rename(path, tmp_path / f"{name}_rate.fits")
    fake_steps.failures["photom"] = spec2x.errors.StepOrderError(
        f"photom: {name}_rate.fits lacks x"
    )
    code, out, err = _run(capsys, "run", tmp_path / f"{name}_rate.fits", "--output-dir", tmp_path)
    assert code == 2
    assert "lacks x" not in out  # not on stdout as well
    assert err.strip() == f"spec2x: error: photom: {name}_rate.fits lacks x"  # name once


def test_broken_pipe_is_a_quiet_exit(rate, capsys, monkeypatch):
    class Closed(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("sys.stdout", Closed())
    code = main(["info", str(rate)])
    assert code == 141
    assert capsys.readouterr().err == ""


def test_version(capsys):
    code, out, _ = _run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"spec2x {spec2x.__version__}"


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_options_before_or_after_the_command(fake_steps, rate, tmp_path, capsys, where):
    log = tmp_path / "run.log"
    options = ["--debug", "--log-file", log]
    args = [*options, "run", rate] if where == "before" else ["run", rate, *options]
    code, out, err = _run(capsys, *args, "--output-dir", tmp_path / "o")
    assert code == 0, err
    assert "flat_field ran with skip=False" in out  # --debug: each step's parameters
    text = log.read_text()
    assert "photom ran with skip=False, inverse=False" in text
    assert "1 of 1 exposure(s) calibrated" in text


def test_quiet_prints_nothing_but_problems(fake_steps, rate, tmp_path, capsys):
    code, out, err = _run(capsys, "-q", "run", rate, "--output-dir", tmp_path / "o")
    assert (code, out, err) == (0, "", "")
    code, out, err = _run(capsys, "run", rate, "--quiet", "--output-dir", tmp_path / "p")
    assert (code, out, err) == (0, "", "")


def test_the_parameters_of_each_step_go_to_the_log_file(fake_steps, rate, tmp_path, capsys):
    log = tmp_path / "run.log"
    code, out, _ = _run(
        capsys, "run", rate, "--output-dir", tmp_path / "o", "--log-file", log,
        "--steps.flat_field.inverse=true",
    )  # fmt: skip
    assert code == 0
    assert "ran with" not in out  # not on the console by default
    assert "flat_field ran with skip=False, save_interpolated_flat=False, " in log.read_text()
    assert "inverse=True" in log.read_text()


def test_demo_help_lists_the_modes(capsys):
    code, out, _ = _run(capsys, "demo", "--help")
    assert code == 0
    for mode in ("mir_lrs_fs", "mir_lrs_slitless", "nrs_fs", "nrs_bots"):
        assert mode in out


def test_save_steps_does_not_write_the_products_twice(fake_steps, rate, tmp_path, capsys):
    out_dir = tmp_path / "o"
    code, _, err = _run(capsys, "run", rate, "--output-dir", out_dir, "--save-steps")
    assert code == 0, err
    names = sorted(os.listdir(out_dir))
    assert "jw01_flat_field.fits" in names  # an intermediate step
    assert "jw01_photom.fits" not in names  # the same as jw01_cal.fits
    assert "jw01_extract_1d.fits" not in names  # the same as jw01_x1d.fits
    assert {"jw01_cal.fits", "jw01_x1d.fits"} <= set(names)


def _captured_run(monkeypatch):
    seen = {}

    def run_many(jobs, **kwargs):
        seen.update(kwargs, jobs=jobs)
        return []

    monkeypatch.setattr("spec2x.scale.run_many", run_many)
    return seen


def test_paths_are_made_absolute_for_the_workers(rate, tmp_path, capsys, monkeypatch):
    seen = _captured_run(monkeypatch)
    (tmp_path / "refs").mkdir()
    (tmp_path / "flat.fits").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(
        capsys, "run", rate.name, "--refs", "refs", "--ref", "flat=flat.fits", "--ref",
        "apcorr=N/A", "--output-dir", "out", "--scheduler", "tcp://127.0.0.1:1",
    )  # fmt: skip
    assert code == 0, err
    assert seen["scheduler"] == "tcp://127.0.0.1:1"
    assert seen["jobs"][0].science == str(rate)
    assert seen["refs_dir"] == str(tmp_path / "refs")
    assert seen["refs"] == {"flat": str(tmp_path / "flat.fits"), "apcorr": "N/A"}
    assert seen["output_dir"] == str(tmp_path / "out")


def test_refs_pointing_at_a_crds_cache_use_it(rate, tmp_path, capsys, monkeypatch):
    seen = _captured_run(monkeypatch)
    cache = write_cache(tmp_path / "crds")
    monkeypatch.delenv("CRDS_PATH", raising=False)
    code, _, err = _run(capsys, "run", rate, "--refs", cache, "--output-dir", tmp_path / "o")
    assert code == 0, err
    assert seen["crds_path"] == str(cache)
    assert seen["refs_dir"] is None
    refs = spec2x.pipeline._refset(Path(cache))
    assert refs.crds_cache is not None
    assert refs.directory is None


def test_a_reader_that_goes_away_in_a_real_pipe(rate):
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "spec2x.cli", "info", str(rate), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # `spec2x info FILE | head` with head already gone
    assert proc.wait(timeout=120) == 141
    assert proc.stderr.read() == b""
    proc.stderr.close()
