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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .errors import UnsupportedModeError

__all__ = [
    "MODES",
    "SPECTROSCOPIC_EXP_TYPES",
    "Mode",
    "exp_type_of",
    "lookup",
    "mode_built_by",
    "mode_of",
]

Instrument = Literal["MIRI", "NIRSPEC", "NIRISS", "NIRCAM"]
#: The calibrated (``cal``) product: one image, slit cut-outs, or IFU detector data.
Layout = Literal["image", "slits", "ifu"]
#: How photom picks the response row: MIRI imager-like, NIRSpec FS (per slit),
#: NIRSpec BOTS, NIRSpec grating/filter (MOS/IFU).
PhotomRows = Literal["miri_imager", "nirspec_fs", "nirspec_bots", "nirspec_grating", "grism"]

#: jwst's calwebb_spec2 branches (the step order of each ``_process_*``).
BRANCH_COMMON = ("srctype", "targ_centroid", "straylight", "flat_field", "fringe", "pathloss",
                 "barshadow", "photom", "residual_fringe")  # fmt: skip
BRANCH_GRISM = ("flat_field", "extract_2d", "srctype", "straylight", "fringe", "pathloss",
                "barshadow", "wfss_contam", "photom")  # fmt: skip
BRANCH_MIRI_WFSS = ("flat_field", "extract_2d", "srctype", "pathloss", "photom")
BRANCH_NRS_SLITS = ("extract_2d", "srctype", "master_background_mos", "wavecorr", "flat_field",
                    "pathloss", "barshadow", "photom")  # fmt: skip
BRANCH_SOSS = ("srctype", "flat_field", "straylight", "fringe", "pathloss", "barshadow")


