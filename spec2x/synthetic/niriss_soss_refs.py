"""Synthetic NIRISS SOSS references of the types jwst 3.0.0 reads.

The geometry is the real in-flight one: ``niriss_data/soss_trace.json`` holds
knots of the trace (x, y in SUBSTRIP256 pixels, wavelength µm) and the
throughput of orders 1-3, taken from the in-flight ``spectrace`` reference
jwst_niriss_spectrace_0022.fits (``tests/niriss_soss/derive_trace_table.py``
wrote it).  From them:

- ``pastasoss``: per order the trace at every column (a cubic spline through
  the knots), the wavelength as a 2-D polynomial of (column, pupil-wheel
  offset) fitted to the knots rotated by offsets of up to ±0.25° about the
  pivot (the centre of SUBSTRIP256, a choice: the trace at the commanded
  position does not depend on it), the throughput;
- ``specwcs``: per order the column -> wavelength table of the pastasoss map
  at the commanded position (the map has no tilt, so the row is ignored),
  as the ``1``/``2``/``3`` transforms of full-frame (y, x) jwst's assign_wcs
  reads;
- ``specprofile``: a Gaussian across the trace of each order, each column
  summing to one, padded by ``PADDING`` pixels;
- ``speckernel``: Gaussian spectral kernels, one per 0.05 µm.

``tests/niriss_soss`` checks that the traces and wavelengths these give
agree with the real spectrace and wavemap files.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from scipy.interpolate import CubicSpline

from ..instruments.niriss.soss_refs import Pastasoss, pastasoss_from_tree
from .base import asdf_meta, reference_header, write_reference_fits
from .miri_lrs_refs import _write_asdf

__all__ = [
    "PWCPOS_BOUNDS",
    "PWCPOS_CMD",
    "SUBARRAY_ROWS",
    "pastasoss_content",
    "pastasoss_tree",
    "soss_trace_table",
    "write_pastasoss",
    "write_soss_references",
    "write_soss_specwcs",
    "write_speckernel",
    "write_specprofile",
]

#: Commanded pupil-wheel position of the GR700XD (degrees) and the bounds of the model.
PWCPOS_CMD = 245.76
PWCPOS_BOUNDS = (245.51, 246.01)
#: Rows of each SOSS subarray jwst reads references for.
SUBARRAY_ROWS = {"SUBSTRIP256": 256, "SUBSTRIP96": 96, "FULL": 2048}
#: First full-frame row (0-based) of each subarray (SUBSTRT2 - 1).
_SUBARRAY_Y0 = {"SUBSTRIP256": 1792, "SUBSTRIP96": 1802, "FULL": 0}
_PIVOT = (1024.0, 128.0)
_DEGREE = 11
_OFFSETS = np.linspace(-0.25, 0.25, 7)
_COLUMNS = 2048
_PROFILE_SIGMA = 6.0  # pixels
_PROFILE_PADDING = 10
_KERNEL_HALFWIDTH = 7
_KERNEL_OVERSAMPLING = 6
_KERNEL_SIGMA = 1.0  # pixels


@cache
def soss_trace_table() -> dict[int, dict[str, np.ndarray]]:
    """Order -> knots ``x``, ``y`` (SUBSTRIP256 pixels), ``wavelength`` (µm) and throughput."""
    path = Path(__file__).with_name("niriss_data") / "soss_trace.json"
    raw = json.loads(path.read_text())
    return {
        int(k): {n: np.asarray(v, dtype=np.float64) for n, v in d.items()} for k, d in raw.items()
    }


def _splines(order: int) -> tuple[CubicSpline, CubicSpline]:
    """y(x) and wavelength(x) of ``order`` through the knots (x increasing)."""
    knots = soss_trace_table()[order]
    sort = np.argsort(knots["x"])
    x = knots["x"][sort]
    return CubicSpline(x, knots["y"][sort]), CubicSpline(x, knots["wavelength"][sort])


def _columns(order: int) -> np.ndarray:
    x = soss_trace_table()[order]["x"]
    return np.arange(max(0, int(np.ceil(x.min()))), min(_COLUMNS - 1, int(np.floor(x.max()))) + 1)


def _design(x: np.ndarray, off: np.ndarray, degree: int) -> np.ndarray:
    """Monomials in jwst's coefficient order (total degree, then the power of ``off``)."""
    terms = [x ** (total - p) * off**p for total in range(degree + 1) for p in range(total + 1)]
    return np.stack(terms, axis=-1)


