"""wfss_contam: take the light of every other source out of each WFSS cut-out (jwst 3.0.0).

The segmentation map and direct image are dispersed through the grism WCS
(:mod:`spec2x.wfss_contam`), order by order, into a simulated dispersed
exposure.  A cut-out's contamination is the simulated frame inside it less
its own source's simulated light in that order; it is subtracted from
``sci`` (``err`` and ``dq`` are kept, as jwst).  A cut-out whose source does
not reach it in the simulation is left as it is, and cut-outs of sources
absent from the segmentation map are dropped (jwst's rules).  Off by default
in the chain, as in jwst.

On request the chain also writes jwst's side files (:func:`saved_products`):
``save_simulated_image`` the simulated frame (``simul``, ImageModel) and each
corrected cut-out's own simulated light (``simul_slits``, MultiSlitModel),
``save_contam_images`` each cut-out's contamination (``contam``, MultiSlitModel).

With ``polyfit_degree`` each source's spectral shape is fitted to its
cut-out and the fits replace the flat spectra in the simulation
(:mod:`spec2x.wfss_contam.polyfit`; ``n_iterations``, ``l2_alpha``,
``rejection_threshold``).

jwst takes each source's simulated light inside a cut-out through
``match_backplane_prefer_first``, which leaves out the rows (columns) past
the simulated box's own height (width) when that box starts inside the
cut-out; spec2x keeps the source's whole light inside the cut-out
(docs/parity.md).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ParameterError, StepOrderError
from ..io.refs_grism import WfssWavelengthRange, grism_reference
from ..io.source_catalog import SourceCatalog, read_segmentation_map, read_source_catalog
from ..modes import lookup
from ..slits import Slits, groups, map_groups, select, to_tree
from ..step_spec import StepOutput
from ..wcs.store import slit_wcs, wcs_object
from ..wfss_contam.orders import contam_orders, magnitude_limit, sensitivity
from ..wfss_contam.polyfit import FitCut, refine
from ..wfss_contam.scene import Scene, make_scene, read_direct_image
from ..wfss_contam.simulate import Boxes, simulate_order
from ._common import record_step

__all__ = [
    "Polyfit", "Simulation", "correct", "from_chain", "saved_products", "simulate", "wfss_contam",
]  # fmt: skip

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Polyfit:
    """The spectral fit's settings (jwst's ``polyfit_degree``, ``n_iterations``,
    ``l2_alpha``, ``rejection_threshold``; see :func:`spec2x.wfss_contam.polyfit.refine`)."""

    degree: int
    n_iterations: int = 1
    l2_alpha: float = 0.1
    rejection_threshold: float | None = 0.1


@dataclass(frozen=True)
class Simulation:
    """The forward model of a WFSS exposure.

    Attributes
    ----------
    frame : (ny, nx) simulated DN/s of every source and order.
    contam : per group, (slit, y, x) contamination DN/s of each cut-out (0 in padding).
    own : per group, (slit, y, x) each cut-out's own source's simulated DN/s in its order.
    matched : per group, the slits whose source reaches them in the simulation.
    keep : per group, the slits whose source is in the segmentation map.
    orders : the orders dispersed (none: no valid order, or no source bright enough).
    """

    frame: np.ndarray
    contam: list[np.ndarray]
    own: list[np.ndarray]
    matched: list[np.ndarray]
    keep: list[np.ndarray]
    orders: tuple[int, ...]


def _grism_wcs(parts: list[xr.Dataset]) -> Any:
    stored = slit_wcs(parts[0])
    if not stored:
        raise StepOrderError("wfss_contam needs the cut-outs of extract_2d with their WCS")
    return wcs_object(next(iter(stored.values())))


def _selected(
    catalog: SourceCatalog | None, limit: float | None, order: int, photom: Any, attrs: Any
) -> np.ndarray | None:
    """The labels brighter than the order's magnitude limit (None: every source)."""
    if limit is None:
        return None
    if catalog is None:
        raise ParameterError("wfss_contam: magnitude_limit needs the source catalogue (catalog)")
    order_limit = magnitude_limit(
        limit, order, sensitivity(photom, attrs, order), sensitivity(photom, attrs, 1)
    )
    with np.errstate(invalid="ignore"):
        chosen = catalog.label[catalog.abmag < order_limit]
    log.info("wfss_contam: order %d, AB < %.1f: %d source(s)", order, order_limit, chosen.size)
    return chosen


