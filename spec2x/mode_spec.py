"""What a mode can say: the :class:`Mode` record of the modes table, and jwst's branches.

Each exposure type's entry is in :data:`spec2x.modes.MODES` (the one place
exposure types are listed); this module says what an entry holds: the
instrument, the calwebb_spec2 branch (:data:`BRANCH_COMMON` ...), the product
layout, and the traits the generic steps ask about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "BRANCH_COMMON",
    "BRANCH_GRISM",
    "BRANCH_MIRI_WFSS",
    "BRANCH_NRS_SLITS",
    "BRANCH_SOSS",
    "Instrument",
    "Layout",
    "Mode",
    "PhotomRows",
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
    wcs_optional_reftypes : references assign_wcs takes when there is one (N/A allowed;
        the builder says when it needs one, as NRC_TSGRISM DHS its ``regions``).
    wcs_build : ``build(ds, refs, **params) -> Dataset`` building the WCS, or
        its ``"module:function"``; None where spec2x does not have it yet.
    wcs_sip : assign_wcs also writes the FITS TAN-SIP approximation of the direct
        image's WCS (jwst's WFSS types: ``sip_approx``).
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
    fixed_slits_as : the exposure type the fixed slits of this type's exposures
        are calibrated as after srctype (MOS: ``NRS_FIXEDSLIT``, their own
        references and algorithms; :mod:`spec2x.instruments.nirspec.mos_fixed_slits`).
    point_and_uniform : point-source slits also get the flat and photom of a
        uniform source (jwst keeps them for pathloss's uniform case; NIRSpec FS).
    extract_2d_before_flat : extract_2d may run before flat_field.
    pathloss : spec2x's pathloss implementation (``lrs``, ``nirspec_slit``,
        ``nirspec_mos``, ``nirspec_ifu``, ``soss``), or None.
    wavecorr : wavecorr applies.
    wavecorr_by_slit_name : wavecorr's aperture is the slit name (else ``MOS``).
    photom_rows : how photom picks the response row, None where spec2x has not got it.
    photom_unit : photom converts the file's PHOTUNIT to (MJy/sr) µm per (DN/s) (jwst's
        ``calc_wfss``: the WFSS modes; NRC_TSGRISM's PHOTUNIT is ignored).
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
    ta_image : the exposure type of the target-acquisition verification image
        targ_centroid reads the source position from (MIRI LRS: ``MIR_TACONFIRM``).
    flicker : how clean_flicker_noise's ``median`` fit runs along the slow readout axis:
        ``"nir"`` (along ``|SLOWAXIS|``, by amplifier channel on request), ``"nirspec"``
        (the columns: ``|SLOWAXIS|`` is 1 on NRS1 and NRS2), ``"miri"`` (the columns, no
        channels: MIRI imaging's vertical flicker), None (jwst skips it: MIRI spectroscopy).
    flicker_regions : clean_flicker_noise's known science regions (``mask_science_regions``):
        ``"slits"`` (every slit's WCS box), ``"msa"`` (those, and the fixed-slit rows unless a
        fixed slit is open), ``"ifu"`` (pixels with a wavelength, the fixed-slit rows),
        ``"nirspec"`` (failed-open MSA shutters only; the three above flag them too),
        ``"refused"`` (jwst reads a reference spec2x does not: MIRI imaging's flat DQ,
        SOSS's ``pastasoss``), None (none).
    flicker_autoparam : jwst's clean_flicker_noise has automatic parameters for this type.
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
    wcs_optional_reftypes: tuple[str, ...] = ()
    wcs_build: str | Callable[..., Any] | None = None
    wcs_sip: bool = False
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
    fixed_slits_as: str | None = None
    point_and_uniform: bool = False
    extract_2d_before_flat: bool = False
    pathloss: Literal["lrs", "nirspec_slit", "nirspec_mos", "nirspec_ifu", "soss"] | None = None
    wavecorr: bool = False
    wavecorr_by_slit_name: bool = False
    photom_rows: PhotomRows | None = None
    photom_unit: bool = False
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
    ta_image: str | None = None
    flicker: Literal["nir", "nirspec", "miri"] | None = "nir"
    flicker_regions: Literal["slits", "msa", "ifu", "nirspec", "refused"] | None = None
    flicker_autoparam: bool = False

    def allows(self, step: str) -> bool:
        """Whether jwst's ``_step_verification`` lets ``step`` run on this type at all."""
        return step not in _RESTRICTED or step in self.allowed


#: Steps jwst allows only for some exposure types.
_RESTRICTED = frozenset({
    "msa_flagging", "clean_flicker_noise", "imprint_subtract", "straylight", "fringe",
    "residual_fringe", "targ_centroid", "pathloss", "barshadow", "master_background_mos",
    "wfss_contam",
})  # fmt: skip
