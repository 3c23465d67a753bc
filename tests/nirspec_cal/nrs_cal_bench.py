"""Timing of spec2x's NIRSpec slit flat against jwst 3.0.0 on the same fixed slits.

For ``benchmarks/nirspec_fs.py``::

    import sys; sys.path.insert(0, "tests/nirspec_cal")
    from nrs_cal_bench import bench_nirspec_flat
    print(bench_nirspec_flat("/tmp/bench"))

or ``python tests/nirspec_cal/nrs_cal_bench.py [WORKDIR]``.  Both sides build
the flat on the fly from the same fflat/sflat/dflat files (sflat 2-D, dflat a
5-plane cube) for five full-length fixed-slit cut-outs, point sources
included (both compute the point and the uniform flat for those), and apply
it; reading the references and building the jwst models are not timed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from nrs_cal_helpers import make_slits, to_multislit

from spec2x.instruments.nirspec.flat import nirspec_flat
from spec2x.io.references import open_reference
from spec2x.synthetic import nirspec_cal_refs as ncr


def bench_nirspec_flat(
    workdir: str | Path,
    *,
    shape: tuple[int, int] = (40, 2048),
    nslits: int = 5,
    repeat: int = 3,
) -> dict[str, Any]:
    """Best-of-``repeat`` wall time (s) of spec2x and jwst, and their ratio (jwst / spec2x)."""
    from jwst.flatfield.flat_field import do_nirspec_flat_field
    from stdatamodels.jwst import datamodels as dm

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    ref_shape = (nslits * (shape[0] + 2) + 2, shape[1] + 16)
    paths = [
        ncr.write_fflat(workdir / "bench_fflat.fits"),
        ncr.write_sflat(workdir / "bench_sflat.fits", shape=ref_shape),
        ncr.write_dflat(workdir / "bench_dflat.fits", shape=ref_shape),
    ]
    ds = make_slits(ncr.FS_SLITS[:nslits], shape=shape, srctype=["POINT", "EXTENDED"] * 3)
    ours_refs = [open_reference(p) for p in paths]
    theirs_refs = [dm.NirspecFlatModel(str(p)) for p in paths]
    nirspec_flat(ds, *ours_refs)  # warm up (imports, caches)
    t_ours, t_jwst = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        nirspec_flat(ds, *ours_refs)
        t_ours.append(time.perf_counter() - t0)
        model = to_multislit(ds)
        t0 = time.perf_counter()
        do_nirspec_flat_field(model, *theirs_refs)
        t_jwst.append(time.perf_counter() - t0)
    best_ours, best_jwst = min(t_ours), min(t_jwst)
    return {
        "slits": nslits,
        "pixels": int(ds["sci"].size),
        "spec2x_s": best_ours,
        "jwst_s": best_jwst,
        "speedup": best_jwst / best_ours,
    }


if __name__ == "__main__":
    print(
        bench_nirspec_flat(sys.argv[1] if len(sys.argv) > 1 else "/tmp/spec2x_bench_nirspec_flat")
    )
