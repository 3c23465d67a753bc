"""The package type-checks: ``python -m mypy spec2x`` (config in pyproject.toml) exits 0."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_mypy_spec2x_is_clean():
    pytest.importorskip("mypy")
    # The default cache (.mypy_cache in the repo root, git-ignored) makes a
    # re-run take about a second; a cold run takes some 20 s.
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "spec2x"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"mypy spec2x failed:\n{proc.stdout}{proc.stderr}"


def test_import_spec2x_is_light():
    """``import spec2x`` (and so ``spec2x --help``) loads neither xarray nor astropy up front."""
    import subprocess
    import sys

    code = "import sys, spec2x; print(sorted(m for m in ('xarray', 'astropy', 'asdf', 'dask') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
