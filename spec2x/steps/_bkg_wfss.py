"""bkg_subtract for wide-field slitless exposures: the ``bkg`` template scaled to the data.

jwst 3.0.0's ``BackgroundStep`` on NIS_WFSS / NRC_WFSS
(``background_sub_wfss``):

1. the source mask: every catalogue source's box in every order of the
   ``wavelengthrange`` file (the boxes of extract_2d from the sky box, no
   half-height, no brightest-N cut; :func:`spec2x.wcs.grism_boxes.grism_boxes`),
   or a user mask (``wfss_mask``: the MASK extension of an image file,
   nonzero = background); with no catalogue every pixel is background;
2. with the catalogue mask, fewer than 5 % of the pixels background, usable
   (no DO_NOT_USE) and nonzero in the template: FAILED, data unchanged;
3. the template's scale off the sources, error-weighted, rejecting the
   ``wfss_outlier_percent`` tails of the residuals ``wfss_maxiter`` times
   (or until the residual profile's RMS improves by less than
   ``wfss_rms_stop`` percent) (:func:`spec2x._kernels.wfss_background.fit_scale`);
4. ``sci - scale * template``, the template's DQ OR-ed in, ``BKGD_SCL`` =
   scale (0 and FAILED when the scale is not finite); err and variances are
   unchanged, as in jwst.

The fit reads the whole image (jwst's percentiles are global); the
subtraction stays lazy on Dask-backed data.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
import xarray as xr

from .._kernels.wfss_background import background_mask_from_boxes, enough_background, fit_scale
from ..dq import DQ_DTYPE
from ..errors import InputFileError, ReferenceMismatchError
from ..io.refs_grism import WfssWavelengthRange, grism_reference
from ..io.refs_pixel import FlatImage
from ..io.source_catalog import SourceCatalog, read_source_catalog
from ..modes import lookup
from ..wcs.grism_boxes import grism_boxes, order_ranges
from ..wcs.store import get_wcs
from ._common import record_step
from ._extract_2d_grism import catalog_path

__all__ = ["read_wfss_mask", "subtract_wfss_background", "wfss_background_mask"]

log = logging.getLogger(__name__)

#: The keyword jwst records the template's scale in (``meta.background.scaling_factor``).
SCALE_KEYWORD = "BKGD_SCL"


def wfss_background_mask(
    ds: xr.Dataset,
    catalog: SourceCatalog,
    ranges: WfssWavelengthRange,
    *,
    mmag_extract: float | None = None,
) -> np.ndarray:
    """(y, x) True where no catalogue source's spectrum (any order of ``ranges``) falls.

    Parameters
    ----------
    ds : the dispersed exposure after assign_wcs (grism WCS, ``DISPAXIS``).
    catalog : the direct-image source catalogue.
    ranges : the ``wavelengthrange`` reference (its ``extract_orders`` for the filter).
    mmag_extract : leave out sources fainter than this AB magnitude.
    """
    mode = lookup(str(ds.attrs.get("EXP_TYPE", "")))
    element = ds.attrs.get("FILTER" if mode is None else mode.filter_keyword)
    shape = (ds.sizes["y"], ds.sizes["x"])
    table = grism_boxes(
        get_wcs(ds),
        catalog,
        order_ranges(ranges, str(element)),
        shape=shape,
        dispaxis=int(ds.attrs["DISPAXIS"]),
        mmag_extract=mmag_extract,
    )
    return background_mask_from_boxes(
        shape, *(table[k].values for k in ("xmin", "xmax", "ymin", "ymax"))
    )


def read_wfss_mask(path: str | os.PathLike[str], shape: tuple[int, int]) -> np.ndarray:
    """A user source mask (``wfss_mask``): the MASK extension of an image file, True = background.

    Raises
    ------
    InputFileError
        The file has no MASK extension or its shape is not the exposure's.
    """
    from astropy.io import fits

    with fits.open(path, memmap=False) as hdul:
        if "MASK" not in hdul or hdul["MASK"].data is None:
            raise InputFileError(f"wfss_mask {path} has no MASK extension (nonzero = background)")
        mask = np.asarray(hdul["MASK"].data).astype(bool)
    if mask.shape != tuple(shape):
        raise InputFileError(
            f"wfss_mask {path} is {mask.shape}, the exposure {tuple(shape)}; give a mask of "
            "the exposure's shape"
        )
    return mask


def _on_pixels(ds: xr.Dataset, bkg: Any) -> FlatImage:
    """The template on the exposure's pixels (a full-frame file serves a subarray)."""
    c = bkg.content
    if not isinstance(c, FlatImage):
        raise ReferenceMismatchError(f"bkg reference {bkg.name} is not a WFSS background image")
    ny, nx = ds.sizes["y"], ds.sizes["x"]
    y0 = int(ds.attrs.get("SUBSTRT2", 1)) - c.ystart
    x0 = int(ds.attrs.get("SUBSTRT1", 1)) - c.xstart
    if y0 < 0 or x0 < 0 or y0 + ny > c.sci.shape[0] or x0 + nx > c.sci.shape[1]:
        raise ReferenceMismatchError(
            f"bkg reference {bkg.name} ({c.sci.shape[0]}x{c.sci.shape[1]} from x {c.xstart}, "
            f"y {c.ystart}) does not cover the exposure's {ny}x{nx} pixels; give the "
            "full-frame template"
        )
    cut = (slice(y0, y0 + ny), slice(x0, x0 + nx))
    return FlatImage(c.sci[cut], c.err[cut], c.dq[cut], c.xstart + x0, c.ystart + y0)


