"""A synthetic NIRISS SOSS time series: ``_rateints`` with orders 1 and 2 overlapping.

Each order's spectrum (DN/s per column, ``spectrum(wavelength) x
throughput``) is spread across the trace with the Gaussian profile of the
synthetic ``specprofile`` (σ = 6 pixels), the trace and the column
wavelengths taken from the synthetic ``pastasoss`` at the exposure's
pupil-wheel position (:mod:`spec2x.synthetic.niriss_soss_refs`).  Orders 1
and 2 overlap at the red end of order 2; order 3 is left out.  A flat
background and seeded Gaussian noise are added; the keywords are those
jwst's ``assign_wcs`` and ``extract_1d`` read for ``NIS_SOSS``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import xarray as xr

from ..datamodel import make_exposure
from ..dq import DQ_DTYPE
from ..instruments.niriss.soss_traces import soss_trace
from ..modes import MODES
from .base import rng
from .niriss_soss_refs import PWCPOS_CMD, SUBARRAY_ROWS, pastasoss_content

__all__ = ["SOSS_TARGET", "default_spectrum", "make_soss_rateints", "soss_scene"]

#: Target position (deg) of the synthetic exposure.
SOSS_TARGET = {"TARG_RA": 261.21, "TARG_DEC": 65.95}
_FIRST_ROW = {"SUBSTRIP256": 1793, "SUBSTRIP96": 1803, "FULL": 1}
_FIXED: dict[str, Any] = {
    "TELESCOP": "JWST", "INSTRUME": "NIRISS", "DETECTOR": "NIS", "FILTER": "CLEAR",
    "PUPIL": "GR700XD", "READPATT": "NISRAPID", "DATE-OBS": "2023-07-22",
    "TIME-OBS": "06:24:45.569", "EXPSTART": 60147.267, "TSOVISIT": True,
    "VELOSYS": -23456.7, "SRCTYAPT": "POINT",
}  # fmt: skip


def default_spectrum(wavelength: np.ndarray) -> np.ndarray:
    """The injected spectrum (DN/s per column before the throughput): smooth with lines."""
    lines = 0.15 * np.cos(2 * np.pi * wavelength / 0.07)
    return 400.0 * (1.0 + lines) * np.exp(-0.3 * (wavelength - 1.0))


def _order_flux(
    order: int, pwcpos: float, subarray: str, spectrum: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns, rows of the trace and the flux per column (DN/s) of ``order``."""
    content = pastasoss_content()
    x, y, wavelength = soss_trace(content, order, pwcpos, subarray)
    model = content.orders[order]
    thru = np.interp(wavelength, model.throughput_wavelength, model.throughput)
    return x, y, spectrum(wavelength) * thru


def soss_scene(
    *,
    subarray: str = "SUBSTRIP256",
    pwcpos: float = PWCPOS_CMD,
    spectrum: Callable[[np.ndarray], np.ndarray] = default_spectrum,
    orders: tuple[int, ...] = (1, 2),
) -> np.ndarray:
    """The noiseless (y, x) image (DN/s) of the orders' traces, background excluded."""
    rows = SUBARRAY_ROWS[subarray]
    yy = np.arange(rows, dtype=np.float64)[:, None]
    image = np.zeros((rows, 2048))
    for order in orders:
        x, y, flux = _order_flux(order, pwcpos, subarray, spectrum)
        if subarray == "FULL":
            y = y + 1792.0
        cols = x.astype(int)
        profile = np.exp(-0.5 * ((yy - y[None, :]) / 6.0) ** 2) / (6.0 * np.sqrt(2 * np.pi))
        image[:, cols] += profile * flux[None, :]
    return image


