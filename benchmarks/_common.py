"""Shared pieces of the whole-chain benchmarks: one side per process, timings, peak memory.

Each side (``jwst`` or ``spec2x``) runs in a fresh Python process started by
:func:`measure`, so imports, caches and memory of one side never help or hurt
the other.  The parent writes a small JSON job file and runs
``python benchmarks/_common.py JOB.json``; the child calibrates the input
(products written to disk, as ``calwebb_spec2`` does) and writes its timings
back into a JSON file.

Peak memory: the child's own high-water resident set size (``VmHWM`` of
``/proc/self/status``, read by the child when it is done), which includes
the interpreter and the imported libraries.  Not ``ru_maxrss``: Linux
carries the parent's high-water mark across fork and exec into the child's
``ru_maxrss``, so both sides used to report the parent's size.

Per-step times: jwst's from its own log records (``Step NAME running ...``
to ``Step NAME done``, so a step's time includes saving its output when it
saves one); spec2x's from the line :func:`spec2x.pipeline.spec2` logs after
each step.  ``chain`` is the wall time of the whole call (opening the input,
all steps, writing the products); ``process`` adds interpreter start,
imports and asdf's one-time loading of its extensions (both sides pay it once
per process, a few seconds; a run of many exposures pays it once).  Wall times depend on what else the machine runs; CPU times (user +
system, ``time.process_time`` in the child) much less, so both are reported.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests"

__all__ = ["bench_case", "best_cpu", "format_table", "measure", "report_rows"]


# ------------------------------------------------------------------ parent side


def measure(
    side: str, job: Mapping[str, Any], *, workdir: str | os.PathLike[str]
) -> dict[str, Any]:
    """Run one side of a benchmark in a new process; return its timings and peak memory.

    Parameters
    ----------
    side : ``"jwst"`` or ``"spec2x"``.
    job : ``input`` (rate file or association), ``refs`` (reftype -> path),
        ``output_dir``; optional ``members`` (role -> paths, spec2x only: jwst
        takes them from the association) and ``steps_params``; optional
        ``runner``: ``"module:function"`` of ``benchmarks/`` run instead of one
        calibration (``function(job)`` for both sides, ``job["side"]`` says which;
        it may return step -> (wall, CPU) seconds of what it times itself, which
        replace the logged times of those steps).
    workdir : where the job and result files go.

    Returns
    -------
    ``{"side", "chain_s", "chain_cpu_s", "process_s", "process_cpu_s", "steps": {step: s},
    "steps_cpu": {step: s}, "maxrss_mb"}``: wall and CPU (user + system, all threads) seconds.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    job_path = workdir / f"job_{side}.json"
    result_path = workdir / f"result_{side}.json"
    result_path.unlink(missing_ok=True)
    job_path.write_text(json.dumps({**job, "side": side, "result": str(result_path)}))
    log_path = workdir / f"log_{side}.txt"
    start = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, __file__, str(job_path)], stdout=log, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or not result_path.exists():
        tail = "".join(log_path.read_text().splitlines(keepends=True)[-25:])
        raise RuntimeError(f"{side} side failed (exit {proc.returncode}); log {log_path}:\n{tail}")
    result = json.loads(result_path.read_text())
    result["process_s"] = elapsed
    result["process_cpu_s"] = usage.ru_utime + usage.ru_stime
    if result.get("peak_rss_mb") is None:  # no /proc: fall back (may include the parent's)
        result["peak_rss_mb"] = usage.ru_maxrss / 1024.0  # kB on Linux
    result["maxrss_mb"] = result["peak_rss_mb"]
    return result


