"""Benchmark: the import floor of ``spec2x run``, library by library, in CPU seconds.

Run ``python benchmarks/import_floor.py`` (``--repeat N`` new processes, default 5,
the median and least shown; ``--wcs MODULE`` the WCS module whose imports count
as the step's, default the MIRI LRS one).

Each process imports, in the order a MIRI LRS ``spec2x run`` does, one group
after the other, and times each with ``time.process_time`` (user + system CPU
of the process): first what the program imports before its first step, with
the garbage collector off and then frozen as ``spec2x run`` has it
(``spec2x.cli._frozen_imports``); then what ``assign_wcs`` imports when it
runs (gwcs, astropy.modeling, scipy, astropy.coordinates, asdf and its
plugins), with the collector on.  A group's figure is what it adds to the
groups before it (``pandas`` is counted before ``xarray``, which imports it).
The processes run with Python's bytecode cache on (``PYTHONDONTWRITEBYTECODE``
taken out), as an installed spec2x runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (label, statements): the groups in the order of a MIRI LRS run; the first
#: ``_BEFORE_STEPS`` are imported before the first step.
GROUPS = [
    ("numpy", "import numpy"),
    ("pandas (with pyarrow)", "import pandas"),
    ("xarray (on top of pandas)", "import xarray"),
    ("astropy.io.fits (astropy.units)", "import astropy.io.fits"),
    (
        "spec2x's startup modules (params, pipeline, scale, FITS reader and writer)",
        "import spec2x.params, spec2x.pipeline, spec2x.scale, spec2x.io.fits",
    ),
    ("asdf (with PyYAML, jsonschema)", "import asdf"),
    ("astropy.modeling (fitting: astropy.nddata, scipy.sparse)", "import astropy.modeling"),
    ("gwcs (scipy.optimize, astropy.coordinates, astropy.table)", "import gwcs"),
    ("scipy.interpolate", "import scipy.interpolate"),
    ("spec2x's WCS module (its own code: the libraries are above)", "import {wcs}"),
    (
        "asdf plugins spec2x loads (asdf-astropy converters, manifests)",
        "from spec2x._asdf import spec2x_asdf\nwith spec2x_asdf(): pass",
    ),
]
_BEFORE_STEPS = 5

_CHILD = """
import gc, json, sys, time
groups = json.loads(sys.argv[1])
out = []
t0 = time.process_time()
gc.disable()
for i, code in enumerate(groups):
    if i == {before}:
        gc.freeze()
        gc.enable()
    t = time.process_time()
    exec(code)
    out.append(time.process_time() - t)
print(json.dumps([t0] + out))
"""


def measure(repeat: int, wcs: str) -> list[list[float]]:
    """Per process: interpreter start, then each group's CPU seconds."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    codes = json.dumps([code.format(wcs=wcs) for _, code in GROUPS])
    child = _CHILD.replace("{before}", str(_BEFORE_STEPS))
    runs = []
    for _ in range(repeat + 1):  # the first writes the bytecode cache: not counted
        done = subprocess.run(
            [sys.executable, "-c", child, codes],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        runs.append(json.loads(done.stdout.splitlines()[-1]))
    return runs[1:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="new processes (median shown)")
    parser.add_argument(
        "--wcs", default="spec2x.instruments.miri.lrs_wcs", help="the mode's WCS module"
    )
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    runs = measure(args.repeat, args.wcs)
    labels = ["interpreter start (CPU before the first import)"] + [g[0] for g in GROUPS]
    print("| imported | CPU median (s) | CPU least (s) |\n|---|---|---|")
    for i, label in enumerate(labels):
        values = [r[i] for r in runs]
        if i == _BEFORE_STEPS + 1:
            before = [sum(r[: _BEFORE_STEPS + 1]) for r in runs]
            print(f"| **before the first step** | {statistics.median(before):.3f} | "
                  f"{min(before):.3f} |")  # fmt: skip
        print(f"| {label} | {statistics.median(values):.3f} | {min(values):.3f} |")
    total = [sum(r) for r in runs]
    print(f"| **all** | {statistics.median(total):.3f} | {min(total):.3f} |")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
