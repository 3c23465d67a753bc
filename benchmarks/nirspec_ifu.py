"""Benchmark: NIRSpec IFU through the whole Stage 2 chain, jwst 3.0.0 against spec2x.

Run ``python benchmarks/nirspec_ifu.py`` (``--workdir DIR`` keeps the files).
It writes the synthetic full-frame PRISM/CLEAR IFU exposure on NRS1 with a
point source and every reference of the chain
(:func:`spec2x.synthetic.nirspec_ifu_scene.make_nirspec_ifu_scene`, its
IFU apcorr applied on both sides), calibrates it to ``_cal``, ``_s3d`` and ``_x1d`` with
jwst's ``Spec2Pipeline`` (offline, every reference overridden) and with
spec2x, each side in its own process (see ``benchmarks/_common.py``), and
prints a table: whole process, chain, peak memory and each step, with the
jwst / spec2x ratios.  The 4-exposure dither into one cube:
``benchmarks/nirspec_ifu_dither.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import bench_case, format_table, workdir_or_temp  # noqa: E402

from spec2x.synthetic.nirspec_ifu_scene import make_nirspec_ifu_scene  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    args = parser.parse_args(argv)
    folder = workdir_or_temp(args.workdir) / "ifu_prism"
    print(f"writing the NIRSpec IFU exposure into {folder}", flush=True)
    scene = make_nirspec_ifu_scene(folder, seed=1)
    refs = {k: str(v) for k, v in scene.refs.items()}
    rows = bench_case("NIRSpec IFU PRISM full frame", scene.rate, refs, folder)
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
