"""Benchmark: wfss_contam (NIRCam GRISMR, NIRISS GR150C), jwst 3.0.0's ``contam_corr`` vs spec2x.

Run ``python benchmarks/wfss_contam.py [--pairs 50] [--grism GRISMR] [--workdir DIR]``.  It writes
the synthetic overlapping-trace scene (:mod:`spec2x.synthetic.wfss_contam_scene`,
``2 * pairs`` sources), cuts it out with jwst's AssignWcs and Extract2d
(order 1) and with spec2x's, then times (CPU seconds, this process) the
contamination correction of each side from the direct image and
segmentation map on, and prints the parity figures: the simulated frame and
the corrected cut-outs against jwst's with its ``match_backplane_prefer_first``
mended (as ``tests/wfss/test_wfss_contam_parity.py`` does), and how many
cut-outs jwst's own backplane changes.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent / "tests" / "wfss"))

from _common import workdir_or_temp  # noqa: E402


def _measure(func):
    """``func()``, its CPU seconds (untraced run) and peak traced MB (a second, traced run)."""
    t0 = time.process_time()
    func()
    cpu = time.process_time() - t0
    tracemalloc.start()
    out = func()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return out, cpu, peak


def main(argv: list[str] | None = None) -> None:
    """Time both sides and print the figures."""
    from jwst.assign_wcs import AssignWcsStep
    from jwst.extract_2d import Extract2dStep
    from jwst.wfss_contam import wfss_contam as jwst_wc
    from jwst_offline import run_jwst_step
    from stdatamodels.jwst import datamodels
    from wfss_helpers import mended_backplane

    from spec2x.io.fits import open_product
    from spec2x.io.references import open_reference
    from spec2x.io.source_catalog import read_segmentation_map, read_source_catalog
    from spec2x.slits import iter_slits
    from spec2x.steps._extract_2d_grism import extract_grism
    from spec2x.steps.assign_wcs import assign_wcs
    from spec2x.steps.wfss_contam import simulate, wfss_contam
    from spec2x.synthetic.nircam_wfss_cal_refs import write_nircam_wfss_photom
    from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references
    from spec2x.synthetic.niriss_wfss_cal_refs import write_niriss_wfss_photom
    from spec2x.synthetic.niriss_wfss_refs import write_niriss_wfss_references
    from spec2x.synthetic.wfss_contam_scene import write_contam_scene
    from spec2x.wfss_contam.scene import make_scene, read_direct_image

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument(
        "--grism", default="GRISMR", choices=("GRISMR", "GRISMC", "GR150R", "GR150C")
    )
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args(argv)
    nircam = args.grism.startswith("GRISM")
    write_refs = write_nircam_wfss_references if nircam else write_niriss_wfss_references
    write_photom = write_nircam_wfss_photom if nircam else write_niriss_wfss_photom
    folder = workdir_or_temp(args.workdir)
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.chdir(folder):
        refs = write_refs(folder, args.grism)
        photom = write_photom(folder / "photom.fits")
        files = write_contam_scene(folder, refs, photom, grism=args.grism, n_pairs=args.pairs)
        wcs_refs = {k: str(refs[k]) for k in ("distortion", "filteroffset", "specwcs")}
        ranges = open_reference(refs["wavelengthrange"]).content
        catalog = read_source_catalog(files["catalog"])
        ours_in = extract_grism(
            assign_wcs(open_product(files["rate"]), wcs_refs), catalog, ranges, extract_orders=[1]
        )
        model = run_jwst_step(
            AssignWcsStep, str(files["rate"]), wcs_refs, rest="N/A", tmp_path=folder,
            sip_approx=False,
        )  # fmt: skip
        wr_path = str(refs["wavelengthrange"])
        cut = run_jwst_step(
            Extract2dStep, model, {"wavelengthrange": wr_path}, tmp_path=folder, extract_orders=[1]
        )
        ph = open_reference(photom)

        def ours_run():
            direct, direct_wcs = read_direct_image(files["direct"])
            segmap = read_segmentation_map(files["segmentation"])
            scene = make_scene(direct, segmap, direct_wcs)
            return scene, wfss_contam(ours_in, scene, ranges, ph, orders=[1])

        with datamodels.WavelengthrangeModel(wr_path) as wr, datamodels.open(str(photom)) as pm:
            (scene, ours), t_ours, m_ours = _measure(ours_run)
            as_is, t_jwst, m_jwst = _measure(
                lambda: jwst_wc.contam_corr(cut.copy(), wr, pm, "1", orders=[1])
            )
            jwst_wc.match_backplane_prefer_first = mended_backplane
            mended = jwst_wc.contam_corr(cut.copy(), wr, pm, "1", orders=[1])
        frame = simulate(ours_in, scene, ranges, ph, orders=[1]).frame
        theirs = as_is[1].data
        print(f"{args.grism}: {2 * args.pairs} sources, {len(cut.slits)} cut-outs (order 1)")
        print(f"CPU s: spec2x {t_ours:.2f}  jwst {t_jwst:.2f}  ({t_jwst / t_ours:.1f}x)")
        print(f"peak traced MB: spec2x {m_ours:.0f}  jwst {m_jwst:.0f}")
        print(f"simulated frame: max|diff|/max {np.abs(frame - theirs).max() / theirs.max():.2e}")
        mine = {(int(s["source_id"][0]), 1): s["sci"].values[0] for s in iter_slits(ours)}
        worst, changed = 0.0, 0
        asis = {(s.source_id, s.meta.wcsinfo.spectral_order): s.data for s in as_is[0].slits}
        for s in mended[0].slits:
            key = (s.source_id, s.meta.wcsinfo.spectral_order)
            scale = np.abs(s.data).max()
            worst = max(worst, np.abs(mine[key] - s.data).max() / scale)
            changed += np.abs(asis[key] - s.data).max() > 1e-3 * scale
        print(f"cut-outs vs jwst mended: max|diff|/max {worst:.2e}")
        print(f"cut-outs jwst's own backplane changes: {changed} of {len(mended[0].slits)}")


if __name__ == "__main__":
    main()
