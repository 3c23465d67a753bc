"""Rectified output grids of many NIRSpec slits at once (jwst 3.0.0 ``build_nirspec_output_wcs``).

For each slit, as jwst's ``ResampleSpec`` does for one input image (Stage
2): the fiducial (the flux-weighted slit position at the mean wavelength,
taken to the sky), linear fits of the tangent-plane position along the slit
about it, the output height, a wavelength look-up table from the median
wavelength of each detector column, and the slit position of each output
row.  What decides the output's size (fiducial, fits, extent: the height is
a ceiling of their ratio) keeps astropy's arithmetic on each slit's arrays,
without building astropy models where it can (the least squares of
``LinearLSQFitter``, the sigma clipping of the weights); the slit position
of the output rows goes back through all slits' WCSs in one stacked call
(:func:`spec2x._kernels.stacked_transforms.stacked_between`).  The output
sky positions and wavelengths come from the grid's numbers with NumPy
(:func:`grid_world`: the closed-form inverse gnomonic projection); the gwcs
written in the products is built from them (:func:`grid_wcs`), a chain of
astropy models equal to jwst's, whose inverse gives drizzle's pixel map (an
input pixel's edge can fall exactly on an output pixel's on synthetic grids:
astropy's arithmetic decides, as in jwst).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._kernels.resample_spec import between, bounding_box, on_grid, output_frames
from ..._kernels.stacked_transforms import stacked_between
from .resample import PixelFrames, sampling_wavelengths

__all__ = ["OutputGrid", "grid_wcs", "grid_world", "output_grids"]


@dataclass(frozen=True)
class OutputGrid:
    """The rectified output grid of one slit (the numbers of jwst's output WCS).

    ``ra0``, ``dec0``: fiducial (deg); ``x_fit``, ``y_fit``: (slope, intercept) of the
    tangent-plane x and y (deg) against the output row; ``swap_xy``: the row follows y
    (else x); ``ny``: output rows; ``pixel``, ``table``: the wavelength look-up (output
    column -> µm, half a pixel beyond both ends); ``slit_centre``: the slit-frame y of
    each output row at the middle column.
    """

    ra0: float
    dec0: float
    x_fit: tuple[float, float]
    y_fit: tuple[float, float]
    swap_xy: bool
    ny: int
    pixel: np.ndarray
    table: np.ndarray
    slit_centre: np.ndarray

    @property
    def n_lam(self) -> int:
        """Output columns (wavelengths)."""
        return len(self.table) - 2

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the output image."""
        return self.ny, self.n_lam


def _sky(x: np.ndarray, y: np.ndarray, ra0: Any, dec0: Any) -> tuple[np.ndarray, np.ndarray]:
    """RA in [0, 360) and Dec (deg) of tangent-plane ``x``, ``y`` (deg): :func:`gnomonic`
    inverted."""
    xr, yr = np.deg2rad(x), np.deg2rad(y)
    d0 = np.deg2rad(dec0)
    den = np.cos(d0) - yr * np.sin(d0)
    ra = np.mod(ra0 + np.rad2deg(np.arctan2(xr, den)), 360.0)
    dec = np.rad2deg(np.arctan2(np.sin(d0) + yr * np.cos(d0), np.hypot(xr, den)))
    return ra, dec


def _fit(values: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and intercept of ``values`` against their index 0, 1, ...: the
    normalised design matrix and ``lstsq`` of astropy's ``LinearLSQFitter`` (the same
    numbers: the output height is a ceiling of their ratio)."""
    idx = np.linspace(0, values.shape[0], values.shape[0], endpoint=False)
    lhs = np.asarray([idx, np.ones_like(idx)]).T
    scale = (lhs * lhs).sum(0)
    coef = np.linalg.lstsq(lhs / scale, values, rcond=None)[0] / scale
    return float(coef[0]), float(coef[1])


def _weighted_slit_position(data: np.ndarray, s: np.ndarray, lam: np.ndarray) -> float:
    """Slit y of the flux-weighted slit position: ``data`` less its minimum as weights (values
    beyond 100 sigma of the median left out, as astropy's ``sigma_clip`` at 100)."""
    ref = np.array(data, dtype=data.dtype, copy=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref -= np.nanmin(ref)
    ok = np.isfinite(s) & np.isfinite(lam) & np.isfinite(ref)
    keep = ok.copy()
    for _ in range(5):
        if not keep.any():
            break
        centre, spread = np.median(ref[keep]), np.std(ref[keep])
        kept = keep & (ref >= centre - 100.0 * spread) & (ref <= centre + 100.0 * spread)
        if kept.sum() == keep.sum():
            break
        keep = kept
    weights = np.where(keep, ref, 0.0)
    if not np.all(weights == 0.0):
        return float(np.average(s[ok], weights=weights[ok]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(s))


def _sky_frame(wcs: Any) -> str:
    return "moving_target" if "moving_target" in wcs.available_frames else "world"


def _to_slit_frame(
    wcss: Sequence[Any], points: Sequence[tuple[np.ndarray, ...]]
) -> list[tuple[np.ndarray, ...]]:
    """Sky -> slit_frame of every slit's points, in stacked calls (one per sky frame name)."""
    out: list[tuple[np.ndarray, ...]] = [() for _ in wcss]
    by_sky: dict[str, list[int]] = {}
    for i, w in enumerate(wcss):
        by_sky.setdefault(_sky_frame(w), []).append(i)
    for sky, members in by_sky.items():
        found = stacked_between(
            [wcss[i] for i in members], sky, "slit_frame", [points[i] for i in members]
        )
        for i, values in zip(members, found, strict=True):
            out[i] = values
    return out


def _wavelength_table(ref_lam: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Output column -> wavelength look-up points and values, padded half a pixel beyond
    both ends (one wavelength: that value three times)."""
    if len(ref_lam) == 1:
        return np.array([-0.5, 0.0, 0.5]), np.array(3 * ref_lam)
    n = len(ref_lam)
    first = -0.5 * (ref_lam[1] - ref_lam[0]) + ref_lam[0]
    last = (ref_lam[-1] - ref_lam[-2]) * (n - 0.5) + ref_lam[-2]  # jwst's extrapolation
    pixel = np.array([-0.5, *range(n), n - 0.5], dtype=np.float64)
    return pixel, np.array([first, *ref_lam, last], dtype=np.float64)


def output_grids(
    wcss: Sequence[Any], datas: Sequence[np.ndarray], frames: Sequence[PixelFrames]
) -> list[OutputGrid]:
    """The output grids of many slits, jwst ``build_nirspec_output_wcs`` for each alone.

    Parameters
    ----------
    wcss : each slit's gwcs with ``slit_frame`` and ``world`` frames.
    datas : each slit's science image (invalid pixels NaN): its fiducial is its
        flux-weighted slit position.
    frames : each WCS on every pixel of its image (slit frame and world,
        :func:`spec2x.instruments.nirspec.resample.nirspec_pixel_frames`).

    Returns
    -------
    One :class:`OutputGrid` per slit.

    Raises
    ------
    ValueError
        A slit with no valid wavelength.
    """
    bbs = [bounding_box(w) for w in wcss]
    det = [w.available_frames[0] for w in wcss]
    slit = [
        on_grid(between(w, d, "slit_frame"), bb, f[0])
        for w, d, bb, f in zip(wcss, det, bbs, frames, strict=True)
    ]
    world = [
        on_grid(between(w, d, _sky_frame(w)), bb, f[1])
        for w, d, bb, f in zip(wcss, det, bbs, frames, strict=True)
    ]
    # The fiducial, the fits and the slit's tangent-plane extent decide the output height (a
    # ceiling): they keep astropy's arithmetic on each slit's own arrays, as jwst, since an
    # ulp in the fiducial moves the tangent plane's near-pole values by ~1e-11 relative.
    partial = []
    ra0, dec0 = np.empty(len(wcss)), np.empty(len(wcss))
    for i, (w, data, (_, s, lam), (ra, dec, wl)) in enumerate(zip(wcss, datas, slit, world,
                                                                  strict=True)):  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean_lam = np.nanmean(lam)
        position = _weighted_slit_position(data, s, lam)
        ra0[i], dec0[i], _ = between(w, "slit_frame", _sky_frame(w))(0, position, mean_lam)
        to_tangent = _to_tangent(ra0[i], dec0[i])
        centre = int(np.mean(bbs[i], axis=1)[0])
        x_tan, y_tan = to_tangent(ra[:, centre], dec[:, centre])
        nan = np.isnan(x_tan) | np.isnan(y_tan)
        finite = np.isfinite(ra) & np.isfinite(dec)
        ext_x, ext_y = to_tangent(ra[finite], dec[finite])
        ref_lam = sampling_wavelengths(wl)
        if not ref_lam:
            raise ValueError("not enough valid wavelengths to build the output WCS")
        fits = _fit(x_tan[~nan]), _fit(y_tan[~nan])
        partial.append(_spatial(*fits, ext_x, ext_y) + _wavelength_table(ref_lam))
    n = len(wcss)
    # the slit position of each output row at the middle column: its sky position back
    # through each slit's WCS, all slits at once
    rows = []
    for i, (x_fit, y_fit, _, ny, _, table) in enumerate(partial):
        y = np.arange(ny, dtype=np.float64)
        ra, dec = _sky(x_fit[0] * y + x_fit[1], y_fit[0] * y + y_fit[1], ra0[i], dec0[i])
        rows.append((ra, dec, np.full(ny, table[1 + (len(table) - 2) // 2])))
    centre_rows = _to_slit_frame(wcss, rows)
    return [
        OutputGrid(float(ra0[i]), float(dec0[i]), *partial[i], slit_centre=centre_rows[i][1])
        for i in range(n)
    ]


def _to_tangent(ra0: float, dec0: float) -> Any:
    """Sky (deg) -> tangent plane (deg) about the fiducial ``ra0``, ``dec0``: jwst's
    ``(Pix2Sky_TAN() | RotateNative2Celestial(ra0, dec0, 180)).inverse`` built as the
    models that inverse is made of (the same numbers, without building the forward ones)."""
    from astropy.modeling.models import RotateCelestial2Native, Sky2Pix_TAN

    return RotateCelestial2Native(ra0, dec0, 180) | Sky2Pix_TAN()


def _spatial(
    x_fit: tuple[float, float], y_fit: tuple[float, float], xt: np.ndarray, yt: np.ndarray
) -> tuple[tuple[float, float], tuple[float, float], bool, int]:
    """The fits' intercepts set so the ``ny`` output rows centre on the slit's tangent-plane
    extent (``xt``, ``yt``: every finite pixel), ``swap_xy`` and ``ny``."""
    swap_xy = abs(x_fit[0]) < abs(y_fit[0])
    min_x, max_x, min_y, max_y = float(xt.min()), float(xt.max()), float(yt.min()), float(yt.max())
    diff_y, diff_x = abs(max_y - min_y), abs(max_x - min_x)
    slope_y, sign_y = abs(y_fit[0]), np.sign(y_fit[0])
    slope_x, sign_x = abs(x_fit[0]), np.sign(x_fit[0])
    ny = (int(np.ceil(diff_y / slope_y)) if swap_xy else int(np.ceil(diff_x / slope_x))) + 1
    offset_y = ny / 2 * slope_y - diff_y / 2
    offset_x = ny / 2 * slope_x - diff_x / 2
    zero_y = min_y if sign_y > 0 else max_y
    zero_x = min_x if sign_x > 0 else max_x
    y_fit = (y_fit[0], float(zero_y - sign_y * offset_y))
    x_fit = (x_fit[0], float(zero_x - sign_x * offset_x))
    return x_fit, y_fit, bool(swap_xy), ny


def grid_world(grid: OutputGrid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RA, Dec (deg) of each output row and the wavelength (µm) of each output column (the
    output WCS's sky position depends on the row only, its wavelength on the column)."""
    y = np.arange(grid.ny, dtype=np.float64)
    (xs, xi), (ys, yi) = grid.x_fit, grid.y_fit
    ra, dec = _sky(xs * y + xi, ys * y + yi, grid.ra0, grid.dec0)
    return ra, dec, grid.table[1:-1].copy()


def grid_wcs(grid: OutputGrid) -> Any:
    """The gwcs of an output grid: detector -> slit_frame -> world, as jwst builds it, with
    ``array_shape`` (ny, n_wavelengths) and its bounding box."""
    from astropy.modeling.models import (
        Const1D,
        Linear1D,
        Mapping,
        Pix2Sky_TAN,
        RotateNative2Celestial,
        Tabular1D,
    )
    from gwcs import WCS

    undist2sky = Pix2Sky_TAN() | RotateNative2Celestial(grid.ra0, grid.dec0, 180)
    wave = Tabular1D(points=grid.pixel, lookup_table=grid.table, bounds_error=False,
                     fill_value=np.nan)  # fmt: skip
    mapping = Mapping((1, 1, 0))
    mapping.inverse = Mapping((2, 1)) if grid.swap_xy else Mapping((2, 0))
    to_x = Linear1D(slope=grid.x_fit[0], intercept=grid.x_fit[1])
    to_y = Linear1D(slope=grid.y_fit[0], intercept=grid.y_fit[1])
    pix2world = mapping | (to_x & to_y | undist2sky) & wave
    slit_tab = Tabular1D(points=np.arange(grid.ny), lookup_table=grid.slit_centre,
                         bounds_error=False, fill_value=None)  # fmt: skip
    m = Mapping((0, 1, 0))
    inv = Mapping((2, 1), n_inputs=3)
    inv.inverse = m
    m.inverse = inv
    zero = Const1D(0)
    zero.inverse = zero
    det2slit = m | zero & slit_tab & wave
    slit2world = det2slit.inverse | pix2world
    f = output_frames(True)
    out = WCS([(f["det"], det2slit), (f["slit"], slit2world), (f["world"], None)])
    out.bounding_box = ((-0.5, grid.n_lam - 0.5), (-0.5, grid.ny - 0.5))
    out.array_shape = grid.shape
    return out
