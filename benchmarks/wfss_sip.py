"""Benchmark: what the WFSS SIP approximation (assign_wcs ``sip_approx``) costs, spec2x and jwst.

Run ``python benchmarks/wfss_sip.py`` (``--pairs N``, 20 by default).  On a
synthetic NIRCam GRISMR exposure (:mod:`spec2x.synthetic.wfss`; its
distortion is affine, the fit a plain TAN) and on the synthetic NIRISS GR150R
exposure with the real NIRISS distortion of ``shared/realdata`` (TAN-SIP of
degree 4), it times spec2x's assign_wcs with the fit on and off, alternated,
in one warm process (median CPU of ``--pairs`` pairs, user + system), and
jwst 3.0.0's own fit of the same imaging WCS (``nircam.imaging`` /
``niriss.imaging`` then ``update_fits_wcsinfo`` with assign_wcs's defaults).

``--cli``: also ``spec2x run`` of the NIRCam exposure as processes of their own
with the fit on and off (``--steps.assign_wcs.sip_approx=false``), alternated,
``--cli-pairs`` pairs (5 by default); median process CPU.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _common import workdir_or_temp  # noqa: E402
from helpers import REALDATA  # noqa: E402

from spec2x.io.fits import open_exposure  # noqa: E402
from spec2x.steps.assign_wcs import assign_wcs  # noqa: E402
from spec2x.synthetic.nircam_wfss_cal_refs import (  # noqa: E402
    write_nircam_wfss_flat,
    write_nircam_wfss_photom,
)
from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references  # noqa: E402
from spec2x.synthetic.niriss_wfss_refs import write_niriss_wfss_references  # noqa: E402
from spec2x.synthetic.wfss import write_wfss_exposure  # noqa: E402

_WCS_TYPES = ("distortion", "filteroffset", "specwcs")


def _alternated(
    pairs: int, on: Callable[[], float], off: Callable[[], float]
) -> tuple[float, float]:
    """Median of ``on`` and of ``off`` over ``pairs`` pairs, the order swapped every pair."""
    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(pairs):
        for flag in (True, False) if i % 2 == 0 else (False, True):
            times[flag].append((on if flag else off)())
    return statistics.median(times[True]), statistics.median(times[False])


def _cpu(func: Callable[[], Any]) -> float:
    t0 = time.process_time()
    func()
    return time.process_time() - t0


def _jwst_fit(rate: Path, refs: dict[str, str], instrument: str) -> float:
    """CPU of jwst's imaging WCS and its SIP fit (as assign_wcs's ``wfss_imaging_wcs``)."""
    from gwcs.wcs import WCS
    from jwst.assign_wcs import nircam, niriss
    from jwst.assign_wcs.util import update_fits_wcsinfo, wcs_bbox_from_shape
    from stdatamodels.jwst import datamodels

    imaging = nircam.imaging if instrument == "NIRCAM" else niriss.imaging
    model = datamodels.ImageModel(str(rate))

    def fit() -> None:
        imwcs = WCS(imaging(model, refs))
        imwcs.bounding_box = wcs_bbox_from_shape(model.data.shape)
        update_fits_wcsinfo(model, npoints=12, projection="TAN", imwcs=imwcs, bounding_box=None)

    fit()
    return statistics.median(_cpu(fit) for _ in range(5))


def _case(folder: Path, instrument: str, pairs: int) -> tuple[Path, dict[str, str]]:
    if instrument == "NIRCAM":
        refs = write_nircam_wfss_references(folder)
    else:
        refs = write_niriss_wfss_references(folder)
        refs["distortion"] = REALDATA / "niriss" / "niriss_ref_distortion.asdf"
    files = write_wfss_exposure(folder, refs, instrument=instrument)
    given = {t: str(refs[t]) for t in _WCS_TYPES}
    ds = open_exposure(files["rate"])
    out = assign_wcs(ds, given)  # warm: imports, references
    on, off = _alternated(
        pairs,
        lambda: _cpu(lambda: assign_wcs(ds, given)),
        lambda: _cpu(lambda: assign_wcs(ds, given, sip_approx=False)),
    )
    jwst = _jwst_fit(files["rate"], given, instrument)
    print(
        f"{instrument} ({out.attrs['CTYPE1']}, A_ORDER {out.attrs.get('A_ORDER', '-')}): "
        f"assign_wcs {on * 1e3:.1f} ms with the fit, {off * 1e3:.1f} ms without: "
        f"+{(on - off) * 1e3:.1f} ms; jwst's imaging WCS and fit {jwst * 1e3:.1f} ms"
    )
    return files["rate"], {**{t: str(p) for t, p in refs.items()}}


def _cli(rate: Path, refs: dict[str, str], pairs: int) -> None:
    folder = rate.parent
    refs = {
        **refs,
        "photom": str(write_nircam_wfss_photom(folder / "photom.fits")),
        "flat": str(write_nircam_wfss_flat(folder / "flat.fits")),
    }
    given = [a for t, p in refs.items() for a in ("--ref", f"{t}={p}")]
    given += [a for t in ("bkg", "extract1d", "apcorr", "area") for a in ("--ref", f"{t}=N/A")]
    exe = [sys.executable, "-P", "-m", "spec2x.cli", "-q", "run", str(rate), *given]

    def run(*extra: str) -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        cmd = [*exe, "--output-dir", str(folder / "out"), *extra]
        subprocess.run(cmd, check=True, cwd=folder, env=os.environ, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

    run()
    on, off = _alternated(pairs, run, lambda: run("--steps.assign_wcs.sip_approx=false"))
    print(
        f"spec2x run (NIRCam, 100 sources): {on:.2f} s CPU with the fit, {off:.2f} s without "
        f"({pairs} pairs; load {os.getloadavg()[0]:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--cli", action="store_true", help="also time `spec2x run` on and off")
    parser.add_argument("--cli-pairs", type=int, default=5)
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    args = parser.parse_args()
    root = workdir_or_temp(args.workdir)
    print(f"load {os.getloadavg()[0]:.1f}")
    rate, refs = _case(root / "nircam", "NIRCAM", args.pairs)
    if (REALDATA / "niriss" / "niriss_ref_distortion.asdf").exists():
        _case(root / "niriss", "NIRISS", args.pairs)
    if args.cli:
        _cli(rate, refs, args.cli_pairs)


if __name__ == "__main__":
    main()
