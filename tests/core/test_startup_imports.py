"""Startup: what a command imports before it needs it (checked in a fresh process, not timed).

``spec2x --help`` imports none of the scientific stack (not even NumPy);
``spec2x info`` of an exposure, slits or spectra reads its headers with neither NumPy,
astropy nor xarray, and of any product imports no Dask, Zarr or asdf; a NumPy
``spec2x run`` imports no Dask; asking which modes
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

from spec2x.gc_tuning import GEN0_THRESHOLD
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
print(json.dumps({{"code": code, "heavy": loaded({HEAVY!r} + ("numpy", "yaml"))}}))
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
def lrs_products(lrs_fs, tmp_path_factory):
    """The cal, s2d and x1d of the LRS fixed-slit exposure (FITS, written by spec2x)."""
    from spec2x.io.fits import write_fits
    from spec2x.pipeline import spec2

    out = tmp_path_factory.mktemp("products")
    products = spec2(lrs_fs.exposures[0], {k: str(v) for k, v in lrs_fs.references.items()})
    return {k: write_fits(ds, out / f"lrs_{k}.fits") for k, ds in products.items()}


@pytest.fixture(scope="module")
def lrs_fs(tmp_path_factory):
    """A MIRI LRS fixed-slit nod and its references (the ASDF distortion among them)."""
    from spec2x.synthetic.miri_lrs import make_lrs_fixedslit

    return make_lrs_fixedslit(tmp_path_factory.mktemp("lrs"), seed=3)


def _refs_folder(lrs_fs, tmp_path):
    """A folder under ``tmp_path`` holding copies of the LRS FS exposure's references."""
    refs = tmp_path / "refs"
    refs.mkdir()
    for path in lrs_fs.references.values():
        shutil.copy(path, refs)
    return refs


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


def test_what_a_run_imports_before_its_first_step_holds_no_wcs_asdf_scipy_or_dask():
    """The modules ``spec2x run`` imports before the first step (the program, the chain,
    the FITS reader and writer, references, preflight, the writing of products) bring in
    xarray and astropy.io.fits but none of what the steps import for themselves."""
    found = _modules_after(
        _LOADED
        + """
import spec2x.cli, spec2x.io.fits, spec2x.io.references, spec2x.io.streaming
import spec2x.pipeline, spec2x.preflight, spec2x.scale
print(json.dumps({"heavy": loaded(("gwcs", "asdf", "astropy.modeling", "astropy.coordinates",
                                   "astropy.wcs", "scipy", "dask", "zarr", "stdatamodels",
                                   "photutils", "drizzle", "spec2x.io.zarr_store")),
                  "floor": loaded(("numpy", "xarray", "astropy.io.fits"))}))
"""
    )
    assert found == {"heavy": [], "floor": ["astropy.io.fits", "numpy", "xarray"]}


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
    refs = _refs_folder(lrs_fs, tmp_path)
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


def test_a_numpy_run_imports_no_dask_array(lrs_fs, tmp_path):
    """xarray imports dask.array the first time it builds a variable (``array_type("dask")``);
    ``spec2x._lazy_dask`` answers that question without it until Dask arrays exist, so a
    whole ``spec2x run`` on NumPy input never imports dask.array (0.3-0.5 s)."""
    run = ["-q", "run", str(lrs_fs.exposures[0]), "--refs", str(_refs_folder(lrs_fs, tmp_path))]
    run += ["--output-dir", str(tmp_path)]
    found = _modules_after(
        _LOADED
        + f"""
from spec2x.cli import main
code = main({run!r})
print(json.dumps({{"code": code,
                  "dask": loaded(("dask", "dask.array", "zarr", "spec2x.io.zarr_store"))}}))
"""
    )
    assert found == {"code": 0, "dask": []}
    assert {p.name.rsplit("_", 1)[1] for p in tmp_path.glob("*.fits")} >= {"cal.fits", "x1d.fits"}


def test_dask_input_after_the_deferral_is_dask_and_gives_the_numpy_answer(lrs_fs):
    """With the deferral in place before ``dask.array`` is imported, a chunked exposure is
    still seen as Dask by xarray (lazy through the chain to the cal) and computes the NumPy
    numbers; a masked Dask array is still filled as xarray does."""
    refs = {k: str(v) for k, v in lrs_fs.references.items()}
    found = _modules_after(
        _LOADED
        + f"""
import numpy as np
from xarray.namedarray.pycompat import array_type
import spec2x.datamodel  # installs the deferral; dask.array not imported yet
before = loaded(("dask.array",))
from spec2x.io.fits import open_exposure
from spec2x.pipeline import spec2
refs = {refs!r}
lazy = open_exposure({str(lrs_fs.exposures[0])!r}, chunks={{"y": 256}})
import dask.array as da
is_dask = [isinstance(lazy[v].data, array_type("dask")) for v in ("sci", "dq")]
masked = da.ma.masked_invalid(da.from_array(np.array([1.0, np.nan]), chunks=1))
import xarray as xr
filled = xr.DataArray(masked).values.tolist()  # xarray fills a masked Dask array's mask
skip = ["resample_spec", "extract_1d"]
out = spec2(lazy, refs, skip=skip)["cal"]
lazy_out = isinstance(out["sci"].data, array_type("dask"))
eager = spec2({str(lrs_fs.exposures[0])!r}, refs, skip=skip)["cal"]
same = bool(np.array_equal(out["sci"].values, eager["sci"].values, equal_nan=True))
print(json.dumps({{"before": before, "is_dask": is_dask, "lazy_out": lazy_out, "same": same,
                  "filled": str(filled)}}))
"""
    )
    assert found["before"] == []
    assert found["is_dask"] == [True, True]
    assert found["lazy_out"] is True
    assert found["same"] is True
    assert found["filled"] == "[1.0, nan]"


