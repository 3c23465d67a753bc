"""extract_1d on an IFU cube (``_s3d``): the aperture, its centre and scale, the x1d Dataset.

jwst 3.0.0's ``extract_1d.ifu.ifu_extract1d`` around the plane sums of
:mod:`spec2x.cube.extract`: the ``extract1d`` reference (ASDF,
``Extract1dIFUModel``) gives the radius and annulus (arcsec) against
wavelength, turned into spaxels with the cube's scale at the target; a point
source is centred on the spaxel nearest its TARG_RA/TARG_DEC (or
``center_xy``); flux density is the sum times the spaxel solid angle.
MIRI spectra carry the residual-fringe-corrected columns ``rf_flux``,
``rf_surf_bright``, ``rf_background`` (``ifu_rfcorr``; NaN when off).
"""

from __future__ import annotations

import importlib
import logging
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ..dq import DQ_DTYPE
from ..errors import ReferenceMismatchError, UnsupportedModeError
from ..io.references import Reference
from ..modes import mode_of
from ..wcs.store import get_wcs
from . import StepContext
from ._common import record_step

if TYPE_CHECKING:
    from ..cube.extract import PlaneSums

__all__ = ["RF_CORRECTION", "extract_ifu", "ifu_from_chain", "is_cube"]

log = logging.getLogger(__name__)

#: The 1-D residual fringe correction ``ifu_rfcorr`` applies (MIRI MRS band cubes).
RF_CORRECTION = "spec2x.instruments.miri.residual_fringe_1d:correct_residual_fringe_1d"
_VARS = ("var_poisson", "var_rnoise", "var_flat")


