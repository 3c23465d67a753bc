"""extract_1d: boxcar extraction of 1-D spectra from slit and slitless images.

Modes: MIRI LRS fixed slit (one image), MIRI LRS slitless TSO (a stack of
integrations, extracted in one vectorised call), NIRSpec fixed slit (a slits
product, one spectrum per slit).  The algorithm and defaults are jwst 3.0.0's
``Extract1dStep`` with ``extraction_type="box"``.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any, Literal

import numpy as np
import xarray as xr

from .._kernels import extract_1d as _k
from .._kernels.extract_location import location_from_wcs
from ..errors import ParameterError, UnsupportedModeError
from ..io.references import Reference
from ..modes import exp_type_of, lookup
from ..wcs.store import wcs_object
from . import StepContext
from ._common import record_step, require
from ._extract_apcorr import apply_apcorr as _apply_apcorr
from ._extract_ifu import ifu_from_chain, is_cube
from ._extract_params import extract_parameters, source_info, spectrum_info
from ._extract_sky import sky_positions
from ._extract_spectra import finish_spectra

__all__ = ["extract_1d", "from_chain"]

log = logging.getLogger(__name__)

#: Most padded pixels of the slits extracted in one kernel call: its float64 copies and
#: profiles (~50 bytes a pixel) stay this small however large a group of cut-outs is.
BLOCK_PIXELS = 1_000_000

_OUT = (
    "flux",
    "flux_var_poisson",
    "flux_var_rnoise",
    "flux_var_flat",
    "background",
    "bkg_var_poisson",
    "bkg_var_rnoise",
    "bkg_var_flat",
    "npixels",
)


def extract_1d(
    ds: xr.Dataset,
    extract1d_ref: Reference | None = None,
    *,
    apcorr: Reference | None = None,
    apply_apcorr: bool = True,
    subtract_background: bool | None = None,
    use_source_posn: bool | None = None,
    position_offset: float = 0.0,
    smoothing_length: int | None = None,
    bkg_fit: Literal["poly", "mean", "median"] | None = None,
    bkg_order: int | None = None,
    extraction_type: Literal["box", "optimal"] | None = "box",
    log_increment: int = 50,
) -> xr.Dataset:
    """Extract 1-D spectra with a boxcar aperture.

    Parameters
    ----------
    ds : calibrated exposure ``(y, x)`` / ``(integration, y, x)`` or slits
        ``(slit, y, x)``, with a ``wavelength`` coordinate (µm) and, for
        recentring or RA/Dec, a WCS (``attrs["wcs"]``).  Units MJy/sr (MJy for
        NIRSpec point sources) after photom, else DN/s.
    extract1d_ref : the EXTRACT1D reference (JSON apertures), or None for the
        whole image.
    apcorr : the APCORR reference; applied to point sources only.
    apply_apcorr : apply the aperture correction when ``apcorr`` is given.
    subtract_background : None follows the reference (on where it has
        ``bkg_coeff``).
    use_source_posn : recentre the aperture on the source from the WCS; None
        means on for point sources in MIR_LRS-FIXEDSLIT and NRS_* slit modes
        unless the reference says otherwise.
    position_offset : extra cross-dispersion shift of the aperture (pixels).
    smoothing_length, bkg_fit, bkg_order : background options; None takes the
        reference's value (defaults 0, "poly", 0).
    extraction_type : only ``"box"`` (optimal needs a PSF reference; jwst
        falls back to box without one, and so does this).
    log_increment : kept for jwst compatibility (spectra are extracted at once).

    Returns
    -------
    Dataset of spectra: dims ``(spectral,)``, ``(integration, spectral)`` or
    ``(slit, spectral)``; ``flux`` in Jy (DN/s before photom), ``surf_bright``
    and ``background`` in MJy/sr, variance and error columns, ``npixels``,
    ``dq`` (DO_NOT_USE where the flux is NaN) and the ``wavelength`` coord.

    Notes
    -----
    The flux is :math:`F = 10^6\\,\\Omega \\sum_y w (D - B)` for data in MJy/sr
    (:math:`\\Omega` = PIXAR_SR) and :math:`10^6 \\sum_y w D` for NIRSpec
    point sources in MJy; ``surf_bright`` is the weighted mean
    :math:`\\sum w (D - B) / \\sum w`.
    """
    require(
        ds,
        "sci",
        "dq",
        "var_poisson",
        "var_rnoise",
        "var_flat",
        coords=("wavelength",),
        step="extract_1d",
    )
    if extraction_type not in ("box", None):
        log.warning("optimal extraction needs a PSF reference; using box extraction")
    exp_type = exp_type_of(ds)
    mode = lookup(exp_type)
    if mode is not None and not mode.extract_1d:
        raise UnsupportedModeError(
            f"extract_1d: EXP_TYPE {exp_type} is not supported by spec2x yet"
        )
    if mode is not None and mode.extract_1d_impl is not None:
        raise UnsupportedModeError(
            f"extract_1d: {exp_type} spectra come from {mode.extract_1d_impl.replace(':', '.')} "
            "(call it with the mode's references, or run the chain)"
        )
    ref_tree = extract1d_ref.content if extract1d_ref is not None else None
    user = {
        "smoothing_length": smoothing_length,
        "bkg_fit": bkg_fit,
        "bkg_order": bkg_order,
        "subtract_background": subtract_background,
        "use_source_posn": use_source_posn,
        "position_offset": position_offset,
    }
    slits = "slit" in ds.dims
    items = spectrum_info(ds)
    if slits and any(it["spectral_order"] == 0 for it in items):
        log.info("extract_1d: spectral order 0 is a direct image; those cut-outs are passed over")
        items = [it for it in items if it["spectral_order"] != 0]
    setups = [_setup(ds, item, ref_tree, user, exp_type) for item in items]
    keep = [i for i, s in enumerate(setups) if s is not None]
    kept = [s for s in setups if s is not None]  # setups[i] for i in keep
    if not keep:
        raise ParameterError(
            f"extract_1d: no spectrum could be extracted from {ds.attrs.get('FILENAME', 'input')}"
            " (no valid wavelengths in the aperture)"
        )
    sky_positions(kept, [items[i]["wcs"] for i in keep])  # RA/Dec of each aperture centre
    if slits:
        spectra = _extract_slits(ds, kept, [items[i]["index"] for i in keep])
    else:
        spectra = _extract_image(ds, kept[0])  # one spectrum (spectrum_info): setups[0]
    out = finish_spectra(ds, spectra, kept, [items[i] for i in keep], slits)
    use_apcorr = apcorr if apply_apcorr else None
    if use_apcorr is not None:
        out = _apply_apcorr(out, ds, use_apcorr, kept, [items[i] for i in keep])
    if slits and ds.attrs.get("DATAMODL") == "SlitModel" and out.sizes["slit"] == 1:
        out = out.isel(slit=0)  # one slit (a MIRI LRS s2d): one spectrum, as jwst writes it
    log.info(
        "extract_1d: %d spectrum(s) of %d elements%s",
        len(keep) * (ds.sizes.get("integration", 1)),
        out.sizes["spectral"],
        ", aperture-corrected" if use_apcorr is not None else "",
    )
    return record_step(out, "extract_1d", extract1d_ref, use_apcorr)


def _trace_kind(exp_type: str) -> str | None:
    mode = lookup(exp_type)
    return None if mode is None else mode.trace


def _setup(
    ds: xr.Dataset, item: dict[str, Any], ref_tree: Any, user: dict[str, Any], exp_type: str
) -> dict[str, Any] | None:
    """Aperture, background region and wavelengths of one spectrum (numpy, eager: small);
    its ``ra``/``dec`` come after (:func:`spec2x.steps._extract_sky.sky_positions`)."""
    ny, nx = item["shape"]
    wl = np.asarray(item["wavelength"], dtype=np.float64)[:ny, :nx]
    opts = dict(user)
    if item["source_type"] != "POINT" and opts["use_source_posn"] is None:
        opts["use_source_posn"] = False
    params = extract_parameters(
        ref_tree, (ny, nx), item["slit_name"], item["spectral_order"], exp_type, **opts
    )
    if params is None:
        return None
    params["dispaxis"] = item["dispaxis"]
    wcs = item["wcs"]
    trace = None
    if params["use_source_posn"]:
        if wcs is None:
            log.warning(
                "extract_1d: use_source_posn needs a WCS; not recentring %s", item["slit_name"]
            )
        else:
            middle, _, location, trace = location_from_wcs(
                wcs_object(wcs),
                (ny, nx),
                params["dispaxis"],
                _trace_kind(exp_type),
                source_info(ds, item),
            )
            if location is not None:
                nominal = _k.box_profile((ny, nx), params, wl)[0]
                centre, _ = _k.aperture_center(nominal, params["dispaxis"], middle_pix=middle)
                params = _k.shift_parameters(params, location - centre, update_trace=False)
    params["trace"] = trace
    if params.get("position_offset", 0.0) != 0.0:
        params = _k.shift_parameters(params, params["position_offset"], update_trace=True)
    profile, lower, upper = _k.box_profile((ny, nx), params, wl)
    profile[~np.isfinite(wl)] = 0.0
    axis = params["dispaxis"] - 1
    nonzero = np.nonzero(profile.sum(axis=axis) > 0)[0]
    left, right = (int(nonzero[0]), int(nonzero[-1])) if nonzero.size else (None, None)
    bg = None
    if params["subtract_background"] and params.get("bkg_coeff") is not None:
        bg, _, _ = _k.box_profile((ny, nx), params, wl, coefficients="bkg_coeff")
    wavelength = _k.aperture_wavelength(wl, profile, params["dispaxis"])
    valid = np.nonzero(np.isfinite(wavelength))[0]
    if valid.size == 0:
        log.error("extract_1d: spectrum %s is empty (no valid wavelengths)", item["slit_name"])
        return None
    return {
        "params": params,
        "profile": _kept(profile),
        "bg_profile": bg,
        "wavelength": wavelength,
        "valid": valid,
        "limits": (lower, upper, left, right),
    }


def _kept(profile: np.ndarray) -> np.ndarray:
    """``profile`` as float32 where that holds every value exactly (a box's 0 and 1, most
    edge fractions), else as it is: a group's profiles are kept from its set-ups to its
    blocks, so half the bytes; read back as float64 (the same numbers)."""
    small = profile.astype(np.float32)
    return small if np.array_equal(small, profile) else profile


def _kernel_call(
    sci: xr.DataArray,
    variances: list[xr.DataArray],
    invalid: xr.DataArray,
    profile: np.ndarray,
    bg: np.ndarray | None,
    p: dict,
) -> list[xr.DataArray]:
    """Run the boxcar kernel over all leading dims of ``sci`` (lazy on Dask), the pixels
    ``invalid`` left out."""
    disp_dim = "x" if p["dispaxis"] == _k.HORIZONTAL else "y"
    core = ["y", "x"]
    prof = xr.DataArray(profile, dims=(["slit"] if profile.ndim == 3 else []) + core)
    args = [sci, *variances, invalid, prof]
    if bg is not None:
        args.append(xr.DataArray(bg, dims=prof.dims))

    def run(s, vp, vr, vf, bad, pr, bgp=None):
        return _k.box_extract(
            s,
            vp,
            vr,
            vf,
            pr,
            bgp,
            invalid=bad,
            dispaxis=p["dispaxis"],
            smoothing_length=p["smoothing_length"],
            bkg_fit=p["bkg_fit"] if bgp is not None else None,
            bkg_order=p["bkg_order"],
        )

    n = sci.sizes[disp_dim]
    results = xr.apply_ufunc(
        run,
        *args,
        input_core_dims=[core] * len(args),
        output_core_dims=[["spectral"]] * len(_OUT),
        dask="parallelized",
        output_dtypes=[np.float64] * len(_OUT),
        dask_gufunc_kwargs={"output_sizes": {"spectral": n}},
    )
    return list(results)


def _prepare(ds: xr.Dataset) -> tuple[xr.DataArray, list[xr.DataArray], xr.DataArray]:
    """Science, variances and where a pixel is invalid (NaN anywhere, DO_NOT_USE): the
    kernel takes such pixels as NaN in its own float64 copies (no masked copy here)."""
    err = ds["err"] if "err" in ds else xr.zeros_like(ds["sci"])
    bad = xr.apply_ufunc(
        _k.mask_invalid,
        ds["sci"],
        err,
        ds["var_poisson"],
        ds["var_rnoise"],
        ds["var_flat"],
        ds["dq"],
        dask="parallelized",
        output_dtypes=[bool],
    )
    variances = [ds[v] for v in ("var_poisson", "var_rnoise", "var_flat")]
    return ds["sci"], variances, bad


def _extract_image(ds: xr.Dataset, setup: dict[str, Any]) -> dict[str, xr.DataArray]:
    sci, variances, bad = _prepare(ds)
    p = setup["params"]
    profile = setup["profile"].astype(np.float64, copy=False)
    out = _kernel_call(sci, variances, bad, profile, setup["bg_profile"], p)
    valid = setup["valid"]
    spectra = {name: arr.isel(spectral=valid) for name, arr in zip(_OUT, out, strict=True)}
    wl = xr.DataArray(setup["wavelength"][valid], dims=("spectral",))
    spectra["wavelength"] = wl
    return spectra


def _slits(obj: Any, index: list[int]) -> Any:
    """``obj.isel(slit=index)``: ``obj`` itself when that is every slit in order, a view when
    a run of consecutive slits (a block of a group: no copy of its pixels)."""
    if index == list(range(obj.sizes["slit"])):
        return obj
    if index and index == list(range(index[0], index[0] + len(index))):
        return obj.isel(slit=slice(index[0], index[0] + len(index)))
    return obj.isel(slit=index)


def _extract_slits(
    ds: xr.Dataset, setups: list[dict[str, Any]], keep: list[int]
) -> dict[str, xr.DataArray]:
    sci, variances, bad = _prepare(_slits(ds, keep))
    ny, nx = ds.sizes["y"], ds.sizes["x"]

    def pad(a: np.ndarray | None) -> np.ndarray:
        full = np.zeros((ny, nx))
        if a is not None:
            full[: a.shape[0], : a.shape[1]] = a
        return full

    groups: dict[tuple, list[int]] = {}
    for i, s in enumerate(setups):
        p = s["params"]
        key = (
            p["dispaxis"],
            p["smoothing_length"],
            p["bkg_fit"],
            p["bkg_order"],
            s["bg_profile"] is not None,
        )
        groups.setdefault(key, []).append(i)
    pieces: list[list[xr.DataArray]] = [[] for _ in _OUT]
    order: list[int] = []
    nspec = max(ny, nx)
    step = max(1, BLOCK_PIXELS // (ny * nx))
    blocks = [m[k : k + step] for m in groups.values() for k in range(0, len(m), step)]
    for idx in blocks:
        p = setups[idx[0]]["params"]
        prof = np.stack([pad(setups[i]["profile"]) for i in idx])
        bg = (
            np.stack([pad(setups[i]["bg_profile"]) for i in idx])
            if setups[idx[0]]["bg_profile"] is not None
            else None
        )
        res = _kernel_call(
            _slits(sci, idx), [_slits(v, idx) for v in variances], _slits(bad, idx), prof, bg, p
        )
        for j, r in enumerate(res):
            pieces[j].append(r.pad(spectral=(0, nspec - r.sizes["spectral"])))
        order.extend(idx)
    inverse = np.argsort(order)
    full = [xr.concat(pc, dim="slit").isel(slit=inverse) for pc in pieces]
    nout = max(s["valid"].size for s in setups)
    index = np.zeros((len(setups), nout), dtype=np.intp)
    present = np.zeros((len(setups), nout), dtype=bool)
    wl = np.full((len(setups), nout), np.nan)
    for i, s in enumerate(setups):
        n = s["valid"].size
        index[i, :n] = s["valid"]
        present[i, :n] = True
        wl[i, :n] = s["wavelength"][s["valid"]]
    rows = xr.DataArray(
        np.repeat(np.arange(len(setups))[:, None], nout, axis=1), dims=("slit", "spectral")
    )
    cols = xr.DataArray(index, dims=("slit", "spectral"))
    mask = xr.DataArray(present, dims=("slit", "spectral"))
    spectra = {}
    for name, arr in zip(_OUT, full, strict=True):
        picked = arr.drop_vars([c for c in arr.coords if "slit" in arr[c].dims], errors="ignore")
        # pointwise (slit, spectral) picks put their dims first: integrations stay in between
        picked = picked.isel(slit=rows, spectral=cols).transpose("slit", ..., "spectral")
        fill = (
            0.0 if name == "npixels" or name.startswith("bkg") or name == "background" else np.nan
        )
        spectra[name] = picked.where(mask, fill)
    spectra["wavelength"] = xr.DataArray(wl, dims=("slit", "spectral"))
    return spectra


#: References a mode's own extraction reads (the ones the chain finds N/A are left out).
_MODE_REFTYPES = ("pastasoss", "specprofile", "speckernel")


def _mode_extract(ds: xr.Dataset, ctx: StepContext, impl: str) -> xr.Dataset:
    """The mode's own extraction (NIRISS SOSS), its ``soss_*`` parameters from the chain."""
    module, name = impl.split(":")
    refs = {t: r for t in _MODE_REFTYPES if (r := ctx.ref(t, ds)) is not None}
    params = {k: v for k, v in ctx.params.items() if k.startswith("soss_")}
    out = getattr(importlib.import_module(module), name)(ds, refs, **params)
    return record_step(out, "extract_1d", *refs.values())


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: EXTRACT1D and APCORR references from the context (an IFU cube:
    :func:`spec2x.steps._extract_ifu.extract_ifu`; a mode with its own extraction, NIRISS
    SOSS, gets its references and ``soss_*`` parameters)."""
    if is_cube(ds):
        return ifu_from_chain(ds, ctx)
    mode = lookup(exp_type_of(ds))
    if mode is not None and mode.extract_1d_impl is not None:
        return _mode_extract(ds, ctx, mode.extract_1d_impl)
    params = dict(ctx.params)
    apply = bool(params.pop("apply_apcorr", True))
    ref = ctx.ref("extract1d", ds)
    ap = ctx.ref("apcorr", ds) if apply else None
    names = (
        "subtract_background",
        "use_source_posn",
        "position_offset",
        "smoothing_length",
        "bkg_fit",
        "bkg_order",
        "extraction_type",
        "log_increment",
    )
    kwargs = {k: params[k] for k in names if k in params}
    return extract_1d(ds, ref, apcorr=ap, apply_apcorr=apply, **kwargs)


#: spec2x.ownership: the runner lets go of each group of cut-outs once its spectra are made
from_chain.consumes_input = True  # type: ignore[attr-defined]
