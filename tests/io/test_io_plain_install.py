"""Products read back equal in a plain install of spec2x (``pip install <repo>``, no extras).

The test environment has specutils, ndcube and jwst, which hid a product that
would not reopen in a plain install (asdf's lazily loaded arrays: "Attempt to
read block data from missing block").  This builds, once per session, a
virtual environment with only ``pip install <repo>`` (pip uses the configured
index and its wheel cache) and runs ``plain_install_check.py`` in it: every
product kind, from the builders and from the chain on synthetic exposures
(SOSS, WFSS, MOS and the MRS cube included), with adversarial metadata,
through FITS and Zarr.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import spec2x

sys.path.insert(0, str(Path(__file__).parent))
from helpers import REALDATA  # noqa: E402
from mode_products import MODELS  # noqa: E402

REPO = Path(spec2x.__file__).resolve().parents[1]
CHECK = Path(__file__).with_name("plain_install_check.py")
#: Products of the modes added to the check with ``mode_products.py`` (the MRS cube aside).
NEW_PRODUCTS = [name for name in MODELS if name != "mir_mrs_s3d"]


@pytest.fixture(scope="session")
def plain_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python of a fresh virtual environment holding ``pip install <repo>`` only."""
    if not (REPO / "pyproject.toml").is_file():
        pytest.fail(f"spec2x is not imported from a source tree ({REPO}); cannot install it")
    folder = tmp_path_factory.mktemp("plain-venv")
    venv.create(folder, with_pip=True, clear=True)
    python = folder / ("Scripts" if os.name == "nt" else "bin") / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(REPO)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"pip install {REPO} failed:\n{done.stderr[-3000:]}")
    return python


def _run(python: Path | str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python args`` outside this tree's PYTHONPATH (the installed package is imported)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=1800
    )


@pytest.mark.slow
def test_every_product_kind_reads_back_in_a_plain_install(plain_python, tmp_path):
    mrs = (REALDATA / "miri").is_dir()  # the MRS cube needs the real FLT9 files
    realdata = ["--realdata", str(REALDATA)] if mrs else []
    done = _run(plain_python, str(CHECK), str(tmp_path / "out"), *realdata, cwd=tmp_path)
    report = done.stdout[-6000:] + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert "0 failed" in done.stdout, report
    checked = done.stdout.split("products:")[-1].split()
    for label in [*NEW_PRODUCTS, *(["mir_mrs_s3d"] if mrs else [])]:
        assert label in checked, report
    where = _run(plain_python, "-c", "import spec2x; print(spec2x.__file__)", cwd=tmp_path)
    assert "site-packages" in where.stdout, (
        where.stdout + where.stderr
    )  # the install, not this tree


def test_the_check_refuses_an_environment_with_test_extras(tmp_path):
    pytest.importorskip("specutils")
    done = _run(sys.executable, str(CHECK), str(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "not a plain install" in done.stdout