def _failed(ds: xr.Dataset, refs: tuple[Any, ...], why: str) -> xr.Dataset:
    log.warning("bkg_subtract: %s; step FAILED, data unchanged", why)
    return record_step(ds, "bkg_subtract", *refs, status="FAILED", extra={SCALE_KEYWORD: 0.0})


def _with_mask(ds: xr.Dataset, background: np.ndarray) -> xr.Dataset:
    """``ds`` with the background mask as jwst keeps it (``mask``, uint32, 1 = background;
    the ``_bsub`` file's MASK extension)."""
    return ds.assign(mask=(("y", "x"), np.asarray(background, np.uint32)))


def subtract_wfss_background(
    ds: xr.Dataset,
    bkg: Any,
    *,
    catalog: SourceCatalog | None = None,
    ranges: Any = None,
    mask: np.ndarray | None = None,
    mmag_extract: float | None = None,
    maxiter: int = 5,
    rms_stop: float = 0.0,
    outlier_percent: float = 1.0,
) -> xr.Dataset:
    """Subtract the WFSS ``bkg`` template scaled to the exposure off its sources.

    Parameters
    ----------
    ds : WFSS exposure ``(y, x)`` in DN/s after assign_wcs.
    bkg : the ``bkg`` reference (a WfssBkgModel image, :func:`spec2x.io.refs_pixel.read_wfss_bkg`).
    catalog : the direct-image catalogue whose sources are masked (None: no source masked).
    ranges : the ``wavelengthrange`` reference (opened), needed with ``catalog``.
    mask : a user mask (True = background) used instead of the catalogue.
    mmag_extract : mask only sources brighter than this AB magnitude (jwst ``wfss_mmag_extract``).
    maxiter : most outlier-rejection rounds (jwst ``wfss_maxiter``, 5).
    rms_stop : stop when the residual RMS improves by less than this many percent
        (jwst ``wfss_rms_stop``, 0: never).
    outlier_percent : percent rejected at each end per round (jwst ``wfss_outlier_percent``, 1).

    Returns
    -------
    Dataset with ``sci - f * template`` (float32), the template's DQ OR-ed
    in, ``mask`` (uint32, 1 where background: jwst's MASK), ``BKGD_SCL`` = f
    and ``S_BKDSUB`` COMPLETE; or the input with ``BKGD_SCL`` 0 and
    ``S_BKDSUB`` FAILED (with ``mask`` where it was made) when too few
    pixels are background or no finite scale exists.

    Notes
    -----
    .. math:: f = \\frac{\\sum s\\,b/\\sigma^2}{\\sum b^2/\\sigma^2}
       \\quad\\text{over background pixels, outliers rejected}
    """
    template = _on_pixels(ds, bkg)
    opened = (bkg, ranges if hasattr(ranges, "reftype") else None)
    dq = np.asarray(ds["dq"].values)
    if mask is not None:
        background = np.asarray(mask, bool)
        if not enough_background(dq, background, np.ones(background.shape), min_fraction=0.0):
            return _failed(_with_mask(ds, background), opened, "no background pixel in wfss_mask")
    elif catalog is not None:
        if ranges is None:
            raise InputFileError(
                "bkg_subtract: masking the catalogue sources needs the wavelengthrange"
            )
        content = grism_reference(ranges, "wavelengthrange", WfssWavelengthRange, ds.attrs)
        background = wfss_background_mask(ds, catalog, content, mmag_extract=mmag_extract)
        if not enough_background(dq, background, template.sci):
            return _failed(_with_mask(ds, background), opened, "fewer than 5 % background pixels")
    else:
        log.warning("bkg_subtract: no source catalogue; every pixel is background")
        background = np.ones(dq.shape, bool)
    err = np.asarray(ds["err"].values, np.float32)
    dispaxis = ds.attrs.get("DISPAXIS")
    scale, rounds = fit_scale(
        np.asarray(ds["sci"].values, np.float32),
        template.sci,
        err * err,
        ~background,
        outlier_percent=outlier_percent,
        maxiter=maxiter,
        delta_rms=rms_stop / 100,
        dispaxis=None if dispaxis is None else int(dispaxis),
    )
    if not np.isfinite(scale):
        return _failed(ds, opened, "no finite scale of the bkg template fits the data")
    model = xr.DataArray(template.sci.astype(np.float64), dims=("y", "x"))
    sci = (ds["sci"].astype(np.float64) - scale * model).astype(np.float32)
    dq_out = (ds["dq"] | xr.DataArray(template.dq, dims=("y", "x"))).astype(DQ_DTYPE)
    out = _with_mask(ds, background).assign(
        sci=sci.transpose(*ds["sci"].dims).assign_attrs(ds["sci"].attrs),
        dq=dq_out.transpose(*ds["dq"].dims).assign_attrs(ds["dq"].attrs),
    )
    log.info("bkg_subtract: %s scaled by %.5e (%d rejection round(s))", bkg.name, scale, rounds)
    return record_step(out, "bkg_subtract", *opened, extra={SCALE_KEYWORD: scale})


def wfss_from_chain(ds: xr.Dataset, bkg: Any, ctx: Any) -> xr.Dataset:
    """Chain adapter: jwst's ``wfss_*`` parameters, the catalogue, the ``wavelengthrange``."""
    p = ctx.params
    mask = None
    if p.get("wfss_mask"):
        mask = read_wfss_mask(p["wfss_mask"], (ds.sizes["y"], ds.sizes["x"]))
    catalog = None
    ranges = ctx.ref("wavelengthrange", ds) if mask is not None else None
    if mask is None:
        ranges = ctx.require_ref("wavelengthrange", ds)
        catalog = read_source_catalog(catalog_path(ds, ctx))
    mmag = p.get("wfss_mmag_extract")
    return subtract_wfss_background(
        ds,
        bkg,
        catalog=catalog,
        ranges=ranges,
        mask=mask,
        mmag_extract=None if mmag is None else float(mmag),
        maxiter=int(p.get("wfss_maxiter", 5)),
        rms_stop=float(p.get("wfss_rms_stop", 0.0)),
        outlier_percent=float(p.get("wfss_outlier_percent", 1.0)),
    )
