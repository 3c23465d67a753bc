"""Benchmark: NIRCam WFSS (NRC_WFSS) through the whole Stage 2 chain, jwst 3.0.0 against spec2x.

Run ``python benchmarks/nircam_wfss.py`` (``--sources 100 1000 3000`` by
default; ``--jwst-max N`` runs jwst only up to N sources, 100 by default:
jwst's extract_2d and extract_1d take about a second per cut-out, so 3000
sources would take hours; ``--workdir DIR`` keeps the files).  For each
size it writes a synthetic GRISMR exposure with that many catalogue sources
(:func:`spec2x.synthetic.wfss.write_wfss_exposure`) and its references
(grism WCS, wavelengthrange, full-frame flat, NrcWfssPhotomModel; no
background template), then calibrates it with jwst's ``Spec2Pipeline``
(offline, every reference overridden) and with spec2x, each side in its own
process (``benchmarks/_common.py``), and prints a table.

``--jwst-sample N``: above ``--jwst-max``, jwst extracts only the ``N``
brightest sources (Extract2dStep's ``wfss_nbright``) of the full exposure,
and its per-cut-out steps (extract_2d from "Extracting N grism objects" on,
as its log shows; srctype, photom, extract_1d: wall and CPU) are scaled by
spec2x's spectra over jwst's (one per cut-out of order != 0); the rest of its
chain (assign_wcs, flat_field, every source's boxes, reading and writing) is
taken as measured, which under-counts jwst's product writing.  jwst's peak
memory is the sample's: a lower bound of its peak on all the cut-outs.

``--cli``: also time ``spec2x run`` on the exposure as a process of its own
(imports, reading, the chain, writing ``_cal`` and ``_x1d``; wall, CPU and
peak resident size from ``/usr/bin/time``) beside jwst's whole process.

Each side's measurement is kept as ``measured_<side>.json`` in the size's
folder (``--workdir DIR``: ``DIR/wfss_<N>``); ``--reuse-jwst`` takes jwst's
from there instead of running it again (jwst takes ~0.5 s of CPU a cut-out),
so spec2x can be measured again beside one jwst run.  The last table gives
each side's peak memory per size and its growth per spectrum between sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import format_table, measure, report_rows, workdir_or_temp  # noqa: E402

from spec2x.synthetic.nircam_wfss_cal_refs import (  # noqa: E402
    write_nircam_wfss_flat,
    write_nircam_wfss_photom,
)
from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references  # noqa: E402
from spec2x.synthetic.wfss import write_wfss_exposure  # noqa: E402

_NA = ("bkg", "extract1d", "apcorr", "area")
#: jwst's steps whose time grows with the cut-outs (scaled from a sample).
_PER_CUTOUT = ("extract_2d", "srctype", "photom", "extract_1d")


def write_inputs(folder: Path, n_sources: int) -> tuple[Path, dict[str, str]]:
    """The ``_rate`` file (catalogue and segmentation map beside it) and reftype -> path."""
    refs = write_nircam_wfss_references(folder)
    files = write_wfss_exposure(folder, refs, n_sources=n_sources)
    refs["photom"] = write_nircam_wfss_photom(folder / "photom.fits")
    refs["flat"] = write_nircam_wfss_flat(folder / "flat.fits")
    return files["rate"], {**{k: str(v) for k, v in refs.items()}, **dict.fromkeys(_NA, "N/A")}


def n_spectra(folder: Path) -> int:
    """The spectra (one per cut-out of order != 0) of the ``_x1d`` product in ``folder``."""
    from astropy.io import fits

    (x1d,) = folder.glob("*_x1d.fits")
    with fits.open(x1d) as hdul:
        return sum(int(h.header["NAXIS2"]) for h in hdul if h.name == "EXTRACT1D")


def cutout_share(log: Path) -> float:
    """The share of jwst's extract_2d wall time spent on the cut-outs (from its log): the rest
    makes every catalogue source's boxes, whatever ``wfss_nbright`` keeps."""
    stamps = {}
    for line in log.read_text().splitlines():
        for key, text in (("start", "Step extract_2d running"), ("cut", "Extracting "),
                          ("done", "Step extract_2d done")):  # fmt: skip
            if text in line and key not in stamps:
                stamps[key] = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
    if len(stamps) < 3:
        return 1.0
    return (stamps["done"] - stamps["cut"]) / (stamps["done"] - stamps["start"])


