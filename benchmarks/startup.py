"""Benchmark: spec2x as whole processes — startup of its commands, and runs against jwst.

Run ``python benchmarks/startup.py`` (``--modes mir_lrs_fs nrs_fs ...`` picks
demo modes, default all; ``--repeat N`` repeats the startup figures, the
median is shown; ``--no-jwst`` leaves jwst out; ``--workdir DIR`` keeps the
files).  Every figure is one new Python process, timed from the parent
(wall, and CPU = user + system of the child and of every process it
started, those it left behind included: this process is their subreaper):

- startup: ``spec2x --help``; ``spec2x info`` on the MIRI LRS fixed-slit
  ``_cal`` product (an exposure: described from its headers) and ``_x1d``
  product (from its headers too); ``spec2x run`` on the MIRI LRS fixed-slit nod pair
  (``mir_lrs_fs`` demo input: nod A with nod B as its background), and of
  that run the part outside the steps: the process's wall time minus the
  step times ``spec2x run`` logs (interpreter start, imports, opening the
  input, preflight, writing the products).  A step's time includes importing
  its module and what it needs (gwcs for assign_wcs ...), as a step's module
  is imported when it runs.
- whole process against jwst, per demo mode: ``spec2x demo MODE`` writes the
  synthetic input and its reference folder and prints the equivalent
  ``spec2x run`` command; that command is timed, and jwst's
  ``Spec2Pipeline`` on the same input with the same references and step
  parameters, in a process of its own with its imports
  (``benchmarks/_common.py``, as the other benchmarks run it).
- ``--floor``: each step of the MIRI LRS fixed-slit chain in this process,
  warm (the second of two runs: imports and asdf plugins already loaded),
  against a floor: one pass over the step's input arrays (every variable
  read and written once, ``np.multiply(a, 1)``), the least a pixel step does.
- ``--slits 5 100 500``: ``spec2x run`` as a whole process on a synthetic
  NIRSpec MOS exposure (PRISM/CLEAR, NRS1) with that many MSA slitlets and
  every reference of its chain (as ``benchmarks/nirspec_mos.py`` writes
  them); wall, CPU, steps, and CPU per slitlet.
- ``--workers-jobs N``: ``spec2x run`` on N copies of the MIRI LRS
  fixed-slit exposure (no background; ``--workers-mode MODE``: the one
  exposure of another demo) in one process, with ``--workers 1``
  and with ``--workers 2``, ``--repeat`` times each, alternated; median
  wall, CPU of the whole process tree, exposures per minute, and the CPU
  beyond the one process's (the workers' fixed cost).

spec2x's processes run with Python's bytecode cache on (``PYTHONDONTWRITEBYTECODE``
taken out of their environment), as an installed spec2x runs: without it every
process compiles spec2x's own modules again, which a user's never does (jwst's
modules, installed, have their bytecode either way).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _common import workdir_or_temp  # noqa: E402

_STEP_LINE = re.compile(r"^  (\w+)\s+([0-9.]+) s$", re.MULTILINE)
_BY_HAND = "the same run by hand: spec2x "


def spec2x_process(args: Sequence[str], *, log: Path | None = None) -> dict[str, Any]:
    """Run ``spec2x ARGS`` (this tree's spec2x) in a new process: wall, CPU, step times."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    _become_subreaper()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "spec2x.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    out = proc.stdout.read() if proc.stdout is not None else ""
    _, status, _ = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    _reap_orphans()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    code = os.waitstatus_to_exitcode(status)
    if log is not None:
        log.write_text(out)
    if code != 0:
        raise RuntimeError(f"spec2x {' '.join(args)} failed (exit {code}):\n{out[-3000:]}")
    steps = {name: float(t) for name, t in _STEP_LINE.findall(out)}
    cpu = sum(getattr(after, f) - getattr(before, f) for f in ("ru_utime", "ru_stime"))
    return {"wall": wall, "cpu": cpu, "steps": steps, "out": out}


def _become_subreaper() -> None:
    """Processes the child leaves behind (a forkserver, its worker processes) become this
    process's children when it exits, so that their CPU is counted too (Linux)."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap_orphans() -> None:
    """Wait for every process left behind (their CPU then counts in RUSAGE_CHILDREN)."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def demo_inputs(mode: str, root: Path) -> list[str]:
    """The demo's ``spec2x run`` arguments for ``mode``; its input and references are written
    into ``root/mode`` by running the demo once (kept: a second call reuses them)."""
    folder, log = root / mode, root / f"{mode}.log"
    if not log.exists():
        spec2x_process(["demo", mode, "--output-dir", str(folder)], log=log)
    line = next(x for x in log.read_text().splitlines() if _BY_HAND in x)
    return shlex.split(line.split(_BY_HAND, 1)[1])


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def startup(root: Path, repeat: int) -> list[list[str]]:
    """Rows: ``--help``, ``info``, ``run`` (and its part outside the steps) on MIRI LRS FS."""
    run_args = demo_inputs("mir_lrs_fs", root)
    x1d = next((root / "mir_lrs_fs").glob("*_x1d.fits"))
    rows = []
    helps = [spec2x_process(["--help"]) for _ in range(repeat)]
    rows.append(
        ["spec2x --help", f"{_median(helps, 'wall'):.2f}", f"{_median(helps, 'cpu'):.2f}", "-"]
    )
    cal = next((root / "mir_lrs_fs").glob("*_cal.fits"))
    for label, product in (("CAL (from its headers)", cal), ("X1D (from its headers)", x1d)):
        infos = [spec2x_process(["info", str(product)]) for _ in range(repeat)]
        rows.append([f"spec2x info {label}", f"{_median(infos, 'wall'):.2f}",
                     f"{_median(infos, 'cpu'):.2f}", "-"])  # fmt: skip
    runs = []
    for i in range(repeat):
        one = spec2x_process([*run_args, "--output-dir", str(root / f"run{i}")])
        one["outside"] = one["wall"] - sum(one["steps"].values())
        runs.append(one)
    rows.append(["spec2x run (MIRI LRS FS nod pair)", f"{_median(runs, 'wall'):.2f}",
                 f"{_median(runs, 'cpu'):.2f}", f"{_median(runs, 'outside'):.2f}"])  # fmt: skip
    steps = {s: statistics.median(r["steps"][s] for r in runs) for s in runs[0]["steps"]}
    print("  steps of the run (median s): " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items()))
    return rows