def simulate(
    slits: Slits,
    scene: Scene,
    ranges: WfssWavelengthRange,
    photom: Any,
    *,
    orders: Sequence[int] | None = None,
    magnitude_limit: float | None = None,
    catalog: SourceCatalog | None = None,
    oversample: int = 2,
    chunk: int = 5000,
    polyfit: Polyfit | None = None,
) -> Simulation:
    """Disperse the scene and measure each cut-out's contamination.

    Parameters
    ----------
    slits : the WFSS cut-outs (extract_2d), with their grism WCS.
    scene : the labelled direct-image pixels (:func:`spec2x.wfss_contam.scene.make_scene`).
    ranges : the ``wavelengthrange`` reference.
    photom : the WFSS ``photom`` reference (the sensitivities).
    orders : the orders to disperse (None: every order of ``ranges`` for the filter).
    magnitude_limit : disperse only sources brighter (AB, order 1; scaled for higher orders).
    catalog : the source catalogue (needed with ``magnitude_limit``).
    oversample : wavelength samples per dispersed pixel.
    chunk : direct-image pixels dispersed at once.
    polyfit : fit each source's spectral shape (None: flat spectra).
    """
    parts = groups(slits)
    attrs = dict(slits.attrs) if slits.attrs else dict(parts[0].attrs)
    wcs = _grism_wcs(parts)
    mode = lookup(str(attrs.get("EXP_TYPE", "")))
    element = str(attrs.get("FILTER" if mode is None else mode.filter_keyword, ""))
    chosen = contam_orders(ranges, element, wcs, orders)
    meta = _slit_table(parts)
    shape = (int(attrs.get("SUBSIZE2") or 2048), int(attrs.get("SUBSIZE1") or 2048))
    frame = np.zeros(shape)
    degree = polyfit.degree if polyfit is not None and polyfit.degree > 0 else 0
    own: dict[int, np.ndarray] = {}
    whole: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    dispersed = []
    for order, lam in chosen.items():
        selected = _selected(catalog, magnitude_limit, order, photom, attrs)
        if selected is not None and selected.size == 0:
            continue  # no source bright enough in this order (jwst passes over it)
        dispersed.append(order)
        rows = np.flatnonzero((meta["order"] == order) & np.isin(meta["label"], scene.labels))
        boxes = Boxes(*(meta[k][rows] for k in ("label", "xstart", "ystart", "xsize", "ysize")))
        light = simulate_order(
            scene, wcs, order, lam, sensitivity(photom, attrs, order), shape, boxes,
            selected=selected,
            oversample=oversample, chunk=chunk, degree=degree,
        )  # fmt: skip
        frame += light.frame
        own.update({int(r): light.own[i] for i, r in enumerate(rows) if light.overlaps[i]})
        if degree:
            whole.update({int(r): w for r, w in zip(rows, light.whole, strict=True)})
    if polyfit is not None and dispersed:
        frame, own = _fitted(polyfit, frame, own, whole, parts, meta)
    contam, mine, matched, keep, first = [], [], [], [], 0
    for ds in parts:
        n = ds.sizes["slit"]
        cube = np.zeros((n, ds.sizes["y"], ds.sizes["x"]))
        self_light = np.zeros_like(cube)
        for j in range(n):
            r = first + j
            if r in own:
                y0, x0, h, w = (int(meta[k][r]) for k in ("ystart", "xstart", "ysize", "xsize"))
                self_light[j, :h, :w] = own[r][0]
                cube[j, :h, :w] = frame[y0 : y0 + h, x0 : x0 + w] - own[r][0]
        contam.append(cube)
        mine.append(self_light)
        matched.append(np.isin(np.arange(first, first + n), list(own)))
        keep.append(np.isin(meta["label"][first : first + n], scene.labels))
        first += n
    return Simulation(frame, contam, mine, matched, keep, tuple(dispersed))


