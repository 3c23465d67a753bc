"""Where jwst puts each FITS keyword: a static table taken from stdatamodels' schemas.

jwst's data models read most keywords from the primary header and some from
the first ``SCI`` extension (WCS, ephemeris, photometry, times).  Writing a
keyword in the wrong header makes stdatamodels miss it, so :mod:`spec2x.io.fits`
consults these tables.  They were generated from the stdatamodels 6.0 schemas
(``image``, ``multislit``, ``multispec`` and the core schema they include);
the package never imports stdatamodels' data models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "ENUMS",
    "EXPOSURE_SCI",
    "MULTI_SCI",
    "SLIT_COORDS",
    "CUTOUT_COORDS",
    "SLIT_TREE",
    "SPEC_COORDS",
    "image_wcs_keyword",
    "in_sci_header",
    "jwst_accepts",
]

#: Keywords of an ImageModel/CubeModel/SlitModel/IFUCubeModel kept in the SCI header
#: (besides the SIP coefficients matched by ``_SIP``).
EXPOSURE_SCI = frozenset(
    (
        "SRCTYPE MJD-BEG MJD-AVG MJD-END TDB-BEG TDB-MID TDB-END XPOSURE TELAPSE REFFRAME "
        "EPH_TYPE EPH_TIME JWST_X JWST_Y JWST_Z OBSGEO-X OBSGEO-Y OBSGEO-Z JWST_DX JWST_DY "
        "JWST_DZ OBSGEODX OBSGEODY OBSGEODZ PA_APER VA_SCALE PHOTMJSR PHOTUJA2 PIXAR_SR PIXAR_A2 "
        "RADESYS RA_V1 DEC_V1 PA_V3 WCSAXES CRPIX1 CRPIX2 CRPIX3 CRVAL1 CRVAL2 CRVAL3 CTYPE1 "
        "CTYPE2 CTYPE3 CUNIT1 CUNIT2 CUNIT3 CDELT1 CDELT2 CDELT3 PC1_1 PC1_2 PC1_3 PC2_1 PC2_2 "
        "PC2_3 PC3_1 PC3_2 PC3_3 CD1_1 CD1_2 CD2_1 CD2_2 PS3_0 PS3_1 S_REGION WAVSTART WAVEND "
        "DISPAXIS SPORDER V2_REF V3_REF VPARITY V3I_YANG RA_REF DEC_REF ROLL_REF VELOSYS SPECSYS "
        "XREF_SCI YREF_SCI MT_RA MT_DEC MT_AVRA MT_AVDEC "
    ).split()
)

#: Keywords of MultiSlitModel/MultiSpecModel read from the first SCI header.
MULTI_SCI = frozenset(
    (
        "SRCTYPE MJD-BEG MJD-AVG MJD-END TDB-BEG TDB-MID TDB-END XPOSURE TELAPSE REFFRAME "
        "EPH_TYPE EPH_TIME JWST_X JWST_Y JWST_Z OBSGEO-X OBSGEO-Y OBSGEO-Z JWST_DX JWST_DY "
        "JWST_DZ OBSGEODX OBSGEODY OBSGEODZ "
    ).split()
)

#: Per-slit SCI keywords of a MultiSlitModel -> Dataset per-slit coord names
#: (``SLTNAME`` -> ``slit_name``, ``SRCTYPE`` -> ``srctype`` as in the data contract,
#: otherwise jwst's attribute names).
SLIT_COORDS = {
    "SLTNAME": "slit_name",
    "SLTSTRT1": "xstart",
    "SLTSIZE1": "xsize",
    "SLTSTRT2": "ystart",
    "SLTSIZE2": "ysize",
    "SLITID": "slitlet_id",
    "SHUTTRID": "shutter_id",
    "SOURCEID": "source_id",
    "SRCNAME": "source_name",
    "SRCALIAS": "source_alias",
    "STLARITY": "stellarity",
    "SRCTYPE": "srctype",
    "TA_XPOS": "ta_xpos",
    "TA_YPOS": "ta_ypos",
    "SRCXPOS": "source_xpos",
    "SRCYPOS": "source_ypos",
    "SHUTSTA": "shutter_state",
    "MSAQUAD": "quadrant",
    "SRCRA": "source_ra",
    "SRCDEC": "source_dec",
    "SLTXSCL": "slit_xscale",
    "SLTYSCL": "slit_yscale",
    "WAVECOR": "wavelength_corrected",
    "PTHLOSS": "pathloss_correction_type",
    "BARSHDW": "barshadow_corrected",
}

#: Per-slit coords of a resampled slits product (s2d) holding the cut-out's corner and
#: size, which jwst's resample_spec keeps in SLTSTRT1/2 and SLTSIZE1/2; the product's own
#: ``xstart`` ... ``ysize`` (its images' extent) then ride in the spec2x node.
CUTOUT_COORDS = {
    "SLTSTRT1": "cutout_xstart",
    "SLTSIZE1": "cutout_xsize",
    "SLTSTRT2": "cutout_ystart",
    "SLTSIZE2": "cutout_ysize",
}

#: Per-slit attributes of jwst's SlitModel with no FITS keyword: they live in the
#: ASDF tree (``slits[i].<name>``); coord name -> attribute name.
SLIT_TREE = {
    "slit_ymin": "slit_ymin",
    "slit_ymax": "slit_ymax",
    "xcen": "xcen",
    "ycen": "ycen",
    "is_extended": "is_extended",
}

#: Keywords whose value jwst's schemas restrict (slitmeta/specmeta enums): other
#: values are not written (stdatamodels would warn) and ride in the spec2x node.
ENUMS = {
    "PTHLOSS": frozenset(("POINT", "UNIFORM")),
    "SRCTYPE": frozenset(("EXTENDED", "POINT", "UNKNOWN")),
}

#: Per-spectrum keywords of an x1d EXTRACT1D header -> coord names (same naming rule).
SPEC_COORDS = {
    "SLTNAME": "slit_name",
    "SLITID": "slitlet_id",
    "SOURCEID": "source_id",
    "SRCNAME": "source_name",
    "SRCALIAS": "source_alias",
    "STLARITY": "stellarity",
    "SRCTYPE": "srctype",
    "TA_XPOS": "ta_xpos",
    "TA_YPOS": "ta_ypos",
    "SRCXPOS": "source_xpos",
    "SRCYPOS": "source_ypos",
    "SRCRA": "source_ra",
    "SRCDEC": "source_dec",
    "EXTR_X": "extraction_x",
    "EXTR_Y": "extraction_y",
    "EXTRXSTR": "extraction_xstart",
    "EXTRXSTP": "extraction_xstop",
    "EXTRYSTR": "extraction_ystart",
    "EXTRYSTP": "extraction_ystop",
    "SHUTSTA": "shutter_state",
    "SLIT_RA": "slit_ra",
    "SLIT_DEC": "slit_dec",
    "MSAQUAD": "quadrant",
    "SLTXSCL": "slit_xscale",
    "SLTYSCL": "slit_yscale",
    "SPORDER": "spectral_order",
    "DISPAXIS": "dispersion_direction",
    "DETECTOR": "detector",
    "INT_NUM": "int_num",
    "TIMESYS": "time_sys",
    "TIMEUNIT": "time_unit",
    "MJD-BEG": "start_time_mjd",
    "MJD-AVG": "mid_time_mjd",
    "MJD-END": "end_time_mjd",
    "TDB-BEG": "start_tdb",
    "TDB-MID": "mid_tdb",
    "TDB-END": "end_tdb",
    "WAVECOR": "wavelength_corrected",
    "PTHLOSS": "pathloss_correction_type",
    "BARSHDW": "barshadow_corrected",
    "S_REGION": "s_region",
    "PA_APER": "position_angle",
}

_SIP = re.compile(r"^(?:A|B|AP|BP)_(?:ORDER|(\d)_(\d))$")
#: Total degrees of the SIP coefficients jwst's ``meta.wcsinfo`` schema holds (A_0_2 ... A_6_0).
_SIP_DEGREES = range(2, 7)
_IMAGE_WCS = re.compile(r"^(WCSAXES|C(RPIX|RVAL|TYPE|UNIT|DELT)[12]|(CD|PC)[12]_[12])$")


def in_sci_header(keyword: str) -> bool:
    """True when jwst reads ``keyword`` from the SCI extension of an image-like product."""
    return keyword in EXPOSURE_SCI or _sip(keyword, _SIP_DEGREES)


def image_wcs_keyword(keyword: str) -> bool:
    """True for a celestial FITS WCS keyword of an image (WCSAXES, CRPIX1 ... CD2_2, PC,
    CDELT, SIP): jwst's MultiSlitModel made from the image keeps none of them."""
    return bool(_IMAGE_WCS.match(keyword)) or _sip(keyword, range(19))


