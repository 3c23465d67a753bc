"""Readers for the extraction references: EXTRACT1D (JSON) and APCORR (FITS table).

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

from ..errors import InputFileError
from .references import Reference

__all__ = ["read_apcorr", "read_extract1d"]


def read_extract1d(path: str, header: dict[str, Any]) -> Reference:
    """Open a JSON extract1d reference; ``content`` is the parsed JSON object."""
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


def read_apcorr(path: str, header: dict[str, Any]) -> Reference:
    """Open an APCORR FITS reference.

    ``content`` is ``{"sizeunit": str, "rows": [dict, ...]}``: one mapping per
    table row, lowercase column names, strings stripped, arrays as NumPy.
    """
    from astropy.io import fits

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
    return Reference("apcorr", path, header, {"sizeunit": sizeunit, "rows": rows})
