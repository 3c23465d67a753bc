"""master_background_mos: subtract a master sky spectrum from every NIRSpec MOS slitlet.

jwst 3.0.0's ``MasterBackgroundMosStep``, run in calwebb_spec2 after srctype
and before wavecorr on the MSA slitlets (not the fixed slits):

1. calibrate a copy of the slitlets (flat_field, pathloss, barshadow and
   photom, every slitlet treated as EXTENDED);
2. the 1-D master background: the user's spectrum (``user_background``), or
   the background slitlets (those whose source name holds ``BKG`` or
   ``BACKGROUND``) resampled, extracted and combined with ``combine_1d``
   (:mod:`._master_background_slitlets`);
3. expand it to 2-D: each pixel of each slitlet gets the master background
   at its wavelength (linear interpolation; 0 and ``DO_NOT_USE`` outside
   the spectrum's range or where the wavelength is NaN);
4. undo the calibrations on it (photom, barshadow, pathloss, flat_field,
   inverted, still as EXTENDED) and subtract it from the uncalibrated
   slitlets, its DQ OR-ed in.

The step takes a whole slits product: on a DataTree of slit groups the
master background comes from the background slitlets of every group and is
subtracted group by group.  One difference from jwst: when no background
spectrum has a finite flux, jwst's combine_1d hands back the input spectra
and the step goes on with them; spec2x records ``FAILED`` and leaves the
data unchanged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Iterator, Mapping
from typing import Any

import numpy as np
import xarray as xr

from ..dq import DQ, DQ_DTYPE
from ..errors import InputFileError
from ..io.references import Reference
from ..slits import Slits, groups, merge, to_tree
from . import StepContext
from ._common import record_step, require
from ._master_background_slitlets import background_from_slitlets
from .barshadow import barshadow
from .flat_field import flat_field
from .pathloss import pathloss
from .photom import photom

__all__ = [
    "CALIBRATIONS",
    "expand_to_slits",
    "from_chain",
    "is_background_slitlet",
    "master_background_mos",
    "read_background_spectrum",
]

log = logging.getLogger(__name__)

#: The chain's steps this one runs forwards and then inverts, in jwst's order.
CALIBRATIONS = ("flat_field", "pathloss", "barshadow", "photom")

#: The quadrant number of the fixed slits in the MSA metadata.
_FS_QUADRANT = 5
_REFTYPES = (
    "fflat", "sflat", "dflat", "pathloss", "barshadow", "photom", "area", "extract1d", "apcorr",
)  # fmt: skip


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

    Notes
    -----
    The wavelengths are taken at float32, as jwst stores a slit's
    ``wavelength``: a noisy master spectrum interpolated at float64
    wavelengths would differ from jwst's by a few 1e-6.
    """
    wl = ds["wavelength"].astype(np.float32).astype(np.float64)
    outside = ~((wl >= wavelength.min()) & (wl <= wavelength.max()))
    values = xr.apply_ufunc(
        lambda w: np.interp(np.where(np.isfinite(w), w, -1.0), wavelength, surf_bright, 0.0, 0.0),
        wl.where(~outside, -1.0),
        dask="parallelized",
        output_dtypes=[np.float64],
    )
    return values, outside


def _calibrate(
    ds: xr.Dataset,
    refs: Mapping[str, Reference | None],
    inverse: bool,
    skip: Collection[str] = (),
) -> xr.Dataset:
    """flat_field, pathloss, barshadow, photom as EXTENDED (in reverse order when inverting),
    leaving out those named in ``skip``."""
    steps = {
        "flat_field": lambda d: flat_field(
            d,
            fflat=refs.get("fflat"),
            sflat=refs.get("sflat"),
            dflat=refs.get("dflat"),
            inverse=inverse,
        ),
        "pathloss": lambda d: pathloss(
            d, refs.get("pathloss"), inverse=inverse, source_type="EXTENDED"
        ),
        "barshadow": lambda d: barshadow(
            d, refs.get("barshadow"), inverse=inverse, source_type="EXTENDED"
        ),
        "photom": lambda d: _photom(d, refs, inverse),
    }
    order = [name for name in CALIBRATIONS if name not in skip]
    for name in reversed(order) if inverse else order:
        ds = steps[name](ds)
    return ds


def _photom(ds: xr.Dataset, refs: Mapping[str, Reference | None], inverse: bool) -> xr.Dataset:
    """photom as EXTENDED; with the photom reference N/A the data pass unchanged, as jwst."""
    response = refs.get("photom")
    if response is None:
        return ds
    return photom(ds, response, area=refs.get("area"), inverse=inverse, source_type="EXTENDED")


