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


# -- readers by (reftype, instrument) ----------------------------------------------------------


def test_pathloss_files_go_to_their_instrument_reader(tmp_path):
    from spec2x.instruments.miri.refs import LrsPathloss
    from spec2x.instruments.nirspec.refs_cal import Pathloss
    from spec2x.synthetic.miri_lrs_refs import write_pathloss as write_miri
    from spec2x.synthetic.nirspec_cal_refs import write_pathloss as write_nirspec

    miri = open_reference(write_miri(tmp_path / "miri_pathloss.fits"))
    nirspec = open_reference(write_nirspec(tmp_path / "nrs_pathloss.fits", nwave=4, npos=3))
    assert isinstance(miri.content, LrsPathloss)
    assert isinstance(nirspec.content, Pathloss)


def test_a_file_is_not_handed_to_another_instruments_reader(tmp_path):
    # A NIRSpec pathloss file in the MIRI format: its INSTRUME picks the NIRSpec reader, which
    # says what is wrong instead of passing the file on.
    from spec2x.synthetic.miri_lrs_refs import write_pathloss

    path = write_pathloss(tmp_path / "pathloss.fits")
    with fits.open(path, mode="update") as hdul:
        hdul[0].header["INSTRUME"] = "NIRSPEC"
    with pytest.raises(ReferenceMismatchError, match="not a NIRSpec pathloss.*INSTRUME"):
        open_reference(path)


def test_reader_table_has_a_generic_fallback_and_instrument_rows():
    from spec2x.io.ref_readers import READERS, load_reader, reader_name

    assert reader_name("pathloss", "MIRI") != reader_name("pathloss", "NIRSPEC")
    assert reader_name("photom", "NIRISS") == reader_name("photom", None)
    assert reader_name("specwcs", "NIRSPEC") is None  # generic Reference
    assert reader_name("specwcs", "NIRCAM").endswith("read_grism_specwcs")  # grism
    assert reader_name("specwcs", "NIRISS").endswith("read_soss_specwcs")  # SOSS, then grism
    # MIRI's MRS table, not the NIRSpec optical-model reader
    assert reader_name("wavelengthrange", "MIRI") != reader_name("wavelengthrange", "NIRSPEC")
    for name in set(READERS.values()):
        assert callable(load_reader(name)), name


def test_registered_reader_wins_for_its_instrument(tmp_path):
    from spec2x.io import ref_open, references

    path = _write(tmp_path, "x_flat.fits", "flat", INSTRUME="NIRISS", DETECTOR="NIS")
    calls = []

    def reader(p, header):
        calls.append(p)
        return references.Reference("flat", p, header, "mine")

    references.register_reader("flat", instrument="NIRISS")(reader)
    try:
        assert open_reference(path).content == "mine"
        miri = _write(tmp_path, "y_flat.fits", "flat", DETECTOR="MIRIMAGE")
        assert open_reference(miri).content != "mine"
    finally:
        ref_open._READERS.pop(("flat", "NIRISS"))
    assert calls == [str(path)]


# -- the folder rule ---------------------------------------------------------------------------

LRS = {"INSTRUME": "MIRI", "DETECTOR": "MIRIMAGE", "EXP_TYPE": "MIR_LRS-FIXEDSLIT"}


def test_missing_optional_type_is_na_with_one_log_line(tmp_path, caplog):
    _write(tmp_path, "photom.fits", "photom", DETECTOR="MIRIMAGE")
    refs = ReferenceSet(directory=tmp_path)
    with caplog.at_level("INFO", logger="spec2x.io.references"):
        assert refs.get("area", LRS, "photom") is None
        assert refs.get("area", LRS, "photom") is None  # asked again (a background member)
        assert refs.get("photom", LRS, "photom").name == "photom.fits"
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert lines[0].startswith("photom: no area reference in ")
    assert "--strict-refs" in lines[0]


def test_missing_type_a_step_needs_is_still_an_error(tmp_path):
    _write(tmp_path, "area.fits", "area", DETECTOR="MIRIMAGE")
    refs = ReferenceSet(directory=tmp_path)
    with pytest.raises(MissingReferenceError, match=r"no photom reference .*--ref photom=PATH"):
        refs.get("photom", LRS, "photom")
    with pytest.raises(MissingReferenceError, match="no psf reference"):
        refs.get("psf", LRS)  # no step said it can do without


