"""Small seeded 2-D spectra with bad pixels, for the pixel_replace tests."""

from __future__ import annotations

import numpy as np
import xarray as xr

from spec2x import make_exposure
from spec2x.dq import DQ

VARIANCES = ("var_poisson", "var_rnoise", "var_flat")


def spectrum_arrays(
    shape: tuple[int, ...], dispaxis: int, seed: int, bad_fraction: float = 0.03
) -> dict[str, np.ndarray]:
    """A Gaussian trace over a sloped continuum with noise, ``shape`` ``(..., y, x)``;
    random ``DO_NOT_USE`` pixels are NaN, the first spatial row/column is
    ``DO_NOT_USE | NON_SCIENCE`` and NaN."""
    gen = np.random.default_rng(seed)
    ny, nx = shape[-2:]
    spatial, spectral = (
        (np.arange(ny), np.arange(nx)) if dispaxis == 1 else (np.arange(nx), np.arange(ny))
    )
    centre = len(spatial) / 2 + 0.3
    profile = np.exp(-0.5 * ((spatial - centre) / 1.6) ** 2)
    continuum = 200.0 + 3.0 * spectral
    image = (
        profile[:, None] * continuum[None, :]
        if dispaxis == 1
        else continuum[:, None] * profile[None, :]
    )
    sci = np.broadcast_to(image, shape) + gen.normal(0.0, 2.0, shape)
    var_poisson = np.abs(sci) * 0.01 + 0.1
    var_rnoise = np.full(shape, 4.0)
    var_flat = gen.uniform(0.0, 0.5, shape)
    err = np.sqrt(var_poisson + var_rnoise + var_flat)
    dq = np.where(gen.random(shape) < bad_fraction, DQ.DO_NOT_USE, 0).astype(np.uint32)
    edge = (..., 0, slice(None)) if dispaxis == 1 else (..., slice(None), 0)
    dq[edge] |= np.uint32(DQ.DO_NOT_USE | DQ.NON_SCIENCE)
    sci = np.where(dq & DQ.DO_NOT_USE, np.nan, sci)
    arrays = {"sci": sci, "err": err, "var_poisson": var_poisson, "var_rnoise": var_rnoise,
              "var_flat": var_flat}  # fmt: skip
    out = {k: v.astype(np.float32) for k, v in arrays.items()}
    out["dq"] = dq
    return out


def exposure(shape: tuple[int, ...], dispaxis: int, seed: int, exp_type: str) -> xr.Dataset:
    """:func:`spectrum_arrays` as a spec2x exposure of ``exp_type``."""
    arrays = spectrum_arrays(shape, dispaxis, seed)
    sci = arrays.pop("sci")
    return make_exposure(sci, **arrays, attrs={"EXP_TYPE": exp_type, "DISPAXIS": dispaxis})


def slits(
    shapes: list[tuple[int, int]], seed: int
) -> tuple[xr.Dataset, list[dict[str, np.ndarray]]]:
    """NIRSpec fixed slits (``DISPAXIS = 1``) of these shapes padded to one ``(slit, y, x)``
    Dataset, and each slit's own arrays."""
    each = [spectrum_arrays(s, 1, seed + i) for i, s in enumerate(shapes)]
    ny = max(s[0] for s in shapes)
    nx = max(s[1] for s in shapes)
    data = {}
    for name in ("sci", "err", "dq", *VARIANCES):
        fill = DQ.DO_NOT_USE | DQ.NON_SCIENCE if name == "dq" else np.nan
        stack = np.full((len(shapes), ny, nx), fill, each[0][name].dtype)
        for i, arrays in enumerate(each):
            stack[i, : shapes[i][0], : shapes[i][1]] = arrays[name]
        data[name] = (("slit", "y", "x"), stack)
    coords = {
        "ysize": ("slit", np.array([s[0] for s in shapes])),
        "xsize": ("slit", np.array([s[1] for s in shapes])),
    }
    ds = xr.Dataset(data, coords=coords, attrs={"EXP_TYPE": "NRS_FIXEDSLIT", "DISPAXIS": 1})
    return ds, each
