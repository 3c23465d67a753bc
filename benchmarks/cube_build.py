"""Benchmark: cube_build alone, jwst 3.0.0's CubeBuildStep against spec2x's cube_build.

``python benchmarks/cube_build.py`` (``--workdir DIR`` keeps the files, and
the ``_cal`` files found there are used again,
``--repeat N`` runs per side, ``--only mrs|ifu``) writes the synthetic MRS scene
(one MIRIFUSHORT exposure, bands 1A and 2A, a point source:
:mod:`spec2x.synthetic.miri_mrs_scene`) and the full-frame NIRSpec IFU
PRISM/CLEAR scene (:mod:`spec2x.synthetic.nirspec_ifu_scene`), calibrates
each to ``_cal`` with both pipelines (jwst's ``Spec2Pipeline`` offline and
``spec2x.spec2``, cube_build and extract_1d skipped; straylight skipped on
both sides, it does not change what cube_build does), and then times in one
process, side by side, each pipeline's cube_build on its own ``_cal``:

- MRS ch1-short and ch2-short (one band cube each, spec2's settings:
  sky-aligned, drizzle, ``skip_dqflagging``);
- NIRSpec IFU prism-clear (the exposure's one cube, the same settings).

Each figure is the best of ``--repeat`` runs in CPU time (user + system,
``time.process_time``), after one warm-up run per side that pays imports
and caches.  Prints a table with the jwst / spec2x ratios.
``--jwst-times FILE`` (JSON, case -> CPU s) keeps jwst's figures: the cases
found in it are not run through jwst again, the others are and are added.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from _common import best_cpu, format_table, workdir_or_temp  # noqa: E402


def _calibrate(name: str, rate: Path, refs: dict[str, str], root: Path) -> tuple[Path, Path]:
    """(jwst's, spec2x's) ``_cal`` of ``rate`` without the cube steps."""
    from jwst_offline import run_jwst_spec2

    from spec2x.io.fits import write_fits
    from spec2x.pipeline import spec2

    skip = ("straylight", "cube_build", "extract_1d")
    done = sorted((root / "jwst").glob("*_cal.fits")), root / "spec2x_cal.fits"
    if done[0] and done[1].exists():  # a kept --workdir: its _cal files serve again
        return done[0][0], done[1]
    print(f"  {name}: jwst Spec2Pipeline to _cal", flush=True)
    run = run_jwst_spec2(
        rate, refs, {s: {"skip": True} for s in skip}, output_dir=root / "jwst"
    )  # fmt: skip
    print(f"  {name}: spec2x to _cal", flush=True)
    ours = spec2(rate, refs, skip=skip)["cal"]
    return run.files["cal"], write_fits(ours, root / "spec2x_cal.fits")


def _scenes(root: Path, only: str | None) -> list[tuple[str, Any, dict[str, Any]]]:
    """(case, jwst cube call, spec2x cube call) of each cube."""
    from jwst.cube_build import CubeBuildStep
    from jwst_offline import run_jwst_step
    from stdatamodels.jwst.datamodels import IFUImageModel

    from spec2x.io.fits import open_exposure
    from spec2x.steps.cube_build import cube_build
    from spec2x.synthetic.miri_mrs_scene import make_mrs_scene
    from spec2x.synthetic.nirspec_ifu_scene import make_nirspec_ifu_scene

    cases = []
    scenes = []
    if only in (None, "mrs"):
        print(f"writing the MRS scene into {root / 'mrs'}", flush=True)
        mrs = make_mrs_scene(root / "mrs", seed=1)
        bands = [("MRS ch1-short", {"channel": "1"}, ("1", "short")),
                 ("MRS ch2-short", {"channel": "2"}, ("2", "short"))]  # fmt: skip
        scenes.append(("MRS", mrs.rate, {**mrs.refs, "area": "N/A"}, root / "mrs", bands))
    if only in (None, "ifu"):
        print(f"writing the NIRSpec IFU scene into {root / 'ifu'}", flush=True)
        ifu = make_nirspec_ifu_scene(root / "ifu", seed=1)
        bands = [("NIRSpec IFU prism-clear", {}, None)]
        scenes.append(("IFU", ifu.rate, ifu.refs, root / "ifu", bands))
    for name, rate, refs, folder, bands in scenes:
        refs = {k: str(v) for k, v in refs.items()}
        theirs, mine = _calibrate(name, rate, refs, folder)
        model, ds = IFUImageModel(str(theirs)), open_exposure(mine)
        over = {"cubepar": refs["cubepar"]}
        for case, jwst_kw, band in bands:
            ours = {"band": band} if band else {}
            cases.append((
                case,
                partial(run_jwst_step, CubeBuildStep, model, over, skip_dqflagging=True, **jwst_kw),
                partial(cube_build, ds, refs["cubepar"], **ours),
            ))  # fmt: skip
    return cases


def run(
    root: Path, repeat: int, only: str | None = None, jwst_times: Path | None = None
) -> list[list[str]]:
    """Time every case; table rows (case, what, jwst s, spec2x s, ratio).

    ``jwst_times``: JSON file of jwst's figures (case -> CPU s), read when it
    exists (those cases are not run through jwst) and written with any new ones.
    """
    logging.disable(logging.INFO)
    known = json.loads(jwst_times.read_text()) if jwst_times and jwst_times.exists() else {}
    rows = []
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = _scenes(root, only)
    for name, theirs, mine in cases:
        t_jwst = known[name] if name in known else best_cpu(theirs, repeat)
        known[name] = t_jwst
        t_ours = best_cpu(mine, repeat)
        rows.append([name, "cube_build, CPU", f"{t_jwst:.2f}", f"{t_ours:.2f}",
                     f"{t_jwst / t_ours:.1f}x"])  # fmt: skip
        print(" | ".join(rows[-1]), flush=True)
    if jwst_times is not None:
        jwst_times.write_text(json.dumps(known, indent=1))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--only", choices=("mrs", "ifu"), help="one instrument")
    parser.add_argument("--jwst-times", type=Path, help="JSON of jwst's figures, reused and kept")
    args = parser.parse_args(argv)
    root = workdir_or_temp(args.workdir)
    root.mkdir(parents=True, exist_ok=True)
    print(format_table(run(root, args.repeat, args.only, args.jwst_times)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
