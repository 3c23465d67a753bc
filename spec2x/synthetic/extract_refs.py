"""Synthetic EXTRACT1D (JSON) and APCORR (FITS) references for MIRI LRS and NIRSpec FS.

The files follow the CRDS formats jwst 3.0.0 reads: the extract1d JSON object
(``REFTYPE``, selectors, ``apertures``) and the ``MirLrsApcorrModel`` /
``NrsFsApcorrModel`` tables (extension ``APCORR``, keyword ``SIZEUNIT``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from .base import reference_header, write_reference_fits

__all__ = [
    "MIRI_LRS_APERTURES",
    "NIRSPEC_FS_APERTURES",
    "write_apcorr_miri_lrs",
    "write_apcorr_nirspec_fs",
    "write_extract1d",
    "write_nirspec_fs_extract1d",
]

#: Apertures like the CRDS MIRI LRS file, in 0-based inclusive pixels of the
#: image jwst extracts from: the rectified s2d for the fixed slit (spatial axis
#: x, about 45 pixels wide, the slit centre near x = 22) and the SLITLESSPRISM
#: calints for slitless (trace near x = 36).  Point sources in the fixed slit
#: are recentred on the target from the WCS (jwst's default).
MIRI_LRS_APERTURES: list[dict[str, Any]] = [
    {
        "id": "MIR_LRS-FIXEDSLIT",
        "region_type": "target",
        "dispaxis": 2,
        "xstart": 18,
        "xstop": 26,
        "extract_width": 8,
    },
    {
        "id": "MIR_LRS-SLITLESS",
        "region_type": "target",
        "dispaxis": 2,
        "xstart": 30,
        "xstop": 42,
        "ystart": 6,
        "ystop": 396,
        "extract_width": 8,
        "bkg_coeff": [[4.5], [14.5], [56.5], [66.5]],
        "use_source_posn": False,
    },
]

#: NIRSpec fixed-slit apertures: a centred 6-pixel box in each cut-out.
NIRSPEC_FS_APERTURES: list[dict[str, Any]] = [
    {"id": name, "region_type": "target", "dispaxis": 1, "extract_width": 6}
    for name in ("S200A1", "S200A2", "S400A1", "S1600A1", "S200B1")
]


def write_extract1d(
    path: str | os.PathLike[str],
    apertures: Sequence[Mapping[str, Any]],
    *,
    instrument: str,
    exp_type: str,
    detector: str = "N/A",
) -> Path:
    """Write an EXTRACT1D JSON reference (jwst reads it with ``json.load``)."""
    tree = {
        "REFTYPE": "EXTRACT1D",
        "INSTRUME": instrument.upper(),
        "TELESCOP": "JWST",
        "DETECTOR": detector,
        "EXP_TYPE": exp_type,
        "PEDIGREE": "DUMMY",
        "USEAFTER": "2022-01-01T00:00:00",
        "AUTHOR": "spec2x.synthetic",
        "DESCRIP": "synthetic extract1d reference for spec2x tests",
        "apertures": [dict(a) for a in apertures],
    }
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(tree, indent=2))
    os.replace(tmp, path)
    return path


def write_nirspec_fs_extract1d(folder: str | os.PathLike[str], exp_type: str) -> Path:
    """The NIRSpec fixed-slit EXTRACT1D reference (:data:`NIRSPEC_FS_APERTURES`) for
    ``exp_type`` (``NRS_FIXEDSLIT`` or ``NRS_BRIGHTOBJ``), written into ``folder``."""
    kind = "bots" if exp_type.upper() == "NRS_BRIGHTOBJ" else "fs"
    return write_extract1d(
        Path(folder) / f"spec2x_nirspec_{kind}_extract1d.json",
        NIRSPEC_FS_APERTURES,
        instrument="NIRSPEC",
        exp_type=exp_type.upper(),
    )


def _table_hdu(columns: list[fits.Column], sizeunit: str) -> fits.BinTableHDU:
    hdu = fits.BinTableHDU.from_columns(columns, name="APCORR")
    hdu.header["SIZEUNIT"] = sizeunit
    return hdu


def write_apcorr_miri_lrs(
    path: str | os.PathLike[str],
    *,
    subarrays: Sequence[str] = ("FULL", "SLITLESSPRISM"),
    wavelength: np.ndarray | None = None,
    size: np.ndarray | None = None,
    apcorr: np.ndarray | None = None,
) -> Path:
    """Write a MIRI LRS APCORR file (one row per subarray).

    ``apcorr`` is (n_wavelength, n_size); by default it falls from 1.3 at
    1 pixel to 1.05 at 10 pixels, rising slowly with wavelength.
    """
    wl = np.linspace(4.0, 14.0, 11) if wavelength is None else np.asarray(wavelength, float)
    sz = np.arange(1, 11) if size is None else np.asarray(size)
    if apcorr is None:
        apcorr = 1.0 + 0.3 / sz[None, :] * (1.0 + 0.02 * (wl[:, None] - 4.0))
    apcorr = np.asarray(apcorr, np.float32)
    n = len(subarrays)
    nwl, nsz = apcorr.shape
    cols = [
        fits.Column("subarray", "17A", array=np.array(subarrays)),
        fits.Column("wavelength", f"{nwl}E", array=np.tile(wl, (n, 1))),
        fits.Column("nelem_wl", "I", array=np.full(n, nwl)),
        fits.Column("size", f"{nsz}B", array=np.tile(sz, (n, 1))),
        fits.Column("nelem_size", "I", array=np.full(n, nsz)),
        fits.Column(
            "apcorr", f"{nwl * nsz}E", dim=f"({nsz},{nwl})", array=np.tile(apcorr, (n, 1, 1))
        ),
        fits.Column(
            "apcorr_err",
            f"{nwl * nsz}E",
            dim=f"({nsz},{nwl})",
            array=np.full((n, nwl, nsz), 0.01, np.float32),
        ),
    ]
    hdr = reference_header("apcorr", "MIRI", DETECTOR="MIRIMAGE", EXP_TYPE="N/A")
    hdr["P_EXP_TY"] = "MIR_LRS-FIXEDSLIT|MIR_LRS-SLITLESS|"
    return write_reference_fits(
        path, hdr, [_table_hdu(cols, "pixels")], datamodel="MirLrsApcorrModel"
    )


def write_apcorr_nirspec_fs(
    path: str | os.PathLike[str],
    *,
    rows: Sequence[tuple[str, str, str]] = (("CLEAR", "PRISM", "S200A1"),),
    wavelength: np.ndarray | None = None,
    size: Sequence[float] = (2.0, 6.0, 12.0),
    pixphase: Sequence[float] = (0.0, 0.25, 0.5),
    sizeunit: str = "pixels",
    constant: float | None = None,
    mos: bool = False,
) -> Path:
    """Write a NIRSpec FS/BOTS APCORR file, one row per (filter, grating, slit); with
    ``mos`` the MOS file (NrsMosApcorrModel: no slit column, rows by filter and grating).

    ``apcorr`` per row is (n_size, n_wavelength, n_phase), the layout jwst's
    ``ApCorrPhase`` interpolates (phase last); values fall with size, or are
    ``constant`` everywhere when given (1.0: an aperture that holds all the light).
    """
    wl = np.linspace(0.6, 5.3, 25) if wavelength is None else np.asarray(wavelength, float)
    sz = np.asarray(size, float)
    ph = np.asarray(pixphase, float)
    nwl, nsz, nph = wl.size, sz.size, ph.size
    table = 1.0 + 0.4 / sz[:, None, None] * (1 + 0.05 * wl[None, :, None]) * (
        1 + 0.1 * ph[None, None, :]
    )
    if constant is not None:
        table = np.full_like(table, constant)
    n = len(rows)
    cols = [
        fits.Column("filter", "12A", array=np.array([r[0] for r in rows])),
        fits.Column("grating", "15A", array=np.array([r[1] for r in rows])),
        fits.Column("slit", "15A", array=np.array([r[2] for r in rows])),
        fits.Column("wavelength", f"{nwl}E", array=np.tile(wl, (n, 1))),
        fits.Column("nelem_wl", "I", array=np.full(n, nwl)),
        fits.Column(
            "size",
            f"{nsz * nwl}E",
            dim=f"({nwl},{nsz})",
            array=np.tile(np.repeat(sz[:, None], nwl, 1), (n, 1, 1)),
        ),
        fits.Column("nelem_size", "I", array=np.full(n, nsz)),
        fits.Column("pixphase", f"{nph}E", array=np.tile(ph, (n, 1))),
        fits.Column(
            "apcorr",
            f"{nsz * nwl * nph}E",
            dim=f"({nph},{nwl},{nsz})",
            array=np.tile(table, (n, 1, 1, 1)),
        ),
        fits.Column(
            "apcorr_err",
            f"{nsz * nwl * nph}E",
            dim=f"({nph},{nwl},{nsz})",
            array=np.full((n, nsz, nwl, nph), 0.01),
        ),
    ]
    if mos:
        del cols[2]
    hdr = reference_header("apcorr", "NIRSPEC", DETECTOR="N/A", EXP_TYPE="N/A")
    hdr["P_EXP_TY"] = "NRS_MSASPEC|" if mos else "NRS_FIXEDSLIT|NRS_BRIGHTOBJ|"
    model = "NrsMosApcorrModel" if mos else "NrsFsApcorrModel"
    return write_reference_fits(path, hdr, [_table_hdu(cols, sizeunit)], datamodel=model)
