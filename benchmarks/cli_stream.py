"""Peak memory and time of ``spec2x run`` on long time series (MIRI LRS slitless, NIRISS SOSS).

For each number of integrations, a synthetic ``_rateints`` is built (written
by spec2x's own streaming FITS writer, so building it needs little memory
either), then calibrated by the command a user runs, in a fresh process.
MIRI LRS slitless (the default): a 1000-integration exposure repeated,
``spec2x run --chunks auto`` (large inputs are read in chunks and their
products streamed to disk) and, where it fits in memory, ``--chunks 0``
(read whole).  NIRISS SOSS (``--soss``): the SUBSTRIP96 transit exposure
(scene, zodiacal background, 4.5 MB an integration) made chunk by chunk,
``spec2x run --chunks 16`` with the box extraction (``--soss box``) or ATOCA
(``--soss atoca``, jwst's default; ``--tikfac`` gives the Tikhonov factor).
Peak memory is the process's maximum resident set size (``/usr/bin/time``-style,
from ``wait4``).

Usage::

    python benchmarks/cli_stream.py --nints 1000 5000 10000 [--format fits|zarr]
        [--eager-max 1000] [--workdir DIR]
    python benchmarks/cli_stream.py --soss box atoca --nints 200 500 1000 2000

Needs ~1.3 GB of disk per 1000 LRS integrations (input and products); SOSS
SUBSTRIP96 ~15 GB per 1000 (input 4.5 GB, ``_calints`` 9 GB, spilled cubes
1.7 GB): each input is deleted after its runs.
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


def build_soss_input(folder: Path, nints: int) -> tuple[Path, Path]:
    """A SUBSTRIP96 SOSS transit ``_rateints`` of ``nints`` integrations and its
    reference folder (made in a child, 16 integrations at a time)."""
    code = f"""
import dask, numpy as np
from pathlib import Path
from spec2x.io.fits import write_fits
from spec2x.synthetic.base import transit_light_curve
from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.niriss_soss_cal_refs import soss_background_template
from spec2x.synthetic.niriss_soss_tso import soss_transit_refs
refs = Path({str(folder / "soss_refs")!r})
if not refs.exists():
    soss_transit_refs(refs)
ds = make_soss_rateints(
    nints={nints}, subarray="SUBSTRIP96", chunks=16, seed=1,
    background=2.0 * soss_background_template()[10:106],
    light_curve=transit_light_curve(np.linspace(0.0, 1.0, {nints}), 0.01),
)
with dask.config.set(scheduler="synchronous"):
    write_fits(ds, Path({str(folder)!r}) / "s{nints}" / "jw_soss96_rateints.fits")
"""
    (folder / f"s{nints}").mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", code], check=True)
    return folder / f"s{nints}" / "jw_soss96_rateints.fits", folder / "soss_refs"


def soss_options(refs: Path, extraction: str, tikfac: str | None) -> list[str]:
    """``spec2x run`` options of the SOSS runs (the SUBSTRIP256 profile, cropped by ATOCA)."""
    opts = ["--strict-refs", "--chunks", "16"]
    for reftype in ("pathloss", "extract1d", "apcorr", "area"):
        opts += ["--ref", f"{reftype}=N/A"]
    opts += ["--ref", f"specprofile={refs / 'spec2x_niriss_specprofile_substrip256.fits'}"]
    opts += ["--ref", f"bkg={refs / 'spec2x_niriss_soss_bkg.fits'}"]
    opts += ["--ref", f"flat={refs / 'spec2x_niriss_soss_flat.fits'}"]
    if extraction == "box":
        opts.append("--steps.extract_1d.soss_atoca=False")
    elif tikfac:
        opts.append(f"--steps.extract_1d.soss_tikfac={tikfac}")
    return opts


def run_spec2x(
    rateints: Path,
    refs: Path,
    out: Path,
    chunks: str,
    fmt: str,
    options: list[str] | None = None,
) -> dict[str, float]:
    """``spec2x run`` in a new process: wall seconds, CPU seconds, peak RSS (MB)."""
    spec2x = Path(sys.executable).parent / "spec2x"
    cmd = [str(spec2x), "-q", "run", str(rateints), "--refs", str(refs),
           "--output-dir", str(out), "--format", fmt]  # fmt: skip
    cmd += options if options is not None else ["--chunks", chunks]
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
    parser.add_argument("--soss", nargs="+", choices=("box", "atoca"), help="NIRISS SOSS runs")
    parser.add_argument("--tikfac", help="--soss atoca: the Tikhonov factor (default: searched)")
    args = parser.parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="spec2x-stream-"))
    if args.soss:
        return soss_main(args, work)
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


def soss_main(args: argparse.Namespace, work: Path) -> int:
    """The SOSS SUBSTRIP96 runs of ``args.nints`` integrations, one input at a time."""
    for n in args.nints:
        rateints, refs = build_soss_input(work, n)
        for extraction in args.soss:
            options = soss_options(refs, extraction, args.tikfac)
            r = run_spec2x(rateints, refs, work / "out", "16", args.format, options)
            print(
                f"{n:>6} integrations  SOSS {extraction:<5}  {r['wall_s']:7.1f} s wall  "
                f"{r['cpu_s']:7.1f} s CPU  {1e3 * r['cpu_s'] / n:6.1f} ms CPU/integration  "
                f"peak {r['peak_mb']:6.0f} MB",
                flush=True,
            )
        shutil.rmtree(rateints.parent)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
