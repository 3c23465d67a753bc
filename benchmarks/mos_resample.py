"""Benchmark: resample_spec alone on NIRSpec MOS exposures, its CPU split into phases.

Run ``python benchmarks/mos_resample.py`` (``--slitlets 100 500`` by default;
``--workdir DIR`` keeps the files and reuses them).  For each count it writes
the synthetic full-frame MOS exposure and references of
``benchmarks/nirspec_mos.py``, calibrates it with spec2x to ``_cal`` (once:
the ``_cal`` is reused when found), opens the ``_cal`` and times
:func:`spec2x.steps.resample_spec.resample_spec` on it (CPU, user + system),
split into:

- ``pixel frames``: every slit's WCS on its pixels (``nirspec_pixel_frames``);
- ``grids``: the output grids (``output_grids``);
- ``output gwcs``: the output WCS of each slit (``grid_wcs``);
- ``pixmaps``: drizzle's pixel maps (``output_pixmaps``);
- ``drizzle``: the drizzle calls (``drizzle_slit``);
- ``assembling``: the s2d Dataset and its per-slit WCSs (``_assemble``);
- ``other``: the rest (input arrays, S_REGION, ...).

The best of ``--repeat`` runs (default 3) is printed as a Markdown table.
``--chain`` also runs spec2x's whole chain on each exposure in its own process
(``benchmarks/_common.py``: chain and resample_spec CPU, peak memory; spec2x
only, no jwst); the spec2x it imports is the one on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import _run_spec2x, measure, workdir_or_temp  # noqa: E402
from nirspec_mos import write_inputs  # noqa: E402

#: phase -> (module, attribute) of the function timed, as resample_spec calls it.
PHASES = {
    "pixel frames": ("spec2x.steps.resample_spec", "nirspec_pixel_frames"),
    "grids": ("spec2x.steps.resample_spec", "output_grids"),
    "output gwcs": ("spec2x.steps.resample_spec", "grid_wcs"),
    "pixmaps": ("spec2x._kernels.resample_spec", "output_pixmaps"),
    "drizzle": ("spec2x._kernels.resample_spec", "drizzle_slit"),
    "assembling": ("spec2x.steps.resample_spec", "_assemble"),
}


def inputs(folder: Path, n_slitlets: int) -> dict[str, Any]:
    """The rate file and references of the ``n_slitlets`` exposure in ``folder`` (written when
    ``folder/inputs.json`` is missing) as a job: ``input``, ``refs``."""
    saved = folder / "inputs.json"
    if not saved.exists():
        rate, refs = write_inputs(folder, n_slitlets)
        saved.write_text(json.dumps({"input": str(rate), "refs": refs}))
    return dict(json.loads(saved.read_text()))


def cal_product(folder: Path, job: dict[str, Any]) -> Path:
    """The spec2x ``_cal`` of ``job`` in ``folder/spec2x`` (calibrated when missing)."""
    found = sorted((folder / "spec2x").glob("*_cal.fits"))
    if not found:
        _run_spec2x({**job, "output_dir": str(folder / "spec2x")})
        found = sorted((folder / "spec2x").glob("*_cal.fits"))
    return found[0]


def chain(folder: Path, job: dict[str, Any]) -> dict[str, float]:
    """spec2x's whole chain on ``job`` in its own process: chain and resample_spec CPU (s),
    peak memory (MB)."""
    result = measure("spec2x", {**job, "output_dir": str(folder / "chain")}, workdir=folder)
    return {
        "chain CPU (s)": result["chain_cpu_s"],
        "resample_spec CPU in the chain (s)": result["steps_cpu"].get("resample_spec", 0.0),
        "peak memory (MB)": result["maxrss_mb"],
    }


def _timed(func: Callable[..., Any], spent: dict[str, float], phase: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            spent[phase] += time.process_time() - start

    return wrapper


def split(ds: Any) -> dict[str, float]:
    """CPU seconds of one resample_spec call on ``ds``, by phase (``total`` too)."""
    import importlib

    from spec2x.steps.resample_spec import resample_spec

    spent = dict.fromkeys(PHASES, 0.0)
    saved = []
    for phase, (module_name, name) in PHASES.items():
        module = importlib.import_module(module_name)
        original = getattr(module, name)
        saved.append((module, name, original))
        setattr(module, name, _timed(original, spent, phase))
    try:
        start = time.process_time()
        resample_spec(ds)
        total = time.process_time() - start
    finally:
        for module, name, original in saved:
            setattr(module, name, original)
    return {**spent, "other": total - sum(spent.values()), "total": total}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slitlets", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    parser.add_argument("--chain", action="store_true", help="also time spec2x's whole chain")
    args = parser.parse_args(argv)
    from spec2x.io import open_product

    root = workdir_or_temp(args.workdir)
    results = {}
    for n in sorted(args.slitlets):
        folder = root / f"mos_{n}"
        job = inputs(folder, n)
        ds = open_product(cal_product(folder, job)).load()
        runs = [split(ds) for _ in range(args.repeat)]
        results[n] = min(runs, key=lambda r: r["total"])
        print(f"{n} slitlets: {results[n]['total']:.2f} s CPU", flush=True)
        if args.chain:
            results[n].update(chain(folder, job))
    phases = [*PHASES, "other", "total"]
    if args.chain:
        phases += ["chain CPU (s)", "resample_spec CPU in the chain (s)", "peak memory (MB)"]
    rows = [["resample_spec phase (s CPU)", *(f"{n} slitlets" for n in results)]]
    rows += [[p, *(f"{r[p]:.2f}" for r in results.values())] for p in phases]
    per_slitlet = (f"{r['total'] / n * 1e3:.1f}" for n, r in results.items())
    rows.insert(len(PHASES) + 3, ["resample_spec per slitlet (ms CPU)", *per_slitlet])
    print("\n".join("| " + " | ".join(row) + " |" for row in [rows[0], ["---"] * len(rows[0]),
                                                               *rows[1:]]))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
