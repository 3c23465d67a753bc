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
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

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


def write_inputs(folder: Path, n_sources: int) -> tuple[Path, dict[str, str]]:
    """The ``_rate`` file (catalogue and segmentation map beside it) and reftype -> path."""
    refs = write_nircam_wfss_references(folder)
    files = write_wfss_exposure(folder, refs, n_sources=n_sources)
    refs["photom"] = write_nircam_wfss_photom(folder / "photom.fits")
    refs["flat"] = write_nircam_wfss_flat(folder / "flat.fits")
    return files["rate"], {**{k: str(v) for k, v in refs.items()}, **dict.fromkeys(_NA, "N/A")}


def run_size(root: Path, n_sources: int, with_jwst: bool) -> list[list[str]]:
    """Both sides (or spec2x alone) on one exposure; the table rows."""
    folder = root / f"wfss_{n_sources}"
    print(f"writing the NIRCam WFSS exposure ({n_sources} sources) into {folder}", flush=True)
    rate, refs = write_inputs(folder, n_sources)
    os.chdir(folder)  # SCATFILE names the catalogue beside the exposure (both sides)
    results = {}
    sides = ("jwst", "spec2x") if with_jwst else ("spec2x",)
    for side in sides:
        job = {"input": str(rate), "refs": refs, "output_dir": str(folder / side)}
        if side == "jwst":
            job["steps_params"] = {"assign_wcs": {"sip_approx": False}}
        results[side] = measure(side, job, workdir=folder)
        print(f"  {side}: {results[side]['chain_s']:.2f} s, "
              f"{results[side]['maxrss_mb']:.0f} MB", flush=True)  # fmt: skip
    case = f"NRC_WFSS {n_sources} sources"
    if with_jwst:
        return report_rows(case, results["jwst"], results["spec2x"])
    ours = results["spec2x"]
    rows = [[case, "whole chain", "-", f"{ours['chain_s']:.2f}", "-"],
            [case, "process (with imports)", "-", f"{ours['process_s']:.2f}", "-"],
            [case, "peak memory (MB)", "-", f"{ours['maxrss_mb']:.0f}", "-"]]  # fmt: skip
    rows += [[case, f"  {s}", "-", f"{t:.2f}", "-"] for s, t in ours["steps"].items()]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--jwst-max", type=int, default=100, help="largest size jwst runs")
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    args = parser.parse_args(argv)
    root = workdir_or_temp(args.workdir).resolve()
    rows: list[list[str]] = []
    for n in args.sources:
        rows += run_size(root, n, n <= args.jwst_max)
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
