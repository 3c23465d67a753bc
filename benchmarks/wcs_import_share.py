"""Benchmark: what a MIRI LRS slitless ``spec2x run`` pays for the WCS stack, in CPU seconds.

Run ``python benchmarks/wcs_import_share.py`` (``--ints N`` integrations, default
150; ``--repeat N`` new processes per figure, default 5, medians shown;
``--workdir DIR`` keeps the input, written once as ``benchmarks/whole_process.py``
writes it).

The WCS stack is what only the WCS needs: ``astropy.coordinates``,
``astropy.modeling``, ``gwcs`` and the asdf plugins spec2x loads (asdf-astropy's
converters, the manifests).  Every process first imports what the run needs
anyway (:data:`RUN_MODULES`: the program, its chain's step modules, the FITS
and ASDF writers, ``scipy.interpolate`` for the LRS spline), then:

- *imports*: each part of the stack in that order, timed with
  ``time.process_time`` (what it adds to what is already there);
- *runs*: ``spec2x -q run`` on the time series in the process, timed from after
  the imports, with the stack imported before the clock starts or not, the two
  alternating.  The difference is what the run itself spends importing the
  stack: the most a run without gwcs and astropy.modeling can save.

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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _common import workdir_or_temp  # noqa: E402
from whole_process import long_series_job  # noqa: E402

#: What a MIRI LRS slitless run imports besides the WCS stack.
RUN_MODULES = (
    "spec2x.cli, spec2x.pipeline, spec2x.scale, spec2x.io.fits, spec2x._asdf_write, "
    "scipy.interpolate, spec2x.steps.assign_wcs, spec2x.steps.srctype, "
    "spec2x.steps.flat_field, spec2x.steps.photom, spec2x.steps.extract_1d"
)
#: (label, statements): the WCS stack, part by part, in this order.
STACK = [
    ("astropy.coordinates", "import astropy.coordinates"),
    ("astropy.modeling (with its fitting: astropy.nddata)", "import astropy.modeling.models"),
    ("gwcs", "import gwcs, gwcs.geometry, gwcs.coordinate_frames"),
    ("asdf plugins spec2x loads", "from spec2x._asdf import spec2x_asdf\nwith spec2x_asdf(): pass"),
]

_IMPORTS = """
import json, sys, time
import {modules}
out = []
for code in json.loads(sys.argv[1]):
    t = time.process_time()
    exec(code)
    out.append(time.process_time() - t)
print(json.dumps(out))
"""

_RUN = """
import json, sys, time
import {modules}
if sys.argv[1] == "stack":
    for code in json.loads(sys.argv[2]):
        exec(code)
t = time.process_time()
sys.argv = ["spec2x", "-q", *json.loads(sys.argv[3])]
try:
    spec2x.cli.main()
except SystemExit:
    pass
print(time.process_time() - t)
"""


def _child(code: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", code.format(modules=RUN_MODULES), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    return done.stdout.splitlines()[-1]


def stack_imports(repeat: int) -> list[list[float]]:
    """Per process: each part of the stack's CPU seconds, after :data:`RUN_MODULES`."""
    codes = json.dumps([code for _, code in STACK])
    runs = [json.loads(_child(_IMPORTS, codes)) for _ in range(repeat + 1)]
    return runs[1:]  # the first writes the bytecode cache: not counted


def paired_runs(repeat: int, run_args: list[str], out: Path) -> dict[str, list[float]]:
    """The run's CPU seconds without and with the stack imported before the clock."""
    codes = json.dumps([code for _, code in STACK])
    cpu: dict[str, list[float]] = {"plain": [], "stack": []}
    for i in range(repeat):
        for kind in ("plain", "stack") if i % 2 == 0 else ("stack", "plain"):
            args = json.dumps([*run_args, "--output-dir", str(out / kind)])
            cpu[kind].append(float(_child(_RUN, kind, codes, args)))
    return cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ints", type=int, default=150, help="integrations of the series")
    parser.add_argument("--repeat", type=int, default=5, help="processes per figure")
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    args = parser.parse_args(argv)
    root = workdir_or_temp(args.workdir)
    run_args, _ = long_series_job(args.ints, root)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    imports = stack_imports(args.repeat)
    print("| imported after the run's other modules | CPU median (s) | CPU least (s) |")
    print("|---|---|---|")
    for i, (label, _) in enumerate(STACK):
        values = [r[i] for r in imports]
        print(f"| {label} | {statistics.median(values):.3f} | {min(values):.3f} |")
    total = [sum(r) for r in imports]
    print(f"| **the stack** | {statistics.median(total):.3f} | {min(total):.3f} |")
    cpu = paired_runs(args.repeat, run_args, root / "wcs_import_share")
    saved = [a - b for a, b in zip(cpu["plain"], cpu["stack"], strict=True)]
    print(f"\n| mir_lrs_slitless, {args.ints} ints | run CPU median (s) | least (s) |")
    print("|---|---|---|")
    print(f"| stack imported by the run | {statistics.median(cpu['plain']):.3f} | "
          f"{min(cpu['plain']):.3f} |")  # fmt: skip
    print(f"| stack imported before | {statistics.median(cpu['stack']):.3f} | "
          f"{min(cpu['stack']):.3f} |")  # fmt: skip
    print(f"| difference, pair by pair | {statistics.median(saved):.3f} | {min(saved):.3f} |")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