def _wavecal(order: int) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and scale extents of the wavelength polynomial of ``order``."""
    y_of, wave_of = _splines(order)
    knots = soss_trace_table()[order]["x"]
    x0 = np.linspace(float(knots.min()), float(knots.max()), 240)
    y0, wave = y_of(x0), wave_of(x0)
    px, py = _PIVOT
    xs, offs, waves = [], [], []
    for offset in _OFFSETS:
        angle = np.radians(offset)
        xs.append(np.cos(angle) * (x0 - px) - np.sin(angle) * (y0 - py) + px)
        offs.append(np.full_like(x0, offset))
        waves.append(wave)
    x, off, target = np.concatenate(xs), np.concatenate(offs), np.concatenate(waves)
    extents = np.array([[x.min(), _OFFSETS[0]], [x.max(), _OFFSETS[-1]]])
    design = _design(
        (x - extents[0, 0]) / (extents[1, 0] - extents[0, 0]),
        (off - extents[0, 1]) / (extents[1, 1] - extents[0, 1]),
        _DEGREE,
    )
    coefficients = np.linalg.lstsq(design, target, rcond=None)[0]
    return coefficients, extents


@cache
def pastasoss_tree() -> dict[str, Any]:
    """The ``pastasoss`` tree, jwst's ``PastasossModel`` layout (do not modify it)."""
    traces, wavecal, thru = [], [], []
    for order in (1, 2, 3):
        cols = _columns(order)
        y_of, _ = _splines(order)
        coefficients, extents = _wavecal(order)
        knots = soss_trace_table()[order]
        traces.append(
            {
                "spectral_order": order,
                "pivot_x": _PIVOT[0],
                "pivot_y": _PIVOT[1],
                "trace": np.stack([cols.astype(np.float64), y_of(cols)], axis=1),
                "oversampling": 1,
                "cutoff": int(cols[-1]) + 1,
            }
        )
        wavecal.append(
            {
                "spectral_order": order,
                "polynomial_degree": _DEGREE,
                "coefficients": coefficients,
                "coefficient_labels": "C00, C10, C01, C20, C11, C02, ... (x, pupil-wheel offset)",
                "scale_extents": extents,
            }
        )
        thru.append(
            {
                "spectral_order": order,
                "wavelength": knots["throughput_wavelength"],
                "throughput": knots["throughput"],
            }
        )
    meta = asdf_meta("pastasoss", "NIRISS", detector="NIS", filter="CLEAR", exp_type="NIS_SOSS")
    meta.update(
        pwcpos_cmd=PWCPOS_CMD,
        pwcpos_bounds=list(PWCPOS_BOUNDS),
        soss_xdim=_COLUMNS,
        soss_ydim=300,
        subarray_ymin=_COLUMNS - 256,
        wavemap_wlmin=0.5,
        wavemap_wlmax=5.5,
        wavemap_nwl=5001,
        order2_separation_cutoff=[0.85, 1.0],
    )
    return {"meta": meta, "traces": traces, "wavecal_models": wavecal, "throughputs": thru}


@cache
def pastasoss_content() -> Pastasoss:
    """The synthetic ``pastasoss`` as spec2x's reader gives it (no file written)."""
    return pastasoss_from_tree(pastasoss_tree())


def write_pastasoss(path: str | os.PathLike[str]) -> Path:
    """Write the synthetic ``pastasoss`` reference (ASDF)."""
    return _write_asdf(path, dict(pastasoss_tree()))


def write_soss_specwcs(path: str | os.PathLike[str], pastasoss: str | os.PathLike[str]) -> Path:
    """Write a SOSS ``specwcs``: per order, full-frame (y, x) -> the wavelength of column x.

    The columns' wavelengths are those of the ``pastasoss`` file's map at the
    commanded pupil-wheel position (NaN beyond the trace's ends).
    """
    from astropy.modeling.models import Mapping, Tabular1D

    from ..instruments.niriss.soss_refs import soss_content
    from ..instruments.niriss.soss_traces import soss_wavemaps

    content = soss_content(pastasoss, "pastasoss", Pastasoss)
    maps, _ = soss_wavemaps(content, PWCPOS_CMD, "SUBSTRIP256", (1, 2, 3))
    columns = np.arange(maps.shape[-1], dtype=np.float64)
    tree: dict[Any, Any] = {
        "meta": asdf_meta("specwcs", "NIRISS", exp_type="NIS_SOSS", subarray={"name": "GENERIC"})
    }
    for index, order in enumerate((1, 2, 3)):
        table = Tabular1D(
            points=columns, lookup_table=maps[index, 0], bounds_error=False, fill_value=np.nan
        )
        tree[order] = (Mapping((1,)) | table).rename(f"order{order}_wavelength")
    return _write_asdf(path, tree)


