"""The spec2x command: products named as jwst names them, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from pipeline_fakes import exposure, slitless_rate
from pipeline_fakes import run_cli as _run

from spec2x.errors import MissingReferenceError
from spec2x.io.fits import open_product, write_fits
from spec2x.params import load_params


@pytest.fixture
def rate(tmp_path):
    return slitless_rate(tmp_path)


def test_run_writes_jwst_named_products(fake_steps, rate, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, "run", rate, "--output-dir", out_dir)
    assert code == 0
    assert err == ""
    assert sorted(os.listdir(out_dir)) == ["jw01_cal.fits", "jw01_x1d.fits"]
    cal = open_product(out_dir / "jw01_cal.fits")
    np.testing.assert_allclose(cal["sci"], 2.0 * 0.5 * 3.0)
    assert cal.attrs["S_PHOTOM"] == "COMPLETE"
    assert "flat_field" in out  # one line per step on stdout


def test_multi_integration_names(fake_steps, tmp_path, capsys):
    path = write_fits(exposure("NRS_BRIGHTOBJ", nint=2), tmp_path / "jw02_rateints.fits")
    code, _, err = _run(capsys, "run", path, "--output-dir", tmp_path / "o", "--format", "zarr")
    assert code == 0, err
    assert sorted(os.listdir(tmp_path / "o")) == ["jw02_calints.zarr", "jw02_x1dints.zarr"]


def test_save_steps_and_overrides(fake_steps, rate, tmp_path, capsys):
    code, _, err = _run(
        capsys, "run", rate, "--output-dir", tmp_path / "o", "--save-steps",
        "--steps.flat_field.inverse=true", "--steps.photom.apply_time_correction", "false",
        "--skip", "srctype",
    )  # fmt: skip
    assert code == 0, err
    names = sorted(os.listdir(tmp_path / "o"))
    assert "jw01_flat_field.fits" in names
    assert "jw01_srctype.fits" not in names
    params = {name: p for name, p, _ in fake_steps}
    assert params["flat_field"]["inverse"] is True
    assert params["photom"]["apply_time_correction"] is False


def _one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_unknown_parameter_is_one_line(fake_steps, rate, tmp_path, capsys):
    code, _, err = _run(capsys, "run", rate, "--steps.flat_field.invrse=true")
    assert code == 2
    assert "did you mean 'inverse'" in _one_line(err)
    code, _, err = _run(capsys, "run", rate, "--skip", "flatfield")
    assert code == 2
    assert "did you mean 'flat_field'" in _one_line(err)


def test_missing_input(capsys, tmp_path):
    code, _, err = _run(capsys, "run", tmp_path / "nope_rate.fits")
    assert code == 2
    assert "nope_rate.fits does not exist" in _one_line(err)


def test_unwritable_output_dir(fake_steps, rate, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    code, _, err = _run(capsys, "run", rate, "--output-dir", blocker / "out")
    assert code == 2
    assert "cannot write to output folder" in _one_line(err)
    assert fake_steps == []  # refused before any work


def test_failed_step_leaves_no_partial_products(fake_steps, rate, tmp_path, capsys):
    fake_steps.failures["extract_1d"] = MissingReferenceError("no extract1d reference for MIRI")
    out_dir = tmp_path / "o"
    code, _, err = _run(capsys, "run", rate, "--output-dir", out_dir, "--save-steps")
    assert code == 2
    line = _one_line(err)
    assert "no extract1d reference" in line
    assert "jw01_rate.fits" in line
    assert os.listdir(out_dir) == []  # not even the cal or the step files


def test_debug_shows_the_traceback(fake_steps, rate, tmp_path, capsys):
    fake_steps.failures["photom"] = MissingReferenceError("no photom reference")
    code, _, err = _run(capsys, "run", rate, "--output-dir", tmp_path, "--debug")
    assert code == 2
    assert "Traceback" in err


def test_not_implemented_step(rate, tmp_path, capsys, monkeypatch, fake_steps):
    import dataclasses

    from spec2x import registry

    spec = registry.STEPS["photom"]
    monkeypatch.setitem(
        registry.STEPS, "photom", dataclasses.replace(spec, module="spec2x.steps._nothing_here")
    )
    code, _, err = _run(capsys, "run", rate, "--output-dir", tmp_path / "o")
    assert code == 2
    assert "--skip photom" in _one_line(err)
    code, _, err = _run(capsys, "run", rate, "--output-dir", tmp_path / "o", "--skip", "photom")
    assert code == 0, err


def test_several_inputs_one_fails(fake_steps, rate, tmp_path, capsys):
    asn = tmp_path / "l2_asn.json"
    asn.write_text(json.dumps({"products": [
        {"name": "prod_a", "members": [{"expname": "jw01_rate.fits", "exptype": "science"}]},
        {"name": "prod_b", "members": [{"expname": "bad_rate.fits", "exptype": "science"}]}]}))  # fmt: skip
    (tmp_path / "bad_rate.fits").write_text("not fits")
    code, out, err = _run(capsys, "run", asn, "--output-dir", tmp_path / "o")
    assert code == 2
    assert "prod_b" in _one_line(err)
    assert sorted(os.listdir(tmp_path / "o")) == ["prod_a_cal.fits", "prod_a_x1d.fits"]
    assert "1 of 2" in out


def test_params_export(tmp_path, capsys):
    code, _, err = _run(
        capsys, "params", "export", tmp_path / "p.asdf", "--steps.extract_1d.bkg_fit=poly"
    )
    assert code == 0, err
    assert load_params(tmp_path / "p.asdf")["extract_1d"]["bkg_fit"] == "poly"


def test_demo_absent_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "spec2x.demo", None)
    code, _, err = _run(capsys, "demo")
    assert code == 2
    assert "demo" in _one_line(err)


def test_bad_command_line(capsys):
    code, _, err = _run(capsys, "run")
    assert code == 2
    assert "INPUT" in _one_line(err)
    code, _, err = _run(capsys, "run", "x_rate.fits", "--ref", "flat")
    assert code == 2
    assert "TYPE=PATH" in _one_line(err)


def test_module_entry_point(tmp_path):
    """``python -m spec2x.cli``: exit status and one line on stderr from a real process."""
    proc = subprocess.run(
        [sys.executable, "-m", "spec2x.cli", "params", "export", str(tmp_path / "p.yaml"),
         "--steps.resample_spec.kernal=point"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "spec2x: error: unknown parameter 'kernal' of step resample_spec; did you mean 'kernel'?"
    )
    assert not (tmp_path / "p.yaml").exists()


def test_crash_in_a_step_is_an_internal_error(fake_steps, rate, tmp_path, capsys):
    fake_steps.failures["srctype"] = ValueError("boom")
    code, _, err = _run(capsys, "run", rate, "--output-dir", tmp_path)
    assert code == 1
    line = _one_line(err)
    assert "internal error: ValueError" in line
    assert "boom" in line
    assert "--debug" in line


def test_info_and_plot(rate, tmp_path, capsys):
    code, out, err = _run(capsys, "info", rate)
    assert code == 0, err
    assert "MIR_LRS-SLITLESS" in out
    code, out, err = _run(capsys, "info", rate, "--json")
    assert code == 0, err
    assert json.loads(out)["mode"]["EXP_TYPE"] == "MIR_LRS-SLITLESS"
    png = tmp_path / "q.png"
    code, _, err = _run(capsys, "plot", rate, "-o", png)
    assert code == 0, err
    assert png.read_bytes()[:4] == b"\x89PNG"
    code, _, err = _run(capsys, "info", tmp_path / "missing_cal.fits")
    assert code == 2
    assert "missing_cal.fits" in _one_line(err)


def test_an_input_is_never_overwritten(fake_steps, tmp_path, capsys):
    cal_in = write_fits(exposure("MIR_LRS-SLITLESS"), tmp_path / "jw05_cal.fits")
    before = cal_in.read_bytes()
    code, _, err = _run(capsys, "run", cal_in, "--output-dir", tmp_path)
    assert code == 2
    assert "would be overwritten" in _one_line(err)
    assert cal_in.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["jw05_cal.fits"]
