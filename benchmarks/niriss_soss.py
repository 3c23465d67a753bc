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
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import bench_case, format_table, measure, workdir_or_temp  # noqa: E402

from spec2x.synthetic.niriss_soss_tso import make_soss_transit  # noqa: E402

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nints", type=int, nargs="+", default=[150, 1000])
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    parser.add_argument("--atoca", action="store_true", help="ATOCA on both sides (jwst's default)")
    parser.add_argument("--jwst-max", type=int, default=None, help="spec2x alone above this")
    args = parser.parse_args(argv)
    root = workdir_or_temp(args.workdir)
    rows: list[list[str]] = []
    for nints in args.nints:
        folder = root / f"soss_{nints}"
        print(f"writing the SOSS rateints ({nints} ints) into {folder}", flush=True)
        tso = make_soss_transit(folder, nints=nints)
        refs = {k: str(v) for k, v in tso.refs.items()}
        refs["pathloss"] = "N/A"  # jwst skips pathloss for SOSS time series
        params = ATOCA if args.atoca else BOX
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
