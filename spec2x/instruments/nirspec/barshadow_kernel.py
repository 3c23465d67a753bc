"""NumPy kernels of the NIRSpec MOS bar shadow correction (no xarray here).

A slitlet of ``n`` shutters sees the shadows of the bars between them.  The
``barshadow`` reference gives the throughput of a lone open shutter
(``data1x1``) and of open shutters next to each other (``data1x3``) on a grid
of position along the slit (rows, ``cdelt2`` shutter heights apart) and
wavelength (columns, ``crval1 + k cdelt1``, m).  The shadow of a whole
slitlet is pieced together from half shutters according to its shutter
state (``"11x"``: open, open, open with the source), and read at each
pixel's slit position and wavelength by bilinear interpolation, as jwst
3.0.0 ``jwst.barshadow.bar_shadow`` does (``create_shadow``,
``_calc_correction``: the same pieces, the same ``map_coordinates`` call).

Slitlets sharing a shutter state share their shadow, so the interpolation
runs once per distinct state (a handful in an exposure), over every pixel of
those slitlets at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

__all__ = ["SLITRATIO", "correction", "shadow_of_state", "shutter_elements"]

#: Slit height / shutter pitch used when a slitlet has no ``slit_yscale`` (jwst's default).
SLITRATIO = 1.15
_HALF = 501  # rows of half a shutter in the reference (both ends included)


def shutter_elements(data1x1: np.ndarray, data1x3: np.ndarray) -> dict[str, np.ndarray]:
    """The half-shutter pieces of a shadow (jwst ``create_shutter_elements``)."""
    return {
        "first": data1x1[:_HALF, :],
        "open_open": data1x3[:_HALF, :],
        "open_closed": data1x1[_HALF - 1 :, :],
        "closed_open": data1x1[:_HALF, :],
        "closed_closed": np.nanmin(data1x1) * np.ones((_HALF, data1x1.shape[1])),
        "last": data1x1[_HALF:, :],
    }


def _add(shadow: np.ndarray, element: np.ndarray, first_row: int) -> None:
    """Average the seam row, then copy the rest of ``element`` below it (in place)."""
    shadow[first_row, :] = 0.5 * (shadow[first_row, :] + element[0, :])
    shadow[first_row + 1 : first_row + element.shape[0], :] = element[1:, :]


def shadow_of_state(elements: dict[str, np.ndarray], state: str) -> np.ndarray:
    """The shadow (rows along the slitlet, columns in wavelength) of one shutter state.

    ``state`` has one character per shutter: ``0`` closed, ``1`` open, ``x``
    open with the source (jwst ``create_shadow``).
    """
    ncols = elements["first"].shape[1]
    shadow = np.zeros((len(state) * (_HALF - 1) + (_HALF - 1), ncols))
    shadow[:_HALF, :] = elements["first"]
    row = elements["first"].shape[0] - 1
    last = "open"
    for status in state[1:]:
        this = "closed" if status == "0" else "open"
        element = elements[f"{last}_{this}"]
        _add(shadow, element, row)
        row += element.shape[0] - 1
        last = this
    _add(shadow, elements["last"], row)
    return shadow


def correction(
    y_slit: np.ndarray,
    wavelength_m: np.ndarray,
    states: Sequence[str],
    yscale: np.ndarray,
    uniform: np.ndarray,
    *,
    data1x1: np.ndarray,
    data1x3: np.ndarray,
    crval1: float,
    cdelt1: float,
    cdelt2: float,
) -> np.ndarray:
    """The bar shadow of every pixel of every slitlet: (slit, y, x), float64.

    Parameters
    ----------
    y_slit : (slit, y, x) position along the slit in the slit frame (NaN off it).
    wavelength_m : (slit, y, x) slit-frame wavelength (m), before wavecorr.
    states : (slit,) shutter state of each slitlet; empty: not corrected.
    yscale : (slit,) slit height in shutter pitches (NaN: :data:`SLITRATIO`).
    uniform : (slit,) whether the slitlet is corrected (not a point source).
    data1x1, data1x3, crval1, cdelt1, cdelt2 : the reference's arrays and grid.

    Returns
    -------
    The shadow: 1 on slitlets not corrected, NaN where ``y_slit`` or the
    wavelength is NaN; rows beyond the shadow's ends take the end row's
    value (``mode="nearest"``, as jwst).
    """
    out = np.ones(y_slit.shape, np.float64)
    elements = shutter_elements(data1x1, data1x3)
    height = 1.0 / cdelt2
    scale = np.where(np.isnan(yscale), SLITRATIO, yscale)
    state_arr = np.asarray([str(s) for s in states])
    todo = np.asarray(uniform, bool) & (np.char.str_len(state_arr) > 0)
    for state in np.unique(state_arr[todo]):
        sel = np.flatnonzero(todo & (state_arr == state))
        shadow = shadow_of_state(elements, str(state))
        fiducial = len(state) - str(state).find("x")
        yrow = shadow.shape[0] - height * fiducial + y_slit[sel] / scale[sel, None, None] * height
        wcol = (wavelength_m[sel] - crval1) / cdelt1
        out[sel] = ndimage.map_coordinates(
            shadow, [yrow, wcol], cval=np.nan, order=1, mode="nearest"
        )
    return out
