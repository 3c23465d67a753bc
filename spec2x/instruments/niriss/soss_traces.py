"""SOSS traces and wavelength maps at the exposure's pupil-wheel position.

The GR700XD grism sits in the pupil wheel; where the wheel stops (``PWCPOS``,
degrees) rotates the spectra on the detector.  The ``pastasoss`` reference
gives, per order, the trace at the commanded position ``pwcpos_cmd`` and the
point it turns about, and the wavelength as a polynomial of the column and
the offset ``PWCPOS - pwcpos_cmd``.  As jwst 3.0.0 does
(``jwst.extract_1d.soss_extract.pastasoss``):

1. the reference trace (SUBSTRIP256 pixels; 10 rows lower for SUBSTRIP96)
   is rotated by the offset about the pivot, its rows interpolated back onto
   the reference columns (linear, extrapolated at the ends) and the points
   with ``y > 255`` dropped;
2. each column's wavelength is the polynomial at (column, offset), both
   min-max scaled by the order's ``scale_extents``;
3. the spectral trace is x(λ), y(λ) on the reference's wavelength grid
   (``wavemap_wlmin`` ... ``wavemap_wlmax``, ``wavemap_nwl`` points),
   extrapolated linearly beyond the trace's ends;
4. the wavelength map has no tilt: every row is the column's wavelength,
   interpolated from that trace, NaN beyond its ends; it has 96 rows for
   SUBSTRIP96, ``soss_xdim - subarray_ymin`` for the other SOSS subarrays
   and ``soss_xdim`` for FULL.

All coordinates are 0-based pixels; wavelengths are µm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import InputFileError, ReferenceMismatchError
from .soss_refs import Pastasoss, SossOrderModel

__all__ = [
    "SOSS_EXTRACTED",
    "SOSS_SUBARRAYS",
    "check_pwcpos",
    "soss_trace",
    "soss_wavemaps",
    "wavecal_polynomial",
]

#: Subarrays jwst extracts SOSS from (``NIS_SOSS_SUPPORTED_SUBARRAYS``).
SOSS_EXTRACTED = (
    "SUBSTRIP256",
    "SUB17STRIPE_SOSS",
    "SUB60STRIPE_SOSS",
    "SUB204STRIPE_SOSS",
    "SUB680STRIPE_SOSS",
    "SUBSTRIP96",
)
#: Subarrays with SOSS traces and maps: those, and FULL.
SOSS_SUBARRAYS = (*SOSS_EXTRACTED, "FULL")
#: The trace rows are of SUBSTRIP256; SUBSTRIP96 starts this many rows higher.
_SUBSTRIP96_OFFSET = 10.0
#: Trace points above this row are dropped (the top of SUBSTRIP256).
_TOP_ROW = 255.0


def check_pwcpos(pwcpos: Any, ref: Pastasoss, *, name: str = "the exposure") -> float:
    """``pwcpos`` as a float, checked against the reference's ``pwcpos_bounds``.

    Raises
    ------
    InputFileError
        PWCPOS is missing or not a number.
    ReferenceMismatchError
        PWCPOS lies outside the bounds the reference was made for.
    """
    try:
        value = float(pwcpos)
    except (TypeError, ValueError):
        raise InputFileError(
            f"{name} has PWCPOS={pwcpos!r}; SOSS needs the pupil-wheel position (degrees)"
        ) from None
    low, high = ref.pwcpos_bounds
    if not low <= value <= high:
        raise ReferenceMismatchError(
            f"{name} has PWCPOS={value}, outside [{low}, {high}] of the pastasoss reference; "
            "give the pastasoss file made for this pupil-wheel position"
        )
    return value


def _check_subarray(subarray: str) -> str:
    name = str(subarray).strip().upper()
    if name not in SOSS_SUBARRAYS:
        raise InputFileError(
            f"SUBARRAY={subarray!r} is not a SOSS subarray; expected one of "
            f"{', '.join(SOSS_SUBARRAYS)}"
        )
    return name


def wavecal_polynomial(coefficients: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Evaluate a 2-D polynomial with coefficients in the reference files' order.

    The order is by total degree, then by the power of ``y``:
    ``C00, C10, C01, C20, C11, C02, C30 ...`` (``C_ij`` multiplies ``x**i y**j``).
    """
    coefficients = np.asarray(coefficients, dtype=np.float64)
    degree = int(np.sqrt(2 * coefficients.size)) - 1
    if (degree + 1) * (degree + 2) // 2 != coefficients.size:
        raise ReferenceMismatchError(
            f"{coefficients.size} wavelength coefficients are not a full 2-D polynomial"
        )
    out = np.zeros(np.broadcast(x, y).shape)
    index = 0
    for total in range(degree + 1):
        for ypow in range(total + 1):
            out = out + coefficients[index] * x ** (total - ypow) * y**ypow
            index += 1
    return out


def _scaled(value: np.ndarray, low: float, high: float) -> np.ndarray:
    return (value - low) / (high - low)


