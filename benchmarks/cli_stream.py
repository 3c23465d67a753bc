"""Peak memory and time of ``spec2x run`` on long MIRI LRS slitless time series.

For each number of integrations, a synthetic ``_rateints`` is built by
repeating a 1000-integration one (written by spec2x's own streaming FITS
writer, so building it needs little memory either), then calibrated by the
command a user runs, in a fresh process: ``spec2x run --chunks auto`` (large
inputs are read in chunks and their products streamed to disk) and, where
it fits in memory, ``--chunks 0`` (read whole). Peak memory is the process's
maximum resident set size (``/usr/bin/time``-style, from ``wait4``).

Usage::

    python benchmarks/cli_stream.py --nints 1000 5000 10000 [--format fits|zarr]
        [--eager-max 1000] [--workdir DIR]

Needs ~1.3 GB of disk per 1000 integrations (input and products).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_NINTS = 1000


def build_input(folder: Path, nints: int) -> tuple[Path, Path]:
    """A ``_rateints`` of ``nints`` integrations and its reference folder (made in a child)."""
    code = f"""
import dask, xarray as xr
from pathlib import Path
from spec2x.io.fits import open_exposure, write_fits
from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso
base = Path({str(folder / "base")!r})
if not base.exists():
    make_lrs_slitless_tso(base, nints={BASE_NINTS})
src = next(base.glob("*_rateints.fits"))
one = open_exposure(src, chunks={{"integration": 100}})
reps = -(-{nints} // {BASE_NINTS})
ds = xr.concat([one] * reps, dim="integration").isel(integration=slice(0, {nints}))
ds = ds.assign_coords(integration=range(1, {nints} + 1))
with dask.config.set(scheduler="threads"):
    write_fits(ds, Path({str(folder)!r}) / "n{nints}" / src.name)
"""
    (folder / f"n{nints}").mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", code], check=True)
    return next((folder / f"n{nints}").glob("*_rateints.fits")), folder / "base"


def run_spec2x(rateints: Path, refs: Path, out: Path, chunks: str, fmt: str) -> dict[str, float]:
    """``spec2x run`` in a new process: wall seconds, CPU seconds, peak RSS (MB)."""
    spec2x = Path(sys.executable).parent / "spec2x"
    cmd = [str(spec2x), "-q", "run", str(rateints), "--refs", str(refs),
           "--output-dir", str(out), "--chunks", chunks, "--format", fmt]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"spec2x run failed on {rateints}")
    shutil.rmtree(out, ignore_errors=True)
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nints", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--format", choices=("fits", "zarr"), default="fits")
    parser.add_argument("--eager-max", type=int, default=1000, help="largest read whole too")
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    args = parser.parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="spec2x-stream-"))
    rows = []
    for n in args.nints:
        rateints, refs = build_input(work, n)
        modes = ["auto"] + (["0"] if n <= args.eager_max else [])
        for chunks in modes:
            r = run_spec2x(rateints, refs, work / "out", chunks, args.format)
            rows.append((n, chunks, r))
            print(
                f"{n:>6} integrations  --chunks {chunks:<4}  {r['wall_s']:7.1f} s wall  "
                f"{r['cpu_s']:7.1f} s CPU  {1e3 * r['cpu_s'] / n:6.1f} ms CPU/integration  "
                f"peak {r['peak_mb']:6.0f} MB",
                flush=True,
            )
        shutil.rmtree(rateints.parent)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
