"""The NIRSpec slit flat field, built on the fly from the f-, s- and d-flats.

Called by :func:`spec2x.steps.flat_field.flat_field` for NIRSpec slit
products (``NRS_FIXEDSLIT``, ``NRS_BRIGHTOBJ``, ``NRS_MSASPEC``: the MOS
fflat gives each slitlet its shutter's curve, :mod:`.flat_mos`); usable on
its own::

    cal = slits.pipe(nirspec_flat, fflat, sflat, dflat)

What differs from jwst: nothing in the numbers.  jwst returns the
interpolated flat as a separate model (``save_interpolated_flat``); here the
flat is not kept, except, for fixed-slit point sources, the two flats jwst
stores on the slit for master background: ``flatfield_point`` (the one
applied, on the corrected wavelengths) and ``flatfield_uniform`` (on the
wavelengths before :mod:`~spec2x.steps.wavecorr`, coord
``wavelength_uncorrected``), NaN on the other slits.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import xarray as xr

from ...errors import (
    MissingReferenceError,
    ReferenceMismatchError,
    StepOrderError,
    UnsupportedModeError,
)
from ...io.references import NOT_APPLICABLE, Reference, reference_keyword
from ...modes import MODES, Mode, exp_type_of, lookup
from ...steps import StepContext
from ...steps._common import record_step, require
from ...steps._scale import scale_by
from . import flat_kernel as kern
from .flat_mos import QuadFlat, fore_component
from .refs_cal import NirspecFlat

__all__ = ["from_chain", "nirspec_flat", "open_components"]

log = logging.getLogger(__name__)


_KINDS = {"fflat": "fore", "sflat": "spectrograph", "dflat": "detector"}
_PIXEL_VARS = ("sci", "err", "dq", "var_poisson", "var_rnoise", "var_flat")

FlatArg = Reference | str | None


def _component(
    reftype: str, ref: FlatArg, ds: xr.Dataset, mode: Mode
) -> tuple[kern.FlatComponent | None, Reference | None]:
    if ref is None or (isinstance(ref, str) and ref.upper() == NOT_APPLICABLE):
        log.info("flat_field: no %s reference (N/A): that component is unity", reftype)
        return None, None
    if isinstance(ref, str):
        raise MissingReferenceError(
            f"{reftype} must be an opened reference, None or {NOT_APPLICABLE!r}, got the string "
            f"{ref!r}; open the file with spec2x.open_reference"
        )
    content = ref.content
    if reftype == "fflat" and (mode.quadrant_fflat or isinstance(content, QuadFlat)):
        return _quadrant_fore(ref, ds, mode), ref
    if not isinstance(content, NirspecFlat):
        raise ReferenceMismatchError(
            f"{ref.name} is not a NIRSpec flat (REFTYPE {ref.reftype!r}); give the {reftype} file"
        )
    tables = list(
        zip(content.table.wavelength, content.table.data, content.table.error, strict=True)
    )
    comp = kern.FlatComponent(
        kind=_KINDS[reftype],
        tables=tables,
        image=content.data,
        image_dq=content.dq,
        image_err=content.err,
        image_wavelength=content.image_wavelength,
    )
    return comp, ref


def _quadrant_fore(ref: Reference, ds: xr.Dataset, mode: Mode) -> kern.FlatComponent:
    """The MOS fore-optics component, one table row per slitlet (its shutter's curve)."""
    if not (mode.quadrant_fflat and isinstance(ref.content, QuadFlat)):
        wanted = "a MOS quadrant" if mode.quadrant_fflat else "a single (non-quadrant)"
        raise ReferenceMismatchError(
            f"{ref.name}: EXP_TYPE={mode.exp_type} needs {wanted} fflat; give the fflat made "
            "for this mode"
        )
    require(ds, coords=("quadrant", "xcen", "ycen"), step="flat_field")
    return fore_component(
        ref,
        np.asarray(ds["quadrant"].values),
        np.asarray(ds["xcen"].values),
        np.asarray(ds["ycen"].values),
        [str(n) for n in np.asarray(ds["slit_name"].values)],
    )


def _rows(ref: Reference, names: list[str], exp_type: str) -> np.ndarray:
    if isinstance(ref.content, QuadFlat):  # one row per slit, in slit order
        return np.arange(len(names), dtype=np.intp)
    rows = []
    for name in names:
        row = ref.content.table.row(name, exp_type)
        if row is None:
            raise ReferenceMismatchError(
                f"slit {name}: {ref.reftype} reference {ref.name} has no FAST_VARIATION row for it "
                f"(rows: {', '.join(ref.content.table.slit_names)}) and no 'ANY' row; give the "
                f"{ref.reftype} file made for this mode"
            )
        rows.append(row)
    return np.asarray(rows, np.intp)


def _check_footprint(
    ref: Reference,
    comp: kern.FlatComponent,
    names: list[str],
    x0: np.ndarray,
    y0: np.ndarray,
    xsize: np.ndarray,
    ysize: np.ndarray,
) -> None:
    if comp.image is None or comp.kind == "fore":
        return
    ny, nx = comp.image.shape[-2:]
    outside = (x0 < 0) | (y0 < 0) | (x0 + xsize > nx) | (y0 + ysize > ny)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise ReferenceMismatchError(
            f"slit {names[i]} covers full-frame pixels x {x0[i]}..{x0[i] + xsize[i] - 1}, "
            f"y {y0[i]}..{y0[i] + ysize[i] - 1}, outside the {ref.reftype} image {ref.name} "
            f"({ny} x {nx}); give a full-frame {ref.reftype}"
        )


def _flat(
    wavelength: xr.Variable,
    per_slit: list[xr.DataArray],
    components: list[kern.FlatComponent | None],
    dispaxis: int,
) -> Any:
    nrows = len(per_slit) - 4
    return xr.apply_ufunc(
        kern.slit_flat,
        wavelength,
        *per_slit,
        kwargs={"components": components, "dispaxis": dispaxis},
        input_core_dims=[["y", "x"]] + [[]] * (4 + nrows),
        output_core_dims=[["y", "x"]] * 3,
        dask="parallelized",
        output_dtypes=[np.float32, np.uint32, np.float32],
    )


def nirspec_flat(
    ds: xr.Dataset,
    fflat: FlatArg,
    sflat: FlatArg,
    dflat: FlatArg,
    *,
    inverse: bool = False,
    user_supplied_flat: Any = None,
    overwrite: bool = False,
) -> xr.Dataset:
    """Flat-field NIRSpec slits with the flat built from the f-, s- and d-flats.

    Parameters
    ----------
    ds : slits product ``(slit, [integration,] y, x)`` in DN/s with coords
        ``wavelength (slit, y, x)`` (µm) and per-slit ``slit_name``, ``xstart``,
        ``ystart`` (1-based in the exposure), ``xsize``, ``ysize``, ``srctype``;
        attrs ``EXP_TYPE``, ``SUBSTRT1``, ``SUBSTRT2``, ``DISPAXIS``.
    fflat, sflat, dflat : opened references (:func:`spec2x.open_reference`);
        None or ``"N/A"`` make that component unity (jwst's N/A), but not all three.
    inverse : multiply by the flat instead of dividing (jwst ``inverse``).
    user_supplied_flat : not supported for NIRSpec slits yet (must be None).
    overwrite : write the results into the pixel arrays of ``ds`` (NumPy-backed
        data) instead of new ones, for a caller that owns them (the chain,
        :mod:`spec2x.ownership`): ``ds`` is changed.

    Returns
    -------
    Dataset with ``sci``, ``err`` and the variances corrected (``var_flat`` set
    from the flat error), ``dq`` OR-ed with the flat's DQ: ``NO_FLAT_FIELD |
    DO_NOT_USE | UNRELIABLE_FLAT`` where a wavelength lies outside a
    component's range or a reference pixel is bad; NaN wherever
    ``DO_NOT_USE`` is set.  ``S_FLAT``, ``R_FFLAT``, ``R_SFLAT``, ``R_DFLAT``
    recorded.

    Raises
    ------
    MissingReferenceError
        All three components are N/A (in a chain, a component with no file at
        all raises it from the reference lookup, naming the type).
    UnsupportedModeError
        ``user_supplied_flat`` (a pre-computed NIRSpec flat) is given.
    ReferenceMismatchError
        A slit has no fast-variation row, or lies outside a flat image.

    Notes
    -----
    For each component c with image :math:`I_c` (interpolated linearly in
    wavelength for a cube) and fast curve :math:`T_c`,

    .. math:: F_c = I_c(x, y, \\lambda)\\,\\tfrac{1}{18}\\sum_k w_k\\,T_c(\\lambda + u_k\\,\\Delta\\lambda)

    with Gauss-Legendre nodes :math:`u = (-\\sqrt{0.6}/2, 0, \\sqrt{0.6}/2)`,
    weights (5, 8, 5) and :math:`\\Delta\\lambda` the pixel's wavelength step;
    :math:`F = F_f F_s F_d`, :math:`\\sigma_F = F\\sqrt{\\sum_c(\\sigma_c/F_c)^2}`.
    Corrected: :math:`S/F`, ``var_flat`` :math:`= (S/F^2\\,\\sigma_F)^2`.
    """
    mode = _check_input(ds, user_supplied_flat)
    exp_type = mode.exp_type
    refs = {"fflat": fflat, "sflat": sflat, "dflat": dflat}
    opened = open_components(ds, mode, refs)
    components = [opened[name][0] for name in refs]
    names = [str(n) for n in np.asarray(ds["slit_name"].values)]
    per_slit = _per_slit(ds, [opened[name] for name in refs], names, exp_type)
    dispaxis = int(ds.attrs.get("DISPAXIS", 1) or 1)

    flat, fdq, ferr = _flat(ds["wavelength"].variable, per_slit, components, dispaxis)
    out = scale_by(
        ds,
        flat,
        operation="multiply" if inverse else "divide",
        factor_err=ferr,
        factor_dq=fdq,
        overwrite=overwrite,
    )
    if mode.point_and_uniform and "srctype" in ds.coords:
        out = out.assign(_point_and_uniform(ds, flat, per_slit, components, dispaxis))
    extra = {reference_keyword(name): NOT_APPLICABLE for name in refs if opened[name][1] is None}
    used = [opened[name][1] for name in refs]
    log.info(
        "flat_field: NIRSpec %s flat for %d slits (%s)",
        exp_type,
        len(names),
        ", ".join(
            f"{n}={r.name if r is not None else 'N/A'}" for n, r in zip(refs, used, strict=True)
        ),
    )
    return record_step(out, "flat_field", *used, extra=extra)


def open_components(
    ds: xr.Dataset, mode: Mode, refs: dict[str, FlatArg]
) -> dict[str, tuple[kern.FlatComponent | None, Reference | None]]:
    """Each of fflat, sflat, dflat as a kernel component and its reference (None: N/A).

    Raises MissingReferenceError when all three are N/A.
    """
    opened = {name: _component(name, ref, ds, mode) for name, ref in refs.items()}
    if all(c is None for c, _ in opened.values()):
        raise MissingReferenceError(
            "fflat, sflat and dflat are all N/A: there is no NIRSpec flat to apply; "
            "give at least one, or skip flat_field"
        )
    return opened


def _check_input(ds: xr.Dataset, user_supplied_flat: Any) -> Mode:
    """The exposure's mode, once the input is known to be NIRSpec slits this flat serves."""
    require(
        ds,
        *_PIXEL_VARS,
        coords=("wavelength", "slit_name", "xstart", "ystart", "xsize", "ysize"),
        step="flat_field",
    )
    exp_type = exp_type_of(ds)
    mode = lookup(exp_type)
    if mode is None or not _slit_flat(mode):
        supported = ", ".join(k for k, m in MODES.items() if _slit_flat(m))
        raise UnsupportedModeError(
            f"the NIRSpec slit flat handles {supported}, not "
            f"EXP_TYPE={exp_type!r} (IFU exposures take spec2x.instruments.nirspec.flat_ifu)"
        )
    if "slit" not in ds["wavelength"].dims:
        raise StepOrderError("flat_field: NIRSpec slit data need extract_2d first (no 'slit' dim)")
    if user_supplied_flat is not None:
        raise UnsupportedModeError(
            "a pre-computed (user-supplied) NIRSpec flat is not supported; give fflat, sflat "
            "and dflat instead"
        )
    return mode


def _slit_flat(mode: Mode) -> bool:
    return mode.flat == "nirspec" and mode.layout == "slits"


def _per_slit(
    ds: xr.Dataset, opened: list[tuple[Any, Any]], names: list[str], exp_type: str
) -> list[xr.DataArray]:
    """Per-slit x0, y0 (0-based full frame), xsize, ysize and each component's fast row.

    Every component's image must cover each slit (else ReferenceMismatchError).
    """
    xstart = np.asarray(ds["xstart"].values, int)
    ystart = np.asarray(ds["ystart"].values, int)
    xsize = np.asarray(ds["xsize"].values, int)
    ysize = np.asarray(ds["ysize"].values, int)
    x0 = xstart - 1 + int(ds.attrs.get("SUBSTRT1", 1)) - 1
    y0 = ystart - 1 + int(ds.attrs.get("SUBSTRT2", 1)) - 1
    rows = []
    for comp, ref in opened:
        if comp is None or ref is None:
            rows.append(np.zeros(len(names), np.intp))
            continue
        rows.append(_rows(ref, names, exp_type))
        _check_footprint(ref, comp, names, x0, y0, xsize, ysize)
    return [xr.DataArray(a, dims="slit") for a in (x0, y0, xsize, ysize, *rows)]


def _point_and_uniform(
    ds: xr.Dataset,
    flat: xr.DataArray,
    per_slit: list[xr.DataArray],
    components: list[Any],
    dispaxis: int,
) -> dict[str, Any]:
    """``flatfield_point``/``flatfield_uniform`` of point-source slits (jwst keeps them for
    pathloss's uniform case): the flat applied, and the flat on the wavelengths before
    wavecorr; NaN on the other slits.  Empty when no slit holds a point source."""
    srctype = np.asarray(ds["srctype"].values).astype(str)
    point = np.char.upper(np.char.strip(srctype)) == "POINT"
    if not point.any():
        return {}
    idx = np.flatnonzero(point)
    uniform_wl = ds.coords.get("wavelength_uncorrected", ds["wavelength"]).variable
    uni_sub, _, _ = _flat(uniform_wl[idx], [a[idx] for a in per_slit], components, dispaxis)
    # back onto every slit (NaN for the others), lazily if Dask
    uni = (
        xr.DataArray(uni_sub, coords={"slit": idx})
        .reindex(slit=np.arange(len(point)))
        .variable.astype(np.float32)
    )
    new: dict[str, Any] = {
        "flatfield_point": flat.where(xr.Variable("slit", point), np.float32(np.nan)),
        "flatfield_uniform": uni,
    }
    for key in new:
        new[key] = new[key].transpose("slit", "y", "x")
        new[key].attrs = {"units": ""}
    return new


def from_chain(ds: xr.Dataset, ctx: StepContext) -> xr.Dataset:
    """Chain adapter: fetch fflat/sflat/dflat (N/A -> unity; no file -> MissingReferenceError) and call :func:`nirspec_flat`."""
    refs = {name: ctx.ref(name, ds) for name in ("fflat", "sflat", "dflat")}
    return nirspec_flat(
        ds,
        refs["fflat"],
        refs["sflat"],
        refs["dflat"],
        inverse=bool(ctx.params.get("inverse", False)),
        overwrite=ctx.owns_input,
    )
