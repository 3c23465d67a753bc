"""Benchmark: ``spec2x run`` against jwst's ``Spec2Pipeline``, whole processes, every demo mode.

Run ``python benchmarks/whole_process.py`` (``--modes mir_lrs_fs nrs_fs ...``
picks demo modes, default every one ``spec2x demo`` has; ``--ints 150 300``
adds MIRI LRS slitless time series of that many integrations, default 150;
``--no-jwst`` leaves jwst out; ``--workdir DIR`` keeps the files, and a
second run reuses the inputs written there; ``--mos-slitlets 100`` adds a full-frame
NIRSpec MOS exposure of that many slitlets, the input of ``benchmarks/nirspec_mos.py``;
``--reuse-jwst`` takes jwst's result saved in ``--workdir`` by an earlier run).

For each demo mode, ``spec2x demo MODE`` writes the synthetic input and its
reference folder and prints the equivalent ``spec2x run`` command; that
command is timed as a new process, then jwst's ``Spec2Pipeline`` on the same
input with the same references (every one overridden: jwst runs offline, as
``benchmarks/_common.py`` runs it) and step parameters, in a process of its
own with its imports.  Both sides are timed from the parent: wall, and CPU
(user + system of the child, ``os.wait4``).  The long time series are
written by :func:`spec2x.synthetic.miri_lrs.make_lrs_slitless_tso` (the
demo's seed) with their references in a folder of their own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _common import measure, workdir_or_temp  # noqa: E402
from startup import demo_inputs, spec2x_process, table  # noqa: E402

from spec2x.demo_files import MODES  # noqa: E402

#: The demo's seed (``spec2x demo --seed`` default).
SEED = 1
#: jwst step parameters a demo's run needs besides spec2x's: jwst's WFSS assign_wcs fits a
#: SIP approximation of the imaging WCS (spec2x does not) from an imaging distortion it asks
#: CRDS for, beyond the references given (as ``benchmarks/nircam_wfss.py`` runs it).
JWST_ONLY = {"nrc_wfss": {"assign_wcs": {"sip_approx": False}}}


def jwst_job(
    science: str, refs: Mapping[str, str], run_args: Sequence[str], output_dir: Path
) -> dict[str, Any]:
    """jwst's side of ``spec2x run`` ``run_args`` on ``science`` with the references
    ``refs`` (reftype -> path; ``--ref`` in ``run_args`` overrides them): the same
    skipped steps and step parameters."""
    from spec2x.params import coerce

    refs = dict(refs)
    params: dict[str, dict[str, Any]] = {}
    for flag, value in zip(run_args, run_args[1:], strict=False):
        if flag == "--ref":
            reftype, _, path = value.partition("=")
            refs[reftype] = path
        elif flag == "--skip":
            params.setdefault(value, {})["skip"] = True
    for arg in run_args:
        if arg.startswith("--steps."):
            key, _, value = arg.removeprefix("--steps.").partition("=")
            step, _, name = key.partition(".")
            params.setdefault(step, {})[name] = coerce(step, name, value)
    return {"input": science, "refs": refs, "steps_params": params, "output_dir": str(output_dir)}


def demo_job(mode: str, root: Path) -> tuple[list[str], dict[str, Any]]:
    """A demo mode's ``spec2x run`` arguments and the jwst job of the same run."""
    run_args = demo_inputs(mode, root)
    manifest = json.loads((root / mode / "demo.json").read_text())
    job = jwst_job(manifest["input"], manifest["refs"], run_args, root / f"{mode}_jwst")
    for step, params in JWST_ONLY.get(mode, {}).items():
        job["steps_params"].setdefault(step, {}).update(params)
    return run_args, job


def long_series_job(nints: int, root: Path) -> tuple[list[str], dict[str, Any]]:
    """A MIRI LRS slitless time series of ``nints`` integrations (written once into
    ``root``): its ``spec2x run`` arguments and jwst job."""
    folder = root / f"lrs_slitless_{nints}"
    manifest = folder / "inputs.json"
    if not manifest.exists():
        from spec2x.demo_files import move_refs
        from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso

        obs = make_lrs_slitless_tso(folder / "inputs", seed=SEED, nints=nints)
        refs = move_refs(obs.references, folder / "refs")
        manifest.write_text(json.dumps({"input": str(obs.exposures[0]), "refs": refs}))
    written = json.loads(manifest.read_text())
    run_args = ["run", written["input"], "--refs", str(folder / "refs"), "--strict-refs"]
    return run_args, jwst_job(written["input"], written["refs"], run_args, folder / "jwst")


