"""Calibrate several exposures at once, the way ``spec2x run a.json b.json --workers N`` does.

The two nods of a synthetic MIRI LRS fixed-slit observation each come with a
level-2 association naming the other nod as background; both associations
go through the whole chain, in this process (``workers=None``) or on a
dask.distributed ``LocalCluster`` (``workers=2``) or an existing cluster
(``scheduler="tcp://host:8786"``).  A failing exposure does not stop the others.

    python examples/run_many.py [FOLDER] [--workers N]
"""

import argparse
import tempfile
from pathlib import Path

from spec2x.io import open_product
from spec2x.scale import jobs_from_inputs, run_many
from spec2x.synthetic.miri_lrs import make_lrs_fixedslit


def main(folder: Path, workers: int | None) -> None:
    obs = make_lrs_fixedslit(folder / "inputs", seed=3)
    refs = {name: str(path) for name, path in obs.references.items()}
    jobs = jobs_from_inputs(obs.association)  # one job per association product
    results = run_many(jobs, workers=workers, refs=refs, output_dir=folder / "products")
    for result in results:
        status = "ok" if result.ok else f"FAILED: {result.error}"
        print(f"{result.base}: {status} in {result.seconds:.1f} s -> {sorted(result.outputs)}")
    x1d = open_product(results[0].outputs["x1d"])
    flux = x1d["flux"].where((x1d["wavelength"] > 5) & (x1d["wavelength"] < 10))
    print(f"nod A: median flux over 5-10 um {float(flux.median()) * 1e3:.3f} mJy")
    assert all(r.ok for r in results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?")
    parser.add_argument("--workers", type=int)
    args = parser.parse_args()
    if args.folder:
        main(Path(args.folder), args.workers)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp), args.workers)
