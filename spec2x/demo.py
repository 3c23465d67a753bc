"""``spec2x demo``: a synthetic observation through the whole chain, with figures.

:func:`run_demo` writes a synthetic exposure and its CRDS-format references
(:mod:`spec2x.synthetic`), calibrates it with :func:`spec2x.pipeline.spec2`
(the nod partner as the background member of a level-2 association where the
mode is nodded, as jwst's association rules make it) from that reference
folder alone, as ``spec2x run INPUT --refs DIR --strict-refs`` does (every
demo's folder is complete), writes the products in
jwst's FITS layout and a quick-look PNG, and prints how the extracted
spectrum compares with the one injected.

Modes: ``mir_lrs_fs`` (MIRI LRS fixed slit, nodded), ``mir_lrs_slitless``
(MIRI LRS slitless time series with a transit), ``nrs_fs`` (NIRSpec fixed
slit S200A1, G140M/F100LP, nodded), ``nrs_bots`` (NIRSpec bright-object
time series in S1600A1 with a transit), ``nrs_mos`` (NIRSpec MOS, 20 MSA
slitlets of point and extended sources and four background-only slitlets,
PRISM/CLEAR, master_background_mos on; the figure and the flux ratio are the
brightest point source's), ``nis_soss`` (NIRISS SOSS time
series with a transit, box-extracted: ``soss_atoca=False``, and pathloss
N/A, which jwst skips for time series), ``mir_mrs`` (MIRI MRS, one
MIRIFUSHORT exposure of channels 1A and 2A with a point source; the figure
shows the channel 1A cube, the ``_s3d``, and its spectrum) and ``nrs_ifu``
(NIRSpec IFU, PRISM/CLEAR, a point source on a flat sky: ``_cal``, the ``_s3d`` cube, whose
wavelength-median plane the figure shows, and the source's ``_x1d``) and ``nrc_wfss`` (NIRCam
WFSS, F356W/GRISMR, 60 catalogue sources, the 12 brightest point sources with known spectra;
the figure and the flux ratio are the brightest isolated one's order 1).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .demo_files import MODES, move_refs, write_nod_association
from .errors import ParameterError

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["MODES", "DemoObservation", "run_demo", "white_light", "write_nod_association"]

log = logging.getLogger(__name__)


#: Well-exposed wavelength range of each mode (µm): the flux ratio is taken there.
WELL_EXPOSED = {
    "mir_lrs_fs": (5.0, 10.0),
    "mir_lrs_slitless": (5.0, 10.0),
    "nrs_fs": (1.0, 1.85),
    "nrs_bots": (1.0, 1.85),
    "nrs_mos": (1.0, 4.5),
    "nis_soss": (1.0, 2.6),
    "mir_mrs": (4.95, 5.7),
    "nrs_ifu": (0.7, 5.2),
    "nrc_wfss": (3.15, 3.95),
}

#: Step parameters and explicit references a demo mode runs with (besides its folder).
DEMO_PARAMS: dict[str, dict[str, dict[str, Any]]] = {
    "nis_soss": {"extract_1d": {"soss_atoca": False}},
}
#: Slitlets of the MOS demo (two of them fall on NRS2).
MOS_SLITLETS = 20
#: Background-only slitlets of the MOS demo: master_background_mos combines them.
MOS_BACKGROUND = 4
#: Steps the MOS demo leaves out: its scene is injected without the flat, the slit
#: losses and the bar shadows (the references are not neutral for them);
#: master_background_mos then leaves them out too, as jwst's sub-steps do.
MOS_SKIP = ("wavecorr", "flat_field", "pathloss", "barshadow")

TSO_NINTS = 60


@dataclass
class DemoObservation:
    """What a demo mode calibrates and the truth to compare with.

    Attributes
    ----------
    science : the file (or association) given to :func:`spec2x.pipeline.spec2`.
    refs : reftype -> reference path (or "N/A").
    wavelength, flux : the injected spectrum, µm and Jy (the unit of the x1d ``flux``).
    light_curve, depth : TSO only: injected relative flux per integration, transit depth.
    slit : several slits (MOS): the one the figure and the flux ratio are about.
    skip : steps the demo leaves out.
    amplitude : MOS: source id -> factor on the injected spectrum shape
        (:func:`spec2x.synthetic.nirspec.source_spectrum`, MJy).
    sky_jy : MOS: the sky in each slitlet pixel, Jy once calibrated as a point source.
    """

    science: Path
    refs: dict[str, str]
    wavelength: np.ndarray
    flux: np.ndarray
    light_curve: np.ndarray | None = None
    depth: float | None = None
    slit: str | None = None
    skip: tuple[str, ...] = ()
    amplitude: dict[int, float] | None = None
    sky_jy: float = 0.0
    explicit: dict[str, str] | None = None

    def truth(self, wavelength: Any) -> np.ndarray:
        """Injected F_nu (Jy) at ``wavelength`` (µm); NaN outside the grid."""
        return np.interp(wavelength, self.wavelength, self.flux, left=np.nan, right=np.nan)

    def manifest(self, mode: str, products: dict[str, Path]) -> dict[str, Any]:
        """JSON-ready description: input, references, products and the truth."""
        out: dict[str, Any] = {
            "mode": mode,
            "input": str(self.science),
            "refs": self.refs,
            "products": {k: str(v) for k, v in products.items()},
            "well_exposed_um": list(WELL_EXPOSED[mode]),
            "truth": {"wavelength_um": self.wavelength.tolist(), "flux_jy": self.flux.tolist()},
        }
        if self.light_curve is not None:
            out["truth"]["light_curve"] = np.asarray(self.light_curve).tolist()
            out["truth"]["depth"] = self.depth
        if self.amplitude is not None:
            out["truth"]["amplitude_by_source_id"] = {str(k): v for k, v in self.amplitude.items()}
            out["truth"]["sky_jy_per_pixel"] = self.sky_jy
        return out


def _miri_lrs(mode: str, inputs: Path, refs_dir: Path, seed: int) -> DemoObservation:
    from .synthetic.miri_lrs import make_lrs_fixedslit, make_lrs_slitless_tso

    if mode == "mir_lrs_fs":
        obs = make_lrs_fixedslit(inputs, seed=seed)
        science = obs.association[0]  # nod A, nod B as its background
    else:
        obs = make_lrs_slitless_tso(inputs, seed=seed, nints=TSO_NINTS)
        science = obs.exposures[0]
    refs = move_refs(obs.references, refs_dir)
    return DemoObservation(science, refs, obs.wavelength, obs.flux_jy, obs.light_curve, obs.depth)


def _nirspec(mode: str, inputs: Path, refs_dir: Path, seed: int) -> DemoObservation:
    from .synthetic.extract_refs import write_apcorr_nirspec_fs, write_nirspec_fs_extract1d
    from .synthetic.nirspec import make_nirspec_fs
    from .synthetic.nirspec_bots import make_nirspec_bots

    if refs_dir.exists():
        shutil.rmtree(refs_dir)
    if mode == "nrs_fs":
        obs = make_nirspec_fs(seed, subarray="SUBS200A1", folder=inputs)
        shutil.move(os.fspath(obs.refs_dir), refs_dir)
        science = write_nod_association(
            inputs / "nrs_fs_nod1_asn.json", obs.rate_paths[0], obs.rate_paths[1:]
        )
        truth = DemoObservation(science, {}, obs.wavelength, obs.flux * 1e6)
        paths, exp_type = obs.refs, "NRS_FIXEDSLIT"
    else:
        bots = make_nirspec_bots(seed, nints=TSO_NINTS, folder=inputs)
        shutil.move(os.fspath(inputs / "refs"), refs_dir)
        truth = DemoObservation(
            bots.rateints_path, {}, bots.wavelength, bots.flux * 1e6, bots.light_curve, bots.depth
        )
        paths, exp_type = bots.refs, "NRS_BRIGHTOBJ"
    truth.refs = {k: str(refs_dir / Path(v).name) for k, v in paths.items()}
    truth.refs["extract1d"] = str(write_nirspec_fs_extract1d(refs_dir, exp_type))
    # the 6-pixel box holds > 99.9 % of the synthetic profile: an aperture correction of 1
    rows = [("F100LP", "G140M", slit) for slit in ("S200A1", "S1600A1")]
    apcorr = refs_dir / "spec2x_nirspec_fs_apcorr.fits"
    truth.refs["apcorr"] = str(write_apcorr_nirspec_fs(apcorr, rows=rows, constant=1.0))
    return truth


def _nirspec_mos(inputs: Path, refs_dir: Path, seed: int) -> DemoObservation:
    from .instruments.nirspec.msa_meta import read_msa_metadata
    from .synthetic.extract_refs import write_apcorr_nirspec_fs
    from .synthetic.nirspec_mos_chain import make_nirspec_mos_chain

    if refs_dir.exists():
        shutil.rmtree(refs_dir)
    chain = make_nirspec_mos_chain(
        seed, folder=inputs, n_slitlets=MOS_SLITLETS, n_background=MOS_BACKGROUND, neutral=True
    )
    # the box holds the whole synthetic profile: an aperture correction of 1
    write_apcorr_nirspec_fs(chain.refs["apcorr"], mos=True, constant=1.0)
    refs = move_refs(chain.refs, refs_dir, keep=inputs)
    truth = chain.truth
    table = read_msa_metadata(truth.msa_metadata, 1, 1)
    point = (table["stellarity"].values > 0.75) & (table["quadrant"].values > 2)
    ids = table["source_id"].values[point]
    best = int(np.argmax([truth.amplitude[int(i)] for i in ids]))
    wave = np.linspace(0.6, 5.3, 2000)
    return DemoObservation(
        truth.rate_paths[0], refs, wave, truth.spectrum(int(ids[best]), wave) * 1e6,
        slit=str(table["name"].values[point][best]), skip=MOS_SKIP, amplitude=truth.amplitude,
        sky_jy=truth.sky * truth.photmj * 1e6,
    )  # fmt: skip


def _niriss_soss(inputs: Path, refs_dir: Path, seed: int) -> DemoObservation:
    from .synthetic.niriss_soss_tso import make_soss_transit

    if refs_dir.exists():
        shutil.rmtree(refs_dir)
    tso = make_soss_transit(inputs, nints=TSO_NINTS, seed=seed)
    shutil.move(os.fspath(inputs / "refs"), refs_dir)
    refs = {k: str(refs_dir / Path(v).name) for k, v in tso.refs.items()}
    return DemoObservation(
        tso.rateints_path, refs, tso.wavelength, tso.flux, tso.light_curve, tso.depth,
        explicit=dict.fromkeys(("pathloss", "extract1d", "apcorr", "area"), "N/A"),
    )  # fmt: skip


def _miri_mrs(inputs: Path, refs_dir: Path, seed: int) -> DemoObservation:
    from .synthetic.miri_mrs_scene import make_mrs_scene

    if refs_dir.exists():
        shutil.rmtree(refs_dir)
    scene = make_mrs_scene(inputs, seed=seed)
    shutil.move(os.fspath(scene.refs_dir), refs_dir)
    refs = {k: str(refs_dir / Path(v).name) for k, v in scene.refs.items()}
    # CRDS has no area file for the MRS: photom reads its own file's pixel sizes
    return DemoObservation(scene.rate, refs, scene.wavelength, scene.flux, explicit={"area": "N/A"})


def _nirspec_ifu(inputs: Path, refs_dir: Path, seed: int) -> DemoObservation:
    from .synthetic.nirspec_ifu_scene import make_nirspec_ifu_scene

    if refs_dir.exists():
        shutil.rmtree(refs_dir)
    scene = make_nirspec_ifu_scene(inputs, seed=seed)
    refs = move_refs(scene.refs, refs_dir, keep=inputs)
    wave = np.linspace(0.6, 5.3, 2000)
    return DemoObservation(scene.rate, refs, wave, scene.flux_jy(wave))


def _nircam_wfss(inputs: Path, refs_dir: Path, seed: int) -> DemoObservation:
    from .synthetic.nircam_wfss_demo import make_nrc_wfss_demo

    if refs_dir.exists():
        shutil.rmtree(refs_dir)
    demo = make_nrc_wfss_demo(inputs, refs_dir, seed)
    na = dict.fromkeys(("extract1d", "apcorr", "area"), "N/A")  # CRDS: N/A for NIRCam WFSS
    return DemoObservation(demo.association, demo.refs, demo.wavelength, demo.flux,
                           slit=str(demo.source_id), explicit=na)  # fmt: skip


def _first_order(x1d: xr.Dataset) -> xr.Dataset:
    """Order 1 of spectra with several orders (NIRISS SOSS), else the spectra."""
    return x1d.isel(order=0) if "order" in x1d.dims else x1d


def white_light(
    x1dints: xr.Dataset, wavelength_range: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """White-light curve of a TSO: flux summed over ``wavelength_range`` (µm) per integration,
    over the bins finite in every integration; returns (curve, its per-point 1-sigma error)."""
    flux = np.asarray(x1dints["flux"], np.float64)
    err = np.asarray(x1dints["flux_error"], np.float64)
    wave = np.asarray(x1dints["wavelength"], np.float64)
    wave = wave[0] if wave.ndim == 2 else wave
    use = (wave >= wavelength_range[0]) & (wave <= wavelength_range[1])
    use &= np.all(np.isfinite(flux) & np.isfinite(err), axis=0)
    total = flux[:, use].sum(axis=1)
    sigma = np.sqrt((err[:, use] ** 2).sum(axis=1))
    return total, sigma


def _flux_ratio(x1d: xr.Dataset, obs: DemoObservation, mode: str) -> float:
    """Median of recovered / injected flux over the well-exposed range."""
    lo, hi = WELL_EXPOSED[mode]
    wave = np.asarray(x1d["wavelength"], np.float64)
    flux = np.asarray(x1d["flux"], np.float64)
    truth = obs.truth(wave)
    if obs.light_curve is not None and flux.ndim == 2 and "integration" in x1d.dims:
        truth = truth * obs.light_curve[:, None]
    use = (wave >= lo) & (wave <= hi) & np.isfinite(flux) & np.isfinite(truth) & (truth != 0)
    return float(np.median(flux[use] / truth[use]))


def _one_slit(ds: xr.Dataset, name: str) -> xr.Dataset:
    names = [str(n) for n in ds["slit_name"].values]
    return ds.isel(slit=names.index(name))


def _observation(mode: str, inputs: Path, refs_dir: Path, seed: int) -> DemoObservation:
    """The synthetic observation of a demo mode: its inputs in ``inputs``, references in
    ``refs_dir``."""
    if mode == "nrs_mos":
        return _nirspec_mos(inputs, refs_dir, seed)
    if mode == "nrs_ifu":
        return _nirspec_ifu(inputs, refs_dir, seed)
    if mode.startswith("nrs_"):
        return _nirspec(mode, inputs, refs_dir, seed)
    if mode == "nis_soss":
        return _niriss_soss(inputs, refs_dir, seed)
    if mode == "mir_mrs":
        return _miri_mrs(inputs, refs_dir, seed)
    if mode == "nrc_wfss":
        return _nircam_wfss(inputs, refs_dir, seed)
    return _miri_lrs(mode, inputs, refs_dir, seed)


def _by_hand(obs: DemoObservation, mode: str, refs_dir: Path) -> str:
    """The ``spec2x run`` command line that makes the same products."""
    args = (
        [f"--ref {k}={v}" for k, v in (obs.explicit or {}).items()]
        + [f"--steps.{step}.{k}={v}" for step, kv in DEMO_PARAMS.get(mode, {}).items()
           for k, v in kv.items()]
        + [f"--skip {step}" for step in obs.skip]
    )  # fmt: skip
    return f"spec2x run {obs.science} --refs {refs_dir} --strict-refs" + "".join(
        f" {a}" for a in args
    )


def _calibrate(
    obs: DemoObservation, mode: str, refs_dir: Path
) -> tuple[Path, dict[str, xr.Dataset]]:
    """Run spec2 on the observation (a progress bar over the steps); return the science file
    (the association's science member) and the products."""
    from tqdm.auto import tqdm

    from .io.association import read_association
    from .io.fits import open_exposure
    from .io.references import ReferenceSet
    from .pipeline import chain_for, spec2

    science, members = obs.science, None
    if science.suffix == ".json":
        asn = read_association(science)
        science, members = asn.science, {r: list(p) for r, p in asn.members.items()}
    exposure = open_exposure(science)
    steps = [s for s in chain_for(exposure, members=members) if s not in obs.skip]
    t0 = time.perf_counter()
    with tqdm(total=len(steps), desc="spec2", unit="step", disable=None, leave=False) as bar:

        def on_step(name: str, ds: xr.Dataset) -> None:
            if not name[:1].isdigit() or name.startswith("0_"):  # band cubes: one tick a step
                bar.set_postfix_str(name)
                bar.update()

        # the folder, as `spec2x run INPUT --refs DIR --strict-refs` reads it: it is complete
        refs = ReferenceSet(obs.explicit, directory=refs_dir, strict=True)
        params = DEMO_PARAMS.get(mode)
        products = spec2(exposure, refs, params, members=members, on_step=on_step, skip=obs.skip)
    print(f"  calibrated through {len(steps)} steps in {time.perf_counter() - t0:.1f} s: "
          f"{', '.join(steps)}")  # fmt: skip
    return science, products


def run_demo(
    mode: str | None = "mir_lrs_fs",
    output_dir: str | os.PathLike[str] = "spec2x-demo",
    *,
    seed: int = 1,
) -> dict[str, Path]:
    """Make a synthetic observation, calibrate it through the whole chain, write products and a figure.

    Parameters
    ----------
    mode : one of :data:`MODES` (None: ``mir_lrs_fs``).
    output_dir : the inputs go to ``output_dir/inputs``, the references to
        ``output_dir/refs``, the products (``<base>_cal.fits``, ``_s2d``,
        ``_x1d`` or ``_calints``/``_x1dints``) and ``<base>_quicklook.png``
        to ``output_dir``.
    seed : seeds the noise and the synthetic references.

    Returns
    -------
    Paths written, by product suffix (``cal``, ``s2d``, ``x1d`` ...,
    ``quicklook``, and ``manifest``: ``demo.json`` with the input, the
    references, the products and the injected truth).

    Raises
    ------
    ParameterError
        For an unknown mode.
    """
    from .io.fits import write_fits
    from .plot import summary_figure
    from .scale import output_base

    mode = "mir_lrs_fs" if mode is None else mode.lower().replace("-", "_")
    if mode not in MODES:
        raise ParameterError(f"unknown demo mode {mode!r}; choose one of {', '.join(MODES)}")
    out = Path(output_dir)
    inputs, refs_dir = out / "inputs", out / "refs"
    inputs.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    print(f"spec2x demo {mode}: {MODES[mode]}")
    obs = _observation(mode, inputs, refs_dir, seed)
    print(f"  synthetic inputs in {inputs}, references in {refs_dir} "
          f"({time.perf_counter() - start:.1f} s)")  # fmt: skip
    print(f"  the same run by hand: {_by_hand(obs, mode, refs_dir)}")
    science, products = _calibrate(obs, mode, refs_dir)
    base = output_base(science)
    written: dict[str, Path] = {}
    for suffix, ds in products.items():
        written[suffix] = write_fits(ds, out / f"{base}_{suffix}.fits")
    # mir_mrs: one spectrum per band cube (0_x1d, 1_x1d); the figure shows the first band's
    x1d_key = next(k for k in ("x1dints", "x1d", "0_x1d") if k in products)
    x1d = products[x1d_key]
    figure_products: dict[str, xr.Dataset] = {"x1d": x1d}
    figure_products.update({k: products[k] for k in ("s2d", "s3d") if k in products})
    if obs.slit is not None:
        figure_products = {k: _one_slit(v, obs.slit) for k, v in figure_products.items()}
        x1d = figure_products["x1d"]
        print(f"  slitlet {obs.slit} (brightest point source) of {products['x1d'].sizes['slit']}")
    ratio = _flux_ratio(_first_order(x1d), obs, mode)
    lo, hi = WELL_EXPOSED[mode]
    wave = np.asarray(x1d["wavelength"], np.float64)
    grid = np.linspace(np.nanmin(wave), np.nanmax(wave), 600)
    written["quicklook"] = summary_figure(
        figure_products,
        out / f"{base}_quicklook.png",
        truth=(grid, obs.truth(grid)),
        title=f"spec2x demo: {MODES[mode]}",
    )
    manifest = out / "demo.json"
    manifest.write_text(json.dumps(obs.manifest(mode, written), indent=1))
    written["manifest"] = manifest
    for suffix, path in written.items():
        print(f"  {suffix:>9}: {path}")
    print(f"  recovered / injected flux, median over {lo:g}-{hi:g} um: {ratio:.4f}")
    if obs.depth is not None:
        curve, _ = white_light(_first_order(x1d), (lo, hi))
        lc = np.asarray(obs.light_curve)
        depth = 1.0 - np.median(curve[lc == lc.min()]) / np.median(curve[lc == 1.0])
        print(f"  transit depth: recovered {depth:.4f}, injected {obs.depth:.4f}")
    print(f"spec2x demo {mode} done in {time.perf_counter() - start:.1f} s")
    return written
