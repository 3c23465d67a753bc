"""Benchmark spec2x FITS/Zarr I/O against stdatamodels on jwst-sized exposures.

Run ``python benchmarks/io.py`` (``--nint 1000`` by default; ``--quick`` for a
small smoke run).  In a temporary folder it makes a full-frame 2048x2048
rate and a 416x72 rateints with ``--nint`` integrations, then times:

- FITS write: spec2x ``write_fits`` vs stdatamodels ``model.save``;
- FITS open (all arrays read): spec2x ``open_exposure`` vs ``datamodels.open``;
- Zarr write and open+compute;
- lazy open of the rateints (``chunks={"integration": 50}``) vs eager open.

Each timing is the best of ``--repeat`` runs; writes go to a new file each
time (deleting the previous one is not timed).  Targets: spec2x no slower
than stdatamodels for FITS open and write; lazy open < 5 % of eager.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from spec2x.datamodel import make_exposure
from spec2x.io import open_exposure, open_zarr, to_zarr, write_fits

ATTRS = {
    "INSTRUME": "NIRSPEC",
    "DETECTOR": "NRS1",
    "EXP_TYPE": "NRS_BRIGHTOBJ",
    "FILTER": "CLEAR",
    "GRATING": "PRISM",
    "V2_REF": 378.56,
    "V3_REF": -428.4,
    "ROLL_REF": 138.4,
    "RA_REF": 10.0,
    "DEC_REF": -5.0,
    "VPARITY": -1,
    "V3I_YANG": 138.5,
}


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def best_write(write: Callable[[Path], Any], target: Path, repeat: int) -> float:
    """Best time of writing a new file (an old one is removed first, outside the timing)."""
    times = []
    for _ in range(repeat):
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        gc.collect()
        t0 = time.perf_counter()
        write(target)
        times.append(time.perf_counter() - t0)
    return min(times)


def exposure(shape: tuple[int, ...], subarray: dict[str, Any]) -> Any:
    rng = np.random.default_rng(0)
    arrays = rng.normal(size=(5, *shape)).astype(np.float32)
    dq = rng.integers(0, 2**16, shape).astype(np.uint32)
    return make_exposure(
        arrays[0],
        err=np.abs(arrays[1]),
        dq=dq,
        var_poisson=arrays[2] ** 2,
        var_rnoise=arrays[3] ** 2,
        var_flat=arrays[4] ** 2,
        attrs={**ATTRS, **subarray},
        xstart=subarray["SUBSTRT1"],
        ystart=subarray["SUBSTRT2"],
    )


def jwst_model(ds: Any) -> Any:
    from stdatamodels.jwst import datamodels as dm

    model = (dm.ImageModel if ds["sci"].ndim == 2 else dm.CubeModel)()
    model.data = ds["sci"].values
    model.err = ds["err"].values
    model.dq = ds["dq"].values
    model.var_poisson = ds["var_poisson"].values
    model.var_rnoise = ds["var_rnoise"].values
    model.var_flat = ds["var_flat"].values
    meta = model.meta
    meta.instrument.name, meta.instrument.detector = "NIRSPEC", "NRS1"
    meta.exposure.type = "NRS_BRIGHTOBJ"
    meta.subarray.xstart = ds.attrs["SUBSTRT1"]
    meta.subarray.ystart = ds.attrs["SUBSTRT2"]
    meta.subarray.xsize = ds.attrs["SUBSIZE1"]
    meta.subarray.ysize = ds.attrs["SUBSIZE2"]
    meta.wcsinfo.v2_ref = ATTRS["V2_REF"]
    return model


def jwst_open_all(path: Path) -> None:
    from stdatamodels.jwst import datamodels as dm

    with dm.open(path) as model:
        for name in ("data", "err", "dq", "var_poisson", "var_rnoise", "var_flat"):
            np.asarray(getattr(model, name)).sum()


def spec2x_open_all(path: Path, chunks: Any = None) -> None:
    ds = open_exposure(path, chunks=chunks)
    for name in ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat"):
        np.asarray(ds[name].values).sum()


def run(nint: int, repeat: int) -> list[tuple[str, float, float | None]]:
    rows: list[tuple[str, float, float | None]] = []
    folder = Path(tempfile.mkdtemp(prefix="spec2x-bench-"))
    try:
        cases = {
            "rate 2048x2048": exposure((2048, 2048), dict(SUBARRAY="FULL", SUBSTRT1=1, SUBSTRT2=1)),
            f"rateints {nint}x416x72": exposure(
                (nint, 72, 416), dict(SUBARRAY="SUB2048", SUBSTRT1=1, SUBSTRT2=529)
            ),
        }
        for label, ds in cases.items():
            ours = folder / "spec2x.fits"
            theirs = folder / "jwst.fits"
            model = jwst_model(ds)
            t_ours = best_write(lambda p, ds=ds: write_fits(ds, p), ours, repeat)
            t_theirs = best_write(lambda p, model=model: model.save(p), theirs, repeat)
            rows.append((f"{label}: FITS write (spec2x / stdatamodels)", t_ours, t_theirs))
            t_ours = best(lambda ours=ours: spec2x_open_all(ours), repeat)
            t_theirs = best(lambda theirs=theirs: jwst_open_all(theirs), repeat)
            rows.append((f"{label}: FITS open+read (spec2x / stdatamodels)", t_ours, t_theirs))
            t_jw = best(lambda theirs=theirs: spec2x_open_all(theirs), repeat)
            rows.append((f"{label}: spec2x open of the jwst-written file", t_jw, None))
            store = folder / "x.zarr"
            t_zw = best_write(lambda p, ds=ds: to_zarr(ds, p), store, repeat)
            rows.append((f"{label}: Zarr write", t_zw, None))
            t_zr = best(lambda store=store: open_zarr(store).compute(), repeat)
            rows.append((f"{label}: Zarr open+compute", t_zr, None))
            if "rateints" in label:
                t_eager = best(lambda ours=ours: open_exposure(ours), repeat)
                t_lazy = best(
                    lambda ours=ours: open_exposure(ours, chunks={"integration": 50}), repeat
                )
                rows.append((f"{label}: lazy open / eager open", t_lazy, t_eager))
                t_auto = best(lambda ours=ours: open_exposure(ours, chunks="auto"), repeat)
                rows.append((f"{label}: lazy open (chunks='auto') / eager", t_auto, t_eager))
                t_dask = best(lambda ours=ours: spec2x_open_all(ours, {"integration": 50}), repeat)
                rows.append((f"{label}: lazy open+compute / eager", t_dask, t_eager))
            del model
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nint", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="nint=20, repeat=1")
    args = parser.parse_args()
    nint, repeat = (20, 1) if args.quick else (args.nint, args.repeat)
    rows = run(nint, repeat)
    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'time [s]':>9}  {'ref [s]':>9}  {'ratio':>7}")
    for label, t, ref in rows:
        ref_text = f"{ref:9.4f}" if ref is not None else " " * 9
        ratio = f"{t / ref:7.3f}" if ref else " " * 7
        print(f"{label:<{width}}  {t:9.4f}  {ref_text}  {ratio}")


if __name__ == "__main__":
    main()
