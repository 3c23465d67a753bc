"""The scene mask of clean_flicker_noise: which pixels hold only background.

``True`` marks a background pixel (the noise is fitted to those).  The
science regions of NIRSpec come from the WCS assign_wcs attached (every
slit's bounding box; the IFU slices: every pixel with a wavelength), the
failed-open MSA shutters from ``MSA_FAILED_OPEN``; any exposure then loses
its NaN and zero pixels and, with ``n_sigma > 0``, the pixels a sigma clip
flags as signal or bad.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import xarray as xr

from .._kernels.flicker_stats import clip_to_background
from ..dq import DQ, DQ_DTYPE
from ..errors import InputFileError, UnsupportedModeError
from ..modes import mode_of
from ..wcs.store import slit_wcs, wcs_object

__all__ = ["read_user_mask", "scene_mask", "science_regions"]

#: Rows (0-based, stop exclusive) of the NIRSpec fixed-slit area, masked for IFU and MOS.
NRS_FS_ROWS = slice(922, 1116)
#: Names of the NIRSpec fixed slits (a MOS exposure may open them: quadrant 5).
FIXED_SLITS = frozenset(("S200A1", "S200A2", "S400A1", "S1600A1", "S200B1"))


def _slit_boxes(ds: xr.Dataset, mask: np.ndarray) -> None:
    """Clear every slit's WCS bounding box (pixel centres rounded as gwcs indexes them)."""
    slits = slit_wcs(ds)
    if not slits:
        raise InputFileError(
            f"clean_flicker_noise: {ds.attrs.get('FILENAME', 'input')} has no slit WCS; "
            "mask_science_regions needs assign_wcs first"
        )
    for stored in slits.values():
        (x0, x1), (y0, y1) = wcs_object(stored).bounding_box.bounding_box(order="F")
        xlo, xhi = (int(np.floor(v + 0.5)) for v in (x0, x1))
        ylo, yhi = (int(np.floor(v + 0.5)) for v in (y0, y1))
        mask[..., max(ylo, 0) : max(yhi, 0), max(xlo, 0) : max(xhi, 0)] = False


def science_regions(ds: xr.Dataset) -> np.ndarray:
    """True off the known science regions of the exposure (its mode's ``flicker_regions``),
    shaped as its DQ.

    ``slits``: every slit's bounding box; ``ifu``: every pixel with a wavelength and the
    fixed-slit rows 922-1115; ``msa``: the slit boxes and the fixed-slit rows unless a fixed
    slit is open; those and ``nirspec``: ``MSA_FAILED_OPEN`` pixels.

    Raises
    ------
    UnsupportedModeError
        ``refused`` (MIRI imaging: regions from the flat's DQ; NIRISS SOSS: from a
        ``pastasoss`` reference, neither read by spec2x), or an unknown exposure type.
    """
    mode = mode_of(ds, step="clean_flicker_noise")
    regions = mode.flicker_regions
    if regions == "refused":
        raise UnsupportedModeError(
            f"clean_flicker_noise: mask_science_regions for {mode.exp_type} is not implemented "
            "in spec2x; give a user_mask or set mask_science_regions=False"
        )
    dq = np.asarray(ds["dq"].values)
    mask = np.ones(dq.shape, bool)
    if regions in ("slits", "msa"):
        _slit_boxes(ds, mask)
    if regions == "ifu":
        if "wavelength" not in ds.coords:
            raise InputFileError(f"clean_flicker_noise: {mode.exp_type} needs assign_wcs first")
        mask &= ~np.isfinite(np.asarray(ds["wavelength"].values))
    if regions is not None:
        mask &= (dq & DQ_DTYPE(DQ.MSA_FAILED_OPEN)) == 0
    fixed_open = regions == "msa" and bool(FIXED_SLITS & set(slit_wcs(ds) or ()))
    if regions == "ifu" or (regions == "msa" and not fixed_open):
        mask[..., NRS_FS_ROWS, :] = False
    return mask


def scene_mask(
    ds: xr.Dataset,
    *,
    mask_science_regions: bool,
    n_sigma: float,
    fit_histogram: bool,
    single_mask: bool,
    flat: np.ndarray | None = None,
) -> np.ndarray:
    """The background mask of the exposure: ``(y, x)``, or one plane per integration.

    Parameters
    ----------
    ds : rate ``(y, x)`` or rateints ``(integration, y, x)`` (any unit).
    mask_science_regions : leave out the science regions (:func:`science_regions`).
    n_sigma : clip pixels above ``n_sigma`` (and below 3) sigma of the background of each
        integration; 0: no clipping.
    fit_histogram : sigma from a Gaussian fitted to the histogram of the values.
    single_mask : one plane for all integrations (a pixel must be background in all).
    flat : the flat the data are divided by first (``(y, x)``), or None.
    """
    sci = np.asarray(ds["sci"].values)
    if flat is not None:
        sci = sci / flat
    mask = science_regions(ds) if mask_science_regions else np.ones(sci.shape, bool)
    mask = np.broadcast_to(mask, sci.shape) & ~(np.isnan(sci) | (sci == 0))
    if n_sigma > 0:
        planes = [
            clip_to_background(image, plane, sigma_upper=n_sigma, fit_histogram=fit_histogram)
            for image, plane in zip(
                sci.reshape(-1, *sci.shape[-2:]), mask.reshape(-1, *sci.shape[-2:]), strict=True
            )
        ]
        mask = np.stack(planes).reshape(sci.shape)
    if single_mask and mask.ndim == 3:
        mask = np.asarray(mask.all(axis=0))
    return mask


def read_user_mask(user_mask: Any) -> np.ndarray:
    """A user's mask (True: background) from an array or a FITS file's ``SCI`` image."""
    if isinstance(user_mask, str | os.PathLike):
        from astropy.io import fits

        with fits.open(user_mask) as hdul:
            name = "SCI" if "SCI" in hdul else 0
            return np.asarray(hdul[name].data).astype(bool)
    return np.asarray(user_mask).astype(bool)
