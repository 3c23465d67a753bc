"""Readers for the extraction references: EXTRACT1D (JSON, IFU ASDF) and APCORR (FITS, IFU ASDF).

jwst 3.0.0 accepts only JSON for the extract1d reference of slit and slitless
modes (``read_extract1d_ref``): a top-level object with CRDS keywords and a
list ``apertures`` (``id``, ``xstart`` ... ``bkg_coeff``).  The APCORR file is
a FITS binary table in extension ``APCORR`` with a ``SIZEUNIT`` keyword; its
columns depend on the mode (MIRI LRS: ``subarray``; NIRSpec FS/BOTS:
``filter grating slit`` and a pixel-phase axis).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..errors import InputFileError, ReferenceMismatchError
from .ref_headers import is_asdf
from .references import Reference, reference_tree, require_keys

__all__ = ["read_apcorr", "read_extract1d"]


def read_extract1d(path: str, header: dict[str, Any]) -> Reference:
    """Open an extract1d reference: JSON (slit modes; ``content`` is the parsed object) or
    ASDF (IFU cubes, ``Extract1dIFUModel``; ``content`` is the tree with ``meta`` and ``data``)."""
    if is_asdf(path):
        tree = reference_tree(path)
        require_keys(tree, path, ("meta", "data"), "IFU extract1d reference")
        require_keys(tree["data"], path, ("wavelength", "radius", "inner_bkg", "outer_bkg"),
                     "IFU extract1d reference")  # fmt: skip
        return Reference("extract1d", path, header, tree)
    try:
        with open(path, encoding="utf-8") as f:
            tree = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(
            f"extract1d reference {path} is not valid JSON ({exc}); jwst 3.0.0 reads "
            "extract1d references for slit modes only as JSON"
        ) from exc
    if not isinstance(tree, dict) or not isinstance(tree.get("apertures"), list):
        raise InputFileError(
            f"extract1d reference {path} has no 'apertures' list; is it an extract1d JSON file?"
        )
    return Reference("extract1d", path, header, tree)


#: Columns and their dimensions per row, as the stdatamodels schemas lay them out:
#: ``mirlrs_apcorr`` (also NIRCam/NIRISS WFSS) and ``nrsfs_apcorr``/``nrsmos_apcorr``.
_LAYOUTS = {
    "size and wavelength (MirLrsApcorrModel)": {"wavelength": 1, "size": 1, "apcorr": 2},
    "size, wavelength and pixel phase (NrsFsApcorrModel, NrsMosApcorrModel)": {
        "wavelength": 1,
        "size": 2,
        "pixphase": 1,
        "apcorr": 3,
    },
}


def read_apcorr(path: str, header: dict[str, Any]) -> Reference:
    """Open an APCORR reference.

    FITS (slit modes): ``content`` is ``{"sizeunit": str, "rows": [dict, ...]}``:
    one mapping per table row, lowercase column names, strings stripped,
    arrays as NumPy with the shapes of the file (as stdatamodels reads them).
    ASDF (IFU cubes: ``MirMrsApcorrModel``, ``NrsIfuApcorrModel``): ``content``
    is ``{"sizeunit": str, "radial": {"wavelength", "radius", "apcorr"}}``,
    ``radius`` and ``apcorr`` ``(n_radius, n_wavelength)``.

    Raises
    ------
    InputFileError
        No ``APCORR`` table extension.
    ReferenceMismatchError
        A missing column, a
        column with other dimensions than its stdatamodels schema, or
        ``nelem_wl``/``nelem_size`` beyond the arrays (the message names the
        file and the column).
    """
    from astropy.io import fits

    if is_asdf(path):
        return _read_radial(path, header)
    try:
        with fits.open(path, memmap=False) as hdul:
            hdu = hdul["APCORR"]
            sizeunit = str(hdu.header.get("SIZEUNIT", "pixels"))
            data = hdu.data
            names = [n.lower() for n in data.columns.names]
            rows = []
            for rec in data:
                row: dict[str, Any] = {}
                for name, value in zip(names, rec, strict=True):
                    if isinstance(value, str | bytes):
                        value = value.decode() if isinstance(value, bytes) else value
                        row[name] = value.strip()
                    else:
                        row[name] = np.array(value)
                rows.append(row)
    except KeyError as exc:
        raise InputFileError(f"apcorr reference {path} has no APCORR table extension") from exc
    for i, row in enumerate(rows):
        _check_layout(path, i, row)
    return Reference("apcorr", path, header, {"sizeunit": sizeunit, "rows": rows})


def _read_radial(path: str, header: dict[str, Any]) -> Reference:
    """The IFU radial table (ASDF ``apcorr_table``), its shapes checked."""
    tree = reference_tree(path)
    require_keys(tree, path, ("apcorr_table",), "IFU apcorr reference")
    table = tree["apcorr_table"]
    require_keys(table, path, ("wavelength", "radius", "apcorr"), "IFU apcorr reference")
    wave = np.asarray(table["wavelength"]).ravel()
    radius, apcorr = np.asarray(table["radius"]), np.asarray(table["apcorr"])
    if radius.ndim != 2 or radius.shape != apcorr.shape or radius.shape[1] != wave.size:
        raise ReferenceMismatchError(
            f"apcorr reference {path}: radius {radius.shape} and apcorr {apcorr.shape} must both "
            f"be (n_radius, n_wavelength) with n_wavelength = {wave.size} (the wavelength "
            "column); give an IFU APCORR file in the stdatamodels layout or apply_apcorr=False"
        )
    if radius.shape[0] < 2 or wave.size < 2:
        raise ReferenceMismatchError(
            f"apcorr reference {path}: {radius.shape[0]} radii and {wave.size} wavelengths; the "
            "radial correction interpolates and needs at least 2 of each"
        )
    content = {
        "sizeunit": str(table.get("radius_units", "arcsec")),
        "radial": {"wavelength": wave, "radius": radius, "apcorr": apcorr},
    }
    return Reference("apcorr", path, header, content)


def _check_layout(path: str, index: int, row: dict[str, Any]) -> None:
    """Raise unless the row's columns have the dimensions of their stdatamodels schema."""
    kind = list(_LAYOUTS)[1 if "pixphase" in row else 0]
    where = f"apcorr reference {path}, APCORR table row {index + 1}"
    for column, ndim in _LAYOUTS[kind].items():
        if column not in row:
            raise ReferenceMismatchError(
                f"{where}: no column {column.upper()}; a table by {kind} needs "
                f"{', '.join(c.upper() for c in _LAYOUTS[kind])}"
            )
        if np.ndim(row[column]) != ndim:
            raise ReferenceMismatchError(
                f"{where}: column {column.upper()} has shape {np.shape(row[column])}, a "
                f"{ndim}-D array per row was expected (a table by {kind}); give an APCORR "
                "file written with the stdatamodels layout, or set apply_apcorr=False"
            )
    if kind == list(_LAYOUTS)[0]:
        # jwst ApCorr uses wavelength[:nelem_wl], size[:nelem_size], apcorr[:nelem_wl, :nelem_size]
        nwl = int(row.get("nelem_wl", row["wavelength"].size))
        nsize = int(row.get("nelem_size", row["size"].size))
        needed = {"wavelength": (nwl,), "size": (nsize,), "apcorr": (nwl, nsize)}
        for column, shape in needed.items():
            have = np.shape(row[column])
            if any(h < n for h, n in zip(have, shape, strict=True)) or min(shape) < 2:
                raise ReferenceMismatchError(
                    f"{where}: column {column.upper()} has shape {have}, but NELEM_WL={nwl} and "
                    f"NELEM_SIZE={nsize} need at least {shape} (and at least 2 of each); "
                    "APCORR is (wavelength, size) per row"
                )
