"""The calwebb_spec2 steps of jwst 3.0.0: names, references, parameters, implementations.

One :class:`StepSpec` per step, in the order ``Spec2Pipeline.step_defs``
lists them.  Parameter defaults and help come from each jwst step's ``spec``
(the generic stpipe I/O parameters are left out; ``skip`` is kept).  The
``module`` is the spec2x module that implements the step; it must define
``from_chain(ds, ctx)``.  A step whose module does not exist is not
implemented yet: :meth:`StepSpec.load` says so.  Nothing here imports a step
module (nor xarray): asking which steps and modes spec2x has costs no import,
and a step's module is imported when the step is loaded to run.
"""

from __future__ import annotations

from .errors import ParameterError
from .modes import MODES, Mode
from .step_spec import ChainFunction, ChainResult, Param, StepSpec

__all__ = [
    "STEPS",
    "ChainFunction",
    "ChainResult",
    "Param",
    "StepSpec",
    "calibrated_exp_types",
    "get_step",
    "step_names",
]

P = Param


def _step(
    name: str, jwst_class: str, *, reftypes: tuple[str, ...], params: tuple[Param, ...]
) -> StepSpec:
    return StepSpec(name, jwst_class, reftypes, params, f"spec2x.steps.{name}")


#: Every calwebb_spec2 step, in jwst"s order, by name.
# fmt: off
_TABLE = (
    _step("assign_wcs", "jwst.assign_wcs.assign_wcs_step.AssignWcsStep",
          reftypes=("distortion", "filteroffset", "specwcs", "regions", "wavelengthrange", "camera", "chromcorr", "collimator", "disperser", "fore", "fpa", "msa", "ote", "ifupost", "ifufore", "ifuslicer"),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("sip_approx", True, "bool", "Enables SIP approximation for imaging modes"),
        P("sip_max_pix_error", 0.01, "float", "Max err for SIP fit, forward"),
        P("sip_degree", None, "int", "Degree for forward SIP fit, None to use best fit"),
        P("sip_max_inv_pix_error", 0.01, "float", "Max err for SIP fit, inverse"),
        P("sip_inv_degree", None, "int", "Degree for inverse SIP fit, None to use best fit"),
        P("sip_npoints", 12, "int", "Number of points for SIP"),
        P("slit_y_low", -0.55, "float", "The lower edge of a slit (NIRSpec only)"),
        P("slit_y_high", 0.55, "float", "The upper edge of a slit (NIRSpec only)"),
        P("nrs_ifu_slice_wcs", False, "bool", "For NIRSpec IFU, create a full slice-based WCS instead of a top-level coordinate-based WCS. Used for diagnostic purposes only"),
    )),
    _step("badpix_selfcal", "jwst.badpix_selfcal.badpix_selfcal_step.BadpixSelfcalStep",
          reftypes=(),
          params=(
        P("skip", True, "bool", "Skip this step (skipped by default)"),
        P("flagfrac_lower", 0.001, "float", "Fraction of pixels to flag on the low-flux end"),
        P("flagfrac_upper", 0.001, "float", "Fraction of pixels to flag on the high-flux end"),
        P("kernel_size", 15, "int", "Size of kernel for median filter"),
        P("force_single", False, "bool", "Force single input exposure"),
        P("save_flagged_bkg", False, "bool", "Save flagged background exposures to file"),
    )),
    _step("msa_flagging", "jwst.msaflagopen.msaflagopen_step.MSAFlagOpenStep",
          reftypes=("msaoper",),
          params=(
        P("skip", False, "bool", "Skip this step"),
    )),
    _step("clean_flicker_noise", "jwst.clean_flicker_noise.clean_flicker_noise_step.CleanFlickerNoiseStep",
          reftypes=("flat", "pastasoss"),
          params=(
        P("skip", True, "bool", "Skip this step (skipped by default)"),
        P("autoparam", False, "bool", "Automatically select some fit and background parameters for the input data"),
        P("fit_method", "median", "option", "Noise fitting algorithm", choices=("fft", "median")),
        P("fit_by_channel", False, "bool", "Fit noise separately by amplifier (NIR only)"),
        P("background_method", "median", "option", "Background fit", choices=("median", "model", "median_image", None)),
        P("background_box_size", None, "int_list", "Background box size"),
        P("mask_science_regions", False, "bool", "Mask known science regions"),
        P("apply_flat_field", False, "bool", "Apply a flat correction before fitting"),
        P("n_sigma", 2.0, "float", "Clipping level for non-background signal"),
        P("fit_histogram", False, "bool", "Fit a value histogram to derive sigma"),
        P("single_mask", True, "bool", "Make a single mask for all integrations"),
        P("user_mask", None, "str", "Path to user-supplied mask"),
        P("save_mask", False, "bool", "Save the created mask"),
        P("save_background", False, "bool", "Save the fit background"),
        P("save_noise", False, "bool", "Save the fit noise"),
    )),
    _step("bkg_subtract", "jwst.background.background_step.BackgroundStep",
          reftypes=("bkg", "wavelengthrange"),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("bkg_list", None, "list", "List of background files. Ignored for WFSS or if asn is provided"),
        P("save_combined_background", False, "bool", "Save combined background image"),
        P("sigma", 3.0, "float", "Clipping threshold"),
        P("maxiters", None, "int", "Number of clipping iterations"),
        P("soss_source_percentile", 35.0, "float", "Threshold flux percentile to mask out source pixels"),
        P("soss_bkg_percentile", None, "float_list", "Background percentiles to use; default is [25.0, 50.0]"),
        P("wfss_mmag_extract", None, "float", "WFSS minimum abmag to extract"),
        P("wfss_mask", None, "str", "WFSS source mask file"),
        P("wfss_maxiter", 5, "int", "WFSS iterative outlier rejection max iterations"),
        P("wfss_rms_stop", 0.0, "float", "WFSS iterative outlier rejection RMS improvement threshold (percent)"),
        P("wfss_outlier_percent", 1.0, "float", "WFSS outlier percentile to reject per iteration"),
    )),
    _step("imprint_subtract", "jwst.imprint.imprint_step.ImprintStep",
          reftypes=(),
          params=(
        P("skip", False, "bool", "Skip this step"),
    )),
    _step("extract_2d", "jwst.extract_2d.extract_2d_step.Extract2dStep",
          reftypes=("wavelengthrange",),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("slit_names", None, "list", "Slits to be extracted"),
        P("source_ids", None, "list", "Source ids to be extracted"),
        P("source_ra", None, "list", "Source RAs to be extracted, WFSS only"),
        P("source_dec", None, "list", "Source DECs to be extracted, WFSS only"),
        P("source_max_sep", 2.0, "float", "Maximum separation in arcseconds around source_ra, source_dec, WFSS only"),
        P("extract_orders", None, "int_list", "List of orders to extract"),
        P("grism_objects", None, "list", "List of grism objects to use"),
        P("tsgrism_extract_height", None, "int", "Extraction height in pixels, TSGRISM mode"),
        P("wfss_extract_half_height", 5, "int", "Extraction half height in pixels, WFSS mode"),
        P("wfss_mmag_extract", None, "float", "Minimum abmag to extract, WFSS mode"),
        P("wfss_nbright", 1000, "int", "Number of brightest objects to extract, WFSS mode"),
    )),
    _step("master_background_mos", "jwst.master_background.master_background_mos_step.MasterBackgroundMosStep",
          reftypes=("flat", "fflat", "sflat", "dflat", "pathloss", "barshadow", "photom", "area", "extract1d", "apcorr", "pastasoss", "specprofile", "speckernel", "psf"),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("sigma_clip", 3.0, "float", "Factor for clipping outliers when combining spectra"),
        P("median_kernel", 1, "int", "Moving-median boxcar size to filter background spec"),
        P("force_subtract", False, "bool", "Force subtracting master background"),
        P("save_background", False, "bool", "Save computed master background"),
        P("user_background", None, "str", "Path to user-supplied master background"),
        P("inverse", False, "bool", "Invert the operation"),
    )),
    _step("targ_centroid", "jwst.targ_centroid.targ_centroid_step.TargCentroidStep",
          reftypes=("filteroffset",),
          params=(
        P("skip", True, "bool", "Skip this step (skipped by default)"),
        P("ta_file", None, "str", "Target acquisition image file name"),
    )),
    _step("wavecorr", "jwst.wavecorr.wavecorr_step.WavecorrStep",
          reftypes=("wavecorr",),
          params=(
        P("skip", False, "bool", "Skip this step"),
    )),
    _step("flat_field", "jwst.flatfield.flat_field_step.FlatFieldStep",
          reftypes=("flat", "fflat", "sflat", "dflat"),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("save_interpolated_flat", False, "bool", "Save interpolated NRS flat"),
        P("user_supplied_flat", None, "str", "User-supplied flat"),
        P("inverse", False, "bool", "Invert the operation"),
    )),
    _step("srctype", "jwst.srctype.srctype_step.SourceTypeStep",
          reftypes=(),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("source_type", None, "option", "User-supplied source type", choices=("POINT", "EXTENDED")),
    )),
    _step("straylight", "jwst.straylight.straylight_step.StraylightStep",
          reftypes=("mrsxartcorr", "regions"),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("clean_showers", False, "bool", "Clean up straylight from residual cosmic ray showers"),
        P("shower_plane", 3, "int", "Throughput plane for identifying inter-slice regions"),
        P("shower_x_stddev", 18.0, "float", "X standard deviation for shower model"),
        P("shower_y_stddev", 5.0, "float", "Y standard deviation for shower model"),
        P("shower_low_reject", 0.1, "float", "Low percentile of pixels to reject"),
        P("shower_high_reject", 99.9, "float", "High percentile of pixels to reject"),
        P("save_shower_model", False, "bool", "Save the shower model"),
    )),
    _step("fringe", "jwst.fringe.fringe_step.FringeStep",
          reftypes=("fringe",),
          params=(
        P("skip", False, "bool", "Skip this step"),
    )),
    _step("residual_fringe", "jwst.residual_fringe.residual_fringe_step.ResidualFringeStep",
          reftypes=("fringefreq", "regions"),
          params=(
        P("skip", True, "bool", "Skip this step (skipped by default)"),
        P("save_intermediate_results", False, "bool", "Save the intermediate fit products"),
        P("ignore_region_min", None, "list", "Lower wavelength limits (µm) of regions to leave uncorrected"),
        P("ignore_region_max", None, "list", "Upper wavelength limits (µm) of regions to leave uncorrected"),
    )),
    _step("pathloss", "jwst.pathloss.pathloss_step.PathLossStep",
          reftypes=("pathloss",),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("inverse", False, "bool", "Invert the operation"),
        P("source_type", None, "str", "Process as specified source type"),
        P("user_slit_loc", None, "float", "User-provided correction to MIRI LRS source location"),
    )),
    _step("barshadow", "jwst.barshadow.barshadow_step.BarShadowStep",
          reftypes=("barshadow",),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("inverse", False, "bool", "Invert the operation"),
        P("source_type", None, "str", "Process as specified source type"),
    )),
    _step("wfss_contam", "jwst.wfss_contam.wfss_contam_step.WfssContamStep",
          reftypes=("photom", "wavelengthrange"),
          params=(
        P("skip", True, "bool", "Skip this step (skipped by default)"),
        P("save_simulated_image", False, "bool", "Save full-frame simulated image"),
        P("save_contam_images", False, "bool", "Save source contam estimates"),
        P("maximum_cores", "1", "str", "Cores for multiprocessing: an integer, 'quarter', 'half' or 'all'"),
        P("orders", None, "list", "Spectral orders to process, e.g. 1, or 1,2,3"),
        P("magnitude_limit", None, "float", "Isophotal AB magnitude limit for sources to be included in the contamination correction"),
        P("wl_oversample", 2, "int", "Oversampling factor for wavelength grid"),
        P("max_pixels_per_chunk", 5000, "int", "Max number of pixels to disperse at once"),
        P("polyfit_degree", None, "int", "Degree of polynomial fit to spectral shape"),
        P("n_iterations", 1, "int", "Number of contamination-correction iterations"),
        P("l2_alpha", 0.1, "float", "L2 regularization strength for polynomial spectral fit"),
        P("rejection_threshold", 0.1, "float", "Threshold for rejecting polynomial fits based on fitted constant term coefficient"),
    )),
    _step("photom", "jwst.photom.photom_step.PhotomStep",
          reftypes=("photom", "area"),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("inverse", False, "bool", "Invert the operation"),
        P("source_type", None, "str", "Process as specified source type"),
        P("apply_time_correction", True, "bool", "Apply time dependent corrections if available"),
    )),
    _step("adaptive_trace_model", "jwst.adaptive_trace_model.adaptive_trace_model_step.AdaptiveTraceModelStep",
          reftypes=(),
          params=(
        P("skip", True, "bool", "Skip this step (skipped by default)"),
        P("fit_threshold", 10.0, "float", "Limiting sigma for fitting splines"),
        P("oversample", 1.0, "float", "Use the trace model to oversample the data by this factor"),
        P("slope_limit", 0.1, "float", "Slope limit for using splines in oversample"),
        P("psf_optimal", False, "bool", "Model the target as a simple point source; ignore slope_limit and fit_threshold"),
        P("save_intermediate_results", False, "bool", "Save the full spline model and residuals"),
        P("maximum_cores", "none", "str", "Cores for multiprocessing: an integer, 'half', 'quarter' or 'all'"),
    )),
    _step("pixel_replace", "jwst.pixel_replace.pixel_replace_step.PixelReplaceStep",
          reftypes=(),
          params=(
        P("skip", True, "bool", "Skip this step (skipped by default)"),
        P("algorithm", "mingrad", "option", "Replacement algorithm", choices=("fit_profile", "mingrad", "trace_model")),
        P("n_adjacent_cols", 3, "int", "Number of adjacent columns to use in profile creation"),
    )),
    _step("resample_spec", "jwst.resample.resample_spec_step.ResampleSpecStep",
          reftypes=(),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("pixfrac", 1.0, "float", "Pixel shrinkage factor"),
        P("kernel", "square", "option", "Flux distribution kernel", choices=("square", "point")),
        P("fillval", "NAN", "str", "Output value for pixels with no weight or flux"),
        P("weight_type", "ivm", "option", "Input image weighting type", choices=("ivm", "exptime", None)),
        P("output_shape", None, "int_list", "[x, y] order"),
        P("pixel_scale_ratio", 1.0, "float", "Ratio of input to output spatial pixel scale"),
        P("pixel_scale", None, "float", "Spatial pixel scale in arcsec"),
        P("output_wcs", "", "str", "Custom output WCS"),
        P("single", False, "bool", "Resample each input to its own output grid"),
        P("blendheaders", True, "bool", "Blend metadata from inputs into output"),
        P("in_memory", True, "bool", "Keep images in memory"),
        P("propagate_dq", False, "bool", "Propagate DQ during resampling"),
    )),
    _step("cube_build", "jwst.cube_build.cube_build_step.CubeBuildStep",
          reftypes=("cubepar",),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("channel", "all", "option", "Channel", choices=("1", "2", "3", "4", "all")),
        P("band", "all", "option", "Band", choices=("short", "medium", "long", "short-medium", "short-long", "medium-short", "medium-long", "long-short", "long-medium", "all")),
        P("grating", "all", "option", "Grating", choices=("prism", "g140m", "g140h", "g235m", "g235h", "g395m", "g395h", "all")),
        P("filter", "all", "option", "Filter", choices=("clear", "f100lp", "f070lp", "f170lp", "f290lp", "all")),
        P("output_type", "band", "option", "Type IFUcube to create", choices=("band", "channel", "grating", "multi")),
        P("linear_wave", True, "bool", "Toggle between linear (True) and nonlinear (False) wavelength dimensions"),
        P("scalexy", 0.0, "float", "Cube sample size to use for axis 1 and axis2, arc seconds"),
        P("scalew", 0.0, "float", "Cube sample size to use for axis 3, microns"),
        P("weighting", "drizzle", "option", "Type of weighting function", choices=("emsm", "msm", "drizzle")),
        P("coord_system", "skyalign", "option", "Output Coordinate system", choices=("skyalign", "world", "internal_cal", "ifualign")),
        P("ra_center", None, "float", "RA center of the IFU cube"),
        P("dec_center", None, "float", "Declination center of the IFU cube"),
        P("cube_pa", None, "float", "The position angle of the desired cube in decimal degrees E from N"),
        P("nspax_x", None, "int", "The odd integer number of spaxels to use in the x dimension of cube tangent plane"),
        P("nspax_y", None, "int", "The odd integer number of spaxels to use in the y dimension of cube tangent plane"),
        P("rois", 0.0, "float", "Region of interest spatial size, arc seconds"),
        P("roiw", 0.0, "float", "Region of interest wavelength size, microns"),
        P("weight_power", 2.0, "float", "Weighting option to use for Modified Shepard Method"),
        P("wavemin", None, "float", "Minimum wavelength to be used in the IFUCube"),
        P("wavemax", None, "float", "Maximum wavelength to be used in the IFUCube"),
        P("skip_dqflagging", False, "bool", "Skip setting the DQ plane of the IFU"),
        P("offset_file", None, "str", "Filename containing a list of Ra and Dec offsets to apply to files"),
        P("debug_spaxel", "-1 -1 -1", "str", "Default not used"),
    )),
    _step("extract_1d", "jwst.extract_1d.extract_1d_step.Extract1dStep",
          reftypes=("extract1d", "apcorr", "pastasoss", "specprofile", "speckernel", "psf"),
          params=(
        P("skip", False, "bool", "Skip this step"),
        P("subtract_background", None, "bool", "Subtract background?"),
        P("apply_apcorr", True, "bool", "Apply aperture corrections?"),
        P("extraction_type", "box", "option", "Perform box or optimal extraction", choices=("box", "optimal", None)),
        P("use_source_posn", None, "bool", "Use source coords to center extractions?"),
        P("position_offset", 0.0, "float", "Number of pixels to shift source trace in the cross-dispersion direction"),
        P("model_nod_pair", True, "bool", "For optimal extraction, model a negative nod if possible"),
        P("optimize_psf_location", True, "bool", "For optimal extraction, optimize source location"),
        P("smoothing_length", None, "int", "Background smoothing size"),
        P("bkg_fit", None, "option", "Background fitting type", choices=("poly", "mean", "median", None)),
        P("bkg_order", None, "int", "Order of background polynomial fit"),
        P("log_increment", 50, "int", "Increment for multi-integration log messages"),
        P("save_profile", False, "bool", "Save spatial profile to disk"),
        P("save_scene_model", False, "bool", "Save flux model to disk"),
        P("save_residual_image", False, "bool", "Save residual image to disk"),
        P("center_xy", None, "float_list", "IFU extraction x/y center"),
        P("ifu_autocen", False, "bool", "Auto source centering for IFU point source data"),
        P("bkg_sigma_clip", 3.0, "float", "Background sigma clipping threshold for IFU"),
        P("ifu_rfcorr", True, "bool", "Apply 1d residual fringe correction (MIRI MRS only)"),
        P("ifu_set_srctype", None, "option", "User-supplied source type", choices=("POINT", "EXTENDED", None)),
        P("ifu_rscale", None, "float", "Radius in terms of PSF FWHM to scale extraction radii"),
        P("ifu_covar_scale", 1.0, "float", "Scaling factor to apply to errors to account for IFU cube covariance"),
        P("soss_atoca", True, "bool", "Use ATOCA algorithm"),
        P("soss_threshold", 0.01, "float", "Threshold on the normalised trace profile for the pixels the ATOCA model fits"),
        P("soss_n_os", 2, "int", "Minimum oversampling factor of the underlying wavelength grid used when modeling trace"),
        P("soss_wave_grid_in", None, "str", "Input wavelength grid used to model the detector"),
        P("soss_wave_grid_out", None, "str", "Output wavelength grid solution filename"),
        P("soss_estimate", None, "str", "Estimate used to generate the wavelength grid"),
        P("soss_rtol", 0.0001, "float", "Relative tolerance needed on a pixel model"),
        P("soss_max_grid_size", 20000, "int", "Maximum grid size, if wave_grid not specified"),
        P("soss_tikfac", None, "float", "Regularization factor for NIRISS SOSS extraction"),
        P("soss_width", 40.0, "float", "Aperture width used to extract the 1D spectrum from the de-contaminated trace"),
        P("soss_bad_pix", "masking", "option", "Method used to handle bad pixels", choices=("model", "masking")),
        P("soss_modelname", None, "str", "Filename for optional model output of traces and pixel weights"),
        P("soss_order_3", True, "bool", "Whether to include spectral order 3 in the extraction for SOSS"),
    )),
)
# fmt: on
STEPS: dict[str, StepSpec] = {s.name: s for s in _TABLE}