def floor_table(root: Path) -> list[list[str]]:
    """Rows: per step of the LRS FS chain, its warm time, the one-pass floor, the ratio."""
    import logging

    import numpy as np
    from _common import _StepLog

    from spec2x.io.association import read_association
    from spec2x.io.fits import open_exposure
    from spec2x.pipeline import spec2

    run_args = demo_inputs("mir_lrs_fs", root)
    science, refs = run_args[1], run_args[run_args.index("--refs") + 1]
    inputs: dict[str, Any] = {}
    previous: list[Any] = [open_exposure(read_association(science).science)]

    def on_step(name: str, ds: Any) -> None:
        inputs[name] = previous[0]
        previous[0] = ds

    handler = _StepLog()
    logger = logging.getLogger("spec2x")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    spec2(science, refs)  # imports, asdf plugins
    spec2(science, refs, on_step=on_step)
    logger.removeHandler(handler)
    rows = []
    for step, seconds in handler.steps.items():
        ds = inputs.get(step)
        if ds is None or not hasattr(ds, "data_vars"):
            rows.append([step, f"{seconds:.3f}", "-", "-", "-"])
            continue
        arrays = [np.asarray(v.values) for v in ds.data_vars.values()]
        passes = []
        for _ in range(3):
            t0 = time.perf_counter()
            for a in arrays:
                np.multiply(a, 1, out=np.empty_like(a))
            passes.append(time.perf_counter() - t0)
        floor, mb = min(passes), sum(a.nbytes for a in arrays) / 1e6
        rows.append(
            [
                step,
                f"{seconds:.3f}",
                f"{floor:.3f}",
                f"{mb:.0f}",
                f"{seconds / floor:.{0 if seconds >= 10 * floor else 1}f}x",
            ]
        )
    return rows


def slits_table(root: Path, counts: Sequence[int]) -> list[list[str]]:
    """Rows: per slitlet count, the whole ``spec2x run`` on a NIRSpec MOS exposure."""
    from nirspec_mos import write_inputs

    rows = []
    for n in counts:
        folder = root / f"mos_{n}"
        log = folder / "inputs.json"
        if not log.exists():
            rate, refs = write_inputs(folder, n)
            log.write_text(json.dumps({"rate": str(rate), "refs": refs}))
        job = json.loads(log.read_text())
        args = ["run", job["rate"], "--output-dir", str(folder / "out"), "--strict-refs"]
        args += [a for t, path in job["refs"].items() for a in ("--ref", f"{t}={path}")]
        one = spec2x_process(args)
        steps = sum(one["steps"].values())
        print(f"  {n} slitlets: {one['wall']:.1f} s (CPU {one['cpu']:.1f} s)", flush=True)
        rows.append([str(n), f"{one['wall']:.1f}", f"{one['cpu']:.1f}", f"{steps:.1f}",
                     f"{one['wall'] - steps:.1f}", f"{one['cpu'] / n:.3f}"])  # fmt: skip
    return rows