def peak_rss_mb() -> float | None:
    """This process's high-water resident set size (MB), from ``/proc/self/status``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return None


def bench_case(
    name: str,
    input_path: str | os.PathLike[str],
    refs: Mapping[str, str],
    workdir: Path,
    steps_params: Mapping[str, Any] | None = None,
) -> list[list[str]]:
    """Run both sides on one input (each in its own process, with the same step
    parameters); return the table rows."""
    results = {}
    for side in ("jwst", "spec2x"):
        job = {"input": str(input_path), "refs": dict(refs), "output_dir": str(workdir / side)}
        if steps_params:
            job["steps_params"] = dict(steps_params)
        results[side] = measure(side, job, workdir=workdir)
        print(f"  {name} {side}: {results[side]['chain_s']:.2f} s, "
              f"{results[side]['maxrss_mb']:.0f} MB", flush=True)  # fmt: skip
    return report_rows(name, results["jwst"], results["spec2x"])


def report_rows(case: str, jwst: Mapping[str, Any], ours: Mapping[str, Any]) -> list[list[str]]:
    """Table rows for one case: whole chain, process, peak memory, then each step both ran."""

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.1f}x" if b > 0 else "-"

    rows = [
        [case, "whole chain", f"{jwst['chain_s']:.2f}", f"{ours['chain_s']:.2f}",
         ratio(jwst["chain_s"], ours["chain_s"])],
        [case, "whole chain, CPU time", f"{jwst['chain_cpu_s']:.2f}", f"{ours['chain_cpu_s']:.2f}",
         ratio(jwst["chain_cpu_s"], ours["chain_cpu_s"])],
        [case, "process (with imports)", f"{jwst['process_s']:.2f}", f"{ours['process_s']:.2f}",
         ratio(jwst["process_s"], ours["process_s"])],
        [case, "process (with imports), CPU time", f"{jwst['process_cpu_s']:.2f}",
         f"{ours['process_cpu_s']:.2f}", ratio(jwst["process_cpu_s"], ours["process_cpu_s"])],
        [case, "peak memory (MB)", f"{jwst['maxrss_mb']:.0f}", f"{ours['maxrss_mb']:.0f}",
         f"{ours['maxrss_mb'] / jwst['maxrss_mb']:.2f} of jwst"],
    ]  # fmt: skip
    for step, t_ours in ours["steps"].items():
        t_jwst = jwst["steps"].get(step)
        if t_jwst is None:
            continue
        rows.append([case, f"  {step}", f"{t_jwst:.2f}", f"{t_ours:.2f}", ratio(t_jwst, t_ours)])
        c_jwst, c_ours = jwst.get("steps_cpu", {}).get(step), ours.get("steps_cpu", {}).get(step)
        if c_jwst is not None and c_ours is not None:
            rows.append([case, f"  {step}, CPU time", f"{c_jwst:.2f}", f"{c_ours:.2f}",
                         ratio(c_jwst, c_ours)])  # fmt: skip
    return rows


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table of benchmark rows (case, what, jwst s, spec2x s, speed-up)."""
    header = ["case", "what", "jwst (s)", "spec2x (s)", "jwst / spec2x"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def best_cpu(func: Callable[[], Any], repeat: int) -> float:
    """Best CPU time (s, user + system) of ``repeat`` calls after one warm-up (imports, caches)."""
    func()
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        func()
        times.append(time.process_time() - t0)
    return min(times)


def workdir_or_temp(path: str | None) -> Path:
    """The folder given on the command line, or a new temporary one."""
    return Path(path) if path else Path(tempfile.mkdtemp(prefix="spec2x-bench-"))


# ------------------------------------------------------------------ child side


class _StepLog(logging.Handler):
    """Collects per-step times from jwst's and spec2x's log records: wall (the records'
    times) and CPU (this process's, all threads, read as each record arrives).

    jwst logs each step's start and end; spec2x logs each step's wall time when it
    ends, so its CPU time is the CPU since the previous record of the chain (the
    chain's start or the previous step's end).
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.started: dict[str, tuple[float, float]] = {}
        self.steps: dict[str, float] = {}
        self.steps_cpu: dict[str, float] = {}
        self.mark = time.process_time()

    def emit(self, record: logging.LogRecord) -> None:
        msg, args = record.msg, record.args
        if not isinstance(args, tuple) or not args:
            return
        cpu = time.process_time()
        if msg.startswith("Step %s running"):
            self.started[str(args[0])] = (record.created, cpu)
        elif msg == "Step %s done" and str(args[0]) in self.started:
            name = str(args[0])
            wall0, cpu0 = self.started[name]
            self.add(name, record.created - wall0, cpu - cpu0)
        elif msg.startswith("spec2 %s (%s)"):  # spec2x.pipeline.spec2 starts a chain
            self.mark = cpu
        elif msg.startswith("  %-22s") and len(args) == 2:  # spec2x.pipeline.spec2
            self.add(str(args[0]), float(args[1]), cpu - self.mark)
            self.mark = cpu

    def add(self, step: str, wall: float, cpu: float) -> None:
        """A step run once per exposure of a job counts every run."""
        self.steps[step] = self.steps.get(step, 0.0) + wall
        self.steps_cpu[step] = self.steps_cpu.get(step, 0.0) + cpu


def _run_jwst(job: Mapping[str, Any]) -> None:
    sys.path.insert(0, str(TESTS))
    from jwst_offline import run_jwst_spec2

    run_jwst_spec2(job["input"], job["refs"], job.get("steps_params"), job["output_dir"])


def _run_spec2x(job: Mapping[str, Any]) -> None:
    from spec2x.scale import jobs_from_inputs, process_job

    for one in jobs_from_inputs([job["input"]]):
        if job.get("members"):
            one = type(one)(one.science, one.base, job["members"], one.source)
        process_job(
            one, refs=job["refs"], params=job.get("steps_params"), output_dir=job["output_dir"]
        )


def child_main(job_path: str) -> None:
    """Run one side of a benchmark job (see :func:`measure`)."""
    job = json.loads(Path(job_path).read_text())
    handler = _StepLog()
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in ("stpipe", "jwst", "spec2x"):
        logging.getLogger(name).setLevel(logging.INFO)
    if job["side"] == "jwst":
        import jwst.pipeline  # noqa: F401  (imports are not part of the chain time)

        run: Callable[[Mapping[str, Any]], Any] = _run_jwst
    else:
        import spec2x.pipeline  # noqa: F401

        run = _run_spec2x
    if job.get("runner"):  # a benchmark's own job: "module:function" of benchmarks/
        module, _, name = job["runner"].partition(":")
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        run = getattr(importlib.import_module(module), name)
    import asdf

    # asdf finds and loads its extensions (entry points, schemas) once per process, on the
    # first ASDF read or write (a few seconds); both sides pay it: count it with the imports
    _ = asdf.get_config().extensions, asdf.get_config().resource_manager
    Path(job["output_dir"]).mkdir(parents=True, exist_ok=True)
    t0, c0 = time.perf_counter(), time.process_time()
    timed = run(job) or {}  # a runner's own (wall, CPU) step times replace the logged ones
    chain, cpu = time.perf_counter() - t0, time.process_time() - c0
    for step, (wall, step_cpu) in timed.items():
        handler.steps[step], handler.steps_cpu[step] = wall, step_cpu
    steps = {k: v for k, v in handler.steps.items() if k != "Spec2Pipeline"}
    steps_cpu = {k: v for k, v in handler.steps_cpu.items() if k != "Spec2Pipeline"}
    Path(job["result"]).write_text(
        json.dumps(
            {
                "side": job["side"],
                "chain_s": chain,
                "chain_cpu_s": cpu,
                "steps": steps,
                "steps_cpu": steps_cpu,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    child_main(sys.argv[1])
