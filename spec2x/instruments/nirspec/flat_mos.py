"""The NIRSpec MOS fore-optics flat: one shutter cube and fast-variation table per MSA quadrant.

The MOS ``fflat`` (jwst ``NirspecQuadFlatModel``) holds, for each quadrant
``q`` (EXTVER ``q``; the fifth holds the fixed slits a MOS exposure carries),
a cube ``SCI (plane, shutter row, shutter column)`` of the relative
throughput of each shutter at the wavelengths of its ``WAVELENGTH`` table,
its ``ERR``, and a ``FAST_VARIATION`` table.  jwst 3.0.0
(``fore_optics_flat``) gives a slitlet with shutter ``(xcen, ycen)`` in
quadrant ``q`` the quadrant's fast curve times the shutter's 1-D curve
interpolated on the table's wavelengths (1 outside the planes), and, as the
flat error, the shutter's ``ERR`` curve interpolated at each pixel's
wavelength (0 outside).

Here every slitlet's curve is built at once (one interpolation per quadrant,
:func:`~spec2x.instruments.nirspec.flat_interp.interp_curves`); the result is a
:class:`~spec2x.instruments.nirspec.flat_kernel.FlatComponent` with one table
row per slit, which the slit flat kernel evaluates per pixel like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.io import fits

from ...errors import InputFileError, ReferenceMismatchError
from ...io.references import Reference
from .flat_interp import interp_curves
from .flat_kernel import FlatComponent
from .refs_cal import FastVariation, fast_variation, image_wavelength, read_nirspec_flat

__all__ = ["QuadFlat", "fore_component", "is_quad_flat", "read_fflat", "read_quad_flat"]


@dataclass(frozen=True)
class QuadFlat:
    """Content of a MOS ``fflat``: per quadrant (index 0 = Q1) the shutter cube and table.

    Attributes
    ----------
    data, err : per quadrant, float32 (plane, 171, 365) shutter throughput and error.
    image_wavelength : per quadrant, the planes' wavelengths (µm; NaN and
        non-positive entries dropped, as jwst's ``read_image_wl``).
    tables : per quadrant, the fast-variation table (row 0 is used).
    """

    data: tuple[np.ndarray, ...]
    err: tuple[np.ndarray, ...]
    image_wavelength: tuple[np.ndarray, ...]
    tables: tuple[FastVariation, ...]


def is_quad_flat(hdul: fits.HDUList) -> bool:
    """Whether an open flat file holds MSA quadrants (several ``SCI`` extensions)."""
    return sum(h.name == "SCI" for h in hdul) > 1


def read_fflat(path: str, header: dict[str, Any]) -> Reference:
    """Open a NIRSpec ``fflat``: the MOS quadrant flat, or the single flat of the other modes."""
    with fits.open(path, memmap=False) as hdul:
        if is_quad_flat(hdul):
            return read_quad_flat(path, header, hdul)
    return read_nirspec_flat(path, header)


def read_quad_flat(path: str, header: dict[str, Any], hdul: fits.HDUList) -> Reference:
    """Read a MOS quadrant ``fflat`` already open as ``hdul``."""
    n = sum(h.name == "SCI" for h in hdul)
    data, err, waves, tables = [], [], [], []
    for q in range(1, n + 1):
        for name in ("SCI", "WAVELENGTH", "FAST_VARIATION"):
            if (name, q) not in hdul:
                raise InputFileError(f"{path}: MOS quadrant flat has no {name} extension {q}")
        sci = np.asarray(hdul["SCI", q].data, np.float32)
        if sci.ndim != 3:
            raise InputFileError(f"{path}: SCI {q} must be a (plane, row, column) shutter cube")
        data.append(sci)
        has_err = ("ERR", q) in hdul
        err.append(np.asarray(hdul["ERR", q].data, np.float32) if has_err else np.zeros_like(sci))
        wl = image_wavelength(hdul["WAVELENGTH", q])
        if wl.size != sci.shape[0] or wl.size < 2:
            raise InputFileError(
                f"{path}: quadrant {q} has {sci.shape[0]} planes and {wl.size} valid "
                "wavelengths; a MOS fflat needs one wavelength per plane, at least two"
            )
        waves.append(wl)
        tables.append(fast_variation(hdul["FAST_VARIATION", q], path))
    content = QuadFlat(tuple(data), tuple(err), tuple(waves), tuple(tables))
    return Reference(str(header.get("REFTYPE", "fflat")).lower(), path, header, content)


def fore_component(
    ref: Reference, quadrant: np.ndarray, xcen: np.ndarray, ycen: np.ndarray, names: list[str]
) -> FlatComponent:
    """The fore-optics component of every slit: row ``i`` of its tables is slit ``i``'s curve.

    Parameters
    ----------
    ref : opened MOS ``fflat`` (:class:`QuadFlat` content).
    quadrant : (slit,) MSA quadrant, 1-based (5: the fixed slits).
    xcen, ycen : (slit,) shutter column and row (1-based) in the quadrant.
    names : slit names, for the error message.

    Raises
    ------
    ReferenceMismatchError
        A slit's quadrant is not in the file.
    """
    content: QuadFlat = ref.content
    quad = np.asarray(quadrant, int) - 1
    bad = (quad < 0) | (quad >= len(content.data))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ReferenceMismatchError(
            f"slit {names[i]} lies in MSA quadrant {quad[i] + 1}, which the MOS fflat "
            f"{ref.name} does not hold ({len(content.data)} quadrants); give the fflat made "
            "for this MOS mode"
        )
    iy, ix = np.asarray(ycen, int) - 1, np.asarray(xcen, int) - 1
    empty = np.zeros(0)
    tables: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [(empty, empty, empty)] * quad.size
    errors: list[tuple[np.ndarray, np.ndarray]] = [(empty, empty)] * quad.size
    for q in np.unique(quad):
        sel = np.flatnonzero(quad == q)
        table = content.tables[q]  # row 0: MOS rows are not chosen by slit name
        tw, tf, te = table.wavelength[0], table.data[0], table.error[0]
        image_wl = content.image_wavelength[q]
        shutter_flat = content.data[q][:, iy[sel], ix[sel]].T  # (slit, plane)
        shutter_err = content.err[q][:, iy[sel], ix[sel]].T
        scale = interp_curves(np.broadcast_to(tw, (sel.size, tw.size)), image_wl, shutter_flat, 1.0)
        scaled = (tf.astype(np.float64) * scale).astype(np.float32)  # jwst: float32 *= float64
        for k, slit in enumerate(sel):
            tables[slit] = (tw, scaled[k], te)
            errors[slit] = (image_wl, shutter_err[k])
    return FlatComponent(kind="fore", tables=tables, curve_errors=errors)