def scaled(sample: dict[str, Any], ratio: float, share: dict[str, float]) -> dict[str, Any]:
    """jwst's timings with its per-cut-out steps scaled by ``ratio`` (see the module doc);
    ``share``: the part of a step's time that grows with the cut-outs (1 if not given)."""
    out = dict(sample)
    for kind, total in (("steps", "chain_s"), ("steps_cpu", "chain_cpu_s")):
        steps = dict(sample.get(kind, {}))
        extra = 0.0
        for step in _PER_CUTOUT:
            if step in steps:
                grown = steps[step] * share.get(step, 1.0) * (ratio - 1.0)
                extra += grown
                steps[step] += grown
        out[kind] = steps
        out[total] = sample[total] + extra
        process = "process_s" if total == "chain_s" else "process_cpu_s"
        out[process] = sample[process] + extra
    return out


def cli_process(folder: Path, rate: Path, refs: dict[str, str], nbright: int) -> dict[str, float]:
    """``spec2x run`` on ``rate`` in a new process from ``folder``: wall and CPU (s), peak
    resident size (MB) of that process alone (``/usr/bin/time``)."""
    args = [
        "run",
        str(rate),
        "--output-dir",
        str(folder / "cli"),
        "--chunks",
        "0",
        f"--steps.extract_2d.wfss_nbright={nbright}",
        *(f"--ref={k}={v}" for k, v in refs.items()),
    ]
    # -P: the folder holds the in-chain run's "spec2x" outputs, which must not shadow the package
    timed = ["/usr/bin/time", "-f", "%e %U %S %M", sys.executable, "-P", "-m", "spec2x.cli", "-q"]
    done = subprocess.run([*timed, *args], cwd=folder, capture_output=True, text=True, check=True)
    wall, user, system, kb = done.stderr.strip().splitlines()[-1].split()
    return {"wall": float(wall), "cpu": float(user) + float(system), "maxrss_mb": int(kb) / 1024}


def cli_rows(case: str, jwst: dict[str, Any] | None, cli: dict[str, float]) -> list[list[str]]:
    """Table rows of ``spec2x run`` against jwst's whole process (or alone)."""
    pairs = [
        ("wall", "process_s", "spec2x run, process"),
        ("cpu", "process_cpu_s", "spec2x run, process CPU"),
        ("maxrss_mb", "maxrss_mb", "spec2x run, peak memory (MB)"),
    ]
    rows = []
    for ours, theirs, what in pairs:
        them = "-" if jwst is None else f"{jwst[theirs]:.2f}"
        ratio = "-" if jwst is None else f"{jwst[theirs] / cli[ours]:.1f}x"
        rows.append([case, what, them, f"{cli[ours]:.2f}", ratio])
    return rows


def measured(side: str, job: dict[str, Any], folder: Path, reuse: bool) -> dict[str, Any]:
    """One side's timings and peak memory: measured now (kept as ``measured_<side>.json``
    in ``folder``) or, with ``reuse`` and that file present, read from it."""
    kept = folder / f"measured_{side}.json"
    if reuse and kept.exists():
        print(f"  {side}: taken from {kept}", flush=True)
        return dict(json.loads(kept.read_text()))
    result = measure(side, job, workdir=folder)
    kept.write_text(json.dumps(result))
    return result