@dataclass(frozen=True)
class Mode:
    """One exposure type: its chain and the traits the steps ask about.

    Attributes
    ----------
    exp_type : the ``EXP_TYPE`` keyword value.
    instrument : ``INSTRUME``.
    spec2 : jwst's calwebb_spec2 handles it (else the steps know the type,
        e.g. for NIRSpec imaging flats, but there is no chain for it).
    layout : what the ``cal`` product holds.
    branch : the mode branch of the chain (between bkg_subtract and the
        product steps), as jwst orders it.
    product_step : ``resample_spec`` or ``cube_build`` (single-integration
        data only for resample_spec), or None.
    allowed : the steps that jwst's ``_step_verification`` allows only for
        some types (msa_flagging, clean_flicker_noise, imprint_subtract,
        straylight, fringe, residual_fringe, targ_centroid, pathloss,
        barshadow, master_background_mos, wfss_contam) allowed for this one.
    reference_background : bkg_subtract scales a reference background
        (WFSS, SOSS) instead of subtracting background members.
    photom_on_spectra : photom runs after extract_1d, on the spectra (SOSS).
    dispaxis : the dispersion axis (1 along x, 2 along y; 0: it depends on
        the disperser and the WCS builder sets ``DISPAXIS``, as for WFSS).
    wcs_reftypes : references assign_wcs needs (an N/A one is an error).
    wcs_build : ``build(ds, refs, **params) -> Dataset`` building the WCS, or
        its ``"module:function"``; None where spec2x does not have it yet.
    tso : a time-series mode (always a point source).
    single_source : one target, its type decided for the exposure.
    srctype_overridable : the srctype ``source_type`` parameter applies.
    extended_by_default : EXTENDED unless the keywords say otherwise.
    dither_keyword : the keyword whose value says "nodded".
    per_slit_srctype : the source type is decided per slit (FS: primary slit
        only; MOS: from stellarity).
    msa_slit_metadata : each slit carries its MSA metadata (slitlet id, source
        name, stellarity, shutter state, position in the shutter ...; jwst's
        extract_2d for NRS_MSASPEC and NRS_AUTOFLAT).
    primary_slit_keyword : the keyword naming the slit the source is in (the
        others are background slits; NIRSpec FS ``FXD_SLIT``).
    wfss : a wide-field slitless mode (needs a source catalogue).
    srctype_from_catalog : each source's type comes from its ``is_extended`` flag.
    filter_keyword : the keyword naming the blocking filter of a grism exposure
        (the ``wavelengthrange`` row; NIRISS: ``PUPIL``).
    flat : flat-fielded from one ``flat`` image, from the NIRSpec fflat, sflat
        and dflat, or not at all (None: flat_field skips it, as jwst does).
    fixed_slit_flat : the NIRSpec flat's fast-variation row is chosen by slit name.
    quadrant_fflat : the NIRSpec fflat is the MSA quadrant flat, a curve per
        shutter (``NirspecQuadFlatModel``; MOS).
    barshadow : jwst's barshadow corrects this type (MSA slitlets; others skip it).
    point_and_uniform : point-source slits also get the flat and photom of a
        uniform source (jwst keeps them for pathloss's uniform case; NIRSpec FS).
    extract_2d_before_flat : extract_2d may run before flat_field.
    pathloss : spec2x's pathloss implementation (``lrs``, ``nirspec_slit``,
        ``nirspec_mos``, ``nirspec_ifu``, ``soss``), or None.
    wavecorr : wavecorr applies.
    wavecorr_by_slit_name : wavecorr's aperture is the slit name (else ``MOS``).
    photom_rows : how photom picks the response row, None where spec2x has not got it.
    photom_image : photom multiplies by a per-pixel conversion image instead
        (``mrs``: MIRI MRS, with its time- and wavelength-dependent throughput loss;
        ``nrs_ifu``: NIRSpec IFU, the response at each pixel's wavelength over its
        slice's pixel area).
    straylight : spec2x's straylight implementation (``mrs``: the MIRI MRS
        cross-artifact and cosmic-ray showers), or None.
    source_position : extract_1d centres the aperture on the source by default
        (jwst SRCPOS_EXPTYPES).
    trace : how extract_1d finds the trace from the WCS (``nirspec``, ``miri_lrs``).
    apcorr : the aperture-correction table layout (``miri_lrs``, ``nirspec_fs``,
        ``nirspec_mos``: no slit column; ``ifu_radial``: the ASDF radius table of
        the IFU cubes, :mod:`spec2x.cube.apcorr`).
    extract_1d : spec2x's extract_1d handles it (box extraction of slits/images).
    extract_1d_impl : ``"module:function"`` extracting this mode's spectra
        instead of the generic box (``fn(ds, refs, **params)``; NIRISS SOSS).
    extract_2d_impl : ``"module:function"`` cutting this mode's slits out
        instead of the NIRSpec slits (``fn(ds, ctx)``; NIRCam grism time series).
    wavelength_decreasing : the rectified grid runs from long to short wavelengths.
    pixel_area : where photom finds the pixel solid angle: the ``area``
        reference's table, per slit (required), or its image and
        PIXAR_SR/PIXAR_A2 keywords (optional; the image becomes ``area``).
    point_flux_density : photom leaves point sources in MJy per pixel (not
        MJy/sr), which extract_1d sums as a flux density.
    resample_grid : resample_spec's output grid: from the slit's own pixels
        and wavelengths (``nirspec``) or interpolated along the trace.
    one_imprint : the association holds one imprint exposure for every
        science and background exposure; imprint_subtract uses the first of
        several (jwst's Spec2Pipeline for NRS_MSASPEC).
    background_tilt : bkg_subtract skips when a background's grating-wheel
        tilt (GWA_XTIL, GWA_YTIL) differs from the science exposure's.
    slitless : no slit in the beam (slitless prism or grism).
    dithered_source : extract_1d reports the source at the dithered pointing
        (DITH_RA, DITH_DEC), not at its position in the slit.
    crds_na : reference types CRDS answers N/A for this mode although the
        traits say a step of its chain reads one (MIRI LRS fixed slit:
        ``pathloss``, as the runs jwst made for the project found); with
        :mod:`spec2x.io.ref_rules` they decide which types a folder of
        references may lack.
    cube_source : ``"module:NAME"`` of the :class:`spec2x.cube.pointcloud.CubeSource`
        that cube_build reads an IFU exposure through; None: spec2x builds no cube.
    """

    exp_type: str
    instrument: Instrument
    spec2: bool = True
    layout: Layout = "image"
    branch: tuple[str, ...] = BRANCH_COMMON
    product_step: Literal["resample_spec", "cube_build"] | None = None
    allowed: frozenset[str] = frozenset()
    reference_background: bool = False
    photom_on_spectra: bool = False
    dispaxis: int = 1
    wcs_reftypes: tuple[str, ...] = ()
    wcs_build: str | Callable[..., Any] | None = None
    tso: bool = False
    single_source: bool = False
    srctype_overridable: bool = False
    extended_by_default: bool = False
    dither_keyword: str = "PATTTYPE"
    per_slit_srctype: bool = False
    msa_slit_metadata: bool = False
    primary_slit_keyword: str | None = None
    wfss: bool = False
    srctype_from_catalog: bool = False
    filter_keyword: str = "FILTER"
    flat: Literal["image", "nirspec"] | None = "image"
    fixed_slit_flat: bool = False
    quadrant_fflat: bool = False
    barshadow: bool = False
    point_and_uniform: bool = False
    extract_2d_before_flat: bool = False
    pathloss: Literal["lrs", "nirspec_slit", "nirspec_mos", "nirspec_ifu", "soss"] | None = None
    wavecorr: bool = False
    wavecorr_by_slit_name: bool = False
    photom_rows: PhotomRows | None = None
    photom_image: Literal["mrs", "nrs_ifu"] | None = None
    straylight: Literal["mrs"] | None = None
    source_position: bool = False
    trace: Literal["nirspec", "miri_lrs"] | None = None
    apcorr: Literal["miri_lrs", "nirspec_fs", "nirspec_mos", "ifu_radial"] | None = None
    extract_1d: bool = False
    extract_1d_impl: str | None = None
    extract_2d_impl: str | None = None
    wavelength_decreasing: bool = False
    pixel_area: Literal["table", "image"] = "image"
    point_flux_density: bool = False
    resample_grid: Literal["nirspec", "interpolated"] = "interpolated"
    background_tilt: bool = False
    one_imprint: bool = False
    slitless: bool = False
    dithered_source: bool = False
    crds_na: frozenset[str] = frozenset()
    cube_source: str | None = None

    def allows(self, step: str) -> bool:
        """Whether jwst's ``_step_verification`` lets ``step`` run on this type at all."""
        return step not in _RESTRICTED or step in self.allowed


