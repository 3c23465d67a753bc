"""The modes table: every exposure type spec2x knows, and what each step does for it.

This is the one place exposure types (``EXP_TYPE``) are listed.  A
:class:`Mode` says which instrument an exposure type belongs to, which
calwebb_spec2 branch jwst 3.0.0 runs for it (``Spec2Pipeline``'s
``_process_*`` methods and ``_step_verification``), which product it ends in,
how its WCS is built, and the traits the generic steps ask about (is it a
time series, a single source, a slit product ...).  A step never compares
``EXP_TYPE`` with a literal: it asks :func:`mode_of` and reads a trait.

Adding a mode is one entry in :data:`MODES` (and its implementation in its
instrument's modules).
"""

from __future__ import annotations

from typing import Any

from .errors import UnsupportedModeError
from .mode_spec import (
    BRANCH_GRISM,
    BRANCH_MIRI_WFSS,
    BRANCH_NRS_SLITS,
    BRANCH_SOSS,
    Mode,
)

__all__ = [
    "MODES",
    "SPECTROSCOPIC_EXP_TYPES",
    "Mode",
    "exp_type_of",
    "lookup",
    "mode_built_by",
    "mode_of",
]

_NRS_OPTICS = ("disperser", "wavelengthrange", "fpa", "camera", "collimator", "msa", "fore", "ote")
_NRS_OPTICS_IFU = tuple(t for t in _NRS_OPTICS if t != "msa")
_MIRI = dict(instrument="MIRI", dithered_source=True, flicker=None)
_LRS = dict(
    _MIRI,
    dispaxis=2,
    wcs_reftypes=("distortion", "specwcs"),
    wcs_build="spec2x.instruments.miri.lrs_wcs:assign_from_refs",
    single_source=True,
    srctype_overridable=True,
    allowed=frozenset({"targ_centroid"}),
    ta_image="MIR_TACONFIRM",
    photom_rows="miri_imager",
    apcorr="miri_lrs",
    extract_1d=True,
)
_NRS = dict(
    instrument="NIRSPEC",
    flicker="nirspec",
    flicker_regions="nirspec",
    flat="nirspec",
    pixel_area="table",
    point_flux_density=True,
    resample_grid="nirspec",
    background_tilt=True,
)
_NRS_SLIT = dict(
    _NRS,
    layout="slits",
    branch=BRANCH_NRS_SLITS,
    extract_2d_before_flat=True,
    wavecorr=True,
    extract_1d=True,
)
_NRS_SCIENCE_SLIT = dict(_NRS_SLIT, source_position=True, trace="nirspec")
_NRS_FS_LIKE = dict(
    _NRS_SCIENCE_SLIT,
    wcs_reftypes=_NRS_OPTICS,
    wcs_build="spec2x.instruments.nirspec.fs:assign_fixed_slits",
    single_source=True,
    srctype_overridable=True,
    fixed_slit_flat=True,
    pathloss="nirspec_slit",
    wavecorr_by_slit_name=True,
    extract_1d=True,
)
_NRS_LAMP = dict(_NRS_SLIT, fixed_slit_flat=True, wavecorr=False,
                 allowed=frozenset({"msa_flagging"}))  # fmt: skip
_GRISM = dict(layout="slits", branch=BRANCH_GRISM, slitless=True)
_WFSS = dict(
    _GRISM,
    wfss=True,
    srctype_from_catalog=True,
    reference_background=True,
    allowed=frozenset({"wfss_contam"}),
    photom_rows="grism",
    photom_unit=True,
    extract_1d=True,
)
_WFSS_WCS = dict(
    _WFSS, dispaxis=0, wcs_reftypes=("distortion", "filteroffset", "specwcs"), wcs_sip=True
)
_NRC_WFSS = dict(
    _WFSS_WCS,
    instrument="NIRCAM",
    wcs_build="spec2x.instruments.nircam.wfss_wcs:assign_from_refs",
)
_NIS_WFSS = dict(
    _WFSS_WCS,
    instrument="NIRISS",
    wcs_build="spec2x.instruments.niriss.wfss_wcs:assign_from_refs",
    filter_keyword="PUPIL",
)
_NRS_IMAGING = dict(
    instrument="NIRSPEC",
    spec2=False,
    background_tilt=True,
    flicker="nirspec",
    flicker_regions="nirspec",
)


def _modes(**entries: dict[str, Any]) -> dict[str, Mode]:
    return {
        name.replace("__", "-"): Mode(name.replace("__", "-"), **kw) for name, kw in entries.items()
    }


