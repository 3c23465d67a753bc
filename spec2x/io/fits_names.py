"""Names in a jwst FITS product: variable <-> extension, the coordinate flag.

Shared by the FITS reader and writer and by the header-only ``spec2x info``
(:mod:`spec2x.io.info_headers`), which imports neither NumPy nor astropy.
"""

from __future__ import annotations

from .fits_keywords import SPEC_COORDS

__all__ = [
    "COORD_FLAG",
    "EXTNAMES",
    "SPEC_COORD_NAMES",
    "TSO_META",
    "VARNAMES",
    "column_name",
    "image_dtype_name",
    "var_name",
]

#: Dataset variable -> jwst extension name (others: the name in upper case).
EXTNAMES = {
    "sci": "SCI",
    "err": "ERR",
    "dq": "DQ",
    "var_poisson": "VAR_POISSON",
    "var_rnoise": "VAR_RNOISE",
    "var_flat": "VAR_FLAT",
    "wavelength": "WAVELENGTH",
    "weightmap": "WMAP",
    "wht": "WHT",
    "con": "CON",
    "area": "AREA",
    "zeroframe": "ZEROFRAME",
    "mask": "MASK",
    "barshadow": "BARSHADOW",
    "trace_model": "TRACEMODEL",
    "pathloss_point": "PATHLOSS_PS",
    "pathloss_uniform": "PATHLOSS_UN",
    "flatfield_point": "FLATFIELD_PS",
    "flatfield_uniform": "FLATFIELD_UN",
    "photom_point": "PHOTOM_PS",
    "photom_uniform": "PHOTOM_UN",
}
VARNAMES = {ext: name for name, ext in EXTNAMES.items()}
#: Marks an image extension that holds a coordinate (besides WAVELENGTH).
COORD_FLAG = "S2XCOORD"
#: Per-integration columns of an x1dints table (column -> coord name).
TSO_META = {
    "INT_NUM": "int_num",
    "N_ALONGDISP": "n_alongdisp",
    "SEGMENT": "segment",
    "MJD-BEG": "mjd_beg",
    "MJD-AVG": "mjd_avg",
    "MJD-END": "mjd_end",
    "TDB-BEG": "tdb_beg",
    "TDB-MID": "tdb_mid",
    "TDB-END": "tdb_end",
}
#: Per-spectrum keyword -> coord name (jwst attribute names; SLTNAME -> slit_name).
SPEC_COORD_NAMES = {
    kw: ("source_type" if name == "srctype" else name) for kw, name in SPEC_COORDS.items()
}


def column_name(var: str) -> str:
    """Dataset variable -> jwst x1d column (``bkg_error`` -> ``BKGD_ERROR``)."""
    upper = var.upper()
    return "BKGD_" + upper[4:] if upper.startswith("BKG_") else upper


def var_name(column: str) -> str:
    """jwst x1d column -> Dataset variable (``BKGD_ERROR`` -> ``bkg_error``)."""
    lower = column.lower()
    return "bkg_" + lower[5:] if lower.startswith("bkgd_") else lower


def image_dtype_name(bitpix: int, bzero: float = 0, bscale: float = 1) -> str:
    """The NumPy dtype astropy gives an image extension (from BITPIX, BZERO, BSCALE)."""
    if bscale == 1 and bitpix == 32 and bzero == 2**31:
        return "uint32"
    if bscale == 1 and bitpix == 16 and bzero == 2**15:
        return "uint16"
    if bscale == 1 and bitpix == 64 and bzero == 2**63:
        return "uint64"
    if bscale != 1 or bzero != 0:
        return "float32" if bitpix in (8, 16, -32) else "float64"
    names = {8: "uint8", 16: "int16", 32: "int32", 64: "int64", -32: "float32", -64: "float64"}
    return names[bitpix]
