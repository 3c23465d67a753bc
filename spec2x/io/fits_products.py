"""Dispatch of every product kind (exposure, slits, spectra, cube) to its FITS layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from astropy.io import fits

from ..datamodel import kind
from .fits_exposure import exposure_hdus, read_exposure
from .fits_raw import RawImageHDU
from .fits_slits import grouped_slits_hdus, read_slits, slits_hdus
from .fits_spectra import read_spectra, spectra_hdus
from .fits_wfss_spectra import WFSS_MODEL, read_wfss_spectra, wfss_spectra_hdus

__all__ = ["datamodel_name", "is_multi", "product_hdus", "read_product"]

_EXPOSURE_MODELS = {2: ("ImageModel", "IFUImageModel"), 3: ("CubeModel",)}
_MODELS = {
    "slits": ("MultiSlitModel", "SlitModel"),
    "spectra": ("MultiSpecModel", "TSOMultiSpecModel", "MRSMultiSpecModel", WFSS_MODEL),
    "cube": ("IFUCubeModel",),
}


def datamodel_name(ds: xr.Dataset) -> str:
    """The jwst model class ``ds`` is written as (from attrs["DATAMODL"] and its dims)."""
    found = kind(ds)
    given = ds.attrs.get("DATAMODL")
    if found == "exposure":
        allowed = _EXPOSURE_MODELS.get(ds["sci"].ndim, ())
        return given if given in allowed else allowed[0] if allowed else "ImageModel"
    allowed = _MODELS[found]
    if given in allowed:
        if given == "SlitModel" and ds.sizes["slit"] != 1:
            return "MultiSlitModel"
        return str(given)
    if found == "spectra":
        return "TSOMultiSpecModel" if "integration" in ds["flux"].dims else "MultiSpecModel"
    return allowed[0]


def product_hdus(ds: xr.Dataset | xr.DataTree, filename: str) -> list[Any]:
    """The HDUs of ``ds`` (a DataTree of slit groups: one MultiSlitModel) as jwst lays them out."""
    if isinstance(ds, xr.DataTree):
        return grouped_slits_hdus(ds, "MultiSlitModel", filename)
    model = datamodel_name(ds)
    if kind(ds) == "exposure":
        return exposure_hdus(ds, model, filename)
    if model in _MODELS["slits"]:
        return slits_hdus(ds, model, filename)
    if model == WFSS_MODEL:
        return wfss_spectra_hdus(ds, filename)
    if model in _MODELS["spectra"]:
        return spectra_hdus(ds, model, filename)
    hdus = exposure_hdus(ds, model, filename)
    for hdu in hdus:
        if hdu.name == "ERR":
            (hdu.keywords if isinstance(hdu, RawImageHDU) else hdu.header)["ERRTYPE"] = "ERR"
    return [*hdus[:-1], _wavetable_hdu(ds), hdus[-1]]


def _wavetable_hdu(ds: xr.Dataset) -> fits.BinTableHDU:
    """jwst's ``WCS-TABLE`` of a cube: its plane wavelengths (µm, float32) in one (1, n) cell."""
    wave = np.asarray(ds["wavelength"].values, np.float32)
    column = fits.Column(name="wavelength", format=f"{wave.size}E", dim=f"(1,{wave.size})",
                         unit="um", array=wave[None, :, None])  # fmt: skip
    return fits.BinTableHDU.from_columns([column], name="WCS-TABLE")


def is_multi(hdul: fits.HDUList, model: str) -> bool:
    """True for a slits file (MultiSlitModel/SlitModel, or several SCI extensions)."""
    if model in _MODELS["slits"]:
        return True
    return sum(1 for hdu in hdul if hdu.name == "SCI") > 1


def read_product(
    path: Path, hdul: fits.HDUList, model: str, chunks: Any
) -> xr.Dataset | xr.DataTree:
    """Read a slits, spectra or cube file."""
    names = {hdu.name for hdu in hdul}
    if "EXTRACT1D" in names and model == WFSS_MODEL:
        out = read_wfss_spectra(path, hdul)
        return out if chunks is None else out.chunk({"slit": 1} if chunks == "auto" else chunks)
    if "EXTRACT1D" in names:
        return read_spectra(path, hdul, model, chunks)
    if model == "IFUCubeModel":
        ds = read_exposure(path, hdul, model, chunks, dims=("wavelength", "y", "x"))
        ds.attrs.pop("ERRTYPE", None)
        return ds
    return read_slits(path, hdul, model, chunks)
