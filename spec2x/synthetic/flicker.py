"""Flicker (1/f) noise for clean_flicker_noise's tests and demonstrations.

:func:`flicker_stripes` draws stripes along the slow readout axis: a random
offset per readout line plus a slow wander (DN/s); :func:`add_flicker_noise`
adds them to an exposure; :func:`make_flicker_image` makes an image-mode
exposure (NIRISS or MIRI imaging: a flat sky, a few stars, stripes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..datamodel import make_exposure
from .base import rng

__all__ = ["add_flicker_noise", "flicker_stripes", "make_flicker_image"]

_IMAGE_ATTRS: dict[str, dict[str, Any]] = {
    "NIS_IMAGE": {"INSTRUME": "NIRISS", "DETECTOR": "NIS", "FILTER": "CLEAR", "PUPIL": "F150W",
                  "SLOWAXIS": -1, "FASTAXIS": 2},
    "MIR_IMAGE": {"INSTRUME": "MIRI", "DETECTOR": "MIRIMAGE", "FILTER": "F770W",
                  "SLOWAXIS": 1, "FASTAXIS": 2},
}  # fmt: skip


def flicker_stripes(
    n: int, seed: int | np.random.Generator | None, *, amplitude: float = 0.02
) -> np.ndarray:
    """``n`` stripe levels (DN/s, float32): white offsets of ``amplitude`` plus a sine of half
    that amplitude over 80 lines (the 1/f wander)."""
    gen = rng(seed)
    wander = 0.5 * amplitude * np.sin(np.arange(n) / 40.0 + gen.uniform(0, 2 * np.pi))
    return (gen.normal(0.0, amplitude, n) + wander).astype(np.float32)


def add_flicker_noise(
    ds: xr.Dataset,
    seed: int | np.random.Generator | None,
    *,
    amplitude: float = 0.02,
    axis: int = 0,
) -> xr.Dataset:
    """``ds`` with stripes added to ``sci``: one level per column (``axis=0``) or row (``1``),
    drawn anew for each integration."""
    sci = ds["sci"]
    gen = rng(seed)
    nint = sci.sizes.get("integration", 1)
    along = sci.sizes["x"] if axis == 0 else sci.sizes["y"]
    levels = np.stack([flicker_stripes(along, gen, amplitude=amplitude) for _ in range(nint)])
    dims = ("integration", "x") if axis == 0 else ("integration", "y")
    stripes = xr.DataArray(levels, dims=dims)
    if "integration" not in sci.dims:
        stripes = stripes.isel(integration=0)
    return ds.assign(sci=(sci + stripes).astype(np.float32).transpose(*sci.dims))


def make_flicker_image(
    seed: int | np.random.Generator | None,
    exp_type: str = "NIS_IMAGE",
    *,
    shape: tuple[int, ...] = (256, 256),
    sky: float = 1.0,
    noise: float = 0.05,
    stars: int = 12,
    amplitude: float = 0.02,
) -> xr.Dataset:
    """An imaging exposure (DN/s) with flicker stripes along its slow axis.

    Parameters
    ----------
    seed : random seed.
    exp_type : ``NIS_IMAGE`` or ``MIR_IMAGE`` (keywords of that mode, SUBARRAY ``SUB128`` whatever the shape).
    shape : ``(y, x)`` or ``(integration, y, x)`` (rateints).
    sky, noise : sky level and Gaussian noise (DN/s).
    stars : Gaussian sources (sigma 1.5 px, peak 5-50 times the sky).
    amplitude : stripe amplitude (DN/s); columns for MIRI, ``|SLOWAXIS|`` for NIRISS.
    """
    gen = rng(seed)
    attrs = dict(_IMAGE_ATTRS[exp_type], EXP_TYPE=exp_type, SUBARRAY="SUB128", EFFEXPTM=100.0,
                 SUBSIZE1=shape[-1], SUBSIZE2=shape[-2], SUBSTRT1=1, SUBSTRT2=1,
                 FILENAME=f"{exp_type.lower()}_rate.fits")  # fmt: skip
    ny, nx = shape[-2:]
    yy, xx = np.mgrid[:ny, :nx]
    scene = np.full((ny, nx), sky)
    for y0, x0, peak in zip(
        gen.uniform(0, ny, stars),
        gen.uniform(0, nx, stars),
        gen.uniform(5, 50, stars) * sky,
        strict=True,
    ):
        scene += peak * np.exp(-((yy - y0) ** 2 + (xx - x0) ** 2) / (2 * 1.5**2))
    sci = scene + gen.normal(0.0, noise, shape)
    variance = np.full(shape, noise**2 / 2, np.float32)
    ds = make_exposure(
        sci.astype(np.float32), var_poisson=variance, var_rnoise=variance, attrs=attrs
    )
    axis = 0 if exp_type.startswith("MIR") else abs(attrs["SLOWAXIS"]) - 1
    return add_flicker_noise(ds, gen, amplitude=amplitude, axis=axis)
