"""Turn a calibrated NIRSpec FS source image (MJy per pixel) into count rates (DN/s).

The synthetic source is drawn as the calibrated product would show it (a point
source's flux density per pixel, MJy), cut out of the detector with
spec2x's assign_wcs + extract_2d, typed (srctype) and wavelength-corrected
(wavecorr) as calwebb_spec2 does, then run *backwards* through photom,
pathloss and flat_field (their ``inverse`` option, the same references) and
pasted back.  Calibrating the result with those references returns the
injected spectrum.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..datamodel import make_exposure
from ..io.references import Reference, open_reference
from .nirspec_cal_refs import FS_SLITS, write_nirspec_cal_refs
from .pixel_refs import write_nirspec_fs_area, write_nirspec_fs_photom

__all__ = ["relative_response", "uncalibrate", "write_fs_calibration_refs"]

#: Nominal pixel solid angle of each fixed slit (arcsec^2).
PIXAREA = {
    "S200A1": 0.0100,
    "S200A2": 0.0100,
    "S400A1": 0.0101,
    "S1600A1": 0.0102,
    "S200B1": 0.0099,
}


def relative_response(wavelength_um: np.ndarray) -> np.ndarray:
    """Relative response of the synthetic photom reference (a gentle slope and bump)."""
    w = np.asarray(wavelength_um, float)
    return 0.9 + 0.05 * w / 5.0 + 0.1 * np.exp(-0.5 * ((w - 2.5) / 1.2) ** 2)


def write_fs_calibration_refs(
    folder: Path,
    grating: str,
    filter_name: str,
    detector: str,
    shape: tuple[int, int],
    photmj: float,
    seed: int,
) -> dict[str, Path]:
    """fflat, sflat, dflat, wavecorr, pathloss (NIRSpec-cal writers), photom and area (pixel writers)."""
    paths = write_nirspec_cal_refs(
        folder, grating=grating, filter_name=filter_name, detector=detector, shape=shape, seed=seed
    )
    wave = np.linspace(0.5, 5.5, 200)
    rows = [
        {
            "filter": filter_name,
            "grating": grating,
            "slit": s,
            "photmj": photmj,
            "wavelength": wave,
            "relresponse": relative_response(wave),
        }
        for s in FS_SLITS
    ]
    paths["photom"] = write_nirspec_fs_photom(folder / "spec2x_nirspec_fs_photom.fits", rows=rows)
    paths["area"] = write_nirspec_fs_area(
        folder / "spec2x_nirspec_fs_area.fits", pixarea=PIXAREA, filter=filter_name, grating=grating
    )
    return paths


def uncalibrate(
    truth: np.ndarray,
    attrs: dict[str, Any],
    optical: dict[str, Reference],
    cal_paths: dict[str, Path],
) -> np.ndarray:
    """DN/s image of ``truth`` (MJy per pixel, the subarray's shape) through the inverse calibration.

    Only the primary slit's cut-out is converted; pixels without a calibration
    (off the slit, bad flat) get 0.
    """
    from ..instruments.nirspec.fs import assign_fixed_slits
    from ..slits import merge
    from ..steps.extract_2d import extract_2d
    from ..steps.flat_field import flat_field
    from ..steps.pathloss import pathloss
    from ..steps.photom import photom
    from ..steps.srctype import srctype
    from ..steps.wavecorr import wavecorr

    cal = {k: open_reference(v, k) for k, v in cal_paths.items()}
    ds = make_exposure(truth.astype(np.float32), attrs=attrs, ystart=attrs["SUBSTRT2"], units="MJy")
    slits = merge(extract_2d(assign_fixed_slits(ds, optical), slit_names=[attrs["FXD_SLIT"]]))
    slits = wavecorr(srctype(slits), cal["wavecorr"])
    slits = photom(slits, cal["photom"], area=cal["area"], inverse=True)
    slits = pathloss(slits, cal["pathloss"], inverse=True)
    slits = flat_field(
        slits, fflat=cal["fflat"], sflat=cal["sflat"], dflat=cal["dflat"], inverse=True
    )
    one = slits.isel(slit=0)
    ny, nx = int(one["ysize"]), int(one["xsize"])
    y0, x0 = int(one["ystart"]) - 1, int(one["xstart"]) - 1
    ny, nx = min(ny, truth.shape[0] - y0), min(nx, truth.shape[1] - x0)
    out = np.zeros(truth.shape, np.float64)
    out[y0 : y0 + ny, x0 : x0 + nx] = np.nan_to_num(one["sci"].values[:ny, :nx], nan=0.0)
    return out
