"""The calwebb_spec2 chain: which steps run for an exposure, and running them.

:func:`chain_for` (:mod:`spec2x.chain`) answers "which steps does jwst
3.0.0's ``Spec2Pipeline`` run on this exposure, in which order" from
``EXP_TYPE``, whether the exposure has integrations (``rateints``), the
association members and the step parameters (``skip``).  :func:`spec2`
runs that chain with the spec2x steps and returns the products by their jwst
suffix (``cal``/``calints``, ``s2d``, ``s3d``, ``x1d``/``x1dints``).

The order follows ``Spec2Pipeline.process_exposure_product``: first the
steps every mode shares (assign_wcs, badpix_selfcal, msa_flagging,
clean_flicker_noise, imprint_subtract, bkg_subtract), then a mode branch
(slitless grism modes flat-field before extract_2d; NIRSpec slit modes run
srctype and wavecorr before flat_field, a MOS exposure's fixed slits as fixed
slits after srctype; NIRISS SOSS leaves photom for the spectra), then
adaptive_trace_model and pixel_replace on a copy of the calibrated data,
resample_spec (slit modes, not multi-integration) or cube_build (IFU), and
extract_1d.  A step jwst skips for the exposure type
(``_step_verification``) is not in the chain; a step jwst skips by default
(badpix_selfcal, clean_flicker_noise, targ_centroid, residual_fringe,
wfss_contam, adaptive_trace_model, pixel_replace) is in it only when its
``skip`` parameter is False.

A step's ``from_chain(ds, ctx)`` returns the new Dataset, or
``(Dataset, {role: [Dataset, ...]})`` when it also changes association
members (badpix_selfcal flags the background exposures too), or a
:class:`~spec2x.step_spec.StepOutput` with files to save beside; the runner
applies clean_flicker_noise and imprint_subtract to the imprint/background
members itself, as jwst does (:data:`MEMBER_STEPS`).
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, cast

import numpy as np
import xarray as xr

from . import preflight
from .chain import PRODUCT_STEPS, chain_for, is_multi_int, jwst_calls, product_suffixes, resume
from .chain_products import final_steps, record, save_step
from .errors import InputFileError, Spec2xWarning
from .io.references import ReferenceSet
from .modes import SPECTROSCOPIC_EXP_TYPES, Mode, mode_of
from .ownership import Guard, each_group, owns_input
from .params import Params, resolve
from .provenance import product_keywords, stamp
from .registry import STEPS, ChainResult, get_step
from .slits import Slits, groups, map_groups, merge_spectra, to_tree
from .step_spec import StepOutput
from .steps import StepContext

__all__ = [
    "SPECTROSCOPIC_EXP_TYPES",
    "chain_for",
    "is_crds_cache",
    "is_multi_int",
    "product_suffixes",
    "resume",
    "run_step",
    "spec2",
]

log = logging.getLogger(__name__)

#: Parameters Spec2Pipeline itself sets on its steps.
CHAIN_SETTINGS: dict[str, dict[str, Any]] = {"cube_build": {"skip_dqflagging": True}}

#: Steps jwst also applies to association members (after the science), by role.
MEMBER_STEPS: dict[str, tuple[str, ...]] = {
    "clean_flicker_noise": ("imprint", "background"),
    "imprint_subtract": ("background",),
}

#: Association member roles opened as exposures (the others are passed on as paths).
EXPOSURE_ROLES = ("background", "imprint", "selfcal")


# -- running ------------------------------------------------------------------

RefsLike = ReferenceSet | Mapping[str, Any] | str | os.PathLike[str] | None
MembersLike = Mapping[str, Sequence[Any]] | None


def is_crds_cache(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` is laid out as a CRDS cache (``CRDS_PATH``: ``mappings/jwst``,
    ``references/jwst/<instrument>``) rather than a flat folder of reference files."""
    return os.path.isdir(os.path.join(folder, "mappings", "jwst"))