def master_background_mos(
    slits: Slits,
    refs: Mapping[str, Reference | None],
    *,
    user_background: tuple[np.ndarray, np.ndarray] | None = None,
    sigma_clip: float | None = 3.0,
    median_kernel: int = 1,
    force_subtract: bool = False,
    inverse: bool = False,
    skip: Collection[str] = (),
) -> Slits:
    """Subtract the master background from the MSA slitlets (jwst ``MasterBackgroundMosStep``).

    Parameters
    ----------
    slits : MSA slitlets after srctype, ``(slit, y, x)`` in DN/s, with
        ``wavelength``: one Dataset or a DataTree of slit groups (the master
        background is made from the background slitlets of every group).
    refs : ``fflat``, ``sflat``, ``dflat``, ``pathloss``, ``barshadow``,
        ``photom`` and ``area`` references (those the chain's steps use), and
        ``extract1d`` and ``apcorr`` for the background spectra.
    user_background : (wavelength [µm], surface brightness [MJy/sr]) of the
        master background; None: made from the background slitlets.
    sigma_clip : outlier clipping factor when combining the background
        spectra (None: no clipping).
    median_kernel : moving-median width applied to the combined background.
    force_subtract : subtract even when ``bkg_subtract`` or this step already ran.
    inverse : add the background instead of subtracting it.
    skip : calibrations of :data:`CALIBRATIONS` to leave out, forwards and
        backwards (the chain passes the steps it skips, as jwst's sub-steps
        take their parent's ``skip``).

    Returns
    -------
    Slits of the same layout with ``sci - background`` on the MSA slitlets
    (background slitlets included, as jwst) and the background's DQ OR-ed in;
    err and variances unchanged, as in jwst. ``S_MSBSUB`` is ``COMPLETE``;
    ``SKIPPED`` after a background subtraction; ``FAILED`` (data unchanged)
    without background or source slitlets, or when no background spectrum
    has a finite flux.

    Notes
    -----
    Dask-backed slitlets stay lazy except the background slitlets, which
    are computed once to make the master spectrum (resample_spec reads them
    whole); with ``user_background`` nothing is computed.
    """
    parts = groups(slits)
    for part in parts:
        require(part, "sci", "dq", coords=("source_name",), step="master_background_mos")
    attrs = parts[0].attrs if isinstance(slits, xr.DataTree) else slits.attrs
    done = [attrs.get(k) for k in ("S_BKDSUB", "S_MSBSUB")]
    if not force_subtract and "COMPLETE" in done:
        log.info("master_background_mos: background subtraction has already occurred; skipped")
        return _status(slits, "SKIPPED")
    msa = [np.flatnonzero(_msa_slitlets(p)) for p in parts]
    if not any(m.size for m in msa):
        log.info("master_background_mos: no MSA slitlets (fixed slits only); skipped")
        return _status(slits, "SKIPPED")
    bkg = [
        is_background_slitlet(p["source_name"].values[m]) for p, m in zip(parts, msa, strict=True)
    ]
    nbkg = sum(int(b.sum()) for b in bkg)
    if user_background is None and (nbkg == 0 or nbkg == sum(m.size for m in msa)):
        which = "background" if nbkg == 0 else "source"  # before any work: fail fast
        log.warning("master_background_mos: no %s slitlets; step FAILED", which)
        return _status(slits, "FAILED")
    pre = [
        _calibrate(p.isel(slit=m), refs, inverse=False, skip=skip) if m.size else None
        for p, m in zip(parts, msa, strict=True)
    ]
    spectrum = user_background
    if spectrum is None:
        background = merge(
            [
                c.isel(slit=np.flatnonzero(b))
                for c, b in zip(pre, bkg, strict=True)
                if b.any() and c is not None
            ]
        )
        spectrum = background_from_slitlets(
            background, refs.get("extract1d"), refs.get("apcorr"),
            sigma_clip=sigma_clip, median_kernel=median_kernel,
        )  # fmt: skip
        if spectrum is None:
            log.warning("master_background_mos: no master background could be made; step FAILED")
            return _status(slits, "FAILED")
    sign = -1.0 if inverse else 1.0
    out = [
        _subtract(p, m, _decalibrated_background(c, refs, spectrum, skip), sign)
        if m.size and c is not None
        else p
        for p, m, c in zip(parts, msa, pre, strict=True)
    ]
    log.info("master_background_mos: subtracted the master background from %d MSA slitlets",
             sum(m.size for m in msa))  # fmt: skip
    return _status(to_tree(out) if isinstance(slits, xr.DataTree) else out[0], "COMPLETE")


