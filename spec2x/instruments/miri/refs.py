"""Readers for the MIRI LRS reference files the WCS needs.

``distortion`` (ASDF, the imager distortion: full-frame pixels -> V2, V3 in
arcsec) and ``specwcs`` (FITS, a ``WAVETABLE`` of trace centre, wavelength
and element corners plus the slit and slitless reference points ``IMX``,
``IMY``, ``IMXSLTL``, ``IMYSLTL``), and the fixed-slit ``pathloss`` (FITS
table ``PATHLOSS``: correction vs wavelength and source offset).  These types
are shared with other instruments: :func:`spec2x.io.references.open_reference`
opens a MIRI ``pathloss`` file with :func:`read_lrs_pathloss` (the
:mod:`spec2x.io.ref_readers` table) and ``distortion``/``specwcs`` with the
generic reader; the functions below check that a file is the MIRI LRS kind
and hand back its content, typed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import ReferenceMismatchError
from ...io.references import Reference, open_reference

__all__ = [
    "LrsPathloss",
    "LrsSpecwcs",
    "imager_distortion",
    "lrs_pathloss",
    "lrs_specwcs",
    "read_lrs_pathloss",
]

_WAVETABLE_COLUMNS = ("x_center", "y_center", "wavelength", "x0", "y0", "x1", "y1", "x2", "y2")


@dataclass(frozen=True)
class LrsSpecwcs:
    """Content of a MIRI LRS ``specwcs`` reference.

    Attributes
    ----------
    name : file name (for ``R_SPCWCS``).
    x_ref, y_ref : 1-based full-frame pixel of the slit reference point (IMX, IMY).
    x_ref_slitless, y_ref_slitless : the same for the slitless aperture (IMXSLTL, IMYSLTL).
    table : WAVETABLE columns by lowercase name (pixels relative to the
        reference point; ``wavelength`` in µm).
    v2_vert, v3_vert : slit corners in V2, V3 (arcsec), or None when the file
        does not give them (V2VERT1..4, V3VERT1..4).
    """

    name: str
    x_ref: float
    y_ref: float
    x_ref_slitless: float
    y_ref_slitless: float
    table: Mapping[str, np.ndarray]
    v2_vert: tuple[float, float, float, float] | None
    v3_vert: tuple[float, float, float, float] | None

    def reference_point(self, slitless: bool) -> tuple[float, float]:
        """1-based full-frame reference pixel (x, y) of the slit or the slitless aperture."""
        if slitless:
            return self.x_ref_slitless, self.y_ref_slitless
        return self.x_ref, self.y_ref


def _as_reference(ref: Reference | str | os.PathLike[str], reftype: str, what: str) -> Reference:
    """The opened reference; a path is checked on its header (MIRI, MIRIMAGE) before it is read."""
    if not isinstance(ref, Reference):
        from ...io.references import read_header

        _check_imager(read_header(ref), os.path.basename(os.fspath(ref)), reftype, what)
        ref = open_reference(ref, reftype)
    _check_imager(ref.header, ref.name, reftype, what)
    return ref


def _check_imager(header: Mapping[str, Any], name: str, reftype: str, what: str) -> None:
    instrument = str(header.get("INSTRUME", "")).strip().upper()
    detector = str(header.get("DETECTOR", "")).strip().upper()
    if instrument != "MIRI" or detector not in ("MIRIMAGE", "ANY", "N/A", ""):
        raise ReferenceMismatchError(
            f"{reftype} reference {name} is for INSTRUME={instrument!r} DETECTOR={detector!r}; "
            f"MIRI LRS needs {what}"
        )


def _check_selectors(
    ref: Reference, attrs: Mapping[str, Any] | None, keys: tuple[str, ...]
) -> None:
    """Selectors of ``ref`` must fit ``attrs``; EXP_TYPE is matched on P_EXP_TY when given."""
    if attrs is None:
        return
    if "EXP_TYPE" in keys and ref.header.get("P_EXP_TY"):
        header = dict(ref.header, EXP_TYPE=str(ref.header["P_EXP_TY"]).strip("|"))
        ref = Reference(ref.reftype, ref.path, header, ref.content)
    ref.check_matches(attrs, keys)


def lrs_specwcs(
    ref: Reference | str | os.PathLike[str], attrs: Mapping[str, Any] | None = None
) -> LrsSpecwcs:
    """Read a MIRI LRS ``specwcs`` reference.

    Parameters
    ----------
    ref : an opened reference or a path.
    attrs : exposure keywords; when given, INSTRUME, DETECTOR and EXP_TYPE of
        the file must fit them.

    Raises
    ------
    ReferenceMismatchError
        The file is not a MIRI imager (LRS) specwcs table: another
        instrument or detector (an MRS or NIRSpec file), another exposure
        type, or no WAVETABLE / reference-point keywords.
    """
    ref = _as_reference(ref, "specwcs", "the MIRIMAGE (P750L) specwcs FITS table")
    hdr = ref.header
    _check_selectors(ref, attrs, ("INSTRUME", "DETECTOR", "EXP_TYPE"))
    content = ref.content if isinstance(ref.content, Mapping) else {}
    table = content.get("WAVETABLE")
    if table is None:
        raise ReferenceMismatchError(
            f"specwcs reference {ref.name} has no WAVETABLE extension: it is not a MIRI LRS "
            "specwcs file (MRS and other modes use ASDF specwcs files)"
        )
    names = {n.lower(): n for n in table.dtype.names}
    missing = [c for c in _WAVETABLE_COLUMNS if c not in names]
    if missing:
        raise ReferenceMismatchError(
            f"specwcs reference {ref.name}: WAVETABLE lacks columns {missing}"
        )
    keys = ("IMX", "IMY", "IMXSLTL", "IMYSLTL")
    absent = [k for k in keys if hdr.get(k) is None]
    if absent:
        raise ReferenceMismatchError(
            f"specwcs reference {ref.name} lacks the reference-point keywords {absent}"
        )
    columns = {low: np.asarray(table[orig], dtype=np.float64) for low, orig in names.items()}
    v2 = tuple(hdr.get(f"V2VERT{i}") for i in range(1, 5))
    v3 = tuple(hdr.get(f"V3VERT{i}") for i in range(1, 5))
    return LrsSpecwcs(
        name=ref.name,
        x_ref=float(hdr["IMX"]),
        y_ref=float(hdr["IMY"]),
        x_ref_slitless=float(hdr["IMXSLTL"]),
        y_ref_slitless=float(hdr["IMYSLTL"]),
        table=columns,
        v2_vert=None if any(v is None for v in v2) else tuple(float(v) for v in v2),  # type: ignore[arg-type]
        v3_vert=None if any(v is None for v in v3) else tuple(float(v) for v in v3),  # type: ignore[arg-type]
    )


def imager_distortion(
    ref: Reference | str | os.PathLike[str], attrs: Mapping[str, Any] | None = None
) -> Any:
    """The MIRI imager distortion model (full-frame 0-based pixels -> V2, V3 in arcsec).

    Parameters
    ----------
    ref : an opened ``distortion`` reference or a path (ASDF).
    attrs : exposure keywords; when given, INSTRUME and DETECTOR must fit.

    Raises
    ------
    ReferenceMismatchError
        Not an ASDF file with a single ``model`` for the MIRI imager (an MRS
        distortion holds several models and is refused).
    """
    ref = _as_reference(ref, "distortion", "the MIRIMAGE imager distortion")
    _check_selectors(ref, attrs, ("INSTRUME", "DETECTOR"))
    content = ref.content if isinstance(ref.content, Mapping) else {}
    model = content.get("model")
    if model is None or not hasattr(model, "n_inputs") or model.n_inputs != 2:
        raise ReferenceMismatchError(
            f"distortion reference {ref.name} holds no 2-input 'model' transform: it is not "
            "the MIRI imager distortion (ASDF) that LRS uses"
        )
    return model


@dataclass(frozen=True)
class LrsPathloss:
    """Content of a MIRI LRS fixed-slit ``pathloss`` reference (MirLrsPathlossModel).

    Attributes
    ----------
    wavelength : µm, in file order (descending in the CRDS files).
    correction : (wavelength, row, column) multiplicative point-source correction.
    error : same shape, its uncertainty.
    grid : CRPIX1/2, CRVAL1/2, CDELT1/2 of the (column, row) grid: source
        offsets in pixels from the aperture reference point (x along, y across the slit).
    """

    wavelength: np.ndarray
    correction: np.ndarray
    error: np.ndarray
    grid: Mapping[str, float]

    def vector(self, xcenter: float, ycenter: float) -> tuple[np.ndarray, np.ndarray, bool]:
        """Correction vs wavelength for a source at (xcenter, ycenter) pixels from the reference point.

        Bilinear in the grid, as jwst's ``calculate_pathloss_vector``.  Returns
        (wavelength ascending, correction, inside); outside the grid the
        correction is all zero and ``inside`` False (jwst then uses the centre).
        """
        g = self.grid
        col = g["crpix1"] + (xcenter - g["crval1"]) / g["cdelt1"] - 1
        row = g["crpix2"] + (ycenter - g["crval2"]) / g["cdelt2"] - 1
        _, nrows, ncols = self.correction.shape
        order = np.argsort(self.wavelength)
        if not (0 <= col < ncols - 1 and 0 <= row < nrows - 1):
            return self.wavelength[order], np.zeros(len(order), np.float32), False
        j, i = int(col), int(row)
        dx, dy = col - j, row - i
        c = self.correction
        vec = (
            (1 - dx) * (1 - dy) * c[:, i, j]
            + (1 - dx) * dy * c[:, i + 1, j]
            + dx * (1 - dy) * c[:, i, j + 1]
            + dx * dy * c[:, i + 1, j + 1]
        )
        return self.wavelength[order], vec[order], True


def read_lrs_pathloss(path: str, header: dict[str, Any]) -> Reference:
    """Open a MIRI LRS ``pathloss`` FITS file; ``content`` is an :class:`LrsPathloss`."""
    from astropy.io import fits

    with fits.open(path, memmap=False) as hdul:
        if "PATHLOSS" not in hdul:
            raise ReferenceMismatchError(
                f"{path} has no PATHLOSS table: it is not a MIRI LRS pathloss file"
            )
        hdu = hdul["PATHLOSS"]
        keys = ("CRPIX1", "CRVAL1", "CDELT1", "CRPIX2", "CRVAL2", "CDELT2")
        missing = [k for k in keys if k not in hdu.header]
        if missing:
            raise ReferenceMismatchError(f"{path}: PATHLOSS lacks the grid keywords {missing}")
        content = LrsPathloss(
            wavelength=np.asarray(hdu.data["WAVELENGTH"], np.float64),
            correction=np.asarray(hdu.data["PATHLOSS"], np.float64),
            error=np.asarray(hdu.data["PATHLOSS_ERR"], np.float64),
            grid={k.lower(): float(hdu.header[k]) for k in keys},
        )
    return Reference("pathloss", path, header, content)


def lrs_pathloss(
    ref: Reference | str | os.PathLike[str], attrs: Mapping[str, Any] | None = None
) -> LrsPathloss:
    """The MIRI LRS pathloss of an opened reference or a path (INSTRUME/DETECTOR checked against ``attrs``)."""
    if not isinstance(ref, Reference):
        from ...io.references import read_header

        ref = read_lrs_pathloss(os.fspath(ref), read_header(ref))
    elif not isinstance(ref.content, LrsPathloss):
        ref = read_lrs_pathloss(ref.path, ref.header)
    _check_selectors(ref, attrs, ("INSTRUME", "DETECTOR"))
    return ref.content