def _refset(refs: RefsLike) -> ReferenceSet:
    if isinstance(refs, ReferenceSet):
        return refs
    if refs is None:  # as jwst: the user's CRDS cache when there is one
        return ReferenceSet.from_crds() if os.environ.get("CRDS_PATH") else ReferenceSet()
    if isinstance(refs, str | os.PathLike):
        return ReferenceSet.from_crds(refs) if is_crds_cache(refs) else ReferenceSet(directory=refs)
    return ReferenceSet(explicit=dict(refs))


def _open(exposure: xr.Dataset | str | os.PathLike[str], chunks: Any = None) -> xr.Dataset:
    if isinstance(exposure, xr.Dataset):
        return exposure
    if is_zarr(exposure):
        from .io.zarr_store import open_zarr

        ds = open_zarr(exposure)
        if isinstance(ds, xr.DataTree):
            raise InputFileError(
                f"{os.fspath(exposure)}: a store of slit groups is a product, not an exposure; pass a rate or rateints store"
            )
        return ds.chunk(chunks) if isinstance(chunks, Mapping) else ds
    from .io.fits import open_exposure

    return open_exposure(exposure, chunks=chunks)


def is_zarr(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a Zarr store (``….zarr``, local or an fsspec URL)."""
    return os.fspath(path).rstrip("/").endswith(".zarr")


def _prepare_members(
    members: MembersLike,
) -> tuple[dict[str, list[xr.Dataset]], dict[str, Any]]:
    opened: dict[str, list[xr.Dataset]] = {}
    extra: dict[str, Any] = {}
    for role, items in (members or {}).items():
        role = role.lower()
        if role in EXPOSURE_ROLES:
            opened[role] = [_open(m) for m in items]
        elif role != "science":
            paths = [os.fspath(m) for m in items]
            extra[role] = paths[0] if len(paths) == 1 else paths
    return opened, extra


def _resolve_input(
    exposure: xr.Dataset | str | os.PathLike[str], members: MembersLike
) -> tuple[xr.Dataset | str | os.PathLike[str], MembersLike]:
    if isinstance(exposure, str | os.PathLike) and str(exposure).endswith(".json"):
        from .io.association import read_association

        asn = read_association(exposure)
        merged = {role: list(paths) for role, paths in asn.members.items()}
        for role, items in (members or {}).items():
            merged.setdefault(role, []).extend(items)
        return asn.science, merged
    return exposure, members


#: Keywords jwst sets from WFSS association members (basename of the member file).
WFSS_MEMBER_KEYWORDS = {"sourcecat": "SCATFILE", "segmap": "SEGMFILE", "direct_image": "DIRIMAGE"}


def _wfss_inputs(ds: xr.Dataset, extra: Mapping[str, Any]) -> xr.Dataset:
    """Record the WFSS catalogue, segmentation map and direct image as jwst does; check a
    source catalogue is known (jwst stops without one)."""
    attrs = dict(ds.attrs)
    for role, keyword in WFSS_MEMBER_KEYWORDS.items():
        if role in extra:
            value = extra[role]
            attrs[keyword] = os.path.basename(value if isinstance(value, str) else value[0])
    if not attrs.get("SCATFILE") or str(attrs["SCATFILE"]).upper() in ("N/A", "NONE"):
        raise InputFileError(
            f"{attrs.get('FILENAME', 'the exposure')} is {attrs.get('EXP_TYPE')} but no source "
            "catalogue is given: add a 'sourcecat' member to its association (or set SCATFILE)"
        )
    out = ds.copy(deep=False)
    out.attrs = attrs
    return out


def _step_params(name: str, params: Params, extra: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(params.get(name, STEPS[name].defaults()))
    values.update(CHAIN_SETTINGS.get(name, {}))
    if name == "targ_centroid" and values.get("ta_file") is None and "target_acquisition" in extra:
        values["ta_file"] = extra["target_acquisition"]
    if name == "master_background_mos":  # its sub-steps take the chain's skip, as in jwst
        from .steps.master_background_mos import CALIBRATIONS

        values["skip_calibrations"] = [s for s in CALIBRATIONS if params.get(s, {}).get("skip")]
    return values


def spec2(
    exposure: xr.Dataset | str | os.PathLike[str],
    refs: RefsLike = None,
    params: Mapping[str, Mapping[str, Any]] | str | os.PathLike[str] | None = None,
    *,
    members: MembersLike = None,
    skip: Sequence[str] = (),
    on_step: Callable[[str, xr.Dataset], None] | None = None,
    chunks: Mapping[str, int | str | None] | str | None = None,
    intermediate_only: bool = False,
    on_product: Callable[[str, xr.Dataset], bool] | None = None,
) -> dict[str, xr.Dataset]:
    """Calibrate one exposure through the calwebb_spec2 chain.

    Parameters
    ----------
    exposure : a rate/rateints Dataset, a FITS path, or a level-2
        association (``*_asn.json``; its science member is calibrated and the
        other members are passed on by role).
    refs : reference files: a :class:`ReferenceSet`, a mapping reftype ->
        path/Reference/"N/A", or a folder of CRDS-format files.
    params : step parameters (mapping or ASDF/YAML file); defaults are jwst's.
    members : association members by role (``background``, ``imprint``,
        ``selfcal`` as Datasets or paths; ``sourcecat``, ``segmap``,
        ``target_acquisition`` ... as paths).
    skip : steps to leave out.
    on_step : called as ``on_step(name, ds)`` after each step (``--save-steps``).
    intermediate_only : call ``on_step`` only for the steps whose output is not
        also a product (``--save-steps`` does not write ``_photom`` equal to ``_cal``).
    chunks : when ``exposure`` is a file, open it Dask-backed with these
        chunks (``{"integration": 8}``, ``"auto"``); None reads NumPy arrays.
        The products are then lazy until written or computed.
    on_product : called as ``on_product(suffix, product)`` with the ``cal``/``calints``
        product (stamped, as returned) once it is final, before the steps that work on
        a copy of it (extract_1d ...); True when it has written the product, which is
        then not returned (nothing but those steps' input holds it any more).

    Returns
    -------
    Products by jwst suffix: ``cal`` or ``calints`` always; ``s2d`` (slit
    modes), ``s3d`` (IFU: the first band's cube), ``x1d`` or ``x1dints`` where
    made (an IFU exposure of several bands: ``0_x1d``, ``1_x1d``..., each band
    cube's spectrum, as jwst names them); what a step saves on request, by
    jwst's suffix (wfss_contam: ``simul``, ``simul_slits``, ``contam``).  Empty
    when assign_wcs is skipped (jwst then writes nothing either).  The ``cal``
    product is left out when ``on_product`` has written it.

    Raises
    ------
    UnsupportedModeError
        For an exposure type spec2x does not calibrate, or a step of the chain
        spec2x does not implement yet (before anything runs).
    """
    exposure, members = _resolve_input(exposure, members)
    ds = _open(exposure, chunks)
    resolved = resolve(params, skip=skip)
    opened, extra = _prepare_members(members)
    chain = chain_for(ds, resolved, members=opened)
    mode = mode_of(ds)
    name = str(ds.attrs.get("FILENAME", "exposure"))
    if "assign_wcs" not in chain:
        log.warning("assign_wcs is skipped: no products are made (as in jwst)")
        return {}
    preflight.check_mode(mode, name)
    chain = resume(chain, ds.attrs, name)
    if mode.wfss:
        ds = _wfss_inputs(ds, extra)
    for step in chain:  # refused before anything runs; each module is imported as it runs
        get_step(step).require(mode.exp_type)
    refset = _refset(refs)
    preflight.check_references(ds.attrs, mode, chain, refset, resolved)
    _warn_if_empty(ds, name)
    suffix = product_suffixes(ds)
    skipped = [s for s in jwst_calls(mode, is_multi_int(ds)) if s not in chain]
    keywords = product_keywords(crds_context=_context(refset))
    products: dict[str, xr.Dataset] = {}
    cal_written = False  # by on_product: not returned
    cal_skipped = [s for s in skipped if s not in PRODUCT_STEPS]
    log.info("spec2 %s (%s): %s", name, mode.exp_type, ", ".join(chain))
    start = time.perf_counter()
    current = ds
    # no step writes into the caller's arrays; an exposure read here from a file is the chain's
    guard = Guard(opened, ds if isinstance(exposure, xr.Dataset) else None)
    del ds  # only `current` keeps the input, so its arrays go once a step replaces them
    finals = final_steps(chain) if intermediate_only else set()
    branch_at = _fixed_slit_branch(chain, mode)
    for step in chain:
        if step in PRODUCT_STEPS and suffix["cal"] not in products and not cal_written:
            cal = _final(current, mode, keywords, cal_skipped)
            cal_written = on_product is not None and on_product(suffix["cal"], cal)
            if not cal_written:
                products[suffix["cal"]] = current
            del cal
            current = _with_default_variances(current)
        t0 = time.perf_counter()
        function = _load(step, mode.exp_type)
        owns = on_step is None and owns_input(step, function, current, guard, products, opened)
        ctx = StepContext(step, refset, _step_params(step, resolved, extra), opened, extra, owns)
        before = current
        current, updated, saved = _unpack(_run(function, current, ctx))
        opened.update(updated)
        products.update(saved)  # files the step saves on request (wfss_contam's simul ...)
        if step == branch_at:  # MOS: the fixed slits go on as fixed slits (jwst)
            current = _branch_fixed_slits(current, mode)
        member_ctx = replace(ctx, owns_input=False)
        for role in MEMBER_STEPS.get(step, ()):  # jwst runs these on members too
            opened[role] = [_unpack(function(m, member_ctx))[0] for m in opened.get(role, [])]
        log.info("  %-22s %7.2f s", step, time.perf_counter() - t0)
        log.debug("  %s ran with %s", step, _describe(ctx.params))
        current = record(step, current, before, products, suffix)
        if on_step is not None:
            save_step(on_step, step, current, products if step in finals else None,
                       lambda d: stamp(d, keywords, skipped))  # fmt: skip
    if not cal_written:
        products.setdefault(suffix["cal"], current)
    kinds = ", ".join([suffix["cal"]] * cal_written + list(products))
    log.info("spec2 %s done in %.2f s: %s", name, time.perf_counter() - start, kinds)
    return {
        kind: _final(p, mode, keywords, cal_skipped if kind == suffix["cal"] else skipped)
        for kind, p in products.items()
    }


def _final(product: Any, mode: Mode, keywords: Mapping[str, Any], skipped: list[str]) -> Any:
    """A product as the chain returns it: the exposure's ``EXP_TYPE`` again, the provenance
    keywords and ``S_* = 'SKIPPED'`` for ``skipped``."""
    return stamp(_as_exposure(product, mode), keywords, skipped)


def _fixed_slit_branch(chain: Sequence[str], mode: Mode) -> str | None:
    """The step after which a MOS exposure's fixed slits go on as fixed slits (jwst: srctype,
    else extract_2d); None for a mode without (``Mode.fixed_slits_as``)."""
    if mode.fixed_slits_as is None:
        return None
    return next((s for s in ("srctype", "extract_2d") if s in chain), None)


def _branch_fixed_slits(current: Any, mode: Mode) -> Any:
    from .instruments.nirspec.mos_fixed_slits import branch_fixed_slits

    return branch_fixed_slits(current, str(mode.fixed_slits_as))


def _as_exposure(product: Any, mode: Mode) -> Any:
    """A product with the exposure's ``EXP_TYPE`` again (a MOS exposure's fixed-slit group)."""
    if mode.fixed_slits_as is None or not isinstance(product, xr.Dataset | xr.DataTree):
        return product
    from .instruments.nirspec.mos_fixed_slits import as_exposure_type

    return as_exposure_type(product, mode.exp_type)


def _load(step: str, exp_type: str) -> Any:
    """The step's chain function: its ``from_chain``, or what that names as ``every_band``
    (cube_build: every band's cube, as Spec2Pipeline's CubeBuildStep returns a container
    of one cube per band; ``run_step`` gives the first band's)."""
    function = get_step(step).load(exp_type)
    return getattr(function, "every_band", function)


def _with_default_variances(current: xr.Dataset) -> xr.Dataset:
    """``var_flat`` as zeros where no flat was applied (skipped, or N/A), as jwst's datamodels
    default it, so resample_spec and extract_1d accept the product of a chain without a flat."""

    def fill(ds: xr.Dataset) -> xr.Dataset:
        if "var_flat" in ds.data_vars or "var_poisson" not in ds.data_vars:
            return ds
        zeros = xr.zeros_like(ds["var_poisson"]).where(ds["var_poisson"].notnull())
        return ds.assign(var_flat=zeros.assign_attrs(ds["var_poisson"].attrs))

    return cast(xr.Dataset, map_groups(fill, current))  # or a DataTree of slit groups


def _warn_if_empty(ds: xr.Dataset, name: str) -> None:
    """Warn when the science array holds no finite value (NumPy-backed input only: a Dask
    array is not computed for this)."""
    sci = ds.get("sci")
    if sci is None or sci.chunks is not None or sci.size == 0:
        return
    if not np.isfinite(sci.values).any():
        warnings.warn(
            f"{name}: the science array holds no finite value (all NaN or infinite); every "
            "product will be NaN. Check the input file",
            Spec2xWarning,
            stacklevel=3,
        )


def _context(refs: ReferenceSet) -> str | None:
    """The CRDS context the references are selected with (None: a folder or explicit files)."""
    return None if refs.crds_cache is None else str(refs.crds_cache.context)


def _describe(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items()) or "no parameters"


def run_step(
    ds: xr.Dataset,
    name: str,
    refs: RefsLike = None,
    *,
    members: MembersLike = None,
    **params: Any,
) -> xr.Dataset:
    """Run one step by name, as the chain would (references looked up in ``refs``).

    Parameters are checked and converted like ``--steps`` overrides.  With
    :meth:`xarray.Dataset.pipe`:
    ``ds.pipe(run_step, "flat_field", refs).pipe(run_step, "photom", refs)``.
    """
    from .params import coerce

    spec = get_step(name)
    values = spec.defaults()
    values.update({k: coerce(name, k, v) for k, v in params.items()})
    values.update(CHAIN_SETTINGS.get(name, {}))
    opened, extra = _prepare_members(members)
    ctx = StepContext(step=name, refs=_refset(refs), params=values, members=opened, extra=extra)
    return _unpack(spec.load(str(ds.attrs.get("EXP_TYPE", "")))(ds, ctx))[0]


def _run(function: Any, current: Slits, ctx: StepContext) -> Any:
    """A step on an exposure, or on every group of slits of a grouped product (a step whose
    adapter says ``whole_product`` takes the whole DataTree: master_background_mos)."""
    if isinstance(current, list):  # the band cubes of an IFU exposure: each in turn
        return [_unpack(_run(function, band, ctx))[0] for band in current]
    if not isinstance(current, xr.DataTree) or getattr(function, "whole_product", False):
        return function(current, ctx)
    if ctx.step != "extract_1d":
        return map_groups(function, current, ctx)
    result = to_tree([function(part, ctx) for part in each_group(current, ctx.owns_input)])
    spectra = groups(result)  # the groups' spectra, held by nothing else once `result` goes
    del result
    return merge_spectra(spectra, consume=True)


def _unpack(
    result: ChainResult,
) -> tuple[xr.Dataset, dict[str, list[xr.Dataset]], dict[str, Any]]:
    """A step's result, the association members it updated (by role) and the products it
    saves besides (by suffix)."""
    if isinstance(result, StepOutput):
        updated = {role: list(items) for role, items in result.members.items()}
        return result.result, updated, dict(result.products)
    if isinstance(result, tuple):
        ds, members = result
        return ds, {role: list(items) for role, items in members.items()}, {}
    return result, {}, {}
