"""wavecorr: wavelength zero-point correction of off-centre point sources in NIRSpec slits.

Only point sources are corrected (``srctype == "POINT"``), in ``NRS_FIXEDSLIT``,
``NRS_BRIGHTOBJ`` (aperture = slit name) and ``NRS_MSASPEC``/``NRS_AUTOFLAT``
(aperture ``MOS``).  The step needs, per slit, the source position along the
dispersion (``source_xpos``, fraction of the slit width) and the dispersion
(wavelength step per pixel), and nothing else from the WCS:

- jwst takes the dispersion from the WCS at ``x ± 0.5``; here it is the
  ``dispersion`` argument, or, when not given, the finite difference of the
  ``wavelength`` coord along x (:func:`spec2x._kernels.wavecorr.dispersion_from_wavelength`).
  :func:`from_chain` uses the slits' WCS like jwst when they carry one.
- jwst inserts a ``wavecorr_frame`` into each corrected slit's WCS and
  recomputes the wavelengths from it; here the ``wavelength`` coord is
  corrected directly (the same curve), the input one is kept as coord
  ``wavelength_uncorrected`` (what jwst gets by skipping that frame; the
  flat field and pathloss use it for the uniform-source arrays), and the
  frame is inserted into the stored WCS too when there is one, so later
  WCS-based steps (resample_spec) see the correction.
- A source position outside the slit (``|source_xpos| > 0.5``) is
  extrapolated from the table, as jwst does; a warning says so.  A slit whose
  correction is not monotonic, whose position is NaN, or whose aperture is not
  in the file is left as it is; the per-slit coord ``wavelength_corrected``
  tells which slits were corrected.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import xarray as xr

from .._kernels import wavecorr as kern
from ..errors import ReferenceMismatchError, Spec2xWarning
from ..instruments.nirspec.refs_cal import WaveCorr
from ..instruments.nirspec.wcs import world_wavelength
from ..io.references import Reference
from ..modes import exp_type_of, lookup
from ..wcs.store import slit_wcs, wcs_coord, with_wcs_coord
from . import StepContext
from ._common import record_step, require

__all__ = ["dispersion_from_wcs", "from_chain", "wavecorr"]

log = logging.getLogger(__name__)


def _is_point(ds: xr.Dataset) -> np.ndarray:
    n = ds.sizes["slit"]
    if "srctype" in ds.coords:
        src = np.char.upper(np.char.strip(np.asarray(ds["srctype"].values).astype(str)))
    else:
        src = np.full(n, str(ds.attrs.get("SRCTYPE", "")).upper())
    return src == "POINT"


def dispersion_from_wcs(ds: xr.Dataset, only: np.ndarray | None = None) -> xr.DataArray:
    """Dispersion (µm/pixel) of each slit from its WCS at ``x ± 0.5``, as jwst computes it.

    Needs a per-slit WCS (``attrs["wcs"]`` a mapping slit_name -> stored WCS)
    whose input is the 0-based pixel of the cut-out.  ``only`` (bool per slit):
    the slits to compute (the others NaN: wavecorr corrects point sources only);
    each slit is evaluated on its own cut-out (``ysize``, ``xsize``) when the
    coords are there, its padding being NaN either way.
    """
    from ..wcs.store import get_wcs

    n, ny, nx = ds.sizes["slit"], ds.sizes["y"], ds.sizes["x"]
    wanted = np.ones(n, bool) if only is None else np.asarray(only, bool)
    sizes = (
        zip(np.asarray(ds["ysize"].values), np.asarray(ds["xsize"].values), strict=True)
        if "ysize" in ds.coords and "xsize" in ds.coords
        else [(ny, nx)] * n
    )
    yy, xx = np.mgrid[0:ny, 0:nx].astype(np.float64)
    out = np.full((n, ny, nx), np.nan)
    names = np.asarray(ds["slit_name"].values).astype(str)
    for i, (name, (ys, xs)) in enumerate(zip(names, sizes, strict=True)):
        if not wanted[i]:
            continue
        x, y = xx[:ys, :xs], yy[:ys, :xs]
        # both sides of every pixel in one evaluation of the slit's transform
        plus, minus = world_wavelength(
            get_wcs(ds, name), np.stack((x + 0.5, x - 0.5)), np.stack((y, y))
        )
        out[i, :ys, :xs] = plus - minus
    out = np.where(np.isnan(ds["wavelength"].values), np.nan, out)
    return xr.DataArray(out, dims=("slit", "y", "x"), attrs={"units": "um"})


def _insert_frame(wcs: Any, lam_mean: np.ndarray, lam_corr: np.ndarray) -> Any:
    """jwst's ``wavecorr_frame`` after ``slit_frame`` (wavelengths in m)."""
    from astropy import units as u
    from astropy.modeling import tabular
    from astropy.modeling.mappings import Identity
    from gwcs import coordinate_frames as cf

    spatial = cf.Frame2D(
        name="slit_spatial", axes_order=(0, 1), unit=("", ""), axes_names=("x_slit", "y_slit")
    )
    spec = cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.micron,), axes_names=("wavelength",)
    )
    frame = cf.CompositeFrame([spatial, spec], name="wavecorr_frame")
    lookup = tabular.Tabular1D(
        points=lam_mean,
        lookup_table=lam_corr,
        bounds_error=False,
        fill_value=None,
        name="wave2wavecorr",
    )
    wcs.insert_frame("slit_frame", Identity(2) & lookup, frame)
    return wcs


