"""Benchmark: NIRSpec MOS through the whole Stage 2 chain, jwst 3.0.0 against spec2x.

Run ``python benchmarks/nirspec_mos.py`` (``--slitlets 100 500`` by default;
``--workdir DIR`` keeps the files).  For each count it writes a synthetic
full-frame PRISM/CLEAR exposure on NRS1 with that many MSA slitlets (two of
them fall on NRS2 and are dropped by both pipelines) and every reference of
the chain (:func:`spec2x.synthetic.nirspec_mos_chain.make_nirspec_mos_chain`;
no background-only slitlet, so both pipelines' master_background_mos record
FAILED and change nothing), then calibrates it to ``_cal``, ``_s2d`` and
``_x1d`` with jwst's ``Spec2Pipeline`` (offline, every reference overridden)
and with spec2x, each side in its own process (see ``benchmarks/_common.py``),
and prints a table: whole process, chain, peak memory and each step, with the
jwst / spec2x ratios, and spec2x's CPU per slitlet between the counts.

jwst takes ~40 min under load at 500 slitlets: ``--jwst-slitlets`` lists the
counts jwst runs at (default 100); at the other counts, with one count
measured, its times are that count's scaled by the number of slitlets
(linear: a lower bound, jwst grows faster than linearly), marked ``jwst
scaled``, and its memory is not given; with two or more, its times and peak
memory are the straight line through the two largest measured counts
(``jwst extrapolated``; ``--jwst-slitlets 100 200``: jwst's memory per slitlet).  ``--reuse`` takes a side's result from an earlier run
in ``--workdir`` (``mos_N/measured_SIDE.json``, with its input files) instead of running it again.
``--step-memory`` also runs spec2x once more at each count with its resident
memory sampled (:func:`step_memory`): after each step and the peak within it,
then writing the products (side ``spec2x_memory``; the table goes to
``mos_N/spec2x_memory/step_memory.json`` and is printed).
``--before DIR`` also runs the spec2x side from the source tree ``DIR`` of an
earlier spec2x (``git archive COMMIT | tar -x -C DIR``), reported as
``spec2x before`` rows next to the current code's (side ``spec2x_before``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import format_table, measure, report_rows, workdir_or_temp  # noqa: E402

from spec2x.synthetic.nirspec_mos_chain import make_nirspec_mos_chain  # noqa: E402


def write_inputs(folder: Path, n_slitlets: int, seed: int = 1) -> tuple[Path, dict[str, str]]:
    """The MOS rate file and reftype -> path of its references."""
    chain = make_nirspec_mos_chain(seed, folder=folder, n_slitlets=n_slitlets, n_background=0)
    return chain.truth.rate_paths[0], {k: str(v) for k, v in chain.refs.items()}


def run_side(
    side: str, folder: Path, rate: Path, refs: dict[str, str], reuse: bool, source: str = ""
) -> Any:
    """One side's timings at one count (from ``folder/measured_SIDE.json`` with ``reuse``;
    ``source``: the spec2x source tree the side imports, when not this one)."""
    saved = folder / f"measured_{side}.json"
    if reuse and saved.exists():
        print(f"  {side}: reusing {saved}", flush=True)
        return json.loads(saved.read_text())
    job = {"input": str(rate), "refs": refs, "output_dir": str(folder / side)}
    before = os.environ.get("PYTHONPATH")
    if source:
        os.environ["PYTHONPATH"] = str(Path(source).resolve())
    try:
        result = measure(side, job, workdir=folder)
    finally:
        if source:
            os.environ.pop("PYTHONPATH")
            if before is not None:
                os.environ["PYTHONPATH"] = before
    saved.write_text(json.dumps(result))
    print(f"  {side}: {result['chain_s']:.1f} s, {result['chain_cpu_s']:.1f} s CPU, "
          f"{result['maxrss_mb']:.0f} MB", flush=True)  # fmt: skip
    return result


def scaled(result: dict[str, Any], factor: float) -> dict[str, Any]:
    """jwst's timings scaled by ``factor`` (more slitlets), memory not known."""
    keys = ("chain_s", "chain_cpu_s", "process_s")
    steps = {k: v * factor for k, v in result["steps"].items()}
    return {**{k: result[k] * factor for k in keys}, "steps": steps, "maxrss_mb": float("nan")}


def _rss_mb() -> float:
    """This process's resident set size (MB)."""
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


class _StepMemory(logging.Handler):
    """RSS after each step spec2x's chain logs (``  STEP  N s``) and its peak within the step,
    sampled every ``every`` seconds by a thread."""

    def __init__(self, every: float = 0.05) -> None:
        super().__init__(logging.INFO)
        self.rows: list[dict[str, Any]] = []
        self.peak = _rss_mb()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(every,), daemon=True)
        self._thread.start()

    def _sample(self, every: float) -> None:
        while not self._stop.wait(every):
            rss = _rss_mb()
            with self._lock:
                self.peak = max(self.peak, rss)

    def phase(self, name: str) -> None:
        """Close a phase: RSS now and the peak since the previous phase."""
        now = _rss_mb()
        with self._lock:
            self.rows.append({"phase": name, "rss_mb": now, "peak_mb": max(self.peak, now)})
            self.peak = now

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.name == "spec2x.pipeline" and record.msg.startswith("  %-22s") and args:
            self.phase(str(args[0]))

    def close(self) -> None:
        self._stop.set()
        super().close()