def extract_ifu(
    cube: xr.Dataset,
    extract1d: Reference,
    *,
    source_type: str | None = None,
    subtract_background: bool | None = None,
    bkg_sigma_clip: float = 3.0,
    center_xy: Sequence[float] | None = None,
    ifu_autocen: bool = False,
    ifu_rfcorr: bool = True,
    ifu_rscale: float | None = None,
    ifu_covar_scale: float = 1.0,
    apcorr: Reference | None = None,
) -> xr.Dataset:
    """The 1-D spectrum of an IFU cube, as jwst's Extract1dStep extracts an ``_s3d``.

    Parameters
    ----------
    cube : ``(wavelength, y, x)`` cube (MJy/sr) with ``weightmap`` and its WCS.
    extract1d : the IFU ``extract1d`` reference (ASDF).
    source_type : ``POINT`` or ``EXTENDED``; None: the cube's SRCTYPE (other
        values: EXTENDED, as jwst).
    subtract_background : None: the reference's; True is ignored for extended sources.
    bkg_sigma_clip : the background's clipping sigma.
    center_xy : (x, y) aperture centre (spaxels, 0-based) instead of the target's.
    ifu_autocen : point sources: centre on the brightest source found in the
        cube's median image (:func:`spec2x.cube.autocentre.find_source`), the
        target's spaxel when none is found; ``center_xy`` comes first.
    ifu_rfcorr : fill the ``rf_*`` columns with the 1-D residual fringe
        correction (MIRI MRS single-band cubes only; jwst's default).
    ifu_rscale : MIRI: the radius in PSF FWHMs (the reference's is 2).
    ifu_covar_scale : factor on the errors for the spaxels' covariance.
    apcorr : the IFU APCORR reference (radial table); applied to point sources
        (flux, surface brightness, their errors and the ``rf_*`` sums; the
        variances by its square), as jwst's ``ApCorrRadial``.

    Returns
    -------
    x1d Dataset on ``spectral``: flux (Jy), surf_bright, background (MJy/sr),
    errors, variances, dq, npixels (and MIRI ``rf_*``); coords ``wavelength``
    (µm), ``slit_ra``, ``slit_dec``, ``source_type``, ``extraction_x``, ``extraction_y``.

    Raises
    ------
    UnsupportedModeError
        ``ifu_rfcorr`` is asked for and this spec2x lacks the correction.
    """
    mode = mode_of(cube, step="extract_1d")
    # the MRS (the one IFU mode with residual_fringe): rf_* columns, ifu_rscale, MRSMultiSpecModel
    miri = mode.allows("residual_fringe")
    point = _source_type(cube, source_type) == "POINT"
    meta, table = extract1d.content["meta"], extract1d.content["data"]
    subtract = bool(meta.get("subtract_background", False))
    if subtract_background is not None:
        subtract = bool(subtract_background) and point
    wcs = get_wcs(cube)
    nwave, ny, nx = cube["sci"].shape
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)
        ra, dec, wave = wcs(np.full(nwave, nx / 2.0), np.full(nwave, ny / 2.0), np.arange(nwave))
    if center_xy is None and point and ifu_autocen:
        center_xy = _autocentre(cube, wave)
    centre, target = _centre(cube, wcs, point, center_xy)
    radii = [np.zeros(nwave)] * 3
    if point:
        scale = _scale_arcsec(cube, wcs, target if target else _crval(cube), float(wave[0]))
        rscale = ifu_rscale / 2.0 if miri and ifu_rscale is not None else 1.0
        radii = [
            _interp(table["wavelength"], np.asarray(table[k], np.float64) * f, wave) / scale
            for k, f in (("radius", rscale), ("inner_bkg", 1.0), ("outer_bkg", 1.0))
        ]
    from ..cube.extract import IfuExtractPars, extract_planes  # photutils: for cubes only

    pars = IfuExtractPars(
        radii[0], radii[1], radii[2], subtract_background=subtract, bkg_sigma_clip=bkg_sigma_clip,
        method=str(meta.get("method", "exact")), subpixels=int(meta.get("subpixels", 10)),
    )  # fmt: skip
    variances = _variances(cube)
    sums = extract_planes(
        np.asarray(cube["sci"].values, np.float64), variances,
        np.array(cube["weightmap"].values, np.float64), point=point, centre=centre, pars=pars,
    )  # fmt: skip
    if not point:
        centre = ((nx - 1) / 2.0, (ny - 1) / 2.0)
    rf = (
        _rf_columns(cube, sums, wave, ifu_rfcorr and mode.allows("residual_fringe")) if miri else {}
    )
    out = _spectrum(cube, sums, wave, rf, ifu_covar_scale, "var_poisson" in cube)
    if point and apcorr is not None:
        centre_sky = (float(ra[nwave // 2]), float(dec[nwave // 2]))
        wl0 = float(np.min(wave) if miri else np.median(wave))
        out = _apply_radial_apcorr(out, apcorr, wave, radii[0], cube, wcs, centre_sky, wl0)
    out = out.assign_coords(
        slit_ra=float(ra[nwave // 2]), slit_dec=float(dec[nwave // 2]),
        source_type="POINT" if point else "EXTENDED",
        extraction_x=float(centre[0]), extraction_y=float(centre[1]),
    )  # fmt: skip
    out.attrs["DATAMODL"] = "MRSMultiSpecModel" if miri else "MultiSpecModel"
    return record_step(out, "extract_1d", extract1d, apcorr if point else None)


def is_cube(ds: xr.Dataset) -> bool:
    """Whether ``ds`` is an IFU cube (``_s3d``): ``sci`` on (wavelength, y, x) with a weight map."""
    return "weightmap" in ds and ds["sci"].dims == ("wavelength", "y", "x")


def ifu_from_chain(cube: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter for a cube: the extract1d reference, jwst's IFU parameters.

    ``ifu_set_srctype`` applies to MIRI MRS only (the mode that has residual_fringe), as
    in jwst; the APCORR reference is read for point sources when ``apply_apcorr``
    (jwst's default).
    """
    params = ctx.params
    mode = mode_of(cube, step="extract_1d")
    given = params.get("ifu_set_srctype") if mode.allows("residual_fringe") else None
    point = _source_type(cube, given) == "POINT"
    apcorr = ctx.ref("apcorr", cube) if point and params.get("apply_apcorr", True) else None
    return extract_ifu(
        cube,
        ctx.require_ref("extract1d", cube),
        source_type=given,
        subtract_background=params.get("subtract_background"),
        bkg_sigma_clip=float(params.get("bkg_sigma_clip", 3.0)),
        center_xy=params.get("center_xy"),
        ifu_autocen=bool(params.get("ifu_autocen", False)),
        ifu_rfcorr=bool(params.get("ifu_rfcorr", True)),
        ifu_rscale=params.get("ifu_rscale"),
        ifu_covar_scale=float(params.get("ifu_covar_scale", 1.0)),
        apcorr=apcorr,
    )


#: Columns the aperture correction scales (MIRI: and the residual-fringe-corrected sums).
_APCORR_COLUMNS = ("flux", "flux_error", "surf_bright", "sb_error", "rf_flux", "rf_surf_bright")
_APCORR_VARIANCES = tuple(f"{p}_{v}" for p in ("flux", "sb") for v in _VARS)


def _apply_radial_apcorr(
    out: xr.Dataset,
    apcorr: Reference,
    wave: np.ndarray,
    radius: np.ndarray,
    cube: xr.Dataset,
    wcs: Any,
    centre_sky: tuple[float, float],
    wl0: float,
) -> xr.Dataset:
    """The spectrum times jwst's radial aperture correction at each plane's radius (spaxels);
    table radii in arcsec become spaxels with the scale at the cube centre and ``wl0``.
    A file whose selectors (instrument, filter, grating) contradict the cube's is refused."""
    content = apcorr.content
    if "radial" not in content:
        raise ReferenceMismatchError(
            f"apcorr reference {apcorr.name} is a slit table, not the IFU radial one (ASDF "
            "apcorr_table); give the IFU APCORR file or apply_apcorr=False"
        )
    apcorr.check_matches(cube.attrs, ("INSTRUME", "EXP_TYPE", "FILTER", "GRATING"))
    table = content["radial"]
    arcsec = str(content["sizeunit"]).lower().startswith("arcsec")
    scale = _scale_arcsec(cube, wcs, centre_sky, wl0) if arcsec else 1.0
    from ..cube.apcorr import radial_correction  # scipy: for cubes only

    factor = radial_correction(
        table["wavelength"], table["radius"], table["apcorr"], wave, radius, scale=scale
    )
    scaled = {k: out[k] * factor for k in _APCORR_COLUMNS if k in out}
    scaled |= {k: out[k] * factor**2 for k in _APCORR_VARIANCES if k in out}
    return out.assign({k: v.assign_attrs(out[k].attrs) for k, v in scaled.items()})


def _source_type(cube: xr.Dataset, given: str | None) -> str:
    value = str(given if given is not None else cube.attrs.get("SRCTYPE", "")).upper()
    if value not in ("POINT", "EXTENDED"):
        log.warning("extract_1d: source type %r; extracting as EXTENDED (as jwst)", value)
        return "EXTENDED"
    return value


def _autocentre(cube: xr.Dataset, wave: np.ndarray) -> tuple[float, float] | None:
    """``ifu_autocen``: the brightest source of the cube's median image (x, y), or None."""
    from ..cube.autocentre import find_source  # photutils: for cubes only

    # float32, the cube's stored precision (jwst finds the source in its IFUCubeModel)
    found = find_source(np.asarray(cube["sci"].values, np.float32), wave)
    if found is None:
        log.warning("extract_1d: ifu_autocen found no source; centring on the target")
    else:
        log.info("extract_1d: ifu_autocen centres the aperture at x=%g, y=%g", *found)
    return found


def _crval(cube: xr.Dataset) -> tuple[float, float]:
    return float(cube.attrs["CRVAL1"]), float(cube.attrs["CRVAL2"])


def _centre(
    cube: xr.Dataset, wcs: Any, point: bool, center_xy: Sequence[float] | None
) -> tuple[tuple[float, float], tuple[float, float] | None]:
    """The aperture centre (x, y) and the target's (RA, Dec) when it placed it."""
    nwave, ny, nx = cube["sci"].shape
    if center_xy is not None:
        return (float(center_xy[0]), float(center_xy[1])), None
    middle = (nx / 2.0, ny / 2.0)
    ra_t, dec_t = cube.attrs.get("TARG_RA"), cube.attrs.get("TARG_DEC")
    if not point or ra_t is None or dec_t is None:
        return middle, None
    y, x = np.indices((ny, nx), dtype=np.float64)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)
        ra, dec, wl = wcs(x, y, np.full(x.shape, float(nwave // 2)))
    dist = ((_unit(ra, dec) - _unit(float(ra_t), float(dec_t))) ** 2).sum(axis=-1)
    j, i = divmod(int(np.argmin(np.where(np.isnan(wl), 1e20, dist).ravel())), nx)
    if i <= 0 or j <= 0 or i >= nx - 1 or j >= ny - 1:
        log.warning("extract_1d: the target is at the cube's edge; the aperture is centred")
        return middle, None
    return (float(i), float(j)), (float(ra_t), float(dec_t))


def _unit(ra: Any, dec: Any) -> np.ndarray:
    r, d = np.deg2rad(ra), np.deg2rad(dec)
    return np.stack([np.cos(d) * np.cos(r), np.cos(d) * np.sin(r), np.sin(d)], axis=-1)


def _scale_arcsec(cube: xr.Dataset, wcs: Any, radec: tuple[float, float], wave0: float) -> float:
    """Spaxel size (arcsec) at ``radec`` along the cross-dispersion axis (stcal's compute_scale)."""
    x, y, z = wcs.invert(radec[0], radec[1], wave0, with_bounding_box=False)
    dx, dy = (1.0, 0.0) if int(cube.attrs.get("DISPAXIS", 2)) != 1 else (0.0, 1.0)
    ra, dec, _ = wcs(np.array([x, x + dx]), np.array([y, y + dy]), np.array([z, z]),
                     with_bounding_box=False)  # fmt: skip
    a, b = _unit(ra[0], dec[0]), _unit(ra[1], dec[1])
    return float(np.rad2deg(np.arctan2(np.linalg.norm(np.cross(a, b)), np.dot(a, b))) * 3600.0)


def _interp(x: Any, y: Any, at: np.ndarray) -> np.ndarray:
    """Linear interpolation extrapolated beyond the table (scipy's interp1d, as jwst)."""
    from scipy.interpolate import interp1d

    f = interp1d(np.asarray(x, np.float64).ravel(), np.asarray(y, np.float64).ravel(),
                 bounds_error=False, fill_value="extrapolate")  # fmt: skip
    return np.asarray(f(at), np.float64)


def _variances(cube: xr.Dataset) -> dict[str, np.ndarray]:
    """The cube's variances, or err² as Poisson (jwst when a cube does not split them)."""
    if "var_poisson" in cube:
        return {v: np.asarray(cube[v].values, np.float64) for v in _VARS}
    err = np.asarray(cube["err"].values, np.float64)
    with np.errstate(over="ignore"):
        return {"var_poisson": err * err, "var_rnoise": np.zeros_like(err),
                "var_flat": np.zeros_like(err)}  # fmt: skip


def _rf_columns(
    cube: xr.Dataset, sums: PlaneSums, wave: np.ndarray, wanted: bool
) -> dict[str, np.ndarray]:
    """``rf_flux`` (sum), ``rf_surf_bright``, ``rf_background`` (means): corrected, or NaN."""
    npix = np.where(sums.npixels > 0, sums.npixels, 1.0)
    nbkg = np.where(sums.npixels_bkg > 0, sums.npixels_bkg, 1.0)
    columns = {"rf_flux": sums.flux, "rf_surf_bright": sums.flux / npix,
               "rf_background": sums.background / nbkg}  # fmt: skip
    single = len(str(cube.attrs.get("CHANNEL", ""))) == 1
    if not (wanted and single):
        return {k: np.full(wave.shape, np.nan) for k in columns}
    module, _, name = RF_CORRECTION.partition(":")
    try:
        correct = getattr(importlib.import_module(module), name)
    except (ModuleNotFoundError, AttributeError):
        raise UnsupportedModeError(
            "extract_1d: ifu_rfcorr=True needs the 1-D residual fringe correction, which this "
            "spec2x does not have yet; pass ifu_rfcorr=False (--steps extract_1d.ifu_rfcorr=false)"
        ) from None
    channel = int(cube.attrs["CHANNEL"])
    return {k: np.asarray(correct(wave, v, channel), np.float64) for k, v in columns.items()}


def _spectrum(
    cube: xr.Dataset,
    sums: PlaneSums,
    wave: np.ndarray,
    rf: dict[str, np.ndarray],
    covar: float,
    split: bool,
) -> xr.Dataset:
    """The x1d columns from the sums: means, flux density (Jy), errors, as jwst finishes them."""
    npix = np.where(sums.npixels > 0, sums.npixels, 1.0)
    nbkg = np.where(sums.npixels_bkg > 0, sums.npixels_bkg, 1.0)
    pixar = float(cube.attrs.get("PIXAR_SR", 1.0) or 1.0)
    jy = pixar * 1.0e6
    f_var = {v: sums.variances[f"flux_{v}"] * jy**2 * covar**2 for v in _VARS}
    sb_var = {v: sums.variances[f"flux_{v}"] / npix**2 * covar**2 for v in _VARS}
    b_var = {v: sums.variances[f"bkg_{v}"] / nbkg**2 * covar**2 for v in _VARS}
    err = {k: np.sqrt(sum(d.values())) for k, d in (("f", f_var), ("sb", sb_var), ("b", b_var))}
    if not split:  # only err was given: the variances carried it and are cleared
        for d in (f_var, sb_var, b_var):
            d.update({v: np.zeros_like(wave) for v in _VARS})
    cols: dict[str, tuple[np.ndarray, str]] = {
        "flux": (sums.flux * jy, "Jy"), "flux_error": (err["f"], "Jy"),
        **{f"flux_{v}": (a, "Jy^2") for v, a in f_var.items()},
        "surf_bright": (sums.flux / npix, "MJy/sr"), "sb_error": (err["sb"], "MJy/sr"),
        **{f"sb_{v}": (a, "(MJy/sr)^2") for v, a in sb_var.items()},
        "dq": (sums.dq.astype(DQ_DTYPE), ""),
        "background": (sums.background / nbkg, "MJy/sr"), "bkg_error": (err["b"], "MJy/sr"),
        **{f"bkg_{v}": (a, "(MJy/sr)^2") for v, a in b_var.items()},
        "npixels": (sums.npixels, ""),
        **{k: (v * (jy if k == "rf_flux" else 1.0), "Jy" if k == "rf_flux" else "MJy/sr")
           for k, v in rf.items()},
    }  # fmt: skip
    attrs = {k: v for k, v in cube.attrs.items() if k not in ("wcs", "SRCTYPE")}
    return xr.Dataset(
        {k: ("spectral", np.asarray(a), {"units": u}) for k, (a, u) in cols.items()},
        coords={"wavelength": ("spectral", np.asarray(wave, np.float64), {"units": "um"})},
        attrs=attrs,
    )
