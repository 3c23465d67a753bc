"""jwst-format FITS: write a product Dataset, read a jwst product into a Dataset.

The files follow jwst's layout (primary header, ``SCI``/``ERR``/``DQ``/``VAR_*``
image extensions, ``INT_TIMES`` table, ``ASDF`` extension holding the WCS), so
jwst's datamodels ``open`` reads what :func:`write_fits` writes as
the model named by ``DATAMODL``, and :func:`open_product` reads files that jwst
wrote.  Keywords go to the header jwst reads them from
(:mod:`spec2x.io.fits_keywords`).  What a FITS header cannot hold exactly
(non-ASCII strings, NaN, nested attrs, variable attrs, dtypes of coords) rides
in a ``spec2x`` node of the ASDF extension, so a spec2x -> FITS -> spec2x
round trip is exact; the reader adds ``FILENAME`` and ``DATAMODL``.

The layouts live below: :mod:`spec2x.io.fits_exposure` (exposures and the
shared per-extension pieces), :mod:`spec2x.io.fits_slits`,
:mod:`spec2x.io.fits_spectra`, dispatched by :mod:`spec2x.io.fits_products`.
"""

from __future__ import annotations

import os
from pathlib import Path

import xarray as xr

from ..errors import InputFileError, malformed_input
from . import fits_layout as L
from . import fits_products as P
from .fits_exposure import Chunks, read_exposure
from .fits_scan import ScanFile, scan_fits

# --------------------------------------------------------------------------- write


def write_fits(
    ds: xr.Dataset | xr.DataTree, path: str | os.PathLike[str], *, overwrite: bool = True
) -> Path:
    """Write a product as the jwst FITS file stdatamodels opens as the matching model.

    Parameters
    ----------
    ds : exposure ``(y, x)``/``(integration, y, x)`` -> ImageModel/CubeModel;
        slits ``(slit, y, x)`` -> MultiSlitModel (SlitModel when DATAMODL says so);
        spectra -> MultiSpecModel/TSOMultiSpecModel; cube -> IFUCubeModel;
        a DataTree of slit groups (:mod:`spec2x.slits`) -> one MultiSlitModel.
    path : output file; written under a temporary name in the same folder and
        renamed, so no partial file is ever left.
    overwrite : replace an existing file.

    Returns
    -------
    The path written.

    Raises
    ------
    OutputError
        The folder does not exist or is not writable, or the file exists and
        ``overwrite`` is False.
    """
    path = Path(path)
    return L.atomic_write(P.product_hdus(ds, path.name), path, overwrite=overwrite)


# --------------------------------------------------------------------------- read


def open_product(path: str | os.PathLike[str], chunks: Chunks = None) -> xr.Dataset | xr.DataTree:
    """Read a jwst product (rate, rateints, cal, calints, s2d, x1d, x1dints, s3d).

    A slits product written from padded groups (:mod:`spec2x.slits`) reads back
    as the same DataTree of groups; everything else as a Dataset.

    Parameters
    ----------
    path : FITS file written by jwst or by :func:`write_fits`; opened read-only.
    chunks : None reads NumPy arrays now; ``"auto"`` or ``{"integration": n}``
        (``"slit"``, ``"y"`` ...) builds Dask arrays that read their slice of
        the file when computed.

    Raises
    ------
    InputFileError
        Not a FITS file, truncated, no SCI extension, SCI of the wrong shape.
    """
    path = Path(path)
    with malformed_input(path, "jwst product", "pass a jwst or spec2x FITS product, unaltered"):
        scanned = scan_fits(path)
        if scanned is not None:
            model = str(scanned[0].header.get("DATAMODL", ""))
            if _plain_exposure(scanned, model):
                return read_exposure(path, scanned, model, chunks)
            if _plain_slits(scanned, model):
                return P.read_product(path, scanned, model, chunks)
        with L.open_hdulist(path) as hdul:
            names = {hdu.name for hdu in hdul}
            model = str(hdul[0].header.get("DATAMODL", ""))
            if "EXTRACT1D" in names or "SCI" in names and P.is_multi(hdul, model):
                return P.read_product(path, hdul, model, chunks)
            if "SCI" not in names:
                raise InputFileError(
                    f"{path}: no SCI extension; pass a jwst _rate, _rateints, _cal or _calints file"
                )
            if model == "IFUCubeModel":
                return P.read_product(path, hdul, model, chunks)
            return read_exposure(path, hdul, model, chunks)


def plain_exposure_scan(path: Path) -> ScanFile | None:
    """The scanned layout of a rate/rateints/cal/calints file, None for anything else.

    An exposure file (one SCI of 2 or 3 dimensions, not a slits, spectra or
    cube product) that :func:`~spec2x.io.fits_scan.scan_fits` reads exactly
    as astropy does is read from the scan, eagerly or lazily, without
    ``astropy.io.fits.open``; every other file (and every bad one, for its
    error message) goes through astropy.
    """
    scanned = scan_fits(path)
    if scanned is None:
        return None
    model = str(scanned[0].header.get("DATAMODL", ""))
    return scanned if _plain_exposure(scanned, model) else None


def _plain_exposure(scanned: ScanFile, model: str) -> bool:
    names = [hdu.name for hdu in scanned]
    if "EXTRACT1D" in names or "SCI" not in names or model == "IFUCubeModel":
        return False
    if P.is_multi(scanned, model):
        return False
    return scanned["SCI"].header.get("NAXIS", 0) in (2, 3)


def _plain_slits(scanned: ScanFile, model: str) -> bool:
    """A slits file the scan reads (thousands of extensions: astropy's open costs seconds)."""
    names = [hdu.name for hdu in scanned]
    return "EXTRACT1D" not in names and "SCI" in names and P.is_multi(scanned, model)


def open_exposure(path: str | os.PathLike[str], chunks: Chunks = None) -> xr.Dataset:
    """Read a jwst ``_rate``/``_rateints``/``_cal``/``_calints`` file (see :func:`open_product`)."""
    out = open_product(path, chunks)
    if isinstance(out, xr.DataTree):
        raise InputFileError(
            f"{path} holds slits in padded groups (a DataTree); open it with open_product"
        )
    out.encoding["source"] = os.fspath(path)  # as xarray's readers: files it names sit beside it
    return out