#: EXP_TYPE -> Mode, for every exposure type spec2x knows.
MODES: dict[str, Mode] = _modes(
    MIR_LRS__FIXEDSLIT=dict(
        _LRS,
        allowed=frozenset({"targ_centroid", "pathloss"}),
        product_step="resample_spec",
        pathloss="lrs",
        crds_na=frozenset({"pathloss"}),
        source_position=True,
        trace="miri_lrs",
        wavelength_decreasing=True,
    ),
    MIR_LRS__SLITLESS=dict(_LRS, slitless=True),
    MIR_MRS=dict(
        _MIRI,
        layout="ifu",
        product_step="cube_build",
        allowed=frozenset({"straylight", "fringe", "residual_fringe"}),
        dispaxis=2,
        wcs_reftypes=("distortion", "specwcs", "regions", "wavelengthrange"),
        wcs_build="spec2x.instruments.miri.mrs_wcs:assign_from_refs",
        cube_source="spec2x.instruments.miri.mrs_cube:MRS_CUBE",
        single_source=True,
        srctype_overridable=True,
        extended_by_default=True,
        dither_keyword="DITHOPFR",
        photom_image="mrs",
        straylight="mrs",
        apcorr="ifu_radial",
    ),
    MIR_WFSS=dict(
        _MIRI,
        layout="slits",
        branch=BRANCH_MIRI_WFSS,
        slitless=True,
        wfss=True,
        srctype_from_catalog=True,
        reference_background=True,
        allowed=frozenset({"wfss_contam"}),
        photom_unit=True,
    ),
    NRS_FIXEDSLIT=dict(
        _NRS_FS_LIKE,
        product_step="resample_spec",
        allowed=frozenset({"clean_flicker_noise", "pathloss"}),
        flicker_regions="slits",
        per_slit_srctype=True,
        primary_slit_keyword="FXD_SLIT",
        point_and_uniform=True,
        photom_rows="nirspec_fs",
        apcorr="nirspec_fs",
    ),
    NRS_BRIGHTOBJ=dict(
        _NRS_FS_LIKE,
        allowed=frozenset({"clean_flicker_noise"}),
        flicker_regions="slits",
        tso=True,
        photom_rows="nirspec_bots",
        apcorr="nirspec_fs",
    ),
    NRS_MSASPEC=dict(
        _NRS_SCIENCE_SLIT,
        wcs_reftypes=_NRS_OPTICS,
        wcs_build="spec2x.instruments.nirspec.msa_wcs:assign_msa_slits",
        product_step="resample_spec",
        allowed=frozenset(
            {
                "msa_flagging",
                "clean_flicker_noise",
                "imprint_subtract",
                "pathloss",
                "barshadow",
                "master_background_mos",
            }
        ),
        flicker_regions="msa",
        per_slit_srctype=True,
        one_imprint=True,
        msa_slit_metadata=True,
        quadrant_fflat=True,
        barshadow=True,
        fixed_slits_as="NRS_FIXEDSLIT",
        pathloss="nirspec_mos",
        photom_rows="nirspec_grating",
        apcorr="nirspec_mos",
    ),
    NRS_IFU=dict(
        _NRS,
        layout="ifu",
        wcs_reftypes=(*_NRS_OPTICS_IFU, "ifufore", "ifuslicer", "ifupost", "chromcorr"),
        wcs_build="spec2x.instruments.nirspec.ifu:assign_ifu",
        product_step="cube_build",
        cube_source="spec2x.instruments.nirspec.ifu_cube:NRS_IFU_CUBE",
        extract_1d=True,
        photom_image="nrs_ifu",
        pathloss="nirspec_ifu",
        allowed=frozenset({"msa_flagging", "clean_flicker_noise", "imprint_subtract", "pathloss"}),
        flicker_regions="ifu",
        single_source=True,
        srctype_overridable=True,
        extended_by_default=True,
        apcorr="ifu_radial",
    ),
    NRS_LAMP=dict(_NRS_LAMP),
    NRS_AUTOWAVE=dict(_NRS_LAMP),
    NRS_AUTOFLAT=dict(
        _NRS_LAMP, flat=None, fixed_slit_flat=False, wavecorr=True, msa_slit_metadata=True
    ),
    NIS_SOSS=dict(
        instrument="NIRISS",
        flicker_regions="refused",
        branch=BRANCH_SOSS,
        wcs_reftypes=("specwcs",),
        wcs_build="spec2x.instruments.niriss.soss_wcs:assign_from_refs",
        slitless=True,
        allowed=frozenset({"pathloss"}),
        reference_background=True,
        photom_on_spectra=True,
        single_source=True,
        extract_1d=True,
        extract_1d_impl="spec2x.instruments.niriss.soss_extract:soss_extract_1d",
        pathloss="soss",
    ),
    NIS_WFSS=dict(_NIS_WFSS),
    NRC_WFSS=dict(_NRC_WFSS),
    NRC_GRISM=dict(_WFSS, instrument="NIRCAM", srctype_from_catalog=False, photom_unit=False),
    NRC_TSGRISM=dict(
        _GRISM,
        instrument="NIRCAM",
        wcs_reftypes=("distortion", "filteroffset", "specwcs"),
        wcs_optional_reftypes=("regions",),  # the DHS stripe map
        wcs_build="spec2x.instruments.nircam.tsgrism_wcs:assign_from_refs",
        extract_2d_impl="spec2x.instruments.nircam.tsgrism_extract:tsgrism_from_chain",
        tso=True,
        single_source=True,
        srctype_overridable=True,
        photom_rows="grism",
        extract_1d=True,
    ),
    NRC_TSIMAGE=dict(instrument="NIRCAM", spec2=False, tso=True),
    # imaging: not calwebb_spec2's, here for clean_flicker_noise run on its own
    MIR_IMAGE=dict(_MIRI, spec2=False, flicker="miri", flicker_regions="refused"),
    NIS_IMAGE=dict(instrument="NIRISS", spec2=False, flicker_autoparam=True),
    NRC_IMAGE=dict(instrument="NIRCAM", spec2=False, flicker_autoparam=True),
    **{
        name: dict(_NRS_IMAGING)
        for name in (
            "NRS_CONFIRM",
            "NRS_FOCUS",
            "NRS_IMAGE",
            "NRS_MIMF",
            "NRS_MSATA",
            "NRS_TACONFIRM",
            "NRS_TACQ",
            "NRS_TASLIT",
            "NRS_WATA",
        )
    },
)

