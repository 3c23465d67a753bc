"""Which reader opens a reference file: one table keyed by (reference type, instrument).

A reference type is shared by several instruments in different formats
(``pathloss`` is a ``PATHLOSS`` table for MIRI LRS and ``PS``/``UNI`` images
for NIRSpec; ``wavelengthrange`` is a NIRSpec optical-model tree and a MIRI
MRS table), so the file's ``REFTYPE`` and ``INSTRUME`` keywords choose its
reader here; nothing is found by file or module name and no reader looks
inside a file to hand it on.  ``(reftype, None)`` is the reader for every
instrument without its own entry; a type in no row opens as a plain
:class:`~spec2x.io.references.Reference` (header plus HDUs or ASDF tree).

Readers are named ``"module:function"`` and imported on first use, which
keeps ``import spec2x`` cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["READERS", "load_reader", "reader_name"]

_NRS_OPTICS = "spec2x.instruments.nirspec.refs_optics:read_nirspec_optics"
_NRS_FLAT = "spec2x.instruments.nirspec.refs_cal:read_nirspec_flat"
_MIRI = "spec2x.instruments.miri.mrs_refs:"
_GRISM = "spec2x.io.refs_grism:"
_SOSS = "spec2x.instruments.niriss.soss_refs:"
_MIRI_CAL = "spec2x.instruments.miri.mrs_cal_refs:"

#: (reftype, INSTRUME or None for any instrument) -> "module:function".
READERS: dict[tuple[str, str | None], str] = {
    ("flat", None): "spec2x.io.refs_pixel:read_flat",
    ("photom", None): "spec2x.io.refs_pixel:read_photom",
    ("area", None): "spec2x.io.refs_pixel:read_area",
    ("fringe", None): "spec2x.io.refs_pixel:read_fringe",
    ("extract1d", None): "spec2x.io.refs_extract:read_extract1d",
    ("apcorr", None): "spec2x.io.refs_extract:read_apcorr",
    ("pathloss", "MIRI"): "spec2x.instruments.miri.refs:read_lrs_pathloss",
    # MRS files of an MRS detector; the imager/LRS files of these types open generically.
    ("distortion", "MIRI"): _MIRI + "read_miri_distortion",
    ("specwcs", "MIRI"): _MIRI + "read_miri_specwcs",
    ("wavelengthrange", "MIRI"): _MIRI + "read_mrs_wavelengthrange",
    ("regions", "MIRI"): _MIRI + "read_mrs_regions",
    # the MRS photom image of an MRS detector; the imager/LRS PHOTOM tables as for any instrument.
    ("photom", "MIRI"): _MIRI_CAL + "read_miri_photom",
    ("mrsxartcorr", "MIRI"): _MIRI_CAL + "read_mrsxartcorr",
    ("fringefreq", "MIRI"): "spec2x.instruments.miri.residual_fringe_refs:read_fringefreq",
    ("filteroffset", "MIRI"): _GRISM + "read_filteroffset",  # the TA image's (targ_centroid)
    ("pathloss", "NIRSPEC"): "spec2x.instruments.nirspec.refs_cal:read_pathloss",
    ("fflat", "NIRSPEC"): "spec2x.instruments.nirspec.flat_mos:read_fflat",
    ("sflat", "NIRSPEC"): _NRS_FLAT,
    ("dflat", "NIRSPEC"): _NRS_FLAT,
    ("wavecorr", "NIRSPEC"): "spec2x.instruments.nirspec.refs_cal:read_wavecorr",
    ("barshadow", "NIRSPEC"): "spec2x.instruments.nirspec.barshadow:read_barshadow",
    **{
        (t, "NIRSPEC"): _NRS_OPTICS
        for t in (
            *("ote", "fore", "collimator", "camera", "fpa", "msa", "disperser"),
            *("ifufore", "ifuslicer", "ifupost", "chromcorr"),
        )
    },
    ("wavelengthrange", "NIRSPEC"): _NRS_OPTICS,
    ("msaoper", None): "spec2x.instruments.nirspec.msa_flagging:read_msaoper",
    # NIRCam and NIRISS grism WCS (WFSS); the NIRISS specwcs is read by the SOSS reader,
    # which hands a grism one to read_grism_specwcs.
    **{
        (t, inst): _GRISM + name
        for inst in ("NIRCAM", "NIRISS")
        for t, name in (
            ("specwcs", "read_grism_specwcs"),
            ("distortion", "read_imaging_distortion"),
            ("filteroffset", "read_filteroffset"),
            ("wavelengthrange", "read_wfss_wavelengthrange"),
        )
    },
    # NIRISS SOSS.
    ("pastasoss", "NIRISS"): _SOSS + "read_pastasoss",
    ("specprofile", "NIRISS"): _SOSS + "read_specprofile",
    ("speckernel", "NIRISS"): _SOSS + "read_speckernel",
    ("specwcs", "NIRISS"): _SOSS + "read_soss_specwcs",
    ("pathloss", "NIRISS"): "spec2x.instruments.niriss.soss_pathloss:read_soss_pathloss",
    # NIRISS: the SOSS templates; the reader hands a WFSS one to read_wfss_bkg.
    ("bkg", "NIRISS"): "spec2x.instruments.niriss.soss_background:read_soss_bkg",
    ("bkg", "NIRCAM"): "spec2x.io.refs_pixel:read_wfss_bkg",
    ("cubepar", None): "spec2x.cube.cubepar:read_cubepar",
}


def reader_name(reftype: str, instrument: Any) -> str | None:
    """The ``"module:function"`` that opens a ``reftype`` file of ``instrument`` (None: generic)."""
    key = reftype.lower()
    inst = str(instrument or "").strip().upper() or None
    return READERS.get((key, inst)) or READERS.get((key, None))


def load_reader(name: str) -> Any:
    """Import ``"module:function"`` and return the function."""
    module, _, func = name.partition(":")
    return getattr(importlib.import_module(module), func)
