"""Benchmark: MIRI MRS, jwst 3.0.0 against spec2x: the whole chain, and cubes step by step.

``python benchmarks/miri_mrs.py --chain`` (``--workdir DIR`` keeps the files)
calibrates the synthetic MRS scene (one MIRIFUSHORT exposure, bands 1A and
2A, a point source: :mod:`spec2x.synthetic.miri_mrs_scene`) from ``_rate`` to
``_cal``, ``_s3d``, ``_0_x1d`` and ``_1_x1d`` (both sides build and extract
both bands' cubes) with jwst's ``Spec2Pipeline`` (offline, every
reference overridden) and with spec2x, each side in its own process
(``benchmarks/_common.py``): whole chain (wall and CPU), process, peak
memory and each step.

Without ``--chain`` it times the two product steps in one process, side by
side, on the same calibrated-like exposures (a 1A/2A exposure with a point
source, WCS from the real FLT9 files, as the parity tests make them):

- cube_build, spec2's settings (``skip_dqflagging``): one band (ch1-short),
  both bands of the exposure, and a 4-point dither into one ch1-short cube;
- extract_1d of the ch1-short cube (point source, annulus; ``ifu_rfcorr``
  and apcorr off on both sides).

Each timing is the best of ``--repeat`` runs in CPU time (user + system,
``time.process_time``: fairer than wall time on a busy machine); the first
run of each side pays its imports and caches and is not counted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests"), str(HERE.parent / "tests" / "miri_mrs")]

import numpy as np  # noqa: E402
from _common import bench_case, best_cpu, format_table, workdir_or_temp  # noqa: E402


def _inputs(root: Path) -> dict[str, Any]:
    from cube_helpers import jwst_cal_model, source_position
    from mrs_helpers import real_refs
    from stdatamodels.jwst.datamodels import IFUImageModel

    from spec2x.io.fits import open_exposure, write_fits
    from spec2x.steps.assign_wcs import assign_wcs
    from spec2x.steps.cube_build import cube_build
    from spec2x.synthetic.cubepar import write_mrs_cubepar
    from spec2x.synthetic.ifu_extract_refs import write_ifu_extract1d
    from spec2x.synthetic.miri_mrs import MRS_POINTING, make_mrs_rate
    from spec2x.synthetic.miri_mrs_regions import write_mrs_regions
    from spec2x.wcs.store import get_wcs

    real = str(HERE.parent.parent / "shared" / "realdata" / "miri") + "/"
    regions = write_mrs_regions(
        root / "regions.asdf", real + "jwst_miri_mrs12A_distortion_flt9.asdf"
    )
    refs = real_refs("12A", regions)
    dec0 = MRS_POINTING["DEC_REF"]
    ours, models, position = [], [], None
    for i, (east, north) in enumerate(((0, 0), (0.55, 0.3), (-0.3, 0.55), (0.25, -0.45))):
        pointing = {"RA_REF": MRS_POINTING["RA_REF"] + east / 3600 / np.cos(np.deg2rad(dec0)),
                    "DEC_REF": dec0 + north / 3600}  # fmt: skip
        rate = make_mrs_rate(root / f"d{i}_rate.fits", seed=i, **pointing)
        cal = jwst_cal_model(rate, refs, root / f"d{i}_cal.fits", position)
        ds = assign_wcs(open_exposure(cal), refs)
        if position is None:
            y, x = np.indices(ds["sci"].shape, dtype=np.float64)
            position = source_position(get_wcs(ds)(x, y))
        ds["sci"].attrs["units"] = ds["err"].attrs["units"] = "MJy/sr"
        ours.append(ds)
        models.append(IFUImageModel(str(cal)))
    cubepar = write_mrs_cubepar(root / "cubepar.fits")
    cube = cube_build(ours[0], cubepar, band=("1", "short")).assign_attrs(SRCTYPE="POINT")
    s3d = write_fits(cube, root / "d0_ch1-short_s3d.fits")
    extract1d = write_ifu_extract1d(root / "extract1d.asdf")
    return dict(ours=ours, models=models, cubepar=cubepar, cube=cube, s3d=s3d, x1dref=extract1d)


def _cases(inp: dict[str, Any]) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    from jwst.cube_build import CubeBuildStep
    from jwst.datamodels import ModelContainer
    from jwst.extract_1d import Extract1dStep
    from jwst_offline import run_jwst_step

    from spec2x.io.references import open_reference
    from spec2x.steps._extract_ifu import extract_ifu
    from spec2x.steps.cube_build import build_cube, cube_build, cube_build_bands

    cp = {"cubepar": str(inp["cubepar"])}
    ours, models, cubepar = inp["ours"], inp["models"], inp["cubepar"]
    x1dref = open_reference(str(inp["x1dref"]), "extract1d")

    def jwst_cube(data: Any, **kw: Any) -> Any:
        return run_jwst_step(CubeBuildStep, data, cp, skip_dqflagging=True, **kw)

    return [
        ("cube_build ch1-short", lambda: jwst_cube(models[0], channel="1"),
         lambda: cube_build(ours[0], cubepar, band=("1", "short"))),
        ("cube_build 1A+2A", lambda: jwst_cube(models[0]),
         lambda: cube_build_bands(ours[0], cubepar)),
        ("cube_build 4-dither ch1-short", lambda: jwst_cube(ModelContainer(models), channel="1"),
         lambda: build_cube(ours, cubepar, band=("1", "short"))),
        ("extract_1d ch1-short point",
         lambda: run_jwst_step(Extract1dStep, str(inp["s3d"]),
                               {"extract1d": str(inp["x1dref"]), "apcorr": "N/A"}, rest="N/A",
                               ifu_rfcorr=False),
         lambda: extract_ifu(inp["cube"], x1dref, ifu_rfcorr=False)),
    ]  # fmt: skip


def chain(root: Path) -> list[list[str]]:
    """The whole chain on the synthetic scene, each side in its own process: table rows."""
    from spec2x.synthetic.miri_mrs_scene import make_mrs_scene

    print(f"writing the MRS scene (1A+2A, a point source) into {root}", flush=True)
    scene = make_mrs_scene(root / "scene", seed=1)
    refs = {**scene.refs, "area": "N/A"}
    return bench_case("MIRI MRS 1A+2A", scene.rate, refs, root / "scene")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="folder for the files (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--chain", action="store_true", help="the whole chain, one process a side")
    args = parser.parse_args(argv)
    if args.chain:
        print(format_table(chain(workdir_or_temp(args.workdir))))
        return 0
    import logging

    logging.disable(logging.INFO)
    root = workdir_or_temp(args.workdir)
    root.mkdir(parents=True, exist_ok=True)
    print(f"writing 4 dithered MRS exposures into {root}", flush=True)
    inp = _inputs(root)
    rows = []
    for name, theirs, mine in _cases(inp):
        t_jwst, t_ours = best_cpu(theirs, args.repeat), best_cpu(mine, args.repeat)
        step, _, what = name.partition(" ")
        rows.append([step, what, f"{t_jwst:.2f}", f"{t_ours:.2f}", f"{t_jwst / t_ours:.1f}x"])
        print(" | ".join(rows[-1]), flush=True)
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