def test_strict_refuses_a_missing_optional_type(tmp_path):
    refs = ReferenceSet(directory=tmp_path, strict=True)
    with pytest.raises(MissingReferenceError, match="no pathloss reference"):
        refs.get("pathloss", LRS, "pathloss")


def test_optional_types_are_those_jwst_steps_do_without():
    from spec2x.io.ref_rules import OPTIONAL_REFTYPES, is_optional
    from spec2x.registry import STEPS

    for step, reftypes in OPTIONAL_REFTYPES.items():
        assert set(reftypes) <= set(STEPS[step].reftypes), step
    assert is_optional("photom", "area")
    assert not is_optional("photom", "photom")
    assert not is_optional(None, "area")


NRS_FS = {"INSTRUME": "NIRSPEC", "DETECTOR": "NRS1", "EXP_TYPE": "NRS_FIXEDSLIT"}


@pytest.mark.parametrize(
    ("step", "reftype", "attrs", "optional"),
    [
        # CRDS has a pathloss, area, wavecorr and apcorr for NIRSpec FS: a folder must hold them
        ("pathloss", "pathloss", NRS_FS, False),
        ("photom", "area", NRS_FS, False),
        ("wavecorr", "wavecorr", NRS_FS, False),
        ("extract_1d", "apcorr", NRS_FS, False),
        ("barshadow", "barshadow", NRS_FS, True),  # MOS only
        # ... and none of pathloss (BOTS does not allow it) for NIRSpec BOTS
        ("pathloss", "pathloss", dict(NRS_FS, EXP_TYPE="NRS_BRIGHTOBJ"), True),
        ("pathloss", "pathloss", dict(NRS_FS, EXP_TYPE="NRS_MSASPEC"), False),
        ("barshadow", "barshadow", dict(NRS_FS, EXP_TYPE="NRS_MSASPEC"), False),
        # MIRI LRS: no area table, and CRDS says N/A for its pathloss (Mode.crds_na)
        ("photom", "area", LRS, True),
        ("pathloss", "pathloss", LRS, True),
        ("extract_1d", "apcorr", LRS, False),
        ("wavecorr", "wavecorr", LRS, True),
        # an exposure type spec2x does not know: the step's list, as before
        ("pathloss", "pathloss", {"EXP_TYPE": "XYZ"}, True),
    ],
)
def test_optional_is_decided_per_mode(step, reftype, attrs, optional):
    from spec2x.io.ref_rules import is_optional

    assert is_optional(step, reftype, attrs) is optional


def test_nirspec_fs_folder_without_pathloss_is_an_error(tmp_path):
    refs = ReferenceSet(directory=tmp_path)
    with pytest.raises(MissingReferenceError, match="no pathloss reference .*--ref pathloss=N/A"):
        refs.get("pathloss", NRS_FS, "pathloss")
    bots = dict(NRS_FS, EXP_TYPE="NRS_BRIGHTOBJ")
    assert ReferenceSet(directory=tmp_path).get("pathloss", bots, "pathloss") is None


def test_full_frame_file_serves_a_subarray_without_its_own(tmp_path):
    _write(tmp_path, "full.fits", "flat", DETECTOR="MIRIMAGE", SUBARRAY="FULL")
    refs = ReferenceSet(directory=tmp_path)
    slitless = dict(LRS, EXP_TYPE="MIR_LRS-SLITLESS", SUBARRAY="SLITLESSPRISM")
    assert Path(refs.find("flat", slitless)).name == "full.fits"
    _write(tmp_path, "any.fits", "flat", DETECTOR="ANY", SUBARRAY="GENERIC")
    assert Path(ReferenceSet(directory=tmp_path).find("flat", slitless)).name == "any.fits"
    assert Path(ReferenceSet(directory=tmp_path).find("flat", LRS)).name == "full.fits"
    _write(tmp_path, "sub.fits", "flat", DETECTOR="MIRIMAGE", SUBARRAY="SLITLESSPRISM")
    assert Path(ReferenceSet(directory=tmp_path).find("flat", slitless)).name == "sub.fits"
    _write(tmp_path, "other.fits", "photom", DETECTOR="MIRIMAGE", SUBARRAY="MASK1550")
    with pytest.raises(MissingReferenceError, match="no photom"):
        ReferenceSet(directory=tmp_path).find("photom", slitless)