def _sip(keyword: str, degrees: range) -> bool:
    """A SIP order, or a SIP coefficient whose total degree is in ``degrees``."""
    match = _SIP.match(keyword)
    if match is None:
        return False
    i, j = match.groups()
    return i is None or int(i) + int(j) in degrees


def jwst_accepts(keyword: str, value: object) -> bool:
    """False when jwst's schema restricts ``keyword`` to values ``value`` is not one of."""
    allowed = ENUMS.get(keyword)
    return allowed is None or str(value) in allowed


#: MSA quadrant of the fixed slits a NIRSpec MOS exposure carries.
_FIXED_SLIT_QUADRANT = 5


def absent_for_slit(keyword: str, coords: Mapping[str, object]) -> bool:
    """True when jwst writes no ``keyword`` for a slit (spectrum) with these per-slit values.

    BARSHDW of a fixed slit of a MOS exposure (``quadrant`` 5): jwst's barshadow
    runs on the MSA slitlets only, so the fixed slits never get the keyword (spec2x
    fills the flag False when the groups are merged, and reads a missing one as False).
    """
    if keyword != "BARSHDW":
        return False
    quadrant = coords.get("quadrant")
    return quadrant is not None and int(quadrant) == _FIXED_SLIT_QUADRANT  # type: ignore[call-overload]