def _update_wcs(
    ds: xr.Dataset,
    dispersion: xr.DataArray,
    apertures: np.ndarray,
    tables: list[kern.OffsetTable],
    done: np.ndarray,
) -> dict[str, Any]:
    """Per-slit WCS with the wavecorr frame inserted (eager; only with a stored WCS)."""
    from ..wcs.store import copy_pipeline, get_wcs, stored_wcs

    stored = slit_wcs(ds) or {}
    names = np.asarray(ds["slit_name"].values).astype(str)
    wl = np.asarray(ds["wavelength"].values)
    disp = np.asarray(dispersion.values)
    xpos = np.asarray(ds["source_xpos"].values, float)
    for i, name in enumerate(names):
        if not done[i] or name not in stored:
            continue
        w = copy_pipeline(get_wcs(ds, name))
        if "slit_frame" not in w.available_frames or "wavecorr_frame" in w.available_frames:
            continue
        curve = kern.correction_curve(wl[i] * 1e-6, disp[i] * 1e-6, xpos[i], tables[apertures[i]])
        if curve is not None:
            stored[name] = stored_wcs(_insert_frame(w, *curve))
    return stored


def _offset_tables(
    ds: xr.Dataset, reference: Reference, names: np.ndarray, xpos: np.ndarray, *, by_slit_name: bool
) -> tuple[list[kern.OffsetTable], np.ndarray]:
    """The zero-point tables used and, per slit, the index of its table (-1: not corrected).

    Only point-source slits with a finite ``source_xpos`` and an aperture in
    the reference (the slit name, or ``MOS``) are corrected; a source
    outside the slit is warned about and corrected by extrapolation, as jwst.
    """
    content = reference.content
    point = _is_point(ds)
    tables: list[kern.OffsetTable] = []
    index: dict[str, int] = {}
    apertures = np.full(len(names), -1, np.intp)
    for i, name in enumerate(names):
        if not point[i]:
            continue
        ap_name = name if by_slit_name else "MOS"
        ap = content.apertures.get(ap_name)
        if ap is None:
            log.warning(
                "wavecorr: no zero-point correction for aperture %s in %s", ap_name, reference.name
            )
            continue
        if not np.isfinite(xpos[i]):
            log.warning("wavecorr: slit %s has no source_xpos; not corrected", name)
            continue
        if abs(xpos[i]) > 0.5:
            warnings.warn(
                f"wavecorr: slit {name} source_xpos={xpos[i]:.3f} lies outside the slit "
                "(|x| > 0.5); the zero-point table is extrapolated, as jwst does",
                Spec2xWarning,
                stacklevel=3,
            )
        if ap_name not in index:
            index[ap_name] = len(tables)
            tables.append((ap.wavelength, ap.position, ap.offset))
        apertures[i] = index[ap_name]
    return tables, apertures


