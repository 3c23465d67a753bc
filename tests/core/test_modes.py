"""The modes table is the one place exposure types are listed, and it covers jwst's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import spec2x
from spec2x.errors import UnsupportedModeError
from spec2x.modes import MODES, SPECTROSCOPIC_EXP_TYPES, exp_type_of, lookup, mode_of
from spec2x.registry import STEPS

PACKAGE = Path(spec2x.__file__).parent
EXP_TYPE_LITERAL = re.compile(r"[\"'](NRS|MIR|NIS|NRC)_[A-Z0-9-]+[\"']")


#: Literals that look like exposure types but are not, with the reason they stay.
NOT_EXPOSURE_TYPES = {
    '"NRS_SLITS"': "the attrs key of NIRSpec slit descriptions (instruments.nirspec.fs.SLITS_ATTR)",
}


@pytest.mark.parametrize("folder", ["steps", "instruments", "_kernels"])
def test_no_exposure_type_literal_in_steps_or_instruments(folder):
    """Steps and instrument packages ask the modes table; they never compare EXP_TYPE with a literal."""
    found = [
        f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for path in sorted((PACKAGE / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for literal in EXP_TYPE_LITERAL.finditer(line)
        if literal.group(0) not in NOT_EXPOSURE_TYPES
    ]
    assert found == []


#: An instrument name as a string literal, or a comparison with ``INSTRUME``.
INSTRUMENT_LITERAL = re.compile(
    r"[\"'](NIRSPEC|MIRI|NIRISS|NIRCAM)[\"']|startswith\([\"'](MIR|NRS|NIS|NRC)"
)
INSTRUME_COMPARISON = re.compile(r"INSTRUME.*(==|!=|\bin\b)|(==|!=)\s*.*INSTRUME")


def test_no_instrument_branching_in_steps():
    """Generic steps read Mode traits; they never branch on INSTRUME.

    Reading INSTRUME to match a reference (``check_matches(attrs, ("INSTRUME", ...))``)
    is not branching and is allowed.
    """
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted((PACKAGE / "steps").glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if INSTRUMENT_LITERAL.search(line) or INSTRUME_COMPARISON.search(line)
    ]
    assert found == []


def test_every_spec2_exposure_type_of_jwst_is_a_mode():
    """Every EXP_TYPE jwst 3.0.0's Spec2Pipeline branches on is in the table."""
    pytest.importorskip("jwst")
    from jwst.associations.lib.dms_base import SPEC2_SCIENCE_EXP_TYPES
    from jwst.pipeline import calwebb_spec2 as jwst_spec2

    jwst_types = {t.upper() for t in SPEC2_SCIENCE_EXP_TYPES}
    jwst_types |= set(jwst_spec2.NRS_SLIT_TYPES) | set(jwst_spec2.GRISM_TYPES)
    jwst_types |= set(jwst_spec2.WFSS_TYPES) | set(jwst_spec2.EXP_TYPES_USING_REFBKGDS)
    assert jwst_types <= set(SPECTROSCOPIC_EXP_TYPES)
    assert set(SPECTROSCOPIC_EXP_TYPES) <= jwst_types


def test_traits_agree_with_jwst_lists():
    """The traits that steps read reproduce the lists jwst keeps in its steps."""
    pytest.importorskip("jwst")
    from jwst.pipeline import calwebb_spec2 as jwst_spec2

    def having(trait: str) -> set[str]:
        return {k for k, m in MODES.items() if getattr(m, trait)}

    assert having("wfss") == set(jwst_spec2.WFSS_TYPES)
    assert having("reference_background") == set(jwst_spec2.EXP_TYPES_USING_REFBKGDS)
    assert {k for k, m in MODES.items() if m.branch is not MODES["MIR_MRS"].branch} >= set(
        jwst_spec2.NRS_SLIT_TYPES
    )
    assert having("source_position") == {
        "MIR_LRS-FIXEDSLIT", "NRS_FIXEDSLIT", "NRS_MSASPEC", "NRS_BRIGHTOBJ",
    }  # fmt: skip
    assert having("wavecorr") == {"NRS_FIXEDSLIT", "NRS_MSASPEC", "NRS_BRIGHTOBJ", "NRS_AUTOFLAT"}
    assert having("tso") == {"NRC_TSIMAGE", "NRC_TSGRISM", "NRS_BRIGHTOBJ"}


def test_traits_jwst_decides_by_instrument():
    """Where jwst's step code asks ``instrument == "NIRSPEC"``, spec2x's trait says the same."""
    nirspec = {k for k, m in MODES.items() if m.instrument == "NIRSPEC"}
    assert {k for k, m in MODES.items() if m.background_tilt} == nirspec  # bkg_subtract
    miri = {k for k, m in MODES.items() if m.instrument == "MIRI"}
    assert {k for k, m in MODES.items() if m.dithered_source} == miri  # extract_1d
    spec2_nirspec = {k for k in nirspec if MODES[k].spec2}
    spec2 = {k for k, m in MODES.items() if m.spec2}
    for trait, value in (
        ("pixel_area", "table"),  # photom
        ("point_flux_density", True),  # extract_1d
        ("resample_grid", "nirspec"),  # resample_spec
    ):
        assert {k for k in spec2 if getattr(MODES[k], trait) == value} == spec2_nirspec, trait
    assert {k for k, m in MODES.items() if m.apcorr == "nirspec_fs"} <= nirspec
    slitless = {k for k, m in MODES.items() if m.slitless}
    assert slitless >= {"MIR_LRS-SLITLESS", "NIS_SOSS", "NRC_TSGRISM", "MIR_WFSS", "NIS_WFSS"}
    assert not slitless & {"MIR_LRS-FIXEDSLIT", "NRS_FIXEDSLIT", "NRS_MSASPEC", "MIR_MRS"}


@pytest.mark.parametrize("exp_type", SPECTROSCOPIC_EXP_TYPES)
def test_every_mode_is_consistent(exp_type):
    mode = MODES[exp_type]
    assert mode.exp_type == exp_type
    for step in (*mode.branch, *mode.allowed):
        assert step in STEPS, step
    if mode.product_step == "cube_build":
        assert mode.layout == "ifu"
    if mode.wcs_build is not None:
        assert mode.wcs_reftypes


def test_mode_of_names_the_file_and_the_types():
    assert mode_of({"EXP_TYPE": " nrs_fixedslit "}).exp_type == "NRS_FIXEDSLIT"
    assert exp_type_of({"EXP_TYPE": None}) == ""
    assert lookup("MIR_LYOT") is None
    with pytest.raises(UnsupportedModeError, match=r"x\.fits has EXP_TYPE='MIR_LYOT'"):
        mode_of({"EXP_TYPE": "MIR_LYOT", "FILENAME": "x.fits"})
    with pytest.raises(UnsupportedModeError, match="missing"):
        mode_of({})
    # a type the steps know but calwebb_spec2 does not take
    assert mode_of({"EXP_TYPE": "NRS_IMAGE"}).instrument == "NIRSPEC"
    with pytest.raises(UnsupportedModeError, match="NRS_IMAGE"):
        mode_of({"EXP_TYPE": "NRS_IMAGE"}, spec2=True)
