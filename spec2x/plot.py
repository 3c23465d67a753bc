"""Quick-look figures of spec2x products (matplotlib, no display needed).

Image panels carry a colour bar and a wavelength axis (µm, beside the pixel
axis along the dispersion direction); their pixels are square unless a slit
is more than :data:`WIDEST` times wider than tall (NIRSpec), where the slit is
stretched to that ratio. Time-series panels show one integration (chosen by
its 1-based number) or the median of all, and say which in their title.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .datamodel import kind
from .errors import InputFileError, ParameterError

__all__ = ["plot_image", "plot_spectrum", "plot_white_light", "quicklook", "summary_figure"]

#: The widest an image panel is drawn (width / height); wider slits are stretched to it.
WIDEST = 5.0


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pick_integration(da: xr.DataArray, integration: int | None) -> tuple[xr.DataArray, str]:
    """One integration of ``da`` (by its 1-based number), or the median of all; and what it is.

    Returns ``da`` and an empty text when it has no ``integration`` dimension.

    Raises
    ------
    ParameterError
        No integration of that number.
    """
    if "integration" not in da.dims:
        return da, ""
    n = da.sizes["integration"]
    if integration is None:
        return da.median("integration"), f"median of {n} integrations"
    numbers = np.asarray(da["integration"]) if "integration" in da.coords else np.arange(1, n + 1)
    hits = np.flatnonzero(numbers == integration)
    if not hits.size:
        raise ParameterError(
            f"integration {integration}: the product has integrations "
            f"{numbers.min()} to {numbers.max()}; choose one of them"
        )
    return da.isel(integration=int(hits[0])), f"integration {integration} of {n}"


def plot_spectrum(
    x1d: xr.Dataset,
    ax: Any = None,
    *,
    truth: tuple[Any, Any] | None = None,
    integration: int | None = None,
) -> Any:
    """Flux against wavelength, one line per spectrum (slit or order).

    A time series shows ``integration`` (its 1-based number) or, if None, the
    median spectrum; the title says which. ``truth`` is an optional
    ``(wavelength µm, flux)`` pair drawn for comparison, in the units of ``flux``.
    """
    plt = _pyplot()
    ax = ax if ax is not None else plt.figure(figsize=(7, 3.5)).add_subplot()
    flux, which = pick_integration(x1d["flux"], integration)
    wave = x1d["wavelength"]
    if "integration" in wave.dims:  # the median spectrum is drawn at the first one's wavelengths
        wave = (
            wave.isel(integration=0)
            if integration is None
            else pick_integration(wave, integration)[0]
        )
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
    if which:
        ax.set_title(f"spectrum, {which}", fontsize="small")
    return ax


def _quiet_nanmedian(arr: np.ndarray, axis: int | None = None) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows are expected
        return np.nanmedian(arr, axis=axis)


def dispersion_axis(data: xr.DataArray, attrs: Mapping[str, Any]) -> int:
    """The dispersion direction of a 2-D ``(y, x)`` image: 1 along x, 2 along y.

    ``DISPAXIS`` when the product has it, else the axis along which the
    ``wavelength`` coordinate changes most.
    """
    given = attrs.get("DISPAXIS")
    if given in (1, 2):
        return int(given)
    if "wavelength" not in data.coords or data["wavelength"].ndim != 2:
        return 1
    wave = np.asarray(data["wavelength"].transpose(*data.dims), dtype=float)
    along_x = _quiet_nanmedian(np.abs(np.diff(wave, axis=1))) if wave.shape[1] > 1 else 0.0
    along_y = _quiet_nanmedian(np.abs(np.diff(wave, axis=0))) if wave.shape[0] > 1 else 0.0
    return 2 if np.nan_to_num(along_y) > np.nan_to_num(along_x) else 1


def _wavelength_axis(ax: Any, data: xr.DataArray, axis: int) -> None:
    """Label the dispersion direction in µm on a secondary axis (top or right)."""
    if "wavelength" not in data.coords or data["wavelength"].ndim != 2:
        return
    from matplotlib.ticker import MaxNLocator

    wave = np.asarray(data["wavelength"].transpose(*data.dims), dtype=float)
    dim = data.dims[1] if axis == 1 else data.dims[0]
    profile = _quiet_nanmedian(wave, axis=0 if axis == 1 else 1)
    pixels = np.asarray(data[dim], float) if dim in data.coords else np.arange(data.sizes[dim])
    good = np.isfinite(profile)
    if good.sum() < 2:
        return
    order = np.argsort(profile[good])
    lam, pos = profile[good][order], pixels[good][order]
    ticks = [t for t in MaxNLocator(nbins=6).tick_values(lam[0], lam[-1]) if lam[0] <= t <= lam[-1]]
    where = np.interp(ticks, lam, pos)
    labels = [f"{t:g}" for t in ticks]
    if axis == 1:
        sec = ax.secondary_xaxis("top")
        sec.set_xlabel("wavelength (µm)")
    else:
        sec = ax.secondary_yaxis("right")
        sec.set_ylabel("wavelength (µm)")
    sec.set_ticks(where, labels=labels)


def panel_aspect(ny: int, nx: int) -> float:
    """The ``imshow`` aspect of an ``ny`` × ``nx`` image: 1 (square pixels) unless too wide."""
    ratio = ny / max(nx, 1)
    return max(1.0, 1.0 / (WIDEST * ratio)) if ratio > 0 else 1.0


def _image_2d(
    img: xr.Dataset, variable: str, slit: int, integration: int | None
) -> tuple[xr.DataArray, str]:
    data = img[variable]
    if "slit" in data.dims:
        data = data.isel(slit=slit)
    data, which = pick_integration(data, integration)
    extra = [d for d in data.dims if d not in ("y", "x")]
    if extra:  # anything else (a cube's wavelength): its median
        data = data.median(extra)
    return data.transpose("y", "x") if {"y", "x"} <= set(data.dims) else data, which


def plot_image(
    img: xr.Dataset,
    ax: Any = None,
    *,
    slit: int = 0,
    variable: str = "sci",
    integration: int | None = None,
) -> Any:
    """A 2-D image (one slit of a slit product) with a colour bar and a wavelength axis.

    Scaled to its 1-99 percentiles. A time series shows ``integration`` (its
    1-based number) or, if None, the median of all; the title says which.
    """
    plt = _pyplot()
    ax = ax if ax is not None else plt.figure(figsize=(7, 3.5)).add_subplot()
    data, which = _image_2d(img, variable, slit, integration)
    arr = np.asarray(data, dtype=float)
    finite = arr[np.isfinite(arr)]
    lo, hi = np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0)
    ydim, xdim = data.dims
    ys = np.asarray(data[ydim], float) if ydim in data.coords else np.arange(arr.shape[0])
    xs = np.asarray(data[xdim], float) if xdim in data.coords else np.arange(arr.shape[1])
    shown = ax.imshow(
        arr,
        origin="lower",
        aspect=panel_aspect(*arr.shape),
        extent=(xs[0] - 0.5, xs[-1] + 0.5, ys[0] - 0.5, ys[-1] + 0.5),
        vmin=lo,
        vmax=hi,
        cmap="viridis",
        interpolation="nearest",
    )
    axis = dispersion_axis(data, img.attrs)
    _wavelength_axis(ax, data, axis)
    units = data.attrs.get("units", img[variable].attrs.get("units", ""))
    ax.figure.colorbar(shown, ax=ax, label=f"{variable} ({units})", pad=0.15 if axis == 2 else 0.02)
    ax.set_xlabel("x (pixel)")
    ax.set_ylabel("y (pixel)")
    words = [variable]
    if "slit" in img.dims and "slit_name" in img.coords:
        words.append(f"slit {img['slit_name'].values[slit]}")
    ax.set_title(", ".join([*words, *([which] if which else [])]), fontsize="small")
    return ax


def plot_white_light(x1dints: xr.Dataset, ax: Any = None) -> Any:
    """The white-light curve of a TSO: summed flux per integration, normalised to its median
    (one curve per order or slit where there are several, as for NIRISS SOSS)."""
    plt = _pyplot()
    ax = ax if ax is not None else plt.figure(figsize=(7, 3)).add_subplot()
    white = x1dints["flux"].sum("spectral", skipna=True)
    time_name = next(
        (c for c in x1dints.coords if str(c).lower().endswith("int_mid_mjd_utc")), None
    )
    t = x1dints[time_name] if time_name else x1dints["integration"]
    lead = [d for d in white.dims if d != "integration"]
    curves = white.transpose(*lead, "integration") / white.median("integration")
    for i, curve in enumerate(np.atleast_2d(np.asarray(curves))):
        ax.plot(np.asarray(t), curve, ".", ms=3, label=f"{lead[0]} {i + 1}" if lead else None)
    if lead:
        ax.legend(fontsize="small")
    ax.set_xlabel("MJD (UTC)" if time_name else "integration")
    ax.set_ylabel("relative white-light flux")
    ax.set_title(f"white light, all {x1dints.sizes['integration']} integrations", fontsize="small")
    return ax


def _is_tall(img: xr.Dataset) -> bool:
    return img.sizes.get("y", 1) > img.sizes.get("x", 1)


def summary_figure(
    products: Mapping[str, xr.Dataset],
    out: str | os.PathLike[str],
    *,
    truth: tuple[Any, Any] | None = None,
    title: str = "",
    integration: int | None = None,
) -> Path:
    """One PNG with the rectified image (a cube: its wavelength-median plane), the spectrum and,
    for a TSO, the white-light curve.

    A tall image (MIRI LRS) goes on the left of the other panels, a wide one
    (NIRSpec) above them. ``integration`` as in :func:`plot_image`.
    """
    plt = _pyplot()
    image = (
        next(k for k in ("s2d", "s3d") if k in products)
        if "s2d" in products or "s3d" in products
        else "cal"
        if "cal" in products and "x1d" not in products
        else None
    )
    others = [k for k in ("x1d",) if k in products]
    if "x1d" in products and "integration" in products["x1d"].dims:
        others.append("white")
    if image is not None and _is_tall(products[image]) and others:
        layout, size, ratios = [[image, o] for o in others], (11, 7), [1.0, 2.5]
    else:
        names = ([image] if image else []) + others
        layout, size, ratios = [[n] for n in names], (8, 3 * len(names)), [1.0]
    fig, axd = plt.subplot_mosaic(layout, figsize=size, width_ratios=ratios, layout="constrained")
    if image is not None:
        plot_image(products[image], axd[image], integration=integration)
        axd[image].set_title(f"{image}: {axd[image].get_title()}", fontsize="small")
    if "x1d" in products:
        plot_spectrum(products["x1d"], axd["x1d"], truth=truth, integration=integration)
    if "white" in axd:
        plot_white_light(products["x1d"], axd["white"])
    fig.suptitle(title, fontsize="medium")
    return _save(fig, out)


def _image_figure(ds: xr.Dataset, integration: int | None) -> Any:
    plt = _pyplot()
    nslit = ds.sizes.get("slit", 1)
    ratio = ds.sizes.get("y", 1) / max(ds.sizes.get("x", 1), 1)
    if ratio > 1:  # tall slits side by side
        size, grid = (nslit * (5.6 / ratio + 2.8), 7.0), (1, nslit)
    else:
        size, grid = (7.5, nslit * (6.0 * max(ratio, 1 / WIDEST) + 1.6)), (nslit, 1)
    fig, axes = plt.subplots(*grid, figsize=size, squeeze=False, layout="constrained")
    for i, ax in enumerate(axes.ravel()):
        plot_image(ds, ax, slit=i, integration=integration)
    return fig


def quicklook(
    product: xr.Dataset | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    integration: int | None = None,
) -> Path:
    """Write a quick-look PNG of a product (Dataset, FITS file or Zarr store).

    ``integration`` picks one integration of a time series (1-based number);
    None shows the median. Titles say which.
    """
    ds = _open(product) if not isinstance(product, xr.Dataset) else product
    plt = _pyplot()
    found = kind(ds)
    if found == "spectra":
        n = 2 if "integration" in ds.dims else 1
        fig, axes = plt.subplots(n, 1, figsize=(7, 3.2 * n), squeeze=False, layout="constrained")
        plot_spectrum(ds, axes[0, 0], integration=integration)
        if n == 2:
            plot_white_light(ds, axes[1, 0])
    elif found == "cube":
        fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
        img = ds["sci"].median("wavelength")
        shown = ax.imshow(np.asarray(img), origin="lower", cmap="viridis")
        fig.colorbar(shown, ax=ax, label=f"sci ({ds['sci'].attrs.get('units', '')})")
        ax.set_title("sci, median over wavelength", fontsize="small")
    else:
        fig = _image_figure(ds, integration)
    return _save(fig, out)


def _open(path: str | os.PathLike[str]) -> xr.Dataset:
    from .io import open_product, open_zarr

    text = os.fspath(path)
    remote = "://" in text
    if not remote and not os.path.exists(text):
        raise InputFileError(f"{path} does not exist")
    from .slits import merge

    zarr = remote or text.rstrip("/").endswith(".zarr") or os.path.isdir(text)
    product = open_zarr(text) if zarr else open_product(text)
    return merge(product) if isinstance(product, xr.DataTree) else product


def _save(fig: Any, out: str | os.PathLike[str]) -> Path:
    plt = _pyplot()
    out = Path(out)
    tmp = out.with_name(f".{out.stem}.tmp{out.suffix}")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, out)
    return out