def wavecorr(
    ds: xr.Dataset, reference: Reference | None, *, dispersion: xr.DataArray | None = None
) -> xr.Dataset:
    """Correct the wavelengths of off-centre point sources in NIRSpec slits.

    Parameters
    ----------
    ds : slits product with coords ``wavelength (slit, y, x)`` (µm) and per-slit
        ``slit_name``, ``srctype``, ``source_xpos`` (fraction of the slit width,
        0 = centre, ±0.5 = edges); attrs ``EXP_TYPE``.
    reference : opened ``wavecorr`` reference; None (N/A) skips the step, as jwst.
    dispersion : wavelength step per pixel along x (µm), dims (slit, y, x);
        default: finite differences of ``wavelength``.

    Returns
    -------
    Dataset with the ``wavelength`` coord corrected on point-source slits,
    ``wavelength_uncorrected`` (the input wavelengths) and per-slit
    ``wavelength_corrected`` (bool); ``S_WAVCOR`` COMPLETE if a slit could be
    corrected, else SKIPPED; the data variables are not touched.

    Notes
    -----
    With :math:`\\bar\\lambda_j`, :math:`\\bar d_j` the column means of the
    wavelength and dispersion and :math:`o(\\lambda, x)` the reference offset
    (pixels), every pixel's wavelength is mapped through the piecewise-linear
    curve :math:`\\bar\\lambda_j \\mapsto \\bar\\lambda_j + o(\\bar\\lambda_j, x_s)\\,\\bar d_j`.
    """
    require(ds, coords=("wavelength", "slit_name", "source_xpos"), step="wavecorr")
    exp_type = exp_type_of(ds)
    mode = lookup(exp_type)
    if mode is None or not mode.wavecorr or "slit" not in ds["wavelength"].dims:
        log.info("wavecorr: skipped for EXP_TYPE=%s", exp_type)
        return record_step(ds, "wavecorr", status="SKIPPED")
    if reference is None:
        log.info("wavecorr: no wavecorr reference (N/A); step skipped")
        return record_step(ds, "wavecorr", status="SKIPPED")
    if not isinstance(reference.content, WaveCorr):
        raise ReferenceMismatchError(f"{reference.name} is not a wavecorr reference")
    names = np.asarray(ds["slit_name"].values).astype(str)
    xpos = np.asarray(ds["source_xpos"].values, float)
    tables, apertures = _offset_tables(
        ds, reference, names, xpos, by_slit_name=mode.wavecorr_by_slit_name
    )
    if dispersion is None:
        dispersion = xr.apply_ufunc(
            kern.dispersion_from_wavelength,
            ds["wavelength"].variable,
            dask="parallelized",
            output_dtypes=[np.float64],
        )
    disp = dispersion.variable if isinstance(dispersion, xr.DataArray) else dispersion
    new_wl, done = xr.apply_ufunc(
        kern.zero_point_correction,
        ds["wavelength"].variable,
        disp,
        xr.Variable("slit", xpos),
        xr.Variable("slit", apertures),
        kwargs={"tables": tables},
        input_core_dims=[["y", "x"], ["y", "x"], [], []],
        output_core_dims=[["y", "x"], []],
        dask="parallelized",
        output_dtypes=[np.float64, bool],
    )
    wl_attrs = dict(ds["wavelength"].attrs)
    coords: dict[str, Any] = {
        "wavelength": new_wl.transpose(*ds["wavelength"].dims).copy(deep=False),
        "wavelength_corrected": done,
    }
    if "wavelength_uncorrected" not in ds.coords:
        coords["wavelength_uncorrected"] = ds["wavelength"].variable
    out = ds.assign_coords(coords)
    out["wavelength"].attrs = wl_attrs
    out["wavelength_uncorrected"].attrs = wl_attrs
    status = "COMPLETE" if (apertures >= 0).any() else "SKIPPED"
    if slit_wcs(ds) and status == "COMPLETE":
        updated = _update_wcs(ds, xr.DataArray(disp), apertures, tables, np.asarray(done))
        names = np.asarray(ds["slit_name"].values).astype(str)
        out = with_wcs_coord(out, always=True).assign_coords(
            wcs=wcs_coord([updated.get(n) for n in names])
        )
    log.info(
        "wavecorr: %d of %d slits are point sources with a zero-point table (%s)",
        int((apertures >= 0).sum()),
        len(names),
        reference.name,
    )
    return record_step(out, "wavecorr", reference if status == "COMPLETE" else None, status=status)


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: the ``wavecorr`` reference (N/A -> skipped); the WCS dispersion when stored."""
    ref = ctx.ref("wavecorr", ds)
    if ref is None:
        return wavecorr(ds, None)
    dispersion = None
    stored = slit_wcs(ds)
    if stored and "slit" in ds.dims:
        names = np.asarray(ds["slit_name"].values).astype(str)
        if all(n in stored for n in names):
            dispersion = dispersion_from_wcs(ds, only=_is_point(ds))
    return wavecorr(ds, ref, dispersion=dispersion)
