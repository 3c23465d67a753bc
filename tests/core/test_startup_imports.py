"""Startup: what a command imports before it needs it (checked in a fresh process, not timed).

``spec2x --help`` imports none of the scientific stack; asking which modes
spec2x calibrates imports no step module; reading the header of an ASDF
reference loads no asdf extension; and ``spec2`` refused at preflight (a
missing reference) has imported no step module, gwcs nor asdf's plugins: each
step's module is imported when the step runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from spec2x.registry import STEPS

ROOT = Path(__file__).resolve().parents[2]

#: Packages a command must not import before it needs them.
HEAVY = ("xarray", "dask", "astropy", "scipy", "asdf", "gwcs", "stdatamodels", "photutils")


def _modules_after(code: str) -> dict[str, object]:
    """Run ``code`` in a new interpreter (this tree's spec2x first on the path); return the
    JSON it prints on its last line, which ``code`` builds from ``sys.modules``."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


_LOADED = """
import json, sys
def loaded(names):
    return sorted(n for n in names if n in sys.modules)
"""


def test_help_imports_no_scientific_package():
    found = _modules_after(
        _LOADED
        + f"""
import contextlib, io
from spec2x.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["--help"])
print(json.dumps({{"code": code, "heavy": loaded({HEAVY!r})}}))
"""
    )
    assert found == {"code": 0, "heavy": []}


def test_calibrated_modes_import_no_step_module():
    steps = [s.module for s in STEPS.values()]
    found = _modules_after(
        _LOADED
        + f"""
from spec2x.params import resolve
from spec2x.registry import calibrated_exp_types
resolve(None)
registry_only = loaded({HEAVY!r})
types = calibrated_exp_types()
print(json.dumps({{"registry": registry_only, "steps": loaded({steps!r}), "types": list(types),
                  "heavy": loaded(("gwcs", "photutils", "astropy.modeling", "stdatamodels"))}}))
"""
    )
    assert found["registry"] == []  # the registry and parameters alone: no xarray either
    assert found["steps"] == []
    assert found["heavy"] == []
    assert "MIR_LRS-FIXEDSLIT" in found["types"]


@pytest.fixture(scope="module")
def lrs_fs(tmp_path_factory):
    """A MIRI LRS fixed-slit nod and its references (the ASDF distortion among them)."""
    from spec2x.synthetic.miri_lrs import make_lrs_fixedslit

    return make_lrs_fixedslit(tmp_path_factory.mktemp("lrs"), seed=3)


def test_asdf_reference_header_loads_no_extension(lrs_fs):
    path = lrs_fs.references["distortion"]
    assert str(path).endswith(".asdf")
    found = _modules_after(
        _LOADED
        + f"""
from spec2x import _asdf
from spec2x.io.references import read_header
header = read_header({str(path)!r})
print(json.dumps({{"reftype": header["REFTYPE"], "plugins": _asdf._plugins.cache_info().currsize,
                  "heavy": loaded(("gwcs", "asdf_astropy", "stdatamodels", "astropy.modeling"))}}))
"""
    )
    assert found == {"reftype": "DISTORTION", "plugins": 0, "heavy": []}


def test_refused_at_preflight_before_any_step_module(lrs_fs, tmp_path):
    refs = tmp_path / "refs"
    refs.mkdir()
    for reftype, path in lrs_fs.references.items():
        if reftype != "specwcs":  # assign_wcs cannot do without it: refused before running
            shutil.copy(path, refs)
    steps = [s.module for s in STEPS.values()]
    found = _modules_after(
        _LOADED
        + f"""
from spec2x import _asdf
from spec2x.errors import MissingReferenceError
from spec2x.pipeline import spec2
try:
    spec2({str(lrs_fs.exposures[0])!r}, {str(refs)!r})
    error = ""
except MissingReferenceError as exc:
    error = str(exc)
print(json.dumps({{"error": error, "steps": loaded({steps!r}),
                  "plugins": _asdf._plugins.cache_info().currsize,
                  "heavy": loaded(("gwcs", "photutils", "astropy.modeling", "stdatamodels"))}}))
"""
    )
    assert "specwcs" in found["error"]
    assert found["steps"] == []
    assert found["plugins"] == 0
    assert found["heavy"] == []


def test_the_program_ends_at_once_with_its_files_and_status(lrs_fs, tmp_path):
    """``entry_point`` skips the interpreter's teardown, not the exit handlers: the log file
    is complete, the products written, the exit status kept (0, and 2 for a spec2x error)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    refs = tmp_path / "refs"
    refs.mkdir()
    for path in lrs_fs.references.values():
        shutil.copy(path, refs)
    log, out = tmp_path / "run.log", tmp_path / "out"
    base = [sys.executable, "-m", "spec2x.cli", "-q", "--log-file", str(log)]
    run = [*base, "run", str(lrs_fs.exposures[0]), "--refs", str(refs), "--output-dir", str(out)]
    done = subprocess.run(run, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert {p.name.rsplit("_", 1)[1] for p in out.iterdir()} == {"cal.fits", "s2d.fits", "x1d.fits"}
    assert log.read_text().rstrip().endswith(f"1 of 1 exposure(s) calibrated into {out}")
    bad = subprocess.run(
        [*base, "info", str(tmp_path / "absent.fits")], env=env, capture_output=True
    )
    assert bad.returncode == 2
    assert b"absent.fits" in bad.stderr
