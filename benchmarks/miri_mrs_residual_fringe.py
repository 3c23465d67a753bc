"""MIRI MRS residual fringe corrections, spec2x against jwst 3.0.0 side by side in one run.

1-D (``ifu_rfcorr`` in extract_1d): jwst's ``fit_residual_fringes_1d`` and
``spec2x.instruments.miri.residual_fringe_1d.correct_residual_fringe_1d`` on
the same synthetic spectra (fringes injected, every channel), CPU seconds
per spectrum.

2-D (the ``residual_fringe`` step, off by default): jwst's
``ResidualFringeStep`` takes seconds per detector column, so both run on the
same synthetic channel 1A/2A exposure with a ``fringefreq`` that lets only
``--slices`` slices be fitted (the others fail the ``min_snr`` test at once);
the time per fitted column is extrapolated to every column of the detector
(both channels, every slice), and says so.

Usage: ``python benchmarks/miri_mrs_residual_fringe.py [--slices 110,208] [--workdir DIR]``
(needs the real FLT9 MRS distortion of ``shared/realdata/miri`` for the WCS).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "tests" / p) for p in ("", "miri_mrs")]

from _common import format_table, workdir_or_temp  # noqa: E402


def _cpu(func, *args, **kwargs):
    t0 = time.process_time()
    out = func(*args, **kwargs)
    return out, time.process_time() - t0


def bench_1d() -> list[list[str]]:
    """Per-spectrum CPU time of both 1-D corrections, and their largest relative difference."""
    from jwst.residual_fringe.utils import fit_residual_fringes_1d
    from test_residual_fringe_parity import spectrum

    from spec2x.instruments.miri.residual_fringe_1d import correct_residual_fringe_1d

    rows = []
    cases = [
        (1, (5.0, 5.7)),
        (2, (7.5, 8.7)),
        (3, (11.5, 13.4)),
        (4, (17.7, 20.9)),
        (None, (5.0, 5.7)),
    ]
    for channel, wave_range in cases:
        wave, flux, _ = spectrum(int(channel or 0), wave_range)
        ch = "" if channel is None else channel
        theirs, tj = _cpu(
            fit_residual_fringes_1d, flux.copy(), wave, channel=ch, dichroic_only=False
        )
        ours, ts = _cpu(correct_residual_fringe_1d, wave, flux, channel)
        diff = float(np.max(np.abs(ours - theirs) / np.abs(theirs)))
        what = f"channel {channel}, CPU; max rel diff {diff:.0e}"
        rows.append(["1-D spectrum", what, f"{tj:.2f}", f"{ts:.2f}", f"{tj / ts:.1f}x"])
    return rows


def bench_2d(workdir: Path, slices: tuple[int, ...]) -> list[list[str]]:
    """CPU time of both 2-D corrections on the fitted slices, extrapolated to the whole detector."""
    from jwst.residual_fringe import ResidualFringeStep
    from jwst_offline import run_jwst_step
    from mrs_helpers import REAL, make_mrs_cal
    from rfringe_helpers import fringed_exposure, limited_fringefreq
    from stdatamodels.jwst import datamodels

    from spec2x import open_reference
    from spec2x.io.fits import write_fits
    from spec2x.steps.residual_fringe import residual_fringe
    from spec2x.synthetic.miri_mrs_regions import write_mrs_regions

    regions = write_mrs_regions(
        workdir / "regions.asdf", REAL + "jwst_miri_mrs12A_distortion_flt9.asdf"
    )
    cal = make_mrs_cal(workdir, regions)
    ds = fringed_exposure(cal.ds)
    path = write_fits(ds, workdir / "mrs_fringe.fits")
    freq = limited_fringefreq(workdir / "fringefreq.fits", slices)
    model = datamodels.IFUImageModel(str(path))
    refs = {"fringefreq": str(freq), "regions": str(regions)}
    result, tj = _cpu(run_jwst_step, ResidualFringeStep, model, refs, skip=False)
    ours, ts = _cpu(residual_fringe, ds, open_reference(freq), open_reference(regions))
    labels = open_reference(regions).content.label_map(0.8)
    fitted = sum(int(np.any(labels == s, axis=0).sum()) for s in slices)
    every = sum(int(np.any(labels == s, axis=0).sum()) for s in np.unique(labels) if s > 0)
    diff = float(np.nanmax(np.abs(ours["sci"].values - result.data) / np.abs(result.data)))
    return [
        ["2-D step", f"{fitted} columns fitted, CPU; max rel diff {diff:.0e}",
         f"{tj:.1f}", f"{ts:.1f}", f"{tj / ts:.1f}x"],
        ["2-D step", f"all {every} slice columns, extrapolated", f"{tj * every / fitted:.0f}",
         f"{ts * every / fitted:.0f}", f"{tj / ts:.1f}x"],
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", default="110,208", help="slices fitted in the 2-D run")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    workdir = workdir_or_temp(args.workdir)
    rows = bench_1d()
    rows += bench_2d(workdir, tuple(int(s) for s in args.slices.split(",")))
    print(format_table(rows))


if __name__ == "__main__":
    main()