def run_size(
    root: Path,
    n_sources: int,
    with_jwst: bool,
    sample: int,
    nbright: int,
    cli: bool = False,
    reuse_jwst: bool = False,
) -> tuple[list[list[str]], dict[str, Any]]:
    """Both sides (or spec2x alone, or jwst on a sample) on one exposure: the table rows and
    the peaks (MB) by side with the sources and spectra (:func:`memory_rows`)."""
    folder = root / f"wfss_{n_sources}"
    print(f"writing the NIRCam WFSS exposure ({n_sources} sources) into {folder}", flush=True)
    rate, refs = write_inputs(folder, n_sources)
    os.chdir(folder)  # SCATFILE names the catalogue beside the exposure (both sides)
    results = {}
    sides = ("jwst", "spec2x") if with_jwst or sample else ("spec2x",)
    for side in sides:
        job: dict[str, Any] = {"input": str(rate), "refs": refs, "output_dir": str(folder / side)}
        brightest = nbright if side == "spec2x" or with_jwst else sample
        job["steps_params"] = {"extract_2d": {"wfss_nbright": brightest}}
        if side == "jwst":
            job["steps_params"]["assign_wcs"] = {"sip_approx": False}
        results[side] = measured(side, job, folder, reuse_jwst and side == "jwst")
        print(f"  {side}: {results[side]['chain_s']:.2f} s, "
              f"{results[side]['maxrss_mb']:.0f} MB", flush=True)  # fmt: skip
    case = f"NRC_WFSS {n_sources} sources"
    process = cli_process(folder, rate, refs, nbright) if cli else None
    peaks = {"sources": n_sources, "spectra": n_spectra(folder / "spec2x"),
             "jwst": results["jwst"]["maxrss_mb"] if with_jwst else None,
             "spec2x": results["spec2x"]["maxrss_mb"],
             "spec2x run": None if process is None else process["maxrss_mb"]}  # fmt: skip
    extra = [] if process is None else cli_rows(case, results.get("jwst"), process)
    if with_jwst:
        return report_rows(case, results["jwst"], results["spec2x"]) + extra, peaks
    if sample:
        n_jwst, n_ours = n_spectra(folder / "jwst"), peaks["spectra"]
        print(f"  jwst sample: {n_jwst} spectra, spec2x {n_ours}: scaled by {n_ours / n_jwst:.2f}")
        case += f" (jwst: {n_jwst} of {n_ours} spectra, scaled)"
        share = {"extract_2d": cutout_share(folder / "log_jwst.txt")}
        print(f"  jwst extract_2d: {share['extract_2d']:.2f} of its time on the cut-outs")
        jwst = scaled(results["jwst"], n_ours / n_jwst, share)
        extra = [] if process is None else cli_rows(case, jwst, process)
        return report_rows(case, jwst, results["spec2x"]) + extra, peaks
    ours = results["spec2x"]
    rows = [
        [case, "whole chain", "-", f"{ours['chain_s']:.2f}", "-"],
        [case, "process (with imports)", "-", f"{ours['process_s']:.2f}", "-"],
        [case, "peak memory (MB)", "-", f"{ours['maxrss_mb']:.0f}", "-"],
    ]
    rows += [[case, f"  {s}", "-", f"{t:.2f}", "-"] for s, t in ours["steps"].items()]
    return rows + extra, peaks


def memory_rows(peaks: list[dict[str, Any]]) -> str:
    """A Markdown table of each side's peak memory (MB) per size, and its growth per spectrum
    (MB) from the previous size it was measured at (jwst: only where it ran whole)."""
    lines = [
        "| sources (spectra) | side | peak (MB) | growth per spectrum (MB) |",
        "|---|---|---|---|",
    ]
    last: dict[str, tuple[int, float]] = {}
    for size in sorted(peaks, key=lambda p: p["sources"]):
        for side in ("jwst", "spec2x", "spec2x run"):
            peak = size[side]
            if peak is None:
                continue
            growth = "-"
            if side in last and size["spectra"] > last[side][0]:
                growth = f"{(peak - last[side][1]) / (size['spectra'] - last[side][0]):.2f}"
            last[side] = (size["spectra"], peak)
            lines.append(
                f"| {size['sources']} ({size['spectra']}) | {side} | {peak:.0f} | {growth} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--jwst-max", type=int, default=100, help="largest size jwst runs")
    parser.add_argument(
        "--jwst-sample", type=int, default=0, help="above --jwst-max: jwst's sample of sources"
    )
    parser.add_argument(
        "--nbright", type=int, default=1000, help="extract the N brightest sources (jwst's 1000)"
    )
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    parser.add_argument("--cli", action="store_true", help="also time `spec2x run` (see above)")
    parser.add_argument(
        "--reuse-jwst", action="store_true", help="jwst's measurement kept in --workdir, if any"
    )
    args = parser.parse_args(argv)
    root = workdir_or_temp(args.workdir).resolve()
    rows: list[list[str]] = []
    peaks = []
    for n in args.sources:
        size_rows, size_peaks = run_size(
            root, n, n <= args.jwst_max, args.jwst_sample, args.nbright, args.cli, args.reuse_jwst
        )
        rows += size_rows
        peaks.append(size_peaks)
    print(format_table(rows))
    print(memory_rows(peaks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
