"""Benchmark: a NIRSpec IFU 4-point dither into one cube, jwst 3.0.0 against spec2x.

Run ``python benchmarks/nirspec_ifu_dither.py`` (``--workdir DIR`` keeps the
files).  It writes the synthetic dither of
:func:`spec2x.synthetic.nirspec_ifu_dither.make_nirspec_ifu_dither`: four
full-frame PRISM/CLEAR exposures of an extended source on NRS1, each with
its imprint member, one level-2 association per exposure.  Each side, in its
own process (``benchmarks/_common.py``), then:

- calibrates the four associations to ``_cal`` (jwst's ``Spec2Pipeline``
  offline with every reference overridden, spec2x's ``spec2``; cube_build and
  extract_1d skipped: the product is the combined cube), writing each ``_cal``;
- builds one cube of the four calibrated exposures, kept in memory from the
  chain (jwst's ``CubeBuildStep`` on a ``ModelContainer``, ``skip_dqflagging``
  as spec2 runs it; spec2x's ``build_cube``) and writes it (``_s3d``).

Printed: the whole process (interpreter start and imports included), the
work (wall and CPU time), peak memory, and each step summed over the four
exposures (wall and CPU); ``cube_build`` is the combined cube, written.  On a
busy machine the CPU times are the fairer figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from _common import format_table, measure, report_rows, workdir_or_temp  # noqa: E402

#: Steps neither side runs on each exposure: the combined cube replaces them.
_SKIP = ("cube_build", "extract_1d")


def run_jwst(job: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """jwst's side (in the child process): Spec2Pipeline per association, one CubeBuildStep."""
    from jwst.cube_build import CubeBuildStep
    from jwst.datamodels import ModelContainer
    from jwst_offline import run_jwst_spec2, run_jwst_step

    out = job["output_dir"]
    skip = {step: {"skip": True} for step in _SKIP}
    models = [run_jwst_spec2(asn, job["refs"], skip, out).models[0] for asn in job["inputs"]]
    t0, c0 = time.perf_counter(), time.process_time()
    run_jwst_step(
        CubeBuildStep, ModelContainer(models), {"cubepar": job["refs"]["cubepar"]}, rest="N/A",
        skip_dqflagging=True, save_results=True, output_dir=out, output_file="dither",
    )  # fmt: skip
    return {"cube_build": (time.perf_counter() - t0, time.process_time() - c0)}


def run_spec2x(job: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """spec2x's side (in the child process): spec2 per association, one build_cube."""
    from spec2x.io.fits import write_fits
    from spec2x.pipeline import spec2
    from spec2x.steps.cube_build import build_cube

    out = Path(job["output_dir"])
    cals = []
    for asn in job["inputs"]:
        cal = spec2(asn, job["refs"], skip=_SKIP)["cal"]
        write_fits(cal, out / Path(asn).name.replace("_asn.json", "_cal.fits"))
        cals.append(cal)
    t0, c0 = time.perf_counter(), time.process_time()
    write_fits(build_cube(cals, job["refs"]["cubepar"]), out / "dither_prism-clear_s3d.fits")
    return {"cube_build": (time.perf_counter() - t0, time.process_time() - c0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    args = parser.parse_args(argv)
    from spec2x.synthetic.nirspec_ifu_dither import make_nirspec_ifu_dither

    folder = workdir_or_temp(args.workdir) / "ifu_dither"
    print(f"writing the 4-point NIRSpec IFU dither into {folder}", flush=True)
    scene = make_nirspec_ifu_dither(folder, seed=3)
    refs = {k: str(v) for k, v in scene.refs.items()}
    results = {}
    for side, runner in (("jwst", "run_jwst"), ("spec2x", "run_spec2x")):
        job = {"inputs": [str(a) for a in scene.asns], "refs": refs,
               "output_dir": str(folder / side), "runner": f"nirspec_ifu_dither:{runner}"}  # fmt: skip
        results[side] = measure(side, job, workdir=folder)
        print(f"  {side}: {results[side]['chain_s']:.2f} s, "
              f"{results[side]['maxrss_mb']:.0f} MB", flush=True)  # fmt: skip
    print(
        format_table(report_rows("NIRSpec IFU 4-point dither", results["jwst"], results["spec2x"]))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
