"""Benchmark: NIRSpec fixed slit through the whole Stage 2 chain, jwst 3.0.0 against spec2x.

Run ``python benchmarks/nirspec_fs.py`` (``--subarray SUBS200A1`` by default,
``FULL`` for the 2048 x 2048 frame; ``--no-flat`` leaves out the flat-field
timing; ``--workdir DIR`` keeps the files).  It writes a synthetic nodded pair
(:func:`spec2x.synthetic.nirspec.make_nirspec_fs`, G140M/F100LP, source in
S200A1) and a level-2 association naming nod 2 as the background of nod 1,
then calibrates it with jwst's ``Spec2Pipeline`` (offline, every reference
overridden) and with spec2x, each side in its own process (see
``benchmarks/_common.py``), and prints a table.  The NIRSpec flat field alone
(five full-length slits, the flat built from fflat/sflat/dflat on the fly) is
timed with ``tests/nirspec_cal/nrs_cal_bench.py`` in this process.
``--bots N`` also runs a bright-object time series (``NRS_BRIGHTOBJ``,
S1600A1, SUB2048, N integrations with a transit,
:func:`spec2x.synthetic.nirspec_bots.make_nirspec_bots`) through both chains.
Targets: >= 3x end to end, >= 5x for the flat.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import bench_case, format_table, workdir_or_temp  # noqa: E402

from spec2x.demo import write_nod_association  # noqa: E402
from spec2x.synthetic.extract_refs import write_nirspec_fs_extract1d  # noqa: E402
from spec2x.synthetic.nirspec import make_nirspec_fs  # noqa: E402
from spec2x.synthetic.nirspec_bots import make_nirspec_bots  # noqa: E402


def write_inputs(folder: Path, subarray: str, seed: int = 1) -> tuple[Path, dict[str, str]]:
    """The association (nod 1, nod 2 as background) and reftype -> path of its references."""
    truth = make_nirspec_fs(seed, subarray=subarray, folder=folder)
    refs = {k: str(v) for k, v in truth.refs.items()}
    refs["extract1d"] = str(write_nirspec_fs_extract1d(truth.refs_dir, "NRS_FIXEDSLIT"))
    refs["apcorr"] = "N/A"  # as jwst gets it: the 6-pixel box holds the whole profile
    asn = write_nod_association(folder / "nrs_fs_nod1_asn.json", truth.rate_paths[0],
                                truth.rate_paths[1:])  # fmt: skip
    return asn, refs


def write_bots(folder: Path, nints: int, seed: int = 1) -> tuple[Path, dict[str, str]]:
    """The BOTS rateints and reftype -> path of its references."""
    truth = make_nirspec_bots(seed, nints=nints, folder=folder)
    refs = {k: str(v) for k, v in truth.refs.items()}
    refs["extract1d"] = str(write_nirspec_fs_extract1d(folder / "refs", "NRS_BRIGHTOBJ"))
    refs["apcorr"] = "N/A"
    return truth.rateints_path, refs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subarray", default="SUBS200A1", choices=("SUBS200A1", "FULL"))
    parser.add_argument("--no-flat", action="store_true", help="leave out the flat-field timing")
    parser.add_argument("--no-chain", action="store_true", help="leave out the whole chain")
    parser.add_argument("--bots", type=int, metavar="NINTS", help="also a BOTS time series")
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    args = parser.parse_args(argv)
    root = workdir_or_temp(args.workdir)
    rows: list[list[str]] = []
    if not args.no_chain:
        folder = root / f"fs_{args.subarray.lower()}"
        print(f"writing the NIRSpec FS nod pair ({args.subarray}) into {folder}", flush=True)
        asn, refs = write_inputs(folder, args.subarray)
        rows += bench_case(f"NIRSpec FS {args.subarray}", asn, refs, folder)
    if args.bots:
        folder = root / f"bots_{args.bots}"
        print(f"writing the NIRSpec BOTS rateints ({args.bots} ints) into {folder}", flush=True)
        rateints, refs = write_bots(folder, args.bots)
        rows += bench_case(f"NIRSpec BOTS {args.bots} ints", rateints, refs, folder)
    if not args.no_flat:
        sys.path.insert(0, str(HERE.parent / "tests" / "nirspec_cal"))
        from nrs_cal_bench import bench_nirspec_flat

        flat = bench_nirspec_flat(root / "flat")
        rows.append(["NIRSpec flat (5 slits, best of 3)", "flat_field alone",
                     f"{flat['jwst_s']:.3f}", f"{flat['spec2x_s']:.3f}",
                     f"{flat['speedup']:.1f}x"])  # fmt: skip
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
