"""MIRI LRS fixed-slit pathloss (called by :func:`spec2x.steps.pathloss.pathloss`).

As jwst 3.0.0 ``do_correction_lrs``: only for a point source (``SRCTYPE``);
the target's position relative to the aperture reference point comes from
the WCS (TARG_RA, TARG_DEC through ``world -> detector`` at the wavelength of
the reference point), or from targ_centroid's SRCXPOS, SRCYPOS when it ran,
optionally moved across the slit by ``user_slit_loc`` (arcsec); the correction
vector is interpolated bilinearly there (at the slit centre if the target falls
outside the grid), then linearly at each pixel's wavelength, and *multiplies*
the data (it is a correction, not a loss).
``inverse`` is ignored, as in jwst.
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from ..._kernels import pathloss as kern
from ...errors import ReferenceMismatchError, StepOrderError
from ...io.references import Reference
from ...steps._common import record_step, require
from ...steps._scale import scale_by
from ...wcs.store import get_wcs

__all__ = ["lrs_pathloss", "target_offset"]

log = logging.getLogger(__name__)
_PIXEL_VARS = ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat")
_REQUIRED = _PIXEL_VARS[:5]  # var_flat is optional (absent before flat_field)


def target_offset(ds: xr.Dataset, user_slit_loc: float | None = None) -> tuple[float, float]:
    """Target position (pixels) relative to the aperture reference point, as jwst's ``get_center``."""
    wcs = get_wcs(ds)
    det_to_sky = wcs.get_transform("detector", "world")
    sky_to_det = wcs.get_transform("world", "detector")
    try:
        imx, imy = -det_to_sky.offset_1, -det_to_sky.offset_2
    except AttributeError as exc:
        raise StepOrderError(
            "pathloss: the LRS WCS has no reference-point shift (offset_1, offset_2); "
            "rerun assign_wcs with spec2x"
        ) from exc
    imx, imy = float(np.squeeze(imx)), float(np.squeeze(imy))
    if ds.attrs.get("S_TACNTR") == "COMPLETE":  # targ_centroid's pixel (jwst: source_xpos/ypos)
        xcenter, ycenter = float(ds.attrs["SRCXPOS"]), float(ds.attrs["SRCYPOS"])
    else:
        for key in ("TARG_RA", "TARG_DEC"):
            if ds.attrs.get(key) is None:
                raise StepOrderError(
                    f"pathloss: {key} is missing; the LRS target position needs it"
                )
        _, _, ref_wave = det_to_sky(imx, imy)
        xcenter, ycenter = sky_to_det(ds.attrs["TARG_RA"], ds.attrs["TARG_DEC"], ref_wave)
    xcenter, ycenter = float(xcenter) - imx, float(ycenter) - imy
    if user_slit_loc is not None:
        from stcal.alignment.util import compute_scale

        location = wcs(imx, imy)
        disp_axis = int(ds.attrs.get("DISPAXIS", 2) or 2)
        scale = compute_scale(wcs, location, disp_axis=disp_axis) * 3600.0
        ycenter += user_slit_loc / scale
    return xcenter, ycenter


def lrs_pathloss(
    ds: xr.Dataset,
    reference: Reference,
    *,
    user_slit_loc: float | None = None,
    overwrite: bool = False,
) -> xr.Dataset:
    """Multiply a MIRI LRS fixed-slit exposure by the point-source pathloss correction.

    Parameters
    ----------
    ds : exposure ``([integration,] y, x)`` with a ``wavelength (y, x)`` coord
        (µm) and a WCS; attrs ``SRCTYPE``, ``TARG_RA``, ``TARG_DEC``.
    reference : opened MIRI LRS ``pathloss`` reference.
    user_slit_loc : target offset across the slit (arcsec) to use instead of
        the catalogue position's.
    overwrite : write the results into the pixel arrays of ``ds`` (NumPy-backed
        data) instead of new ones, for a caller that owns them (the chain,
        :mod:`spec2x.ownership`): ``ds`` is changed.

    Returns
    -------
    Dataset multiplied by the correction (variances by its square), with
    ``pathloss_point (y, x)``; SKIPPED (unchanged) for a non-point source.
    """
    from .refs import LrsPathloss

    require(ds, *_REQUIRED, coords=("wavelength",), step="pathloss")
    content = reference.content
    if not isinstance(content, LrsPathloss):
        raise ReferenceMismatchError(
            f"{reference.name} is not a MIRI LRS pathloss reference (PATHLOSS table)"
        )
    if str(ds.attrs.get("SRCTYPE", "")).strip().upper() != "POINT":
        log.warning("pathloss: not a point source; skipping the correction for LRS")
        return record_step(ds, "pathloss", status="SKIPPED")
    xcenter, ycenter = target_offset(ds, user_slit_loc)
    wl_vec, vec, inside = content.vector(xcenter, ycenter)
    if not inside:
        log.info("pathloss: source outside the slit; correction for the slit centre")
        wl_vec, vec, inside = content.vector(0.0, 0.0)
    correction = xr.apply_ufunc(
        kern.interpolate_onto_grid,
        ds["wavelength"].variable,
        kwargs={"vector_wl": wl_vec, "vector": vec},
        dask="parallelized",
        output_dtypes=[np.float64],
    ).astype(np.float32)
    out = scale_by(ds, correction, operation="multiply", overwrite=overwrite)
    correction.attrs = {"units": ""}
    out = out.assign(pathloss_point=correction)
    log.info(
        "pathloss: LRS point source at (%.3f, %.3f) pixels from the reference point (%s)",
        xcenter,
        ycenter,
        reference.name,
    )
    return record_step(out, "pathloss", reference)