def step_memory(job: dict[str, Any]) -> None:
    """Runner of ``benchmarks/_common.py`` (``--step-memory``): spec2x's calibration of
    ``job`` with its resident memory after each step and the peak within it (MB), then
    writing the products, saved as ``step_memory.json`` in the job's output folder."""
    from _common import _run_spec2x

    handler = _StepMemory()
    logging.getLogger("spec2x.pipeline").addHandler(handler)
    try:
        handler.phase("start")
        _run_spec2x(job)
        handler.phase("writing the products")
    finally:
        logging.getLogger("spec2x.pipeline").removeHandler(handler)
        handler.close()
    (Path(job["output_dir"]) / "step_memory.json").write_text(json.dumps(handler.rows))


def memory_table(rows: list[dict[str, Any]]) -> str:
    """The per-step memory rows of :func:`step_memory` as a Markdown table."""
    lines = ["| after | RSS (MB) | peak within (MB) |", "|---|---|---|"]
    lines += [f"| {r['phase']} | {r['rss_mb']:.0f} | {r['peak_mb']:.0f} |" for r in rows]
    return "\n".join(lines)


def extrapolated(a: tuple[int, dict[str, Any]], b: tuple[int, dict[str, Any]], n: int) -> Any:
    """jwst's timings and peak memory at ``n`` slitlets on the straight line through its
    results ``a`` and ``b`` (slitlets, result) measured at two counts."""
    (na, ra), (nb, rb) = a, b

    def line(x: float, y: float) -> float:
        return y + (y - x) * (n - nb) / (nb - na)

    keys = ("chain_s", "chain_cpu_s", "process_s", "process_cpu_s", "maxrss_mb")

    def per_step(name: str) -> dict[str, float]:
        sa, sb = ra.get(name, {}), rb.get(name, {})
        return {k: line(sa[k], v) for k, v in sb.items() if k in sa}

    return {
        **{k: line(ra[k], rb[k]) for k in keys},
        "steps": per_step("steps"),
        "steps_cpu": per_step("steps_cpu"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slitlets", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--jwst-slitlets", type=int, nargs="*", default=[100])
    parser.add_argument("--reuse", action="store_true", help="reuse results in --workdir")
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    parser.add_argument("--step-memory", action="store_true",
                        help="also sample spec2x's memory per step")  # fmt: skip
    parser.add_argument("--before", default="", help="source tree of an earlier spec2x to run too")
    args = parser.parse_args(argv)
    root = workdir_or_temp(args.workdir)
    rows: list[list[str]] = []
    ours: dict[int, Any] = {}
    jwst: dict[int, Any] = {}
    for n in sorted(args.slitlets):
        folder = root / f"mos_{n}"
        print(f"NIRSpec MOS, {n} slitlets, in {folder}", flush=True)
        if not (args.reuse and (folder / "jw01234001001_01101_00001_nrs1_rate.fits").exists()):
            rate, refs = write_inputs(folder, n)
        else:
            rate = folder / "jw01234001001_01101_00001_nrs1_rate.fits"
            job = next(folder.glob("job_*.json"))  # written by an earlier run
            refs = json.loads(job.read_text())["refs"]
        name = f"NIRSpec MOS {n} slitlets"
        if n in args.jwst_slitlets or not jwst:
            jwst[n] = run_side("jwst", folder, rate, refs, args.reuse)
        elif len(measured := sorted(k for k in jwst if k in args.jwst_slitlets)) >= 2:
            na, nb = measured[-2:]
            jwst[n] = extrapolated((na, jwst[na]), (nb, jwst[nb]), n)
            name += f" (jwst extrapolated from {na} and {nb})"
        else:
            n0 = max(jwst)
            jwst[n] = scaled(jwst[n0], n / n0)
            name += f" (jwst scaled from {n0})"
        ours[n] = run_side("spec2x", folder, rate, refs, args.reuse)
        rows += report_rows(name, jwst[n], ours[n])
        if args.step_memory:
            job = {"input": str(rate), "refs": refs, "runner": "nirspec_mos:step_memory",
                   "output_dir": str(folder / "spec2x_memory")}  # fmt: skip
            measure("spec2x_memory", job, workdir=folder)
            table = json.loads((folder / "spec2x_memory" / "step_memory.json").read_text())
            print(f"spec2x memory per step, {n} slitlets:\n{memory_table(table)}", flush=True)
        if args.before:
            old = run_side("spec2x_before", folder, rate, refs, args.reuse, args.before)
            rows += report_rows(f"{name}, spec2x before", jwst[n], old)
            print(f"spec2x chain CPU at {n} slitlets: before {old['chain_cpu_s']:.1f} s, "
                  f"now {ours[n]['chain_cpu_s']:.1f} s", flush=True)  # fmt: skip
    print(format_table(rows))
    counts = sorted(ours)
    measured = sorted(k for k in jwst if k in args.jwst_slitlets)
    for a, b in zip(measured, measured[1:], strict=False):
        slope = (jwst[b]["maxrss_mb"] - jwst[a]["maxrss_mb"]) / (b - a)
        print(f"jwst peak memory per slitlet from {a} to {b} slitlets: {slope:.2f} MB")
    for a, b in zip(counts, counts[1:], strict=False):
        slope = (ours[b]["maxrss_mb"] - ours[a]["maxrss_mb"]) / (b - a)
        print(f"spec2x peak memory per slitlet from {a} to {b} slitlets: {slope:.2f} MB")
    for a, b in zip(counts, counts[1:], strict=False):
        slope = (ours[b]["chain_cpu_s"] - ours[a]["chain_cpu_s"]) / (b - a)
        print(f"spec2x chain CPU per slitlet from {a} to {b} slitlets: {slope:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
