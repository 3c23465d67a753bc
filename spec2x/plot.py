"""Quick-look figures of spec2x products (matplotlib, no display needed)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .datamodel import kind
from .errors import InputFileError

__all__ = ["plot_image", "plot_spectrum", "plot_white_light", "quicklook", "summary_figure"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_spectrum(x1d: xr.Dataset, ax: Any = None, *, truth: tuple[Any, Any] | None = None) -> Any:
    """Flux against wavelength, one line per spectrum (slit or order; TSO: the median spectrum).

    ``truth`` is an optional ``(wavelength µm, flux)`` pair drawn for comparison,
    in the units of ``flux``.
    """
    plt = _pyplot()
    ax = ax if ax is not None else plt.figure(figsize=(7, 3.5)).add_subplot()
    flux, wave = x1d["flux"], x1d["wavelength"]
    if "integration" in flux.dims:
        flux = flux.median("integration")
        wave = wave.isel(integration=0) if "integration" in wave.dims else wave
    lead = [d for d in flux.dims if d != "spectral"]
    if lead:
        for i in range(flux.sizes[lead[0]]):
            label = str(flux[lead[0]].values[i]) if lead[0] in flux.coords else f"{lead[0]} {i}"
            if "slit_name" in flux.coords:
                label = str(flux["slit_name"].values[i])
            w = wave.isel({lead[0]: i}) if lead[0] in wave.dims else wave
            ax.plot(w, flux.isel({lead[0]: i}), lw=0.8, label=label)
        ax.legend(fontsize="small")
    else:
        ax.plot(wave, flux, lw=0.8, label="spec2x")
    if truth is not None:
        ax.plot(truth[0], truth[1], "k--", lw=0.8, label="injected")
        ax.legend(fontsize="small")
    ax.set_xlabel("wavelength (µm)")
    ax.set_ylabel(f"flux ({flux.attrs.get('units', '')})")
    return ax


def plot_image(img: xr.Dataset, ax: Any = None, *, slit: int = 0, variable: str = "sci") -> Any:
    """A 2-D image (one slit of a slit product), scaled to its 1-99 percentiles."""
    plt = _pyplot()
    ax = ax if ax is not None else plt.figure(figsize=(7, 3.5)).add_subplot()
    data = img[variable]
    if "slit" in data.dims:
        data = data.isel(slit=slit)
    if "integration" in data.dims:
        data = data.median("integration")
    arr = np.asarray(data, dtype=float)
    finite = arr[np.isfinite(arr)]
    lo, hi = np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0)
    ax.imshow(
        arr,
        origin="lower",
        aspect="auto",
        vmin=lo,
        vmax=hi,
        cmap="viridis",
        interpolation="nearest",
    )
    ax.set_xlabel("x (pixel)")
    ax.set_ylabel("y (pixel)")
    ax.set_title(f"{variable} ({data.attrs.get('units', '')})", fontsize="small")
    return ax


def plot_white_light(x1dints: xr.Dataset, ax: Any = None) -> Any:
    """The white-light curve of a TSO: summed flux per integration, normalised to its median."""
    plt = _pyplot()
    ax = ax if ax is not None else plt.figure(figsize=(7, 3)).add_subplot()
    white = x1dints["flux"].sum("spectral", skipna=True)
    time_name = next(
        (c for c in x1dints.coords if str(c).lower().endswith("int_mid_mjd_utc")), None
    )
    t = x1dints[time_name] if time_name else x1dints["integration"]
    curve = np.asarray(white / white.median())
    ax.plot(np.asarray(t), curve, ".", ms=3)
    ax.set_xlabel("MJD (UTC)" if time_name else "integration")
    ax.set_ylabel("relative white-light flux")
    return ax


def summary_figure(
    products: Mapping[str, xr.Dataset],
    out: str | os.PathLike[str],
    *,
    truth: tuple[Any, Any] | None = None,
    title: str = "",
) -> Path:
    """One PNG with the rectified image, the spectrum and, for a TSO, the white-light curve."""
    plt = _pyplot()
    panels = [k for k in ("s2d", "x1d") if k in products] or [k for k in ("cal",) if k in products]
    tso = "x1d" in products and "integration" in products["x1d"].dims
    n = len(panels) + int(tso)
    fig, axes = plt.subplots(n, 1, figsize=(8, 3 * n), squeeze=False)
    for ax, name in zip(axes[:, 0], panels, strict=False):
        if name == "x1d":
            plot_spectrum(products[name], ax, truth=truth)
        else:
            plot_image(products[name], ax)
            ax.set_title(f"{name}: {ax.get_title()}", fontsize="small")
    if tso:
        plot_white_light(products["x1d"], axes[-1, 0])
    fig.suptitle(title, fontsize="medium")
    fig.tight_layout()
    return _save(fig, out)


def quicklook(product: xr.Dataset | str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write a quick-look PNG of a product (Dataset or file: FITS or Zarr)."""
    ds = _open(product) if not isinstance(product, xr.Dataset) else product
    plt = _pyplot()
    found = kind(ds)
    if found == "spectra":
        n = 2 if "integration" in ds.dims else 1
        fig, axes = plt.subplots(n, 1, figsize=(7, 3.2 * n), squeeze=False)
        plot_spectrum(ds, axes[0, 0])
        if n == 2:
            plot_white_light(ds, axes[1, 0])
    elif found == "cube":
        fig, ax = plt.subplots(figsize=(5, 5))
        img = ds["sci"].median("wavelength")
        ax.imshow(np.asarray(img), origin="lower", cmap="viridis")
    else:
        nslit = ds.sizes.get("slit", 1)
        fig, axes = plt.subplots(nslit, 1, figsize=(7, 2.5 * nslit), squeeze=False)
        for i in range(nslit):
            plot_image(ds, axes[i, 0], slit=i)
    fig.tight_layout()
    return _save(fig, out)


def _open(path: str | os.PathLike[str]) -> xr.Dataset:
    from .io import open_product

    if not os.path.exists(path) and "://" not in str(path):
        raise InputFileError(f"{path} does not exist")
    from .slits import merge

    product = open_product(path)
    return merge(product) if isinstance(product, xr.DataTree) else product


def _save(fig: Any, out: str | os.PathLike[str]) -> Path:
    plt = _pyplot()
    out = Path(out)
    tmp = out.with_name(f".{out.stem}.tmp{out.suffix}")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, out)
    return out