#: Steps jwst allows only for some exposure types.
_RESTRICTED = frozenset({
    "msa_flagging", "clean_flicker_noise", "imprint_subtract", "straylight", "fringe",
    "residual_fringe", "targ_centroid", "pathloss", "barshadow", "master_background_mos",
    "wfss_contam",
})  # fmt: skip

_NRS_OPTICS = ("disperser", "wavelengthrange", "fpa", "camera", "collimator", "msa", "fore", "ote")
_NRS_OPTICS_IFU = tuple(t for t in _NRS_OPTICS if t != "msa")
_MIRI = dict(instrument="MIRI", dithered_source=True)
_LRS = dict(
    _MIRI,
    dispaxis=2,
    wcs_reftypes=("distortion", "specwcs"),
    wcs_build="spec2x.instruments.miri.lrs_wcs:assign_from_refs",
    single_source=True,
    srctype_overridable=True,
    allowed=frozenset({"targ_centroid"}),
    photom_rows="miri_imager",
    apcorr="miri_lrs",
    extract_1d=True,
)
_NRS = dict(
    instrument="NIRSPEC",
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
    extract_1d=True,
)
_WFSS_WCS = dict(_WFSS, dispaxis=0, wcs_reftypes=("distortion", "filteroffset", "specwcs"))
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
_NRS_IMAGING = dict(instrument="NIRSPEC", spec2=False, background_tilt=True)


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
    ),
    NRS_FIXEDSLIT=dict(
        _NRS_FS_LIKE,
        product_step="resample_spec",
        allowed=frozenset({"clean_flicker_noise", "pathloss"}),
        per_slit_srctype=True,
        primary_slit_keyword="FXD_SLIT",
        point_and_uniform=True,
        photom_rows="nirspec_fs",
        apcorr="nirspec_fs",
    ),
    NRS_BRIGHTOBJ=dict(
        _NRS_FS_LIKE,
        allowed=frozenset({"clean_flicker_noise"}),
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
        per_slit_srctype=True,
        one_imprint=True,
        msa_slit_metadata=True,
        quadrant_fflat=True,
        barshadow=True,
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
    NRC_GRISM=dict(_WFSS, instrument="NIRCAM", srctype_from_catalog=False),  # jwst's legacy name
    NRC_TSGRISM=dict(
        _GRISM,
        instrument="NIRCAM",
        wcs_reftypes=("distortion", "filteroffset", "specwcs"),
        wcs_build="spec2x.instruments.nircam.tsgrism_wcs:assign_from_refs",
        extract_2d_impl="spec2x.instruments.nircam.tsgrism_extract:tsgrism_from_chain",
        tso=True,
        single_source=True,
        srctype_overridable=True,
        photom_rows="grism",
        extract_1d=True,
    ),
    NRC_TSIMAGE=dict(instrument="NIRCAM", spec2=False, tso=True),
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