def make_soss_rateints(
    *,
    nints: int = 3,
    subarray: str = "SUBSTRIP256",
    pwcpos: float = PWCPOS_CMD + 0.03,
    spectrum: Callable[[np.ndarray], np.ndarray] = default_spectrum,
    background: float | np.ndarray = 1.5,
    noise: float = 0.05,
    seed: int = 0,
    light_curve: np.ndarray | None = None,
    chunks: int | None = None,
    **keywords: Any,
) -> xr.Dataset:
    """A SOSS ``_rateints`` exposure (DN/s, integration x y x 2048).

    Parameters
    ----------
    nints : number of integrations (the same scene, fresh noise in each).
    subarray : SUBSTRIP256, SUBSTRIP96 or FULL.
    pwcpos : pupil-wheel position (degrees, ``PWCPOS``).
    spectrum : DN/s per column of each order before its throughput, of µm.
    background : level (or (y, x) image) added (DN/s).
    noise : standard deviation of the Gaussian noise (DN/s).
    seed : of the noise.
    light_curve : relative flux of the source in each integration (a transit:
        :func:`spec2x.synthetic.base.transit_light_curve`); None: constant.
    chunks : None: NumPy arrays; else Dask arrays of ``chunks`` integrations,
        each chunk made when computed, with noise seeded by ``(seed, chunk
        index)`` (other draws than NumPy's): an exposure larger than memory.
    keywords : more or other header keywords.
    """
    scene = soss_scene(subarray=subarray, pwcpos=pwcpos, spectrum=spectrum)
    shape = (nints, *scene.shape)
    relative = np.ones(nints) if light_curve is None else np.asarray(light_curve, np.float64)
    image = partial(_integrations, scene, background, noise)
    if chunks is None:
        sci = image(relative, rng(seed))
        variance = np.full(shape, noise**2 / 2, np.float32)
        cubes: dict[str, Any] = {"var_poisson": variance, "var_rnoise": variance}
    else:
        sci, cubes = _lazy_cubes(image, scene.shape, relative, (seed, chunks), noise)
    attrs = {
        **_FIXED,
        **SOSS_TARGET,
        "EXP_TYPE": MODES["NIS_SOSS"].exp_type,
        "SUBARRAY": subarray,
        "PWCPOS": pwcpos,
        "NINTS": nints,
    }
    attrs.update(keywords)
    mid = 60147.267 + np.arange(nints) * 0.001
    return make_exposure(
        sci,
        **cubes,
        attrs=attrs,
        ystart=_FIRST_ROW[subarray],
        int_times={
            "integration_number": np.arange(1, nints + 1),
            "int_mid_MJD_UTC": mid,
            "int_start_MJD_UTC": mid - 0.0004,
            "int_end_MJD_UTC": mid + 0.0004,
        },
    )


def _integrations(
    scene: np.ndarray,
    background: float | np.ndarray,
    noise: float,
    relative: np.ndarray,
    gen: np.random.Generator,
) -> np.ndarray:
    """(len(relative), y, x) float32 integrations: the scene at each level, background, noise."""
    sci = np.empty((relative.size, *scene.shape), np.float32)
    for i, level in enumerate(relative):  # one integration at a time: float64 only per image
        noisy = gen.normal(0.0, noise, scene.shape).astype(np.float32)
        sci[i] = noisy + (scene * level + background).astype(np.float32)
    return sci


def _seeded(image: Callable, levels: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    """``image`` with a generator made here: the same numbers however often it is computed."""
    return image(levels, np.random.default_rng(seed))


def _lazy_cubes(
    image: Callable[[np.ndarray, np.random.Generator], np.ndarray],
    shape: tuple[int, ...],
    relative: np.ndarray,
    seed_chunks: tuple[int, int],
    noise: float,
) -> tuple[Any, dict[str, Any]]:
    """Dask ``sci`` (one task per ``chunks`` integrations) and the other cubes, lazy."""
    import dask
    import dask.array as da

    seed, chunks = seed_chunks
    parts = []
    for k, start in enumerate(range(0, relative.size, chunks)):
        levels = relative[start : start + chunks]
        task = dask.delayed(_seeded, pure=True)(image, levels, (seed, k))
        parts.append(da.from_delayed(task, (levels.size, *shape), np.float32))
    sci = da.concatenate(parts)
    variance = da.full(sci.shape, noise**2 / 2, np.float32, chunks=sci.chunks)
    zeros = da.zeros(sci.shape, np.float32, chunks=sci.chunks)
    dq = da.zeros(sci.shape, DQ_DTYPE, chunks=sci.chunks)
    return sci, {"var_poisson": variance, "var_rnoise": variance, "var_flat": zeros, "dq": dq}