def mos_job(n_slitlets: int, root: Path) -> tuple[list[str], dict[str, Any]]:
    """A full-frame NIRSpec MOS exposure of ``n_slitlets`` slitlets (written once into
    ``root``, as ``benchmarks/nirspec_mos.py`` writes it): its ``spec2x run`` arguments
    (every reference given with ``--ref``) and jwst job."""
    folder = root / f"nrs_mos_{n_slitlets}"
    manifest = folder / "inputs.json"
    if not manifest.exists():
        from nirspec_mos import write_inputs

        rate, refs = write_inputs(folder / "inputs", n_slitlets)
        manifest.write_text(json.dumps({"input": str(rate), "refs": refs}))
    written = json.loads(manifest.read_text())
    run_args = ["run", written["input"]]
    for reftype, path in written["refs"].items():
        run_args += ["--ref", f"{reftype}={path}"]
    return run_args, jwst_job(written["input"], written["refs"], run_args, folder / "jwst")


def side_by_side(
    label: str,
    run_args: list[str],
    job: dict[str, Any],
    out: Path,
    with_jwst: bool,
    reuse_jwst: bool = False,
) -> list[str]:
    """One row: ``spec2x run`` then jwst on the same input, both whole processes
    (``reuse_jwst``: jwst's result of an earlier run, saved beside its job, when there is one)."""
    ours = spec2x_process([*run_args, "--output-dir", str(out)])
    print(f"  {label} spec2x: {ours['wall']:.2f} s (CPU {ours['cpu']:.2f} s)", flush=True)
    wall = cpu = float("nan")
    if with_jwst:
        saved = out.with_name(out.name + "_jwst_job") / "measured_jwst.json"
        try:
            if reuse_jwst and saved.exists():
                theirs = json.loads(saved.read_text())
            else:
                # the input's folder: jwst finds files an exposure names (SCATFILE) from there
                with contextlib.chdir(Path(job["input"]).parent):
                    theirs = measure("jwst", job, workdir=saved.parent)
                saved.write_text(json.dumps(theirs))
            wall, cpu = theirs["process_s"], theirs["process_cpu_s"]
            print(f"  {label} jwst: {wall:.2f} s (CPU {cpu:.2f} s)", flush=True)
        except RuntimeError as exc:
            print(f"  {label} jwst failed: {str(exc).splitlines()[0]}", flush=True)
    return [label, f"{wall:.2f}", f"{ours['wall']:.2f}", f"{wall / ours['wall']:.1f}x",
            f"{cpu:.2f}", f"{ours['cpu']:.2f}", f"{cpu / ours['cpu']:.1f}x"]  # fmt: skip


def versus_jwst(
    root: Path,
    modes: Sequence[str],
    ints: Sequence[int],
    with_jwst: bool,
    mos_slitlets: Sequence[int] = (),
    reuse_jwst: bool = False,
) -> list[list[str]]:
    """Rows: per demo mode, long time series and MOS slitlet count, both sides' wall and
    CPU and their ratios."""
    jobs = [(mode, *demo_job(mode, root), f"{mode}_spec2x") for mode in modes]
    jobs += [(f"mir_lrs_slitless, {n} ints", *long_series_job(n, root), f"lrs_{n}_spec2x")
             for n in ints]  # fmt: skip
    jobs += [(f"nrs_mos, {n} slitlets", *mos_job(n, root), f"nrs_mos_{n}_spec2x")
             for n in mos_slitlets]  # fmt: skip
    return [
        side_by_side(label, run_args, job, root / out, with_jwst, reuse_jwst)
        for label, run_args, job, out in jobs
    ]


HEADER = ["input", "jwst process (s)", "spec2x process (s)", "jwst / spec2x", "jwst CPU (s)",
          "spec2x CPU (s)", "CPU jwst / spec2x"]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="*", default=list(MODES), choices=list(MODES))
    parser.add_argument("--ints", type=int, nargs="*", default=[150],
                        help="MIRI LRS slitless time series of these integration counts")  # fmt: skip
    parser.add_argument("--mos-slitlets", type=int, nargs="*", default=[],
                        help="full-frame NIRSpec MOS exposures of these slitlet counts")  # fmt: skip
    parser.add_argument("--no-jwst", action="store_true", help="leave jwst out")
    parser.add_argument("--reuse-jwst", action="store_true",
                        help="jwst's results saved in --workdir by an earlier run")  # fmt: skip
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    args = parser.parse_args(argv)
    root = workdir_or_temp(args.workdir)
    root.mkdir(parents=True, exist_ok=True)
    print(f"files in {root}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rows = versus_jwst(
        root, args.modes, args.ints, not args.no_jwst, args.mos_slitlets, args.reuse_jwst
    )
    print(table(HEADER, rows))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