@pytest.mark.parametrize("suffix", ["cal", "s2d", "x1d"])
def test_info_builds_no_gwcs_and_imports_no_dask_array(lrs_products, suffix):
    """``spec2x info`` describes an exposure, slits or spectra from its headers: no NumPy,
    astropy, xarray, gwcs, asdf, Dask nor Zarr."""
    path = lrs_products[suffix]
    found = _modules_after(
        _LOADED
        + f"""
import contextlib, io
from spec2x import _asdf
from spec2x.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["info", {str(path)!r}])
print(json.dumps({{"code": code, "wcs": [ln for ln in out.getvalue().splitlines() if "wcs:" in ln],
                  "plugins": _asdf._plugins.cache_info().currsize,
                  "heavy": loaded(("gwcs", "asdf", "stdatamodels", "dask", "zarr")),
                  "reader": loaded(("numpy", "astropy", "xarray"))}}))
"""
    )
    wcs = {"cal": "one", "s2d": "per slit", "x1d": "none"}[suffix]
    assert found == {"code": 0, "wcs": [f"  wcs:    {wcs}"], "plugins": 0, "heavy": [],
                     "reader": []}  # fmt: skip


def test_the_program_freezes_its_startup_imports_and_main_does_not(lrs_fs, tmp_path):
    """``spec2x run`` as the program imports its modules without garbage collection and
    freezes their objects (``gc.freeze``), the collector enabled again for the data, its
    youngest generation collected less often;
    :func:`spec2x.cli.main` called from Python leaves the collector as it is.  (A run
    refused at preflight, an empty reference folder: the imports are made all the same.)"""
    refs = tmp_path / "refs"
    refs.mkdir()
    run = ["-q", "run", str(lrs_fs.exposures[0]), "--refs", str(refs), "--strict-refs"]
    found = _modules_after(
        f"""
import gc, json
from spec2x import cli
library = cli.main({[*run, "--output-dir", str(tmp_path / "library")]!r})
as_library = gc.get_freeze_count()
as_library_threshold = gc.get_threshold()[0]
cli._PROGRAM = True
program = cli.main({[*run, "--output-dir", str(tmp_path / "program")]!r})
print(json.dumps({{"codes": [library, program], "library": as_library,
                  "program": gc.get_freeze_count() > 10000, "enabled": gc.isenabled(),
                  "thresholds": [as_library_threshold, gc.get_threshold()[0]]}}))
"""
    )
    assert found == {"codes": [2, 2], "library": 0, "program": True, "enabled": True,
                     "thresholds": [700, GEN0_THRESHOLD]}  # fmt: skip


def test_held_off_packages_do_not_import_inside_and_do_after():
    from spec2x.import_guard import held_off

    sys.modules.pop("colorsys", None)
    with held_off(("colorsys",)):
        with pytest.raises(ImportError):
            import colorsys  # noqa: F401
    import colorsys

    assert colorsys.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)


def test_the_program_run_imports_no_pyarrow_or_numcodecs_yet_zarr_can_import_them(lrs_fs, tmp_path):
    """pandas and astropy.io.fits import pyarrow and numcodecs when installed; the
    program's FITS run holds them off (~0.1 s of CPU), and they import afterwards."""
    from spec2x.import_guard import UNUSED_OPTIONAL

    run = ["-q", "run", str(lrs_fs.exposures[0]), "--refs", str(_refs_folder(lrs_fs, tmp_path))]
    run += ["--output-dir", str(tmp_path)]
    found = _modules_after(
        _LOADED
        + f"""
from spec2x import cli
cli._PROGRAM = True
code = cli.main({run!r})
held = loaded({UNUSED_OPTIONAL!r})
import numcodecs, pandas
print(json.dumps({{"code": code, "held": held, "pandas": "pandas" in sys.modules,
                  "after": loaded({UNUSED_OPTIONAL!r}),
                  "scipy_docs": sys.modules["scipy._lib._array_api"].FunctionDoc.__name__}}))
"""
    )
    assert found == {"code": 0, "held": [], "pandas": True, "after": ["numcodecs"],
                     "scipy_docs": "KeptDoc"}  # fmt: skip
