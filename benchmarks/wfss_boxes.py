"""Benchmark the WFSS boxes: every catalogue source and order through the grism WCS, spec2x vs jwst.

Run ``python benchmarks/wfss_boxes.py`` (``--quick`` for 100 sources only).
A synthetic NIRCam GRISMR exposure (:mod:`spec2x.synthetic.wfss`) with N
catalogue sources; the boxes of orders 1 and 2 from the catalogue's sky
boxes, with Extract2dStep's default point-source half height (5 pixels):

- spec2x: :func:`spec2x.wcs.grism_boxes.grism_boxes` (one WCS call per order
  and wavelength end for all sources);
- jwst 3.0.0: ``jwst.assign_wcs.util.create_grism_bbox`` on the model
  jwst's AssignWcsStep made (one call per source and order).

It prints both times, their ratio and whether the boxes are identical.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from spec2x.io import open_product
from spec2x.io.references import open_reference
from spec2x.io.source_catalog import read_source_catalog
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references
from spec2x.synthetic.wfss import write_wfss_exposure
from spec2x.wcs.grism_boxes import grism_boxes, order_ranges
from spec2x.wcs.store import get_wcs

_TESTS = Path(__file__).resolve().parents[1] / "tests"


def run(n_sources: int, folder: Path) -> None:
    sys.path.insert(0, str(_TESTS))
    from jwst.assign_wcs import AssignWcsStep
    from jwst.assign_wcs.util import create_grism_bbox
    from jwst_offline import jwst_offline_env, run_jwst_step

    refs = write_nircam_wfss_references(folder)
    files = write_wfss_exposure(folder, refs, n_sources=n_sources)
    wcs_refs = {k: str(refs[k]) for k in ("distortion", "filteroffset", "specwcs")}
    ours = assign_wcs(open_product(files["rate"]), wcs_refs)
    ranges = order_ranges(open_reference(refs["wavelengthrange"]).content, ours.attrs["FILTER"])
    t0 = time.perf_counter()
    table = grism_boxes(
        get_wcs(ours),
        read_source_catalog(files["catalog"]),
        ranges,
        shape=(ours.sizes["y"], ours.sizes["x"]),
        dispaxis=int(ours.attrs["DISPAXIS"]),
        half_height=5,
    )
    mine = time.perf_counter() - t0
    model = run_jwst_step(
        AssignWcsStep, str(files["rate"]), wcs_refs, rest="N/A", tmp_path=folder, sip_approx=False
    )
    with jwst_offline_env(folder), contextlib.chdir(folder):
        t0 = time.perf_counter()
        objects = create_grism_bbox(
            model, {"wavelengthrange": str(refs["wavelengthrange"])}, wfss_extract_half_height=5
        )
        theirs = time.perf_counter() - t0
    bounds = [np.ravel(o.order_bounding[k]) for o in objects for k in o.order_bounding]
    same = np.array_equal(
        np.stack([table[k].values for k in ("ymin", "ymax", "xmin", "xmax")], axis=1),
        np.reshape(bounds, (-1, 4)),
    )
    print(
        f"{n_sources:6d} sources, {table.sizes['box']:5d} boxes: spec2x {mine:7.3f} s, "
        f"jwst {theirs:7.2f} s, x{theirs / mine:6.0f}, identical: {same}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 sources only")
    args = parser.parse_args()
    for n in (100,) if args.quick else (100, 1000, 3000):
        with tempfile.TemporaryDirectory() as folder:
            run(n, Path(folder))


if __name__ == "__main__":
    main()
