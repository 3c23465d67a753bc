"""Benchmark: a NIRISS SOSS time series through the whole Stage 2 chain, jwst 3.0.0 against spec2x.

Run ``python benchmarks/niriss_soss.py`` (``--nints 150 1000`` by default;
``--workdir DIR`` keeps the files; ``--atoca`` extracts with ATOCA on both
sides, jwst's default; ``--jwst-max N`` runs spec2x alone above N
integrations, where jwst would take too long).  For each number of integrations it
writes a synthetic SUBSTRIP256 ``_rateints`` with a transit and its
references (:func:`spec2x.synthetic.niriss_soss_tso.make_soss_transit`:
pastasoss, specwcs, bkg, flat, photom ...) and calibrates it with jwst's
``Spec2Pipeline`` (offline, every reference overridden) and with spec2x,
each side in its own process (see ``benchmarks/_common.py``), both with
``soss_atoca=False`` (box extraction) unless ``--atoca``, and prints a table
(whole process and in-chain time, peak memory, ratios).

``--memory`` (with ``--nints 500 1000 2000``, ``--atoca`` or not) runs
spec2x alone on the Python lazy path, each size in its own process: the
synthetic transit made as a Dask exposure, chunk by chunk
(:func:`spec2x.synthetic.niriss_soss_tso.soss_transit_rateints`, 16
integrations a chunk: no input file, which would take 10 GB at 2000
integrations), ``spec2x.pipeline.spec2`` on it and the ``_x1dints`` written
(``--calints`` also computes the ``_calints``, summed chunk by chunk rather
than written: 25 GB at 2000 integrations); it prints the peak resident size
(``VmHWM``) and the CPU and wall time of each.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import (  # noqa: E402
    bench_case,
    format_table,
    measure,
    peak_rss_mb,
    workdir_or_temp,
)

from spec2x.synthetic.niriss_soss_tso import (  # noqa: E402
    make_soss_transit,
    soss_transit_rateints,
    soss_transit_refs,
)

#: Both sides box-extract (jwst's default is ATOCA).
BOX = {"extract_1d": {"soss_atoca": False}}
ATOCA = {"extract_1d": {"soss_atoca": True}}


def spec2x_only(name: str, job: dict, folder: Path) -> list[list[str]]:
    """Table rows of spec2x alone (jwst not run: too slow at this size)."""
    ours = measure("spec2x", job, workdir=folder)
    print(f"  {name} spec2x: {ours['chain_s']:.2f} s, {ours['maxrss_mb']:.0f} MB", flush=True)
    return [
        [name, "whole chain", "not run", f"{ours['chain_s']:.2f}", "-"],
        [name, "whole chain, CPU time", "not run", f"{ours['chain_cpu_s']:.2f}", "-"],
        [name, "peak memory (MB)", "not run", f"{ours['maxrss_mb']:.0f}", "-"],
    ]


def memory_child(nints: int, folder: Path, params: dict, calints: bool) -> dict:
    """One lazy run (this process): peak resident size (MB), CPU and wall seconds."""
    import dask

    from spec2x.io.fits import write_fits
    from spec2x.pipeline import spec2

    refs: dict[str, str] = {k: str(v) for k, v in soss_transit_refs(folder / "refs").items()}
    refs["pathloss"] = "N/A"
    t0, c0 = time.perf_counter(), time.process_time()
    with dask.config.set(scheduler="threads"):
        ds = soss_transit_rateints(nints, chunks=16)
        products = spec2(ds, refs, params)
        write_fits(products["x1dints"].compute(), folder / "soss_x1dints.fits")
        if calints:
            float(products["calints"]["sci"].sum().compute())
    return {
        "nints": nints,
        "wall_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
        "peak_mb": peak_rss_mb(),
    }


def memory_rows(args: argparse.Namespace, root: Path) -> list[list[str]]:
    """Each size in its own process (``--memory-child``); Markdown rows."""
    rows = []
    for nints in args.nints:
        folder = root / f"soss_lazy_{nints}"
        folder.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, __file__, "--memory-child", str(nints), "--workdir", str(folder)]
        cmd += ["--atoca"] * args.atoca + ["--calints"] * args.calints
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        got = json.loads(out.strip().splitlines()[-1])
        print(f"  {nints} ints: {got}", flush=True)
        rows.append(
            [f"{nints}", f"{got['peak_mb']:.0f}", f"{got['cpu_s']:.1f}", f"{got['wall_s']:.1f}"]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nints", type=int, nargs="+", default=[150, 1000])
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    parser.add_argument("--atoca", action="store_true", help="ATOCA on both sides (jwst's default)")
    parser.add_argument("--jwst-max", type=int, default=None, help="spec2x alone above this")
    parser.add_argument("--memory", action="store_true", help="spec2x's lazy path: peak memory")
    parser.add_argument("--calints", action="store_true", help="--memory: compute the calints")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    params = ATOCA if args.atoca else BOX
    if args.memory_child:
        got = memory_child(args.memory_child, Path(args.workdir), params, args.calints)
        print(json.dumps(got))
        return 0
    root = workdir_or_temp(args.workdir)
    if args.memory:
        header = "| integrations | peak memory (MB) | CPU (s) | wall (s) |\n|---|---|---|---|"
        print(header + "".join(f"\n| {' | '.join(r)} |" for r in memory_rows(args, root)))
        return 0
    rows: list[list[str]] = []
    for nints in args.nints:
        folder = root / f"soss_{nints}"
        print(f"writing the SOSS rateints ({nints} ints) into {folder}", flush=True)
        tso = make_soss_transit(folder, nints=nints)
        refs = {k: str(v) for k, v in tso.refs.items()}
        refs["pathloss"] = "N/A"  # jwst skips pathloss for SOSS time series
        name = f"NIRISS SOSS {nints} ints{' ATOCA' if args.atoca else ''}"
        if args.jwst_max is not None and nints > args.jwst_max:
            job = {"input": str(tso.rateints_path), "refs": refs, "steps_params": params,
                   "output_dir": str(folder / "spec2x")}  # fmt: skip
            rows += spec2x_only(name, job, folder)
        else:
            rows += bench_case(name, tso.rateints_path, refs, folder, params)
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