def step_names() -> list[str]:
    """The step names, in jwst's order."""
    return list(STEPS)


def get_step(name: str) -> StepSpec:
    """The :class:`StepSpec` called ``name``; a ParameterError suggests the closest name."""
    try:
        return STEPS[name]
    except KeyError:
        raise ParameterError.unknown("step", name, STEPS) from None


#: Steps that run only when the exposure brings what they work on: imprint members
#: (imprint_subtract).  A mode is calibrated without them; an exposure that needs one
#: spec2x lacks is refused then.
CONDITIONAL_STEPS = frozenset({"imprint_subtract"})


def calibrated_exp_types() -> tuple[str, ...]:
    """The exposure types this spec2x calibrates end to end: the WCS is built and every
    step the mode's chain runs by default is implemented (the others are refused at once)."""

    def whole(mode: Mode) -> bool:
        steps = {s for s in (*mode.branch, *mode.allowed, "extract_1d") if mode.allows(s)}
        steps -= CONDITIONAL_STEPS
        if mode.product_step is not None:
            steps.add(mode.product_step)
        if "photom" in steps and mode.photom_rows is None and mode.photom_image is None:
            return False  # photom has no response rows for this mode yet (WFSS)
        if mode.product_step == "cube_build" and mode.cube_source is None:
            return False  # no cube (NIRSpec IFU): no _s3d, nothing to extract from
        if "extract_1d" in steps and not (mode.extract_1d or mode.cube_source is not None):
            return False  # the step exists, but not for this mode's data (e.g. NIS_SOSS)
        needed = [STEPS[s] for s in steps if not STEPS[s].skipped_by_default]
        return all(step.implemented for step in needed)

    return tuple(
        name for name, mode in MODES.items() if mode.spec2 and mode.wcs_build and whole(mode)
    )