def _profile(order: int, rows: int, y0: int) -> np.ndarray:
    """Gaussian profile of ``order`` on a subarray of ``rows`` starting at SUBSTRIP256 row ``y0``."""
    y_of, _ = _splines(order)
    pad = _PROFILE_PADDING
    cols = np.arange(-pad, _COLUMNS + pad, dtype=np.float64)
    knots = soss_trace_table()[order]["x"]
    on_trace = (cols >= knots.min()) & (cols <= knots.max())
    centre = y_of(np.clip(cols, knots.min(), knots.max()))
    yy = np.arange(-pad, rows + pad, dtype=np.float64)[:, None] + y0
    prof = np.exp(-0.5 * ((yy - centre[None, :]) / _PROFILE_SIGMA) ** 2) * on_trace
    total = prof.sum(axis=0, keepdims=True)
    return np.divide(prof, total, out=np.zeros_like(prof), where=total > 0).astype(np.float32)


def write_specprofile(path: str | os.PathLike[str], subarray: str = "SUBSTRIP256") -> Path:
    """Write a ``specprofile`` for ``subarray`` (one padded ``ORDER`` image per order)."""
    rows = SUBARRAY_ROWS[subarray]
    y0 = {"SUBSTRIP256": 0, "SUBSTRIP96": 10, "FULL": -1792}[subarray]
    hdus = []
    for order in (1, 2, 3):
        hdu = fits.ImageHDU(_profile(order, rows, y0), name="ORDER", ver=order)
        hdu.header["ORDER"] = order
        hdu.header["OVERSAMP"] = 1
        hdu.header["PADDING"] = _PROFILE_PADDING
        hdus.append(hdu)
    header = reference_header(
        "specprofile", "NIRISS", EXP_TYPE="NIS_SOSS", FILTER="CLEAR", SUBARRAY=subarray
    )
    return write_reference_fits(path, header, hdus, datamodel="SpecProfileModel")


def write_speckernel(path: str | os.PathLike[str]) -> Path:
    """Write a ``speckernel``: Gaussian kernels (σ = 1 pixel) every 0.05 µm, 0.4-5.6 µm."""
    n_os, half = _KERNEL_OVERSAMPLING, _KERNEL_HALFWIDTH
    n_pix = 2 * half + 1
    pixels = np.linspace(-half, half, n_os * n_pix - (n_os - 1))
    centres = np.round(np.arange(0.4, 5.6001, 0.05), 6)
    kernel = np.exp(-0.5 * (pixels / _KERNEL_SIGMA) ** 2)
    kernels = np.repeat((kernel / kernel.sum())[:, None], centres.size, axis=1)
    waves = np.repeat(centres[None, :], pixels.size, axis=0)
    wave_hdu = fits.ImageHDU(waves.astype(np.float32), name="WAVELENGTHS")
    wave_hdu.header.update(NWAVE=centres.size, WAVEMIN=centres[0], WAVEMAX=centres[-1])
    kern_hdu = fits.ImageHDU(kernels.astype(np.float32), name="KERNELS")
    kern_hdu.header.update(SPECOS=n_os, HALFWIDT=half, INDCENTR=pixels.size // 2 + 1)
    header = reference_header("speckernel", "NIRISS", EXP_TYPE="NIS_SOSS", FILTER="CLEAR")
    return write_reference_fits(path, header, [wave_hdu, kern_hdu], datamodel="SpecKernelModel")


def write_soss_references(
    folder: str | os.PathLike[str], subarray: str = "SUBSTRIP256"
) -> dict[str, Path]:
    """Write the four SOSS references for ``subarray`` into ``folder``; reftype -> path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pastasoss = write_pastasoss(folder / "spec2x_niriss_pastasoss.asdf")
    return {
        "pastasoss": pastasoss,
        "specwcs": write_soss_specwcs(folder / "spec2x_niriss_specwcs.asdf", pastasoss),
        "specprofile": write_specprofile(
            folder / f"spec2x_niriss_specprofile_{subarray.lower()}.fits", subarray
        ),
        "speckernel": write_speckernel(folder / "spec2x_niriss_speckernel.fits"),
    }
