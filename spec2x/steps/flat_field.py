"""flat_field: divide by the flat field and propagate its error.

One flat image (reftype ``flat``) serves every mode but NIRSpec spectroscopy,
whose flat is built per pixel from the ``fflat``, ``sflat`` and ``dflat``
references by :mod:`spec2x.instruments.nirspec.flat` (imported when needed).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import numpy as np
import xarray as xr

from .._kernels import flat_field as kernel
from ..datamodel import PIXEL_VARIABLES
from ..errors import ReferenceMismatchError
from ..io.references import Reference, open_reference
from ..io.refs_pixel import FlatImage
from ..modes import exp_type_of, lookup
from . import StepContext
from ._common import record_step, require
from ._scale import scale_by

__all__ = ["flat_field", "flat_on_pixels", "from_chain"]

log = logging.getLogger(__name__)


def flat_field(
    ds: xr.Dataset,
    flat: Reference | None = None,
    *,
    fflat: Reference | None = None,
    sflat: Reference | None = None,
    dflat: Reference | None = None,
    inverse: bool = False,
    user_supplied_flat: Reference | None = None,
    overwrite: bool = False,
) -> xr.Dataset:
    """Flat-field an exposure or slits product.

    Parameters
    ----------
    ds : exposure ``(y, x)``/``(integration, y, x)`` or slits ``(slit, ..., y, x)``
        in DN/s.
    flat : the ``flat`` reference (every mode but NIRSpec spectroscopy).
    fflat, sflat, dflat : the NIRSpec fore-optics, spectrograph and detector
        flats (NIRSpec spectroscopic modes only).
    inverse : multiply by the flat instead (undo a flat field).
    user_supplied_flat : a flat to use instead of every reference flat.
    overwrite : write the results into the pixel arrays of ``ds`` (NumPy-backed
        data; not the NIRSpec IFU flat, computed only where it is finite)
        instead of new ones, for a caller that owns them (the chain,
        :mod:`spec2x.ownership`): ``ds`` is changed.

    Returns
    -------
    Dataset with ``sci`` divided by the flat, ``var_poisson``/``var_rnoise``
    divided by its square, ``var_flat`` set, ``err`` recomputed, the flat's DQ
    OR-ed in (``NO_FLAT_FIELD | DO_NOT_USE`` where the flat is NaN or 0), and
    NaN wherever ``DO_NOT_USE`` is set.  ``S_FLAT`` is ``COMPLETE``, or
    ``SKIPPED`` with the data unchanged when no flat applies.

    Notes
    -----
    With flat :math:`f` and its error :math:`\\sigma_f` (jwst 3.0.0):

    .. math::

        s' = s / f, \\quad
        V_{flat} = \\frac{s'^2}{f^2}\\,\\sigma_f^2, \\quad
        V_{p,r}' = V_{p,r} / f^2, \\quad
        \\sigma = \\sqrt{V_p' + V_r' + V_{flat}}

    An all-NaN integration (or pixel) comes out NaN with ``DO_NOT_USE``;
    nothing fails.  Where jwst would skip the step because the flat is
    smaller than the data, spec2x raises instead.

    Raises
    ------
    ReferenceMismatchError
        The flat is for another instrument, detector, channel or band (MIRI
        MRS), or does not cover the exposure's subarray.
    """
    require(ds, *PIXEL_VARIABLES[:5], step="flat_field")
    exp_type = exp_type_of(ds)
    mode = lookup(exp_type)
    if mode is not None and mode.flat is None:
        log.warning("flat_field: EXP_TYPE=%s is not supported; step skipped", exp_type)
        return record_step(ds, "flat_field", status="SKIPPED")
    if ds.attrs.get("S_EXTR2D") == "COMPLETE" and not (mode and mode.extract_2d_before_flat):
        log.warning(
            "flat_field: extract_2d should not run before flat_field for %s; skipped", exp_type
        )
        return record_step(ds, "flat_field", status="SKIPPED")
    if _uses_nirspec_flats(ds):
        return _nirspec(
            ds, fflat, sflat, dflat, inverse=inverse, user_supplied_flat=user_supplied_flat,
            overwrite=overwrite,
        )  # fmt: skip
    if user_supplied_flat is not None:
        flat = user_supplied_flat
    if flat is None:
        log.warning("flat_field: no flat given; step skipped")
        return record_step(ds, "flat_field", status="SKIPPED")
    if not isinstance(flat.content, FlatImage):
        raise ReferenceMismatchError(f"{flat.name} is a {flat.reftype} reference, not a flat")
    flat.check_matches(ds.attrs, ("INSTRUME", "DETECTOR", "CHANNEL", "BAND"))
    fsci, ferr, fdq = flat_on_pixels(ds, flat)
    prepared, pdq = kernel.prepare_flat(fsci, fdq)
    ferr = np.asarray(ferr, np.float32)
    dims = ("slit", "y", "x") if "slit" in ds.dims else ("y", "x")
    out = scale_by(
        ds,
        xr.Variable(dims, prepared),
        operation="multiply" if inverse else "divide",
        factor_var=xr.Variable(dims, ferr * ferr),
        factor_dq=xr.Variable(dims, pdq),
        overwrite=overwrite,
    )
    log.info(
        "flat_field: %s with %s%s",
        exp_type or "exposure",
        flat.name,
        " (inverse)" if inverse else "",
    )
    return record_step(out, "flat_field", flat)


def _nirspec(ds: xr.Dataset, fflat: Any, sflat: Any, dflat: Any, **kwargs: Any) -> xr.Dataset:
    """Hand NIRSpec spectroscopic data to the NIRSpec flat (fflat x sflat x dflat): the
    slits' (:mod:`~spec2x.instruments.nirspec.flat`) or the IFU's (``flat_ifu``)."""
    mode = lookup(exp_type_of(ds))
    ifu = mode is not None and mode.layout == "ifu"
    module = importlib.import_module(
        "spec2x.instruments.nirspec." + ("flat_ifu" if ifu else "flat")
    )
    if kwargs.get("user_supplied_flat") is None:
        kwargs.pop("user_supplied_flat", None)
    if ifu:  # computed where the flat is finite only: new arrays
        kwargs.pop("overwrite", None)
    apply = module.ifu_flat if ifu else module.nirspec_flat
    out = apply(ds, fflat, sflat, dflat, **kwargs)
    if out.attrs.get("S_FLAT") == ds.attrs.get("S_FLAT"):
        out = record_step(out, "flat_field", fflat, sflat, dflat)
    return out


def _uses_nirspec_flats(ds: xr.Dataset) -> bool:
    """NIRSpec spectroscopy (not a lamp in imaging mode) takes fflat, sflat and dflat."""
    mode = lookup(exp_type_of(ds))
    lamp_image = str(ds.attrs.get("LAMPMODE", "")).upper() == "IMAGE"
    return mode is not None and mode.flat == "nirspec" and not lamp_image


def flat_on_pixels(ds: xr.Dataset, flat: Reference) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The flat's SCI, ERR and DQ on the pixels of ``ds`` ((y, x) or (slit, y, x))."""
    content = flat.content
    fny, fnx = content.sci.shape
    yy = np.asarray(ds["y"].values, np.int64)
    xx = np.asarray(ds["x"].values, np.int64)
    if "slit" not in ds.dims:
        iy, ix = _flat_lines(ds, content, yy, xx)
        _check_cover(
            flat, ds, (iy.min() >= 0) & (iy.max() < fny) & (ix.min() >= 0) & (ix.max() < fnx)
        )
        sel = np.ix_(iy, ix)
        return content.sci[sel], content.err[sel], content.dq[sel]
    # cut-out pixel (y, x) of a slit is exposure pixel (ystart - 1 + y, xstart - 1 + x)
    off_y = int(ds.attrs.get("SUBSTRT2", 1)) - content.ystart
    off_x = int(ds.attrs.get("SUBSTRT1", 1)) - content.xstart
    ys = np.asarray(ds["ystart"].values, np.int64)[:, None] - 1 + off_y + yy[None, :]
    xs = np.asarray(ds["xstart"].values, np.int64)[:, None] - 1 + off_x + xx[None, :]
    used_y = yy[None, :] < np.asarray(ds["ysize"].values)[:, None]
    used_x = xx[None, :] < np.asarray(ds["xsize"].values)[:, None]
    iy, ix = np.broadcast_arrays(ys[:, :, None], xs[:, None, :])
    used = used_y[:, :, None] & used_x[:, None, :]
    outside = (iy < 0) | (iy >= fny) | (ix < 0) | (ix >= fnx)
    _check_cover(flat, ds, not (used & outside).any())
    iy, ix = np.clip(iy, 0, fny - 1), np.clip(ix, 0, fnx - 1)
    fsci = np.where(used, content.sci[iy, ix], np.float32(1.0)).astype(np.float32)
    ferr = np.where(used, content.err[iy, ix], np.float32(0.0)).astype(np.float32)
    fdq = np.where(used, content.dq[iy, ix], np.uint32(0)).astype(np.uint32)
    return fsci, ferr, fdq


def _flat_lines(
    ds: xr.Dataset, content: Any, yy: np.ndarray, xx: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The flat's row and column (0-based) of each exposure row and column: the subarray's
    own, or for a multistripe subarray (``MSTR_RD1``) read from a flat of another shape,
    the detector lines its stripes read along the slow axis (rows, or columns for a
    subarray read along columns; jwst's ``stripe_read``)."""
    iy, ix = yy - (content.ystart - 1), xx - (content.xstart - 1)
    multistripe = ds.attrs.get("MSTR_RD1") is not None
    if not multistripe or content.sci.shape == (ds.sizes["y"], ds.sizes["x"]):
        return iy, ix
    from ..instruments.nircam.stripes import read_lines, slow_dim, stripe_ranges

    dim = slow_dim(ds.attrs)
    lines = read_lines(stripe_ranges(ds.attrs, ds.sizes[dim]))
    if dim == "x":
        return iy, lines[xx] - (content.xstart - 1)
    return lines[yy] - (content.ystart - 1), ix


def _check_cover(flat: Reference, ds: xr.Dataset, covered: Any) -> None:
    if covered:
        return
    c = flat.content
    fny, fnx = c.sci.shape
    raise ReferenceMismatchError(
        f"flat reference {flat.name} covers full-frame x {c.xstart}..{c.xstart + fnx - 1}, "
        f"y {c.ystart}..{c.ystart + fny - 1} (SUBARRAY={flat.header.get('SUBARRAY')!r}, shape "
        f"{c.sci.shape}) but {ds.attrs.get('FILENAME', 'the exposure')} "
        f"(SUBARRAY={ds.attrs.get('SUBARRAY')!r}, shape {tuple(ds['sci'].shape)}) needs x "
        f"{int(ds['x'].min()) + 1}..{int(ds['x'].max()) + 1}, y {int(ds['y'].min()) + 1}.."
        f"{int(ds['y'].max()) + 1}; give the flat made for this subarray or the full frame"
    )


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: fetch ``flat`` (or ``fflat``/``sflat``/``dflat``) and the parameters."""
    params = ctx.params
    user = params.get("user_supplied_flat")
    user_ref = open_reference(user, "flat") if user is not None else None
    inverse = bool(params.get("inverse", False))
    if _uses_nirspec_flats(ds):
        refs = {t: ctx.ref(t, ds) for t in ("fflat", "sflat", "dflat")}
        return flat_field(
            ds, **refs, inverse=inverse, user_supplied_flat=user_ref, overwrite=ctx.owns_input
        )
    flat = None if user_ref is not None else ctx.ref("flat", ds)
    return flat_field(
        ds, flat, inverse=inverse, user_supplied_flat=user_ref, overwrite=ctx.owns_input
    )


from_chain.may_overwrite_input = True  # type: ignore[attr-defined]  # spec2x.ownership