def _fitted(
    polyfit: Polyfit,
    frame: np.ndarray,
    own: dict[int, np.ndarray],
    whole: dict[int, tuple[np.ndarray, np.ndarray]],
    parts: list[xr.Dataset],
    meta: dict[str, np.ndarray],
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """The frame and each cut-out's own light (1, y, x) after the spectral fit."""
    if polyfit.degree < 1:  # jwst: no Legendre term, nothing to fit; flat spectra kept
        log.warning("wfss_contam: polyfit_degree %d has no term to fit", polyfit.degree)
        return frame, own
    if str(parts[0].attrs.get("S_BKDSUB", "")).upper() != "COMPLETE":
        log.warning("wfss_contam: the background is not subtracted (S_BKDSUB); the spectral "
                    "fits need it and may fail")  # fmt: skip
    place = [(g, j) for g, p in enumerate(parts) for j in range(p.sizes["slit"])]
    rows = sorted(own)
    cuts = []
    for r in rows:
        g, j = place[r]
        box = (int(meta["ystart"][r]), int(meta["xstart"][r]), int(meta["ysize"][r]),
               int(meta["xsize"][r]))  # fmt: skip
        pick = {"slit": j, "y": slice(0, box[2]), "x": slice(0, box[3])}
        arrays = {n: parts[g][n][pick].values if n in parts[g] else None for n in ("err", "dq")}
        sci = parts[g]["sci"][pick].values
        cuts.append(FitCut(box, own[r], whole[r], sci, arrays["err"], arrays["dq"]))
    frame, fitted = refine(
        frame, cuts, n_iterations=polyfit.n_iterations, l2_alpha=polyfit.l2_alpha,
        rejection_threshold=polyfit.rejection_threshold,
    )  # fmt: skip
    return frame, {r: f[None] for r, f in zip(rows, fitted, strict=True)}


def _slit_table(parts: list[xr.Dataset]) -> dict[str, np.ndarray]:
    """Every cut-out's source, order and 0-based box, group after group."""

    def col(name: str) -> np.ndarray:
        return np.concatenate([np.asarray(p[name].values, np.int64).ravel() for p in parts])

    return {
        "label": col("source_id"),
        "order": col("spectral_order"),
        "xstart": col("xstart") - 1,
        "ystart": col("ystart") - 1,
        "xsize": col("xsize"),
        "ysize": col("ysize"),
    }


def wfss_contam(
    slits: Slits,
    scene: Scene,
    ranges: WfssWavelengthRange,
    photom: Any,
    *,
    orders: Sequence[int] | None = None,
    magnitude_limit: float | None = None,
    catalog: SourceCatalog | None = None,
    oversample: int = 2,
    chunk: int = 5000,
    polyfit: Polyfit | None = None,
) -> Slits:
    """Subtract from each WFSS cut-out the simulated light of every other source.

    Parameters are those of :func:`simulate`.

    Returns
    -------
    The cut-outs (``sci`` in the input's units, DN/s before photom) less their
    contamination, ``S_CONTAM`` COMPLETE; cut-outs of sources not in the
    segmentation map dropped.  SKIPPED (input returned) when no order is valid
    or no source is brighter than ``magnitude_limit``.
    """
    sim = simulate(
        slits, scene, ranges, photom, orders=orders, magnitude_limit=magnitude_limit,
        catalog=catalog, oversample=oversample, chunk=chunk, polyfit=polyfit,
    )  # fmt: skip
    return correct(slits, sim, photom)


def correct(slits: Slits, sim: Simulation, photom: Any) -> Slits:
    """The cut-outs less the contamination of :func:`simulate`'s ``sim`` (see
    :func:`wfss_contam`); ``photom`` is recorded as the reference used."""
    if not sim.orders:
        log.error("wfss_contam: no valid spectral order or no source to disperse; SKIPPED")
        return _recorded(slits, "SKIPPED", photom)
    out = []
    for ds, contam in zip(groups(slits), sim.contam, strict=True):
        sci = ds["sci"] - xr.DataArray(contam.astype(ds["sci"].dtype), dims=("slit", "y", "x"))
        out.append(ds.assign(sci=sci.assign_attrs(ds["sci"].attrs)))
    root = {str(k): v for k, v in slits.attrs.items()} or None
    product = to_tree(out, attrs=root) if len(out) > 1 else out[0]
    keep = np.concatenate(sim.keep)
    if not keep.all():
        log.warning("wfss_contam: %d cut-out(s) of sources not in the segmentation map dropped",
                    int((~keep).sum()))  # fmt: skip
        masks = iter(sim.keep)
        product = select(product, where=lambda g: next(masks))
    log.info("wfss_contam: orders %s, %d cut-out(s) corrected", list(sim.orders), int(keep.sum()))
    return _recorded(product, "COMPLETE", photom)


def saved_products(
    corrected: Slits, sim: Simulation, *, simulated_image: bool, contam_images: bool
) -> dict[str, Any]:
    """The files jwst's WfssContamStep saves on request, by its suffixes.

    Parameters
    ----------
    corrected : :func:`correct`'s output (its metadata go with each slit).
    sim : the simulation it was corrected with (nothing is saved when no order was).
    simulated_image : ``simul``, the simulated frame (DN/s, an ImageModel), and
        ``simul_slits``, the own source's simulated light in each cut-out it reaches.
    contam_images : ``contam``, each corrected cut-out's contamination (DN/s).

    Returns
    -------
    suffix -> product; only ``sci`` and the slit metadata in the slit products (jwst
    copies the cut-out's SCI header into them).
    """
    if not sim.orders:
        return {}
    parts = groups(corrected)  # the groups left with a slit in the map, those slits only
    left = [i for i, k in enumerate(sim.keep) if k.any()]

    def kept(cubes: list[np.ndarray]) -> list[np.ndarray]:
        return [cubes[i][sim.keep[i]] for i in left]

    root = {str(k): v for k, v in corrected.attrs.items()}
    out: dict[str, Any] = {}
    if simulated_image:
        frame = xr.DataArray(sim.frame, dims=("y", "x"), attrs={"units": "DN/s"})
        out["simul"] = xr.Dataset({"sci": frame}, attrs={**root, "DATAMODL": "ImageModel"})
        matched = kept(sim.matched)
        if any(m.any() for m in matched):
            masks = iter(matched)
            own = _with_sci(parts, kept(sim.own), root)
            out["simul_slits"] = select(own, where=lambda g: next(masks))
        else:
            log.warning("wfss_contam: no cut-out reached by its source; no simul_slits")
    if contam_images:
        out["contam"] = _with_sci(parts, kept(sim.contam), root)
    return out


def _with_sci(parts: list[xr.Dataset], cubes: list[np.ndarray], root: dict[str, Any]) -> Slits:
    """The groups with ``cubes`` (DN/s, float32) as their only variable, metadata kept."""
    out = [
        xr.Dataset(
            {"sci": (("slit", "y", "x"), cube.astype(np.float32), {"units": "DN/s"})},
            coords=ds.coords,
            attrs=ds.attrs,
        )
        for ds, cube in zip(parts, cubes, strict=True)
    ]
    return to_tree(out, attrs=root) if len(out) > 1 else out[0]


def _recorded(slits: Slits, status: str, photom: Any) -> Slits:
    return map_groups(record_step, slits, "wfss_contam", photom, status=status)


def _polyfit(params: Mapping[str, Any]) -> Polyfit | None:
    """The spectral fit asked for (None: ``polyfit_degree`` not set)."""
    degree = params.get("polyfit_degree")
    given = params.get("n_iterations")
    iterations = 1 if given is None else int(given)  # jwst: < 1 fits nothing
    if degree is None:
        if iterations > 1:  # jwst: a warning, one iteration
            log.warning("wfss_contam: n_iterations > 1 has no effect without polyfit_degree; one")
        return None
    threshold = params.get("rejection_threshold", 0.1)
    return Polyfit(
        degree=int(degree),
        n_iterations=iterations,
        l2_alpha=float(params.get("l2_alpha", 0.1)),
        rejection_threshold=None if threshold is None else float(threshold),
    )


def _member(ds: Any, ctx: Any, role: str, keyword: str) -> str:
    given = ctx.extra.get(role)
    if given:
        return str(given if isinstance(given, str) else given[0])
    return str(ds.attrs.get(keyword) or "")


def from_chain(ds: Any, ctx: Any) -> Slits | StepOutput:
    """Chain adapter: the direct image (DIRIMAGE), segmentation map (SEGMFILE), catalogue
    (SCATFILE, with ``magnitude_limit``), ``wavelengthrange`` and ``photom``; with
    ``save_simulated_image`` / ``save_contam_images`` also :func:`saved_products`."""
    p = ctx.params
    polyfit = _polyfit(p)
    attrs = ds.attrs
    ranges = grism_reference(
        ctx.require_ref("wavelengthrange", ds), "wavelengthrange", WfssWavelengthRange, attrs
    )
    photom = ctx.require_ref("photom", ds)
    direct, direct_wcs = read_direct_image(_member(ds, ctx, "direct_image", "DIRIMAGE"))
    segmap = read_segmentation_map(_member(ds, ctx, "segmap", "SEGMFILE"))
    limit = p.get("magnitude_limit")
    catalog = None
    if limit is not None:
        catalog = read_source_catalog(_member(ds, ctx, "sourcecat", "SCATFILE"))
    orders = p.get("orders")
    sim = simulate(
        ds, make_scene(direct, segmap, direct_wcs), ranges, photom,
        orders=None if orders is None else [int(o) for o in np.atleast_1d(orders)],
        magnitude_limit=limit, catalog=catalog,
        oversample=int(p.get("wl_oversample", 2)), chunk=int(p.get("max_pixels_per_chunk", 5000)),
        polyfit=polyfit,
    )  # fmt: skip
    out = correct(ds, sim, photom)
    simulated, contam = bool(p.get("save_simulated_image")), bool(p.get("save_contam_images"))
    if not (simulated or contam):
        return out
    saved = saved_products(out, sim, simulated_image=simulated, contam_images=contam)
    return StepOutput(out, saved)


from_chain.whole_product = True  # type: ignore[attr-defined]  # one simulation for all groups
