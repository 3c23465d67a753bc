"""The 1-D master background of a NIRSpec MOS exposure from its background slitlets.

jwst 3.0.0 ``MasterBackgroundMosStep._calc_master_background`` without a
user background: the background slitlets, already calibrated as extended
sources (flat_field, pathloss, barshadow, photom), are rectified with
``resample_spec`` and extracted with ``extract_1d`` (each with its default
parameters, as jwst's sub-steps; ``pixel_replace`` is off by default there
too), then combined with ``combine_1d`` (weights: the exposure time
``EFFEXPTM``; ``sigma_clip``) and, if asked, smoothed with a moving median.

The background slitlets are few (a handful to a few dozen): they are
computed here, once (``resample_spec`` reads its input whole); the source
slitlets are not touched.
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from .._kernels.combine_1d import combine_spectra
from ..errors import InputFileError
from ..io.references import Reference
from .extract_1d import extract_1d
from .resample_spec import resample_spec

__all__ = ["background_from_slitlets"]

log = logging.getLogger(__name__)

_COLUMNS = ("flux", "flux_error", "surf_bright", "sb_error")


def background_from_slitlets(
    background: xr.Dataset,
    extract1d: Reference | None,
    apcorr: Reference | None,
    *,
    sigma_clip: float | None = 3.0,
    median_kernel: int = 1,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The master background spectrum combined from calibrated background slitlets.

    Parameters
    ----------
    background : the background slitlets ``(slit, y, x)`` in MJy/sr (calibrated
        as extended sources), with their WCS.
    extract1d, apcorr : the extract_1d references (jwst's sub-step reads them).
    sigma_clip : clipping factor when combining (None: no clipping).
    median_kernel : width of the moving median applied to the combined
        spectrum (even widths are taken one smaller, as jwst; 1: none).

    Returns
    -------
    (wavelength [µm], surface brightness [MJy/sr]), wavelengths increasing;
    None when no background spectrum has a finite flux.

    Raises
    ------
    InputFileError
        ``EFFEXPTM`` (the combination's weight) is missing.
    """
    exposure_time = background.attrs.get("EFFEXPTM")
    if exposure_time is None:
        raise InputFileError(
            f"master_background_mos: {background.attrs.get('FILENAME', 'input')} has no "
            "EFFEXPTM keyword (the weight of each background spectrum); set it in the header"
        )
    s2d = resample_spec(background)
    spectra = extract_1d(s2d, extract1d, apcorr=apcorr)
    wave = _rows(spectra["wavelength"]).astype(np.float64)
    keep = [np.isfinite(w) for w in wave]  # each spectrum's own length (padding is NaN)
    columns = {c: [v[k] for v, k in zip(_rows(spectra[c]), keep, strict=True)] for c in _COLUMNS}
    combined = combine_spectra(
        [w[k] for w, k in zip(wave, keep, strict=True)],
        columns,
        [v[k] for v, k in zip(_rows(spectra["dq"]), keep, strict=True)],
        [float(exposure_time)] * len(keep),
        sigma_clip=sigma_clip,
    )
    if combined["wavelength"].size == 0:
        log.warning("master_background_mos: no background spectrum has a finite flux")
        return None
    log.info(
        "master_background_mos: master background from %d background slitlets, %d wavelengths",
        len(keep),
        combined["wavelength"].size,
    )
    bright = combined["surf_bright"]
    kernel = median_kernel - 1 if median_kernel % 2 == 0 else median_kernel
    if kernel > 1:
        from scipy.signal import medfilt

        bright = medfilt(bright, kernel_size=[kernel])
    return combined["wavelength"], bright  # increasing: the combined grid is sorted


def _rows(values: xr.DataArray) -> np.ndarray:
    """A spectra column as (spectrum, spectral) NumPy rows."""
    return np.asarray(values.values).reshape(-1, values.sizes["spectral"])
