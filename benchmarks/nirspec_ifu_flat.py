"""Benchmark: NIRSpec IFU flat_field, pathloss and photom alone, jwst 3.0.0 against spec2x.

``python benchmarks/nirspec_ifu_flat.py`` (``--workdir DIR`` keeps the files
and jwst's timings for later runs, ``--repeat N`` runs per side) writes the synthetic
full-frame PRISM/CLEAR IFU exposure on NRS1 and its references
(:func:`spec2x.synthetic.nirspec_ifu_scene.make_nirspec_ifu_scene`), takes
it through each pipeline's assign_wcs, msa_flagging and srctype (jwst's
steps offline, every reference overridden; ``spec2x.spec2``), and then
times, in one process, each pipeline's flat_field, pathloss and photom on
its own exposure (each step on the previous step's output; the references
opened inside the timed call on both sides).  A jwst step called alone
deep-copies its input model first (a step in a pipeline does not): the
time of that copy, measured alone, is taken off jwst's figure.

Each figure is the best of ``--repeat`` runs in CPU time (user + system,
``time.process_time``) after one warm-up run.  jwst's figures are saved to
``jwst_steps.json`` in the work folder and used again by later runs with the
same ``--workdir`` (jwst is slow; spec2x is what changes).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from _common import format_table, workdir_or_temp  # noqa: E402

STEPS = ("flat_field", "pathloss", "photom")
_REFS = {"flat_field": ("fflat", "sflat", "dflat"), "pathloss": ("pathloss",),
         "photom": ("photom", "area")}  # fmt: skip


def _best(run: Callable[[Any], Any], given: Any, repeat: int) -> tuple[float, Any]:
    """Best CPU seconds of ``repeat`` calls ``run(given())`` after a warm-up; the last result.

    ``given`` makes the input afresh before each call, outside the timed part.
    """
    out = run(given())
    times = []
    for _ in range(repeat):
        arg = given()
        t0 = time.process_time()
        out = run(arg)
        times.append(time.process_time() - t0)
    return min(times), out


def _jwst(rate: Path, refs: dict[str, str], folder: Path, repeat: int) -> dict[str, float]:
    """jwst's CPU seconds of each step (saved in ``folder / jwst_steps.json``)."""
    saved = folder / "jwst_steps.json"
    if saved.exists():
        return dict(json.loads(saved.read_text()))
    from jwst.assign_wcs import AssignWcsStep
    from jwst.flatfield import FlatFieldStep
    from jwst.msaflagopen import MSAFlagOpenStep
    from jwst.pathloss import PathLossStep
    from jwst.photom import PhotomStep
    from jwst.srctype import SourceTypeStep
    from jwst_offline import run_jwst_step

    crds = folder / "crds"
    model: Any = str(rate)
    print("  jwst: assign_wcs, msa_flagging, srctype", flush=True)
    for step in (AssignWcsStep, MSAFlagOpenStep, SourceTypeStep):
        model = run_jwst_step(step, model, refs, rest="N/A", tmp_path=crds)
    times = {}
    for name, step in zip(STEPS, (FlatFieldStep, PathLossStep, PhotomStep), strict=True):
        over = {k: refs[k] for k in _REFS[name]}

        def call(m: Any, step: Any = step, over: dict[str, str] = over) -> Any:
            return run_jwst_step(step, m, over, rest="N/A", tmp_path=crds)

        # a step called alone deep-copies its input model (stpipe's prepare_output; not in
        # a pipeline): that copy's time is taken off
        copy, _ = _best(lambda m: m.copy(), lambda m=model: m, repeat)
        alone, model = _best(call, model.copy, repeat)
        times[name] = alone - copy
        print(f"  jwst {name}: {alone:.3f} s, less its input's copy {copy:.3f} s", flush=True)
    saved.write_text(json.dumps(times))
    return times


def _spec2x(rate: Path, refs: dict[str, str], repeat: int) -> dict[str, float]:
    """spec2x's CPU seconds of each step, the references opened in the call."""
    from spec2x.io.references import open_reference
    from spec2x.pipeline import spec2
    from spec2x.steps.flat_field import flat_field
    from spec2x.steps.pathloss import pathloss
    from spec2x.steps.photom import photom

    kept: dict[str, Any] = {}
    skip = (*STEPS, "cube_build", "extract_1d")
    spec2(rate, refs, skip=skip, on_step=lambda name, ds: kept.__setitem__(name, ds))
    calls: dict[str, Callable[[Any], Any]] = {
        "flat_field": lambda ds: flat_field(
            ds, **{k: open_reference(refs[k], k) for k in _REFS["flat_field"]}
        ),
        "pathloss": lambda ds: pathloss(ds, open_reference(refs["pathloss"], "pathloss")),
        "photom": lambda ds: photom(
            ds, open_reference(refs["photom"], "photom"), area=open_reference(refs["area"], "area")
        ),
    }
    ds = kept["srctype"]
    times = {}
    for name in STEPS:
        times[name], ds = _best(calls[name], lambda ds=ds: ds, repeat)
        print(f"  spec2x {name}: {times[name]:.3f} s", flush=True)
    return times


def run(root: Path, repeat: int) -> list[list[str]]:
    """Time both sides; table rows (case, what, jwst s, spec2x s, ratio)."""
    from spec2x.synthetic.nirspec_ifu_scene import make_nirspec_ifu_scene

    folder = root / "ifu_prism"
    written = folder / "scene.json"  # the rate file and references of a kept --workdir
    if written.exists():
        rate, refs = json.loads(written.read_text())
    else:
        print(f"writing the NIRSpec IFU scene into {folder}", flush=True)
        scene = make_nirspec_ifu_scene(folder, seed=1)
        rate, refs = str(scene.rate), {k: str(v) for k, v in scene.refs.items()}
        written.write_text(json.dumps([rate, refs]))
    logging.disable(logging.INFO)
    theirs = _jwst(Path(rate), refs, folder, repeat)
    mine = _spec2x(Path(rate), refs, repeat)
    case = "NIRSpec IFU PRISM full frame"
    return [
        [
            case,
            f"{name}, CPU",
            f"{theirs[name]:.3f}",
            f"{mine[name]:.3f}",
            f"{theirs[name] / mine[name]:.1f}x",
        ]
        for name in STEPS
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    root = workdir_or_temp(args.workdir)
    root.mkdir(parents=True, exist_ok=True)
    print(format_table(run(root, args.repeat)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