def _wavelengths(model: SossOrderModel, x: np.ndarray, offset: float) -> np.ndarray:
    (x_low, off_low), (x_high, off_high) = model.scale_extents
    off = np.full_like(x, offset)
    return wavecal_polynomial(
        model.coefficients, _scaled(x, x_low, x_high), _scaled(off, off_low, off_high)
    )


def _extrapolating_interp(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Linear interpolation of (xp, fp) at x, extrapolated along the end segments."""
    order = np.argsort(xp, kind="stable")
    xp, fp = xp[order], fp[order]
    out = np.interp(x, xp, fp)
    low, high = x < xp[0], x > xp[-1]
    out[low] = fp[0] + (x[low] - xp[0]) * (fp[1] - fp[0]) / (xp[1] - xp[0])
    out[high] = fp[-1] + (x[high] - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    return out


def soss_trace(
    ref: Pastasoss, order: int, pwcpos: float, subarray: str = "SUBSTRIP256"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The trace of ``order`` at pupil-wheel position ``pwcpos`` (degrees).

    Returns
    -------
    x, y : trace columns and rows (0-based pixels of ``subarray``; SUBSTRIP256
        rows for every subarray but SUBSTRIP96, as jwst's).
    wavelength : µm at each point.

    Raises
    ------
    ReferenceMismatchError
        The reference has no such order, or ``pwcpos`` is outside its bounds.
    """
    if order not in ref.orders:
        raise ReferenceMismatchError(
            f"the pastasoss reference has orders {sorted(ref.orders)}, not order {order}"
        )
    pwcpos = check_pwcpos(pwcpos, ref)
    subarray = _check_subarray(subarray)
    model = ref.orders[order]
    x, y = model.trace[:, 0].copy(), model.trace[:, 1].copy()
    if subarray == "SUBSTRIP96":
        y -= _SUBSTRIP96_OFFSET
    offset = pwcpos - ref.pwcpos_cmd
    angle = np.radians(offset)
    cos, sin = np.cos(angle), np.sin(angle)
    px, py = model.pivot
    x_rot = cos * (x - px) - sin * (y - py) + px
    y_rot = sin * (x - px) + cos * (y - py) + py
    y_new = _extrapolating_interp(x, x_rot, y_rot)
    keep = y_new <= _TOP_ROW
    x, y_new = x[keep], y_new[keep]
    return x, y_new, _wavelengths(model, x, pwcpos - ref.pwcpos_cmd)


def _to_wave_grid(grid: np.ndarray, wavelength: np.ndarray, quantity: np.ndarray) -> np.ndarray:
    """``quantity`` (known at ``wavelength``) on ``grid``, extrapolated linearly at both ends."""
    order = np.argsort(wavelength)
    w, q = wavelength[order], quantity[order]
    left, right = grid[grid < w[0]], grid[grid > w[-1]]
    q_left = q[0] + (left - w[0]) * (q[1] - q[0]) / (w[1] - w[0])
    q_right = q[-1] + (right - w[-1]) * (q[-1] - q[-2]) / (w[-1] - w[-2])
    return np.interp(grid, np.concatenate((left, w, right)), np.concatenate((q_left, q, q_right)))


def _map_rows(ref: Pastasoss, subarray: str) -> int:
    if subarray == "SUBSTRIP96":
        return 96
    if subarray == "FULL":
        return ref.soss_xdim
    return ref.soss_xdim - ref.subarray_ymin


def soss_wavemaps(
    ref: Pastasoss,
    pwcpos: float,
    subarray: str = "SUBSTRIP256",
    orders: tuple[int, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Wavelength maps and spectral traces of ``orders`` at ``pwcpos``.

    Parameters
    ----------
    ref : the ``pastasoss`` content.
    pwcpos : pupil-wheel position (degrees, the ``PWCPOS`` keyword).
    subarray : the exposure's ``SUBARRAY``.
    orders : the orders wanted (all of the reference's by default).

    Returns
    -------
    wavemaps : (order, y, x) µm, NaN beyond each trace's ends.
    spectraces : (order, 3, nwl): x, y (pixels) and wavelength (µm) on the
        reference's wavelength grid.
    """
    subarray = _check_subarray(subarray)
    wanted = tuple(sorted(ref.orders)) if orders is None else tuple(orders)
    low, high, count = ref.wavemap_grid
    grid = np.linspace(low, high, count)
    columns = np.arange(ref.soss_xdim, dtype=np.float64)
    rows = _map_rows(ref, subarray)
    maps, traces = [], []
    for order in wanted:
        x, y, wavelength = soss_trace(ref, order, pwcpos, subarray)
        x_grid = _to_wave_grid(grid, wavelength, x)
        y_grid = _to_wave_grid(grid, wavelength, y)
        row = np.interp(columns, x_grid[::-1], grid[::-1], left=np.nan, right=np.nan)
        maps.append(np.broadcast_to(row, (rows, columns.size)))
        traces.append(np.stack([x_grid, y_grid, grid]))
    return np.array(maps), np.array(traces)
