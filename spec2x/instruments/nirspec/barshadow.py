"""NIRSpec MOS bar shadow: the ``barshadow`` reference and the correction of slitlets.

Called by :func:`spec2x.steps.barshadow.barshadow`; the arithmetic is in
:mod:`.barshadow_kernel`.  Each extended-source slitlet is divided by the
shadow the MSA bars cast at its pixels' position along the slit and
wavelength, read from the slit frame of its WCS (before wavecorr, as jwst);
point sources are left alone (their pathloss holds the bars).  As in jwst
3.0.0, ``err`` and the variances are scaled and DQ is not touched (no
NaN/DQ matching).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from astropy.io import fits

from ...errors import InputFileError
from ...io.references import Reference
from ...steps._scale import scale_by
from ...wcs.store import get_wcs
from . import barshadow_kernel as kern

__all__ = ["Barshadow", "bar_shadow", "read_barshadow", "slit_frame_coordinates"]


@dataclass(frozen=True)
class Barshadow:
    """Content of a NIRSpec ``barshadow`` reference (jwst ``BarshadowModel``).

    Attributes
    ----------
    data1x1, data1x3 : float32 (1001, n) throughput of one open shutter and of
        open shutters in a row, rows along the slit, columns in wavelength.
    crval1, cdelt1 : wavelength (m) of column 0 and the column step.
    cdelt2 : row step, in shutter heights.
    """

    data1x1: np.ndarray
    data1x3: np.ndarray
    crval1: float
    cdelt1: float
    cdelt2: float


def read_barshadow(path: str, header: dict[str, Any]) -> Reference:
    """Open a NIRSpec ``barshadow`` FITS file (extensions ``DATA1X1``, ``DATA1X3``)."""
    with fits.open(path, memmap=False) as hdul:
        for name in ("DATA1X1", "DATA1X3"):
            if name not in hdul:
                raise InputFileError(f"{path} has no {name} extension; is it a barshadow file?")
        h = hdul["DATA1X1"].header
        missing = [k for k in ("CRVAL1", "CDELT1", "CDELT2") if k not in h]
        if missing:
            raise InputFileError(f"{path}: DATA1X1 lacks {', '.join(missing)}")
        content = Barshadow(
            np.asarray(hdul["DATA1X1"].data, np.float32),
            np.asarray(hdul["DATA1X3"].data, np.float32),
            float(h["CRVAL1"]),
            float(h["CDELT1"]),
            float(h["CDELT2"]),
        )
    return Reference("barshadow", path, header, content)


def slit_frame_coordinates(
    ds: xr.Dataset, only: np.ndarray | None = None
) -> tuple[xr.DataArray, xr.DataArray]:
    """``y_slit`` and the slit-frame wavelength (m) of every pixel, from each slit's WCS.

    NaN on padding (beyond ``xsize``/``ysize``) and where the WCS gives none;
    ``only`` (bool per slit): the slits to evaluate, the others all NaN.
    """
    ny, nx = ds.sizes["y"], ds.sizes["x"]
    yy, xx = np.mgrid[0:ny, 0:nx].astype(np.float64)
    y_slit = np.full((ds.sizes["slit"], ny, nx), np.nan)
    lam = np.full_like(y_slit, np.nan)
    sizes = zip(np.asarray(ds["ysize"].values), np.asarray(ds["xsize"].values), strict=True)
    names = np.asarray(ds["slit_name"].values).astype(str)
    wanted = np.ones(names.size, bool) if only is None else np.asarray(only, bool)
    for i, (name, (ys, xs)) in enumerate(zip(names, sizes, strict=True)):
        if not wanted[i]:
            continue
        w = get_wcs(ds, name)
        d2s = w.get_transform(w.available_frames[0], "slit_frame")
        _, y_slit[i, :ys, :xs], lam[i, :ys, :xs] = d2s(xx[:ys, :xs], yy[:ys, :xs])
    dims = ("slit", "y", "x")
    return xr.DataArray(y_slit, dims=dims), xr.DataArray(lam, dims=dims, attrs={"units": "m"})


def _uniform(ds: xr.Dataset, source_type: str | None) -> np.ndarray:
    """Whether each slit is corrected: not a point source (unset counts as extended)."""
    n = ds.sizes["slit"]
    if source_type is not None:
        kinds = np.full(n, source_type)
    elif "srctype" in ds.coords:
        kinds = np.asarray(ds["srctype"].values).astype(str)
    else:
        kinds = np.full(n, "")
    return np.char.upper(np.char.strip(kinds)) != "POINT"


def bar_shadow(
    ds: xr.Dataset,
    shadows: Reference,
    *,
    inverse: bool = False,
    source_type: str | None = None,
    overwrite: bool = False,
) -> xr.Dataset:
    """Divide (``inverse``: multiply) extended-source MOS slitlets by their bar shadow.

    Parameters
    ----------
    ds : MOS slits product with per-slit ``slit_name``, ``shutter_state``,
        ``slit_yscale``, ``srctype`` and a stored per-slit WCS.
    shadows : opened ``barshadow`` reference (:class:`Barshadow` content).
    inverse : multiply instead of divide.
    source_type : force every slit to this type (jwst ``source_type``).
    overwrite : write the results into the pixel arrays of ``ds`` (NumPy-backed
        data) instead of new ones, for a caller that owns them (the chain,
        :mod:`spec2x.ownership`): ``ds`` is changed.

    Returns
    -------
    The corrected Dataset with variable ``barshadow`` (slit, y, x) (1 on
    slitlets not corrected, NaN on padding) and per-slit ``barshadow_corrected``.
    """
    content: Barshadow = shadows.content
    states = np.asarray(ds["shutter_state"].values).astype(str)
    yscale = np.asarray(ds["slit_yscale"].values, np.float64)
    uniform = _uniform(ds, source_type)
    corrected = uniform & (np.char.str_len(states) > 0)
    y_slit, lam = slit_frame_coordinates(ds, only=corrected)  # the others' shadow is 1
    shadow = xr.apply_ufunc(
        kern.correction,
        y_slit,
        lam,
        kwargs={
            "states": states,
            "yscale": yscale,
            "uniform": uniform,
            "data1x1": content.data1x1,
            "data1x3": content.data1x3,
            "crval1": content.crval1,
            "cdelt1": content.cdelt1,
            "cdelt2": content.cdelt2,
        },
        dask="parallelized",
        output_dtypes=[np.float64],
    )
    ysize = np.asarray(ds["ysize"].values)[:, None, None]
    xsize = np.asarray(ds["xsize"].values)[:, None, None]
    pad = (np.arange(ds.sizes["y"])[None, :, None] >= ysize) | (
        np.arange(ds.sizes["x"])[None, None, :] >= xsize
    )
    inside = xr.DataArray(~pad, dims=("slit", "y", "x"))
    out = scale_by(
        ds, shadow.where(inside, 1.0), operation="multiply" if inverse else "divide",
        match_nans=False, overwrite=overwrite,
    )  # fmt: skip
    # padding NaN, as in every float array of padded slits (a file has no padding to hold 1)
    stored = shadow.where(inside).astype(np.float32).assign_attrs(units="")
    return out.assign(barshadow=stored).assign_coords(barshadow_corrected=("slit", corrected))
