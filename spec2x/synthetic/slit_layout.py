"""Synthetic slits products of many shapes: MOS-like slitlets, WFSS-like cut-outs.

Each slit gets seeded pixel arrays, per-slit coords (``slit_name``,
``source_id``, ``spectral_order``, starts and sizes) and its own small gwcs
(a rectified slit: wavelength along ``x``), so layouts, selection and file
round trips can be tested and measured without an instrument model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..datamodel import PADDING_DQ, PIXEL_VARIABLES
from ..slits import MIN_PIXELS, Slits, plan_groups, to_tree
from ..wcs.store import wcs_coord

__all__ = ["LAYOUTS", "cutout_sizes", "slit_layout", "slit_wcs"]

#: name -> (heights, lengths) ranges in pixels, both ends included.
LAYOUTS = {"mos": ((5, 40), (300, 2048)), "wfss": ((5, 200), (100, 2048))}

_ATTRS = {
    "INSTRUME": "NIRSPEC",
    "DETECTOR": "NRS1",
    "EXP_TYPE": "NRS_MSASPEC",
    "DATAMODL": "MultiSlitModel",
    "S_EXTR2D": "COMPLETE",
}


def cutout_sizes(layout: str, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Heights and lengths (pixels) of ``n`` cut-outs drawn uniformly in ``LAYOUTS[layout]``."""
    (h0, h1), (w0, w1) = LAYOUTS[layout]
    gen = np.random.default_rng(seed)
    return gen.integers(h0, h1 + 1, n), gen.integers(w0, w1 + 1, n)


def slit_wcs(nx: int, ny: int, offset: float = 0.0) -> Any:
    """A rectified slit gwcs: detector (x, y) -> (ra, dec, wavelength µm), bounded to the cut-out."""
    import astropy.units as u
    from astropy.coordinates import ICRS
    from astropy.modeling import models as m
    from gwcs import WCS
    from gwcs import coordinate_frames as cf

    det = cf.Frame2D(name="detector", axes_order=(0, 1))
    sky = cf.CelestialFrame(name="sky", axes_order=(0, 1), reference_frame=ICRS())
    spec = cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.micron,), axes_names=("wavelength",)
    )
    transform = m.Mapping((0, 1, 0)) | (
        (m.Scale(0) | m.Shift(10 + offset))
        & (m.Scale(1e-5) | m.Shift(-5))
        & (m.Scale(5e-4) | m.Shift(1.0))
    )
    wcs = WCS([(det, transform), (cf.CompositeFrame([sky, spec], name="world"), None)])
    wcs.bounding_box = ((-0.5, nx - 0.5), (-0.5, ny - 0.5))
    return wcs


def slit_layout(
    ysize: Any,
    xsize: Any,
    *,
    seed: int = 0,
    max_padding: float = 1.25,
    min_pixels: int = MIN_PIXELS,
    with_wcs: bool = True,
    orders: int = 1,
    variables: tuple[str, ...] = PIXEL_VARIABLES,
    wavelength: bool = True,
) -> Slits:
    """A slits product of cut-outs of the given sizes, in padded groups (:mod:`spec2x.slits`).

    Parameters
    ----------
    ysize, xsize : each cut-out's height and length (pixels).
    seed : seeds the pixel values.
    max_padding, min_pixels : grouping bounds, see :func:`spec2x.slits.plan_groups`.
    with_wcs : give every slit its own gwcs (the ``wcs`` coord).
    orders : spectral orders per source (WFSS: slits ``k`` and ``k + 1`` of the
        same source differ by order); slit names are ``"<source>_<order>"``.
    variables, wavelength : the pixel arrays to make (fewer for big layouts),
        and whether to add the ``wavelength`` coord.
    """
    ys = np.asarray(ysize, np.int64)
    xs = np.asarray(xsize, np.int64)
    gen = np.random.default_rng(seed)
    plan = plan_groups(ys, xs, max_padding, min_pixels)
    parts = [
        _group(ys, xs, members, gen, orders, variables, with_wcs, wavelength) for members in plan
    ]
    return to_tree(parts)


def _group(
    ys: np.ndarray,
    xs: np.ndarray,
    members: np.ndarray,
    gen: np.random.Generator,
    orders: int,
    variables: tuple[str, ...],
    with_wcs: bool,
    wavelength: bool,
) -> xr.Dataset:
    n, ny, nx = len(members), int(ys[members].max()), int(xs[members].max())
    inside = np.zeros((n, ny, nx), bool)
    for j, k in enumerate(members):
        inside[j, : ys[k], : xs[k]] = True
    dims = ("slit", "y", "x")
    data: dict[str, Any] = {}
    for name in variables:
        if name == "dq":
            data[name] = (dims, np.where(inside, 0, PADDING_DQ).astype(np.uint32), {"units": ""})
            continue
        value = gen.normal(1.0, 0.1, inside.shape) if name == "sci" else 0.01
        units = "DN/s" if name in ("sci", "err") else "(DN/s)^2"
        arr = np.where(inside, value, np.nan).astype(np.float32)
        data[name] = (dims, arr, {"units": units})
    source = members // orders + 1
    order = members % orders + 1
    coords: dict[str, Any] = {
        "y": ("y", np.arange(ny, dtype=np.int32)),
        "x": ("x", np.arange(nx, dtype=np.int32)),
        "slit_name": ("slit", np.array([f"{s}_{o}" for s, o in zip(source, order, strict=True)])),
        "source_id": ("slit", source.astype(np.int32)),
        "spectral_order": ("slit", order.astype(np.int32)),
        "xstart": ("slit", (members % 7 * 100 + 1).astype(np.int32)),
        "ystart": ("slit", (members % 11 * 150 + 1).astype(np.int32)),
        "xsize": ("slit", xs[members].astype(np.int32)),
        "ysize": ("slit", ys[members].astype(np.int32)),
    }
    if wavelength:
        lam = np.where(inside, 1.0 + 5e-4 * np.arange(nx), np.nan)
        coords["wavelength"] = (dims, lam, {"units": "um"})
    if with_wcs:
        coords["wcs"] = wcs_coord(
            [slit_wcs(int(xs[k]), int(ys[k]), offset=float(k)) for k in members]
        )
    return xr.Dataset(data, coords=coords, attrs=dict(_ATTRS))
