"""master_background_mos: subtract a master sky spectrum from every NIRSpec MOS slitlet.

jwst 3.0.0's ``MasterBackgroundMosStep``, run in calwebb_spec2 after srctype
and before wavecorr on the MSA slitlets (not the fixed slits):

1. calibrate a copy of the slitlets (flat_field, pathloss, barshadow and
   photom, every slitlet treated as EXTENDED);
2. the 1-D master background: the user's spectrum (``user_background``), or
   the combination of the 1-D spectra of the background slitlets (those
   whose source name holds ``BKG`` or ``BACKGROUND``);
3. expand it to 2-D: each pixel of each slitlet gets the master background
   at its wavelength (linear interpolation; 0 and ``DO_NOT_USE`` outside
   the spectrum's range or where the wavelength is NaN);
4. undo the calibrations on it (photom, barshadow, pathloss, flat_field,
   inverted, still as EXTENDED) and subtract it from the uncalibrated
   slitlets, its DQ OR-ed in.

Not built yet: the master background from the background slitlets themselves
(jwst resamples and extracts them, then combines the spectra with
``combine_1d``); until it is, that path raises and a ``user_background`` is
needed. On a DataTree of slit groups the chain runs the step group by group:
the background/source slitlet counts behind ``FAILED`` are then per group.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from ..dq import DQ, DQ_DTYPE
from ..errors import InputFileError, UnsupportedModeError
from ..io.references import Reference
from . import StepContext
from ._common import record_step, require
from .barshadow import barshadow
from .flat_field import flat_field
from .pathloss import pathloss
from .photom import photom

__all__ = [
    "expand_to_slits",
    "from_chain",
    "is_background_slitlet",
    "master_background_mos",
    "read_background_spectrum",
]

#: What is not built yet: a MOS chain that runs this step by default is refused until it is.
UNFINISHED = "the master background from the background slitlets (resample, extract, combine_1d)"

log = logging.getLogger(__name__)

#: The quadrant number of the fixed slits in the MSA metadata.
_FS_QUADRANT = 5
_CALIBRATIONS = ("fflat", "sflat", "dflat", "pathloss", "barshadow", "photom", "area")


def is_background_slitlet(source_name: Any) -> np.ndarray:
    """Which slitlets jwst takes as background: ``BKG`` or ``BACKGROUND`` in the source name.

    Parameters
    ----------
    source_name : the slitlets' source names (any case).

    Returns
    -------
    bool array, one per slitlet.
    """
    names = np.char.upper(np.asarray(source_name, dtype=str))
    return (np.char.find(names, "BKG") >= 0) | (np.char.find(names, "BACKGROUND") >= 0)


def read_background_spectrum(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """(wavelength [µm], surface brightness [MJy/sr]) of a 1-D background spectrum file.

    The first binary table with ``WAVELENGTH`` and ``SURF_BRIGHT`` columns
    (a jwst ``x1d`` or ``c1d`` product), sorted by wavelength as jwst does.

    Raises
    ------
    InputFileError
        The file is missing or holds no such table.
    """
    from astropy.io import fits

    if not os.path.isfile(path):
        raise InputFileError(f"user_background {os.fspath(path)} does not exist")
    with fits.open(path) as hdus:
        for hdu in hdus:
            names = [c.upper() for c in getattr(hdu, "columns", fits.ColDefs([])).names]
            if "WAVELENGTH" in names and "SURF_BRIGHT" in names:
                wave = np.asarray(hdu.data["WAVELENGTH"], np.float64)
                bright = np.asarray(hdu.data["SURF_BRIGHT"], np.float64)
                order = np.argsort(wave, kind="stable") if np.any(np.diff(wave) <= 0) else None
                return (wave, bright) if order is None else (wave[order], bright[order])
    raise InputFileError(
        f"user_background {os.fspath(path)} has no table with WAVELENGTH and SURF_BRIGHT "
        "columns; give a 1-D spectrum (x1d or c1d product)"
    )


def expand_to_slits(
    ds: xr.Dataset, wavelength: np.ndarray, surf_bright: np.ndarray
) -> tuple[xr.DataArray, xr.DataArray]:
    """The 1-D master background on every pixel of every slitlet (jwst ``expand_to_2d``).

    Parameters
    ----------
    ds : slitlets with a ``wavelength`` (µm) on ``(slit, y, x)``.
    wavelength, surf_bright : the master background, increasing wavelengths.

    Returns
    -------
    (background on the pixels of ``ds``, bool mask of the pixels outside the
    spectrum's range or without a wavelength, which jwst flags ``DO_NOT_USE``).
    """
    wl = ds["wavelength"]
    outside = ~((wl >= wavelength.min()) & (wl <= wavelength.max()))
    values = xr.apply_ufunc(
        lambda w: np.interp(np.where(np.isfinite(w), w, -1.0), wavelength, surf_bright, 0.0, 0.0),
        wl.where(~outside, -1.0),
        dask="parallelized",
        output_dtypes=[np.float64],
    )
    return values, outside


def _calibrate(ds: xr.Dataset, refs: Mapping[str, Reference | None], inverse: bool) -> xr.Dataset:
    """flat_field, pathloss, barshadow, photom as EXTENDED (in reverse order when inverting)."""
    flats = {k: refs.get(k) for k in ("fflat", "sflat", "dflat")}
    steps = [
        lambda d: flat_field(d, **flats, inverse=inverse),
        lambda d: pathloss(d, refs.get("pathloss"), inverse=inverse, source_type="EXTENDED"),
        lambda d: barshadow(d, refs.get("barshadow"), inverse=inverse, source_type="EXTENDED"),
        lambda d: _photom(d, refs, inverse),
    ]
    for step in reversed(steps) if inverse else steps:
        ds = step(ds)
    return ds


def _photom(ds: xr.Dataset, refs: Mapping[str, Reference | None], inverse: bool) -> xr.Dataset:
    """photom as EXTENDED; with the photom reference N/A the data pass unchanged, as jwst."""
    response = refs.get("photom")
    if response is None:
        return ds
    return photom(ds, response, area=refs.get("area"), inverse=inverse, source_type="EXTENDED")


def master_background_mos(
    ds: xr.Dataset,
    refs: Mapping[str, Reference | None],
    *,
    user_background: tuple[np.ndarray, np.ndarray] | None = None,
    force_subtract: bool = False,
    inverse: bool = False,
) -> xr.Dataset:
    """Subtract the master background from the MSA slitlets (jwst ``MasterBackgroundMosStep``).

    Parameters
    ----------
    ds : MSA slitlets after srctype, ``(slit, y, x)`` in DN/s, with ``wavelength``.
    refs : ``fflat``, ``sflat``, ``dflat``, ``pathloss``, ``barshadow``,
        ``photom`` and ``area`` references (those the chain's steps use).
    user_background : (wavelength [µm], surface brightness [MJy/sr]) of the
        master background; None: made from the background slitlets.
    force_subtract : subtract even when ``bkg_subtract`` or this step already ran.
    inverse : add the background instead of subtracting it.

    Returns
    -------
    Dataset with ``sci - background`` and the background's DQ OR-ed in; err
    and variances unchanged, as in jwst. ``S_MSBSUB`` is ``COMPLETE``;
    ``SKIPPED`` after a background subtraction; ``FAILED`` (data unchanged)
    without background slitlets or without source slitlets.

    Raises
    ------
    UnsupportedModeError
        ``user_background`` is None and there are background slitlets: the
        master background from the slitlets is not built yet.
    """
    require(ds, "sci", "dq", coords=("source_name",), step="master_background_mos")
    done = [ds.attrs.get(k) for k in ("S_BKDSUB", "S_MSBSUB")]
    if not force_subtract and "COMPLETE" in done:
        log.info("master_background_mos: background subtraction has already occurred; skipped")
        return record_step(ds, "master_background_mos", status="SKIPPED")
    msa = _msa_slitlets(ds)
    if not msa.any():
        log.info("master_background_mos: no MSA slitlets (fixed slits only); skipped")
        return record_step(ds, "master_background_mos", status="SKIPPED")
    if user_background is None:
        nbkg = int(is_background_slitlet(ds["source_name"].values[msa]).sum())
        if nbkg == 0 or nbkg == msa.sum():
            which = "background" if nbkg == 0 else "source"
            log.warning("master_background_mos: no %s slitlets; step FAILED", which)
            return record_step(ds, "master_background_mos", status="FAILED")
        raise UnsupportedModeError(
            f"master_background_mos: {UNFINISHED} is not built yet ({nbkg} background "
            "slitlets); give a 1-D spectrum with user_background, or skip the step "
            "(--skip master_background_mos)"
        )
    msa = np.flatnonzero(msa)
    background = _decalibrated_background(ds.isel(slit=msa), refs, user_background)
    sign = -1.0 if inverse else 1.0
    sci, dq = ds["sci"].values.copy(), ds["dq"].values.copy()
    sci[msa] = sci[msa] - sign * background["sci"].values
    dq[msa] |= background["dq"].values.astype(DQ_DTYPE)
    out = ds.assign(
        sci=(ds["sci"].dims, sci, ds["sci"].attrs), dq=(ds["dq"].dims, dq, ds["dq"].attrs)
    )
    log.info("master_background_mos: subtracted the master background from %d MSA slitlets",
             msa.size)  # fmt: skip
    return record_step(out, "master_background_mos")


def _msa_slitlets(ds: xr.Dataset) -> np.ndarray:
    """The MSA slitlets (quadrants 1-4); the fixed slits of a MOS exposure (quadrant 5)
    are left alone, as jwst calibrates them apart."""
    if "quadrant" not in ds.coords:
        return np.ones(ds.sizes["slit"], bool)
    return np.asarray(ds["quadrant"].values) < _FS_QUADRANT


def _decalibrated_background(
    ds: xr.Dataset,
    refs: Mapping[str, Reference | None],
    spectrum: tuple[np.ndarray, np.ndarray],
) -> xr.Dataset:
    """The master background on the slitlets' pixels, in their uncalibrated units (DN/s)."""
    pre = _calibrate(ds, refs, inverse=False)
    values, outside = expand_to_slits(pre, *spectrum)
    flag = outside & _real_pixels(pre)
    background = pre.assign(
        sci=values.astype(np.float32).transpose(*pre["sci"].dims).assign_attrs(pre["sci"].attrs),
        dq=(pre["dq"] | xr.where(flag, DQ.DO_NOT_USE, 0)).astype(DQ_DTYPE),
    )
    return _calibrate(background, refs, inverse=True)


def _real_pixels(ds: xr.Dataset) -> xr.DataArray:
    """True on each slitlet's own pixels, False on the padding of the slit stack."""
    ny = xr.DataArray(np.arange(ds.sizes["y"]), dims="y")
    nx = xr.DataArray(np.arange(ds.sizes["x"]), dims="x")
    return (ny < ds["ysize"]) & (nx < ds["xsize"])


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: the calibration references and the step's parameters."""
    params = ctx.params
    path = params.get("user_background")
    refs = {t: ctx.ref(t, ds) for t in _CALIBRATIONS}
    return master_background_mos(
        ds,
        refs,
        user_background=None if path is None else read_background_spectrum(path),
        force_subtract=bool(params.get("force_subtract", False)),
        inverse=bool(params.get("inverse", False)),
    )
