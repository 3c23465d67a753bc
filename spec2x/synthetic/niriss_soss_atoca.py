"""A SOSS scene that follows ATOCA's own detector model: the inject-and-recover truth.

:func:`spec2x.synthetic.niriss_soss.soss_scene` spreads ``spectrum x
throughput`` over each column; no single spectrum reproduces both orders
through ATOCA's model (which integrates ``T(λ) λ f(λ)`` over each pixel's
wavelength width, about twice as wide in order 1 as in order 2), and its
trace is the pastasoss one at the exposure's PWCPOS while the ``specprofile``
is fixed.  Here each order's image is ATOCA's model (the references'
profile, throughput and kernels, jwst's pixel integral) of one spectrum on
a fine grid, so an exact decontamination is possible (docs/parity.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import xarray as xr

from ..instruments.niriss.soss_atoca_grid import native_grid
from ..instruments.niriss.soss_atoca_model import linear_model
from ..instruments.niriss.soss_atoca_setup import exposure_setup

__all__ = ["atoca_model_scene"]

_BLUE_END = 0.77  # µm: jwst's default blue end of the joint fit
_OVERSAMPLING = 4


def _flux_density(wavelength: np.ndarray) -> np.ndarray:
    """Default spectrum of the scene (DN/s/µm/µm before the throughput): smooth with lines."""
    lines = 0.15 * np.cos(2 * np.pi * wavelength / 0.07)
    return 4e5 * (1.0 + lines) * np.exp(-0.3 * (wavelength - 1.0)) / wavelength


def atoca_model_scene(
    ds: xr.Dataset,
    refs: Mapping[str, Any],
    spectrum: Callable[[np.ndarray], np.ndarray] = _flux_density,
) -> dict[int, np.ndarray]:
    """Order -> noiseless (y, x) image (DN/s) of orders 1 and 2 as ATOCA models ``spectrum``.

    Parameters
    ----------
    ds : a SOSS exposure giving the geometry (``PWCPOS``, ``SUBARRAY``).
    refs : ``pastasoss``, ``specprofile`` and ``speckernel`` (paths or contents).
    spectrum : of µm, the spectrum ATOCA fits (``f``: the count rate of a pixel
        is its profile times the integral of ``T λ (K f)`` over its wavelengths).
        The model spans 0.77 µm to order 1's red end (oversampled 4x).
    """
    opts = {"soss_order_3": False, "soss_width": 40.0, "soss_threshold": 1e-2}
    setup = exposure_setup(ds, refs, opts)
    orders = [setup.orders[1], setup.orders[2]]
    grid = np.union1d(
        native_grid(setup.trace_wave[1][1], _OVERSAMPLING),
        native_grid(setup.trace_wave[2][1], _OVERSAMPLING),
    )
    grid = grid[grid > _BLUE_END]
    everywhere = np.zeros(orders[0].profile.shape, dtype=bool)
    model = linear_model(
        orders, grid, [everywhere, everywhere], [setup.kernels[1], setup.kernels[2]]
    )
    f = spectrum(grid)
    return {order: np.nan_to_num(model.rebuild(f, i)) for i, order in enumerate((1, 2))}