#: Exposure types calwebb_spec2 handles (spec2x's steps for some are still missing:
#: ``spec2`` then stops before anything runs, naming the step).
SPECTROSCOPIC_EXP_TYPES = tuple(name for name, mode in MODES.items() if mode.spec2)


def exp_type_of(obj: Any) -> str:
    """``EXP_TYPE`` of a Dataset or attrs mapping, upper-case and stripped ('' if missing)."""
    attrs = getattr(obj, "attrs", obj)
    return str(attrs.get("EXP_TYPE", "") or "").strip().upper()


def lookup(exp_type: str) -> Mode | None:
    """The mode of an exposure type, or None for a type spec2x does not know."""
    return MODES.get(str(exp_type).strip().upper())


def mode_of(obj: Any, *, step: str = "", spec2: bool = False) -> Mode:
    """The mode of a Dataset (or its attrs).

    Parameters
    ----------
    obj : a Dataset or its attrs (``EXP_TYPE``, ``FILENAME``).
    step : named in the error message.
    spec2 : also refuse a type calwebb_spec2 does not handle.

    Raises
    ------
    UnsupportedModeError
        ``EXP_TYPE`` is missing or not in the table (or not a spec2 type);
        the message names the file (``chain_for`` adds the types spec2x calibrates).
    """
    exp_type = exp_type_of(obj)
    mode = MODES.get(exp_type)
    if mode is None or (spec2 and not mode.spec2):
        attrs = getattr(obj, "attrs", obj)
        where = f"{step}: " if step else ""
        raise UnsupportedModeError(
            f"{where}{attrs.get('FILENAME', 'the exposure')} has EXP_TYPE="
            f"{exp_type or 'missing'!r}, not a spectroscopic exposure type spec2x knows"
        )
    return mode


def mode_built_by(obj: Any, builder: str, *, what: str) -> Mode:
    """The mode of ``obj`` when its WCS is built by ``builder`` (``Mode.wcs_build``).

    Parameters
    ----------
    obj : a Dataset or its attrs.
    builder : ``"module:function"`` of a WCS builder.
    what : the builder as the message names it.

    Raises
    ------
    UnsupportedModeError
        The exposure's type is not one of the builder's; the message lists them.
    """
    mode = lookup(exp_type_of(obj))
    if mode is None or mode.wcs_build != builder:
        known = ", ".join(k for k, m in MODES.items() if m.wcs_build == builder)
        raise UnsupportedModeError(
            f"{what} handles {known}, not EXP_TYPE={exp_type_of(obj) or 'missing'!r}"
        )
    return mode
