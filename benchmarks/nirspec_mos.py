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
jwst / spec2x ratios.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import bench_case, format_table, workdir_or_temp  # noqa: E402

from spec2x.synthetic.nirspec_mos_chain import make_nirspec_mos_chain  # noqa: E402


def write_inputs(folder: Path, n_slitlets: int, seed: int = 1) -> tuple[Path, dict[str, str]]:
    """The MOS rate file and reftype -> path of its references."""
    chain = make_nirspec_mos_chain(seed, folder=folder, n_slitlets=n_slitlets, n_background=0)
    return chain.truth.rate_paths[0], {k: str(v) for k, v in chain.refs.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slitlets", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    args = parser.parse_args(argv)
    root = workdir_or_temp(args.workdir)
    rows: list[list[str]] = []
    for n in args.slitlets:
        folder = root / f"mos_{n}"
        print(f"writing the NIRSpec MOS exposure ({n} slitlets) into {folder}", flush=True)
        rate, refs = write_inputs(folder, n)
        rows += bench_case(f"NIRSpec MOS {n} slitlets", rate, refs, folder)
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
