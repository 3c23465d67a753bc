"""NIRISS SOSS background: the best ``bkg`` template, scaled either side of its step.

jwst 3.0.0's ``BackgroundStep`` on ``NIS_SOSS`` (``background_sub_soss``):

1. pixels DO_NOT_USE or REFERENCE_PIXEL, and pixels at or above the
   ``source_percentile`` percentile of the good data (all integrations
   together), are left out of the fit;
2. each template of the ``bkg`` reference (``SossBkgModel``: templates x
   256 x 2048; rows 10-105 for SUBSTRIP96) has a step near columns
   685-725: the row-wise maximum gradient of the template smoothed by a
   Gaussian of σ = 3 pixels splits it into a left and a right part (the
   right part fitted only up to column 950);
3. in each part the data/template ratios between the ``bkg_percentile``
   percentiles give the scale (their median) and the residual RMS;
4. the template with the smallest summed RMS, scaled by its two scales
   over the whole left and right parts, is subtracted from every integration.

A reference of another height than the subarray leaves the data unchanged
(``SKIPPED``), as jwst does.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ...dq import DQ, DQ_DTYPE
from ...errors import ReferenceMismatchError
from ...io.references import Reference
from .soss_bkg_stats import block_medians, block_percentiles, block_sums

__all__ = ["SossBackground", "read_soss_bkg", "soss_background_fit", "subtract_soss_background"]

log = logging.getLogger(__name__)

_STEP_COLUMNS = (685, 725)
_FIT_CUTOFF = 950
_SUBSTRIP96_FIRST_ROW = 10


@dataclass(frozen=True)
class SossBackground:
    """The ``bkg`` reference of NIRISS SOSS: ``templates`` (n, 256, 2048) in DN/s."""

    templates: np.ndarray


def read_soss_bkg(path: str, header: dict[str, Any]) -> Reference:
    """Open a NIRISS ``bkg`` reference (SCI: one or more SUBSTRIP256 templates).

    The NIRISS WFSS ``bkg`` (``EXP_TYPE`` NIS_WFSS, a ``WfssBkgModel``) goes to
    :func:`~spec2x.io.refs_pixel.read_wfss_bkg`.
    """
    if (
        "WFSS" in str(header.get("EXP_TYPE", "")).upper()
        or header.get("DATAMODL") == "WfssBkgModel"
    ):
        from ...io.refs_pixel import read_wfss_bkg

        return read_wfss_bkg(path, header)
    from astropy.io import fits

    with fits.open(path, memmap=False) as hdul:
        if "SCI" not in hdul or hdul["SCI"].data is None:
            raise ReferenceMismatchError(f"bkg reference {path} has no SCI templates")
        data = np.asarray(hdul["SCI"].data, np.float32)
    templates = data[None] if data.ndim == 2 else data
    return Reference("bkg", path, header, SossBackground(templates.copy()))


def _step_masks(template: np.ndarray, *, for_fitting: bool) -> tuple[np.ndarray, np.ndarray]:
    """(y, x) left and right parts of ``template`` around its step (jwst's masks)."""
    from scipy import ndimage

    gradient = np.gradient(ndimage.gaussian_filter(template, 3), axis=1)
    lo, hi = _STEP_COLUMNS
    step = np.argmax(gradient[:, lo:hi], axis=1) + lo
    xx = np.arange(template.shape[1])[None, :]
    right = xx >= step[:, None]
    left = ~right
    if for_fitting:
        right = right & (xx <= _FIT_CUTOFF)
    return left, right


def _blocks(sci: Any, dq: Any, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(sci, dq) NumPy blocks of ``size`` integrations (a Dask exposure computes one block
    of both at a time)."""
    for start in range(0, sci.shape[0], size):
        s, d = sci[start : start + size], dq[start : start + size]
        if not isinstance(s, np.ndarray):
            import dask

            s, d = dask.compute(s, d)
        yield np.asarray(s), np.asarray(d)


def _part_values(
    s: np.ndarray, fitted: np.ndarray, parts: list[tuple[np.ndarray, np.ndarray]]
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per template part (mask, template): the finite data/template ratios of a block's
    fitted pixels in it, and their data and template values."""
    out = []
    for part, template in parts:
        mask = part[None] & fitted
        data, tmpl = s[mask], np.broadcast_to(template, s.shape)[mask]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ratio = data / tmpl
        finite = np.isfinite(ratio)
        out.append((ratio[finite], data[finite], tmpl[finite]))
    return out


def _part_fits(
    blocks: Callable[[], Iterator[list[tuple[np.ndarray, np.ndarray, np.ndarray]]]],
    percentiles: tuple[float, float],
    keep: float | None,
) -> list[tuple[float, float]]:
    """Scale and residual RMS of every template part (NaN, inf if none), as jwst's
    ``find_best_template``: all parts in each pass over ``blocks`` (per block, the
    :func:`_part_values` of every part)."""

    def ratios() -> Iterator[list[np.ndarray]]:
        return ([ratio for ratio, _, _ in block] for block in blocks())

    bounds = block_percentiles(ratios, percentiles, keep=keep)

    def valid() -> Iterator[list[np.ndarray]]:
        for block in ratios():
            yield [r[(r > q1) & (r < q2)] for r, (q1, q2) in zip(block, bounds, strict=True)]

    scales = block_medians(valid, keep)

    def squares() -> Iterator[list[np.ndarray]]:
        for block in blocks():
            yield [
                np.square(data - tmpl * scale) if np.isfinite(scale) else data[:0]
                for (_, data, tmpl), scale in zip(block, scales, strict=True)
            ]

    sums = block_sums(squares)
    return [
        (scale, float(np.sqrt(total / count))) if np.isfinite(scale) else (np.nan, np.inf)
        for scale, (total, count) in zip(scales, sums, strict=True)
    ]


def soss_background_fit(
    sci: Any,
    dq: Any,
    templates: np.ndarray,
    *,
    source_percentile: float = 35.0,
    bkg_percentile: tuple[float, float] = (25.0, 50.0),
    block: int = 16,
) -> tuple[int, np.ndarray]:
    """The best template's index and its (left, right) scales; index -1 if none fits.

    ``sci``/``dq`` are (integration, y, x) NumPy or Dask arrays (DN/s),
    ``templates`` (n, y, x) already cut to the subarray's rows.  The
    exposure is read ``block`` integrations at a time; the percentiles are
    exact, of the whole exposure (jwst's), every template part's together.  A
    NumPy exposure (in memory anyway) has its fitted values held: one pass
    per statistic; a Dask one is read again at each pass (seven at most:
    two per order statistic of float32 values, one for the residuals),
    memory flat.
    """
    bad = DQ_DTYPE(DQ.DO_NOT_USE | DQ.REFERENCE_PIXEL)  # an IntFlag: int64 blocks
    keep = math.inf if isinstance(sci, np.ndarray) else None

    def good_values() -> Iterator[list[np.ndarray]]:
        for s, d in _blocks(sci, dq, block):
            yield [s[np.isfinite(s) & ((d & bad) == 0)]]

    threshold = block_percentiles(good_values, [source_percentile], scalar=True, keep=keep)[0][0]
    parts = [
        (part, template)
        for template in templates
        for part in _step_masks(template, for_fitting=True)
    ]

    def part_blocks() -> Iterator[list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        for s, d in _blocks(sci, dq, block):
            flagged = (d & bad) > 0
            # fitted: not flagged, not source
            fitted = ~(np.isfinite(s) & ~flagged & (s >= threshold) | flagged)
            yield _part_values(s, fitted, parts)

    if keep is not None:  # in memory: each block's part values found once, for every pass
        held = list(part_blocks())
        fits = _part_fits(lambda: iter(held), bkg_percentile, keep)
    else:
        fits = _part_fits(part_blocks, bkg_percentile, keep)
    best, best_rms, best_scales = -1, np.inf, np.array([np.nan, np.nan])
    for index in range(len(templates)):
        (left, left_rms), (right, right_rms) = fits[2 * index : 2 * index + 2]
        if left_rms + right_rms < best_rms:
            best, best_rms, best_scales = index, left_rms + right_rms, np.array([left, right])
    return best, best_scales


def subtract_soss_background(
    ds: xr.Dataset,
    bkg: Reference,
    *,
    source_percentile: float = 35.0,
    bkg_percentile: tuple[float, float] = (25.0, 50.0),
) -> tuple[xr.Dataset, bool]:
    """``ds`` minus the best scaled ``bkg`` template, and whether it was subtracted.

    Parameters
    ----------
    ds : SOSS ``rateints`` (or ``rate``) in DN/s.
    bkg : the ``bkg`` reference (:func:`read_soss_bkg`).
    source_percentile : pixels at or above this percentile are source (jwst 35).
    bkg_percentile : the ratio percentiles whose median scales the template
        (jwst 25, 50).

    Returns
    -------
    (Dataset, True) with ``sci`` reduced by the scaled template (err, DQ
    and variances unchanged, as in jwst), or (``ds``, False) when the
    reference does not fit the subarray or no template could be fitted.

    Notes
    -----
    The fit's percentiles are over the whole exposure (jwst's), computed
    exactly while reading a block of integrations at a time (a Dask-backed
    exposure is computed block by block, a few passes): memory is flat in
    the number of integrations.  The subtraction itself stays lazy.
    """
    content = bkg.content
    if not isinstance(content, SossBackground):
        raise ReferenceMismatchError(f"{bkg.name} is not a NIRISS SOSS bkg reference")
    rows = ds.sizes["y"]
    templates = content.templates
    if templates.shape[-2] == 256 and rows == 96:
        templates = templates[:, _SUBSTRIP96_FIRST_ROW : _SUBSTRIP96_FIRST_ROW + 96]
    elif templates.shape[-2] != rows or templates.shape[-1] != ds.sizes["x"]:
        log.warning(
            "bkg_subtract: %s (%s) does not fit the %d-row subarray; step skipped",
            bkg.name,
            "x".join(map(str, templates.shape[-2:])),
            rows,
        )
        return ds, False
    sci, dq = ds["sci"].data, ds["dq"].data
    cube, dq = (sci[None], dq[None]) if sci.ndim == 2 else (sci, dq)
    best, scales = soss_background_fit(
        cube,
        dq,
        templates,
        source_percentile=source_percentile,
        bkg_percentile=bkg_percentile,
    )
    if best < 0:
        log.warning("bkg_subtract: no bkg template could be fitted; step skipped")
        return ds, False
    left, right = _step_masks(templates[best], for_fitting=False)
    model = templates[best] * left * scales[0] + templates[best] * right * scales[1]
    log.info("bkg_subtract: template %d, scales %.6g (left) %.6g (right)", best, *scales)
    if isinstance(sci, np.ndarray) and ds["sci"].dims[-2:] == ("y", "x"):
        # in float64, rounded to float32 element by element: no float64 cube
        out = np.empty(sci.shape, np.float32)
        np.subtract(sci, model, out=out, dtype=np.float64, casting="same_kind")
        return ds.assign(sci=ds["sci"].copy(data=out)), True
    background = xr.DataArray(model, dims=("y", "x"))
    sci_out = (ds["sci"].astype(np.float64) - background).astype(np.float32)
    return ds.assign(sci=sci_out.transpose(*ds["sci"].dims).assign_attrs(ds["sci"].attrs)), True