def _status(slits: Slits, status: str) -> Slits:
    """``S_MSBSUB`` on every group (and the root of a DataTree)."""
    if isinstance(slits, xr.Dataset):
        return record_step(slits, "master_background_mos", status=status)
    return to_tree([record_step(p, "master_background_mos", status=status) for p in groups(slits)])


def _subtract(ds: xr.Dataset, msa: np.ndarray, background: xr.Dataset, sign: float) -> xr.Dataset:
    """``ds`` with ``background`` (on its slits ``msa``) subtracted and its DQ OR-ed in; lazy
    on Dask (the background is placed on every slit by one take along ``slit``)."""
    sci, dq = ds["sci"], ds["dq"]
    place = np.zeros(ds.sizes["slit"], np.intp)
    place[msa] = np.arange(msa.size)
    on = np.zeros(ds.sizes["slit"], bool)
    on[msa] = True
    mask = xr.DataArray(on, dims="slit")
    values = background["sci"].transpose(*sci.dims).data[place]
    flags = background["dq"].transpose(*dq.dims).data[place]
    level = xr.DataArray(values, dims=sci.dims)
    bits = xr.DataArray(flags, dims=dq.dims).where(mask, 0).astype(DQ_DTYPE)
    new_sci = xr.where(mask, sci - sign * level, sci).astype(sci.dtype)
    return ds.assign(sci=new_sci.assign_attrs(sci.attrs), dq=(dq | bits).assign_attrs(dq.attrs))


def _msa_slitlets(ds: xr.Dataset) -> np.ndarray:
    """The MSA slitlets (quadrants 1-4); the fixed slits of a MOS exposure (quadrant 5)
    are left alone, as jwst calibrates them apart."""
    if "quadrant" not in ds.coords:
        return np.ones(ds.sizes["slit"], bool)
    return np.asarray(ds["quadrant"].values) < _FS_QUADRANT


def _decalibrated_background(
    pre: xr.Dataset,
    refs: Mapping[str, Reference | None],
    spectrum: tuple[np.ndarray, np.ndarray],
    skip: Collection[str],
) -> xr.Dataset:
    """The master background on the pixels of ``pre`` (slitlets calibrated as EXTENDED),
    taken back to their uncalibrated units (DN/s)."""
    values, outside = expand_to_slits(pre, *spectrum)
    flag = outside & _real_pixels(pre)
    background = pre.assign(
        sci=values.astype(np.float32).transpose(*pre["sci"].dims).assign_attrs(pre["sci"].attrs),
        dq=(pre["dq"] | xr.where(flag, DQ_DTYPE(DQ.DO_NOT_USE), DQ_DTYPE(0))).astype(DQ_DTYPE),
    )
    return _calibrate(background, refs, inverse=True, skip=skip)


def _real_pixels(ds: xr.Dataset) -> xr.DataArray:
    """True on each slitlet's own pixels, False on the padding of the slit stack."""
    ny = xr.DataArray(np.arange(ds.sizes["y"]), dims="y")
    nx = xr.DataArray(np.arange(ds.sizes["x"]), dims="x")
    return (ny < ds["ysize"]) & (nx < ds["xsize"])


class _LazyRefs(Mapping[str, "Reference | None"]):
    """The step's references, each opened when first used (none when the step fails early)."""

    def __init__(self, ctx: StepContext, ds: xr.Dataset) -> None:
        self._ctx, self._ds = ctx, ds
        self._open: dict[str, Reference | None] = {}

    def __getitem__(self, reftype: str) -> Reference | None:
        if reftype not in _REFTYPES:
            raise KeyError(reftype)
        if reftype not in self._open:
            self._open[reftype] = self._ctx.ref(reftype, self._ds)
        return self._open[reftype]

    def __iter__(self) -> Iterator[str]:
        return iter(_REFTYPES)

    def __len__(self) -> int:
        return len(_REFTYPES)


def from_chain(slits: Slits, ctx: StepContext) -> Slits:
    """Chain adapter: the calibration and extraction references and the step's parameters.

    Takes the whole product (every slit group): the master background is made
    from the background slitlets of all groups."""
    params = ctx.params
    path = params.get("user_background")
    refs = _LazyRefs(ctx, groups(slits)[0])
    clip = params.get("sigma_clip", 3.0)
    return master_background_mos(
        slits,
        refs,
        user_background=None if path is None else read_background_spectrum(path),
        sigma_clip=None if clip is None else float(clip),
        median_kernel=int(params.get("median_kernel", 1)),
        force_subtract=bool(params.get("force_subtract", False)),
        inverse=bool(params.get("inverse", False)),
        skip=tuple(params.get("skip_calibrations", ())),
    )


#: The chain runner passes the whole slits product (all groups) to this step.
from_chain.whole_product = True  # type: ignore[attr-defined]
