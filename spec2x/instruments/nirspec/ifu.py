"""WCS of NIRSpec IFU exposures (NRS_IFU): 30 slices, their boxes and the slice map.

What jwst 3.0.0's assign_wcs gives an IFU exposure, and how spec2x gets it:

1. *Boxes*: each slice's edges (``x_slit = 0``, ``y_slit = ±0.55``) traced to
   the detector over the band on a 0.1 nm grid (``compute_bounding_box``);
   here all 60 edges at once, only ``ifupost`` being evaluated per slice.
2. *Refined boxes*: the box's y range narrowed to the rows where the slice
   has a wavelength.
3. *Slice map* (``apply_slicemap``): every pixel of a refined box where the
   slice has a wavelength gets label ``slice + 1`` (later slices win; 0:
   none), and each slice's final box is the span of its pixels.

The detector -> GWA link is evaluated once for the pixels of all boxes; then
each slice's GWA -> slit link on its own pixels.  The result carries one
gwcs per slice (``attrs["wcs"]``, keyed ``"0"`` ... ``"29"``, with the final
box: jwst's ``nrs_wcs_set_input(model, slice)``), the slice map as the
``regions`` coordinate (jwst's ``REGIONS`` extension), the ``wavelength``
coordinate (µm) on every pixel of a slice and ``S_REGION``;
:func:`ifu_coordinates` gives the slit-frame and sky coordinates of every
pixel.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from ...cube.fastmodel import fast_call
from ...errors import InputFileError
from ...io.references import Reference
from ...modes import mode_built_by
from ...wcs.footprint import with_s_region
from ...wcs.store import get_wcs, set_wcs
from . import ifu_wcs as iw
from . import slits as ns

__all__ = [
    "IfuLayout",
    "assign_ifu",
    "ifu_coordinates",
    "ifu_layout",
    "through",
    "traced_slice_boxes",
]

log = logging.getLogger(__name__)

#: A box as integer pixel ranges: (x0, x1, y0, y1), inclusive.
PixelBox = tuple[int, int, int, int]


def traced_slice_boxes(ifu: iw.IfuOptics, ymin: float = -0.55, ymax: float = 0.55) -> np.ndarray:
    """The unrefined bounding boxes of the 30 slices, shape (30, 2, 2), as jwst traces them."""
    optics = ifu.optics
    edges = iw.slice_edges_on_slicer(ifu, ymin, ymax)  # (30, 2 edges, x/y)
    gwa2det = optics.det2gwa.inverse | optics.dms2sca.inverse

    def trace(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape = (2 * iw.N_SLICES, lam.shape[-1])
        lam = np.broadcast_to(lam, shape)
        x_msa, y_msa = np.empty(shape), np.empty(shape)
        for s in range(iw.N_SLICES):
            rows = slice(2 * s, 2 * s + 2)
            xs, ys = (np.broadcast_to(edges[s, :, i, None], (2, shape[1])) for i in (0, 1))
            x_msa[rows], y_msa[rows] = ifu.ifupost[s](xs, ys, lam[rows])
        cosines = optics.col2gwa(x_msa, y_msa)
        x, y = gwa2det(*optics.agreq(lam, *cosines))
        return x, y

    return ns.boxes_from_trace(trace, iw.N_SLICES, optics.wrange)


def through(wcs: Any, start: str, end: str, *values: Any) -> tuple[Any, ...]:
    """Values in frame ``start`` of a gwcs taken to frame ``end``, link by link.

    The numbers of ``wcs.get_transform(start, end)(*values)`` (the same
    operations in the same order) without building that compound model, which
    costs more than evaluating it, each link evaluated as plain NumPy
    (:func:`spec2x.cube.fastmodel.fast_call`).  No bounding box is applied.
    """
    frames = wcs.available_frames
    out = values
    for step in wcs.pipeline[frames.index(start) : frames.index(end)]:
        out = fast_call(step.transform, *out)
    return out


def _pixel_range(lo: float, hi: float) -> tuple[int, int]:
    """First and last pixel of an edge interval (gwcs's grid_from_bounding_box)."""
    return int(np.floor(lo + 0.5)), int(np.ceil(hi - 0.5))


class IfuLayout:
    """Where each slice falls on the detector, and its detector -> slit coordinates.

    Attributes
    ----------
    traced, refined, final : (30, 2, 2) boxes in pixel edges (jwst's traced box,
        its compound bounding box, and the slice-map box of ``nrs_wcs_set_input``).
    regions : (ny, nx) int32 slice map (slice + 1; 0 outside every slice).
    pixels : per slice, the (y, x) pixels of its refined box that have a
        wavelength, and their (x_slit, y_slit, lambda [m]).
    """

    def __init__(self, ifu: iw.IfuOptics, wcs_list: list[Any], shape: tuple[int, int]) -> None:
        self.traced = traced_slice_boxes(ifu)
        self.refined = self.traced.copy()
        self.final = self.traced.copy()
        self.regions = np.zeros(shape, np.int32)
        self.pixels: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        grids = [self._grid(b) for b in self.traced]
        flat = [(np.ravel(x), np.ravel(y)) for x, y in grids]
        sizes = [fx.size for fx, _ in flat]
        alpha, beta, gamma = (ifu.optics.dms2sca | ifu.optics.det2gwa)(
            np.concatenate([fx for fx, _ in flat]), np.concatenate([fy for _, fy in flat])
        )
        start = 0
        for s, (x, y) in enumerate(grids):
            part = slice(start, start + sizes[s])
            start += sizes[s]
            slit = through(wcs_list[s], "gwa", "slit_frame", alpha[part], beta[part], gamma[part])
            self._place(s, x, y, np.array(slit).reshape(3, *x.shape))

    @staticmethod
    def _grid(box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixels of a traced box, with the rows its refined box may add (3 below, 1 above)."""
        x0, x1 = _pixel_range(*box[0])
        y0, y1 = _pixel_range(*box[1])
        rows = np.arange(max(0, y0 - 3), min(2047, y1 + 1) + 1, dtype=float)
        return np.meshgrid(np.arange(x0, x1 + 1, dtype=float), rows)

    def _place(self, s: int, x: np.ndarray, y: np.ndarray, slit: np.ndarray) -> None:
        """Refine slice ``s``'s box, paint it on the slice map, keep its pixels."""
        valid = np.isfinite(slit[2])
        y0, y1 = _pixel_range(*self.traced[s, 1])
        in_traced = (y >= y0) & (y <= y1)
        if not (valid & in_traced).any():
            raise InputFileError(
                f"IFU slice {s} has no pixel with a wavelength on the detector; "
                "check the DETECTOR, FILTER and GRATING keywords against the references"
            )
        yv = y[valid & in_traced]
        lo, hi = max(0, yv.min() - 1 - 2) - 0.5, min(2047, yv.max() - 1 + 2) + 0.5
        self.refined[s, 1] = (lo, hi)
        # jwst evaluates the slice's WCS with its (refined) bounding box: outside it is NaN
        (x_lo, x_hi), _ = self.traced[s]
        keep = valid & (y >= lo) & (y <= hi) & (x >= x_lo) & (x <= x_hi)
        xi, yi = x[keep].astype(int), y[keep].astype(int)
        self.regions[yi, xi] = s + 1
        self.final[s] = ((xi.min() - 0.5, xi.max() + 0.5), (yi.min() - 0.5, yi.max() + 0.5))
        self.pixels.append((yi, xi, slit[:, keep]))


def ifu_layout(ifu: iw.IfuOptics) -> tuple[list[Any], IfuLayout]:
    """The 30 slice gwcs (no bounding box set) and their layout on the full frame."""
    wcs_list = [iw.slice_wcs(ifu, s) for s in range(iw.N_SLICES)]
    return wcs_list, IfuLayout(ifu, wcs_list, (2048, 2048))


def assign_ifu(
    ds: xr.Dataset,
    refs: Mapping[str, Reference | None],
    **_: Any,
) -> xr.Dataset:
    """Attach the IFU WCS: one gwcs per slice, the slice map and the ``wavelength``.

    Parameters
    ----------
    ds : NIRSpec IFU exposure (``y, x``).
    refs : reftype -> opened reference for disperser, wavelengthrange, fpa,
        camera, collimator, fore, ote, ifufore, ifuslicer, ifupost, chromcorr.

    Returns
    -------
    Dataset with ``attrs["wcs"]`` = {slice number: stored gwcs with its box},
    ``regions`` (y, x) the slice map (slice + 1, 0 outside), ``wavelength``
    (y, x) in µm on every pixel of a slice (NaN elsewhere), ``SPORDER``,
    ``WAVSTART``/``WAVEND`` (m) and ``S_REGION``.
    """
    mode_built_by(ds, f"{__name__}:assign_ifu", what="assign_ifu")
    if (ds.sizes["y"], ds.sizes["x"]) != (2048, 2048):
        raise InputFileError(
            f"the IFU exposure is {ds.sizes['y']} x {ds.sizes['x']} pixels "
            f"(SUBARRAY={ds.attrs.get('SUBARRAY')}); NIRSpec IFU data are full frame (2048 x 2048)"
        )
    ifu = iw.build_ifu_optics(ds.attrs, {k: v for k, v in refs.items() if v is not None})
    wcs_list, layout = ifu_layout(ifu)
    wavelength = np.full(layout.regions.shape, np.nan)
    ra_all, dec_all = [], []
    out = ds
    for s, wcs in enumerate(wcs_list):
        yi, xi, slit = layout.pixels[s]
        ra, dec, lam = through(wcs, "slit_frame", "world", *slit)
        ra_all.append(ra)
        dec_all.append(dec)
        wavelength[yi, xi] = lam
        box = layout.final[s]
        wcs.bounding_box = (tuple(box[0]), tuple(box[1]))
        out = set_wcs(out, wcs, slit=str(s))
    out = with_s_region(out, np.concatenate(ra_all), np.concatenate(dec_all))
    attrs = dict(out.attrs)
    optics = ifu.optics
    attrs.update(SPORDER=optics.order, WAVSTART=optics.wrange[0], WAVEND=optics.wrange[1])
    out = out.copy(deep=False)
    out.attrs = attrs
    log.info("NIRSpec IFU WCS: %d slices", iw.N_SLICES)
    return out.assign_coords(
        wavelength=(("y", "x"), wavelength, {"units": "um", "long_name": "wavelength"}),
        regions=(("y", "x"), layout.regions, {"long_name": "IFU slice + 1 (0: none)"}),
    )


def ifu_coordinates(ds: xr.Dataset) -> xr.Dataset:
    """Slit-frame, wavelength and sky coordinates of every pixel of an IFU exposure.

    Each pixel is mapped through the gwcs of its slice (the ``regions`` map of
    :func:`assign_ifu`).  Returns a Dataset on (y, x) with ``slice`` (-1
    outside), ``x_slit``, ``y_slit`` (slice units), ``wavelength`` (µm),
    ``ra``, ``dec`` (deg); NaN outside the slices.
    """
    if "regions" not in ds.coords:
        raise InputFileError("the exposure has no IFU slice map (regions): run assign_wcs first")
    regions = np.asarray(ds["regions"].values)
    names = ("x_slit", "y_slit", "wavelength", "ra", "dec")
    values = {n: np.full(regions.shape, np.nan) for n in names}
    for s in range(iw.N_SLICES):
        yi, xi = np.nonzero(regions == s + 1)
        if yi.size == 0:
            continue
        wcs = get_wcs(ds, slit=str(s))
        x_slit, y_slit, lam = through(wcs, "detector", "slit_frame", xi, yi)
        ra, dec, lam_um = through(wcs, "slit_frame", "world", x_slit, y_slit, lam)
        for n, v in zip(names, (x_slit, y_slit, lam_um, ra, dec), strict=True):
            values[n][yi, xi] = v
    units = {"x_slit": "", "y_slit": "", "wavelength": "um", "ra": "deg", "dec": "deg"}
    data = {n: (("y", "x"), v, {"units": units[n]}) for n, v in values.items()}
    data["slice"] = (("y", "x"), regions.astype(np.int32) - 1, {})
    return xr.Dataset(data, coords={"y": ds["y"], "x": ds["x"]})
