from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from helpers import REALDATA

from spec2x.errors import InputFileError, MissingReferenceError, ReferenceMismatchError
from spec2x.io.references import ReferenceSet, open_reference, read_header, reference_keyword
from spec2x.synthetic.base import reference_header, write_reference_fits


def _write(folder, name, reftype, **selectors):
    hdu = fits.ImageHDU(np.ones((4, 4), np.float32), name="SCI")
    return write_reference_fits(
        folder / name,
        reference_header(reftype, selectors.pop("INSTRUME", "MIRI"), **selectors),
        [hdu],
    )


def test_open_reference_reads_type_and_content(tmp_path):
    path = _write(tmp_path, "a_flat.fits", "flat", DETECTOR="MIRIMAGE")
    ref = open_reference(path)
    assert ref.reftype == "flat"
    assert ref.name == "a_flat.fits"
    assert ref.header["DETECTOR"] == "MIRIMAGE"


def test_wrong_reftype_is_an_error(tmp_path):
    path = _write(tmp_path, "a_flat.fits", "flat")
    with pytest.raises(ReferenceMismatchError, match="REFTYPE='FLAT'"):
        open_reference(path, "photom")


def test_not_a_reference_file(tmp_path):
    bad = tmp_path / "junk.fits"
    bad.write_text("not fits at all")
    with pytest.raises(InputFileError, match="junk.fits"):
        read_header(bad)
    with pytest.raises(InputFileError, match="does not exist"):
        read_header(tmp_path / "missing.fits")


def test_directory_matching_with_wildcards_and_specificity(tmp_path):
    _write(
        tmp_path,
        "generic.fits",
        "flat",
        DETECTOR="ANY",
        EXP_TYPE="MIR_LRS-FIXEDSLIT|MIR_LRS-SLITLESS",
    )
    _write(
        tmp_path,
        "specific.fits",
        "flat",
        DETECTOR="MIRIMAGE",
        EXP_TYPE="MIR_LRS-FIXEDSLIT",
        SUBARRAY="FULL",
    )
    _write(tmp_path, "nirspec.fits", "flat", INSTRUME="NIRSPEC", DETECTOR="NRS1")
    refs = ReferenceSet(directory=tmp_path)
    attrs = {
        "INSTRUME": "MIRI",
        "DETECTOR": "MIRIMAGE",
        "EXP_TYPE": "MIR_LRS-FIXEDSLIT",
        "SUBARRAY": "FULL",
    }
    assert Path(refs.find("flat", attrs)).name == "specific.fits"
    attrs_slitless = dict(attrs, EXP_TYPE="MIR_LRS-SLITLESS", SUBARRAY="SLITLESSPRISM")
    assert Path(refs.find("flat", attrs_slitless)).name == "generic.fits"
    with pytest.raises(MissingReferenceError, match=r"no photom reference .*--ref photom=PATH"):
        refs.find("photom", attrs)


def test_ambiguous_match_names_the_files(tmp_path):
    _write(tmp_path, "one.fits", "flat", DETECTOR="MIRIMAGE")
    _write(tmp_path, "two.fits", "flat", DETECTOR="MIRIMAGE")
    with pytest.raises(MissingReferenceError, match="one.fits, two.fits"):
        ReferenceSet(directory=tmp_path).find("flat", {"INSTRUME": "MIRI", "DETECTOR": "MIRIMAGE"})


def test_explicit_mapping_wins_and_na(tmp_path):
    path = _write(tmp_path, "x.fits", "flat", DETECTOR="MIRIMAGE")
    refs = ReferenceSet({"flat": path, "area": "N/A"})
    assert refs.get("flat", {}).name == "x.fits"
    assert refs.get("area", {}) is None
    with pytest.raises(MissingReferenceError, match="needs a area reference"):
        refs.require("area", {}, "photom")


def test_reference_of_wrong_detector(tmp_path):
    ref = open_reference(_write(tmp_path, "x.fits", "flat", DETECTOR="MIRIFULONG"))
    with pytest.raises(ReferenceMismatchError, match="DETECTOR='MIRIFULONG'.*MIRIMAGE"):
        ref.check_matches({"INSTRUME": "MIRI", "DETECTOR": "MIRIMAGE"})


def test_reference_keywords():
    assert reference_keyword("flat") == "R_FLAT"
    assert reference_keyword("specwcs") == "R_SPCWCS"


@pytest.mark.skipif(not REALDATA.is_dir(), reason="shared/realdata not present")
@pytest.mark.parametrize(
    "name",
    [
        "miri/jwst_miri_specwcs_0005.fits",
        "miri/jwst_miri_imager_distortion_flt9.asdf",
        "miri/jwst_miri_flat_slitlessprism.fits",
        "nirspec/jwst_nirspec_fpa_0005.asdf",
        "nirspec/jwst_nirspec_photom_0014.fits",
        "niriss/jwst_niriss_spectrace_0022.fits",
        "nircam/jwst_nircam_specwcs_0010.asdf",
    ],
)
def test_real_reference_headers(name):
    hdr = read_header(REALDATA / name)
    assert hdr["REFTYPE"]
    assert hdr["INSTRUME"] in {"MIRI", "NIRSPEC", "NIRISS", "NIRCAM"}


def test_generic_subarray_matches_any_subarray(tmp_path):
    _write(tmp_path, "fflat.fits", "fflat", INSTRUME="NIRSPEC", DETECTOR="ANY", SUBARRAY="GENERIC")
    attrs = {"INSTRUME": "NIRSPEC", "DETECTOR": "NRS1", "SUBARRAY": "SUBS200A1"}
    assert Path(ReferenceSet(directory=tmp_path).find("fflat", attrs)).name == "fflat.fits"