def _workers_source(root: Path, mode: str) -> tuple[Path, list[str]]:
    """One exposure of ``mode``'s demo and the ``spec2x run`` options that go with it."""
    if mode == "mir_lrs_fs":  # the rate of nod A alone: its association adds a background
        demo_inputs(mode, root)
        source = next((root / mode / "inputs").glob("*_00001_mirimage_rate.fits"))
        return source, ["--refs", str(root / mode / "refs")]
    args = demo_inputs(mode, root)[1:]  # after "run"
    files = [a for a in args if a.endswith(".fits") and not a.startswith("-")]
    if len(files) != 1 or args[0] != files[0]:
        raise SystemExit(f"--workers-mode {mode}: its demo runs {args}, not one FITS exposure")
    return Path(files[0]), args[1:]


def workers_table(root: Path, n_jobs: int, repeat: int, mode: str) -> list[list[str]]:
    """Rows: ``spec2x run`` on ``n_jobs`` copies of one exposure of ``mode``'s demo, in one
    process and on workers (``repeat`` runs of each, alternated; medians), and the CPU each
    way costs beyond the one process's."""
    import shutil

    source, options = _workers_source(root, mode)
    folder = root / f"workers_{mode}_{n_jobs}"
    folder.mkdir(exist_ok=True)
    inputs = []
    for i in range(n_jobs):
        path = folder / source.name.replace("_00001_", f"_{i + 1:05d}_", 1)
        if path.name == source.name:
            path = folder / f"{i + 1:05d}_{source.name}"
        if not path.exists():
            shutil.copy(source, path)
        inputs.append(str(path))
    hows = {"one process": [], "--workers 1": ["--workers", "1"], "--workers 2": ["--workers", "2"]}
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in hows}
    for r in range(repeat):  # alternated: a change in the machine's load hits all alike
        for k, (label, extra) in enumerate(hows.items()):
            out = folder / f"out_{k}"
            one = spec2x_process(["-q", "run", *inputs, *options, "--output-dir", str(out),
                                  *extra])  # fmt: skip
            print(f"  {label} ({r + 1}): {one['wall']:.1f} s (CPU {one['cpu']:.1f} s), load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
            runs[label].append(one)
    alone = _median(runs["one process"], "cpu")
    rows = []
    for label, done in runs.items():
        wall, cpu = _median(done, "wall"), _median(done, "cpu")
        rows.append([label, str(n_jobs), f"{wall:.1f}", f"{cpu:.1f}", f"{60 * n_jobs / wall:.1f}",
                     f"{cpu - alone:+.1f}"])  # fmt: skip
    return rows


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", help="demo modes against jwst (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="startup runs (median shown)")
    parser.add_argument("--no-jwst", action="store_true", help="leave jwst out")
    parser.add_argument("--no-startup", action="store_true", help="only the runs against jwst")
    parser.add_argument("--floor", action="store_true", help="only the per-step floor table")
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    parser.add_argument("--slits", type=int, nargs="+", help="only: NIRSpec MOS at these counts")
    parser.add_argument("--workers-jobs", type=int, help="only: N exposures, workers 1 and 2")
    parser.add_argument("--workers-mode", default="mir_lrs_fs",
                        help="the demo whose exposure --workers-jobs copies (default mir_lrs_fs)")  # fmt: skip
    args = parser.parse_args(argv)
    root = workdir_or_temp(args.workdir)
    root.mkdir(parents=True, exist_ok=True)
    print(f"files in {root}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.slits:
        rows = slits_table(root, args.slits)
        print(table(["slitlets", "wall (s)", "CPU (s)", "steps (s)", "outside the steps (s)",
                     "CPU per slitlet (s)"], rows))  # fmt: skip
        return 0
    if args.workers_jobs:
        rows = workers_table(root, args.workers_jobs, args.repeat, args.workers_mode)
        print(table(["how", "exposures", "wall (s)", "CPU (s)", "exposures / min",
                     "CPU beyond one process (s)"], rows))  # fmt: skip
        return 0
    if not args.no_startup:
        rows = startup(root, args.repeat)
        print(table(["command", "wall (s)", "CPU (s)", "outside the steps (s)"], rows))
    if args.floor:
        rows = floor_table(root)
        print(table(["step (MIRI LRS FS)", "warm (s)", "floor: one pass (s)", "input (MB)",
                     "step / floor"], rows))  # fmt: skip
        return 0
    from whole_process import HEADER, MODES, versus_jwst

    rows = versus_jwst(root, args.modes or list(MODES), [], not args.no_jwst)
    print(table(HEADER, rows))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
