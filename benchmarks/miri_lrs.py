"""Benchmark: MIRI LRS through the whole Stage 2 chain, jwst 3.0.0 against spec2x.

Run ``python benchmarks/miri_lrs.py`` (``--nints 150 1000`` by default;
``--no-fs`` / ``--no-tso`` leave a case out; ``--workdir DIR`` keeps the
files).  It writes the synthetic observations once (:mod:`spec2x.synthetic`):

- fixed slit: a nodded pair of full-frame ``rate`` files; the association of
  nod A names nod B as its background (bkg_subtract, resample_spec and
  extract_1d run);
- slitless TSO: a SLITLESSPRISM ``rateints`` with ``--nints`` integrations;

then calibrates each with jwst's ``Spec2Pipeline`` (offline, every reference
overridden with the synthetic files) and with spec2x, each side in its own
process (see ``benchmarks/_common.py`` for what is timed and how peak memory
is read), and prints a table.  Targets: fixed slit >= 3x faster than jwst;
TSO >= 20x at 150 and 1000 integrations with peak memory no higher than jwst's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_case, format_table, workdir_or_temp  # noqa: E402

from spec2x.synthetic.miri_lrs import make_lrs_fixedslit, make_lrs_slitless_tso  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nints", type=int, nargs="+", default=[150, 1000])
    parser.add_argument("--no-fs", action="store_true", help="leave out the fixed slit")
    parser.add_argument("--no-tso", action="store_true", help="leave out the slitless TSO")
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    args = parser.parse_args(argv)
    root = workdir_or_temp(args.workdir)
    rows: list[list[str]] = []
    if not args.no_fs:
        folder = root / "fs"
        print(f"writing the fixed-slit nod pair into {folder}", flush=True)
        obs = make_lrs_fixedslit(folder, seed=1)
        refs = {k: str(v) for k, v in obs.references.items()}
        rows += bench_case("LRS fixed slit", obs.association[0], refs, folder)
    if not args.no_tso:
        for nints in args.nints:
            folder = root / f"tso{nints}"
            print(f"writing the slitless TSO ({nints} integrations) into {folder}", flush=True)
            obs = make_lrs_slitless_tso(folder, seed=1, nints=nints)
            refs = {k: str(v) for k, v in obs.references.items()}
            rows += bench_case(f"LRS TSO {nints} ints", obs.exposures[0], refs, folder)
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
