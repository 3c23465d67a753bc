"""References from a CRDS cache: spec2x selects exactly what the crds package selects off-line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from crds_cache_helpers import write_cache

from spec2x.errors import InputFileError, MissingReferenceError, UnsupportedModeError
from spec2x.io.crds_cache import CrdsCache, crds_parameters
from spec2x.io.references import ReferenceSet

crds = pytest.importorskip("crds")


def _obs(date, time="10:00:00"):
    return {"DATE-OBS": date, "TIME-OBS": time}


LRS_FS = dict(INSTRUME="MIRI", DETECTOR="MIRIMAGE", FILTER="P750L", EXP_TYPE="MIR_LRS-FIXEDSLIT",
              SUBARRAY="FULL", **_obs("2023-01-02", "10:00:00.5"))  # fmt: skip
NRS_FS = dict(INSTRUME="NIRSPEC", DETECTOR="NRS1", FILTER="F100LP", GRATING="G140M",
              EXP_TYPE="NRS_FIXEDSLIT", SUBARRAY="SUBS200A1", **_obs("2023-01-02"))  # fmt: skip
HEADERS = {
    "miri_lrs_fs": LRS_FS,
    "miri_lrs_fs_later": dict(LRS_FS, **_obs("2024-01-02")),  # the second UseAfter
    "miri_lrs_slitless_subarray": dict(
        LRS_FS, EXP_TYPE="MIR_LRS-SLITLESS", SUBARRAY="SLITLESSPRISM"
    ),  # fmt: skip
    "miri_lrs_slitless_other_subarray": dict(
        LRS_FS, EXP_TYPE="MIR_LRS-SLITLESS", SUBARRAY="SUB64"
    ),  # fmt: skip
    "miri_before_any_useafter": dict(LRS_FS, **_obs("2021-06-01")),
    "nirspec_fs": NRS_FS,
    "nirspec_fs_g395h": dict(
        NRS_FS, DETECTOR="NRS2", FILTER="F290LP", GRATING="G395H", SUBARRAY="FULL"
    ),  # fmt: skip
    "nirspec_bots": dict(NRS_FS, EXP_TYPE="NRS_BRIGHTOBJ", SUBARRAY="SUB2048"),
}
REFTYPES = {
    "MIRI": ("area", "flat", "pathloss", "photom", "bkg"),
    "NIRSPEC": ("photom", "pathloss", "apcorr", "area", "wavecorr"),
}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = write_cache(tmp_path / "crds_cache")
    monkeypatch.setenv("CRDS_PATH", str(root))
    monkeypatch.setenv("CRDS_SERVER_URL", "https://localhost:9")  # nothing answers there
    monkeypatch.setenv("CRDS_MODE", "local")
    monkeypatch.delenv("CRDS_CONTEXT", raising=False)
    return root


def _crds_answer(attrs, reftypes, context):
    """What the crds package recommends off-line for these keywords."""
    return crds.getrecommendations(
        crds_parameters(attrs), reftypes=list(reftypes), context=context,
        observatory="jwst", fast=True,
    )  # fmt: skip


def _ours(source, reftype, attrs):
    try:
        return source.choose(reftype, attrs)
    except MissingReferenceError:
        return "NOT FOUND"


def _expected(answer):
    if answer.upper() in ("N/A", "NOT FOUND N/A"):
        return None
    return "NOT FOUND" if answer.startswith("NOT FOUND") else answer


@pytest.mark.parametrize("use_crds", [False, True], ids=["own_reader", "crds_package"])
@pytest.mark.parametrize("context", ["jwst_0042.pmap", "jwst_0041.pmap"])
def test_selection_equals_crds(cache, use_crds, context):
    source = CrdsCache(cache, context, use_crds=use_crds)
    assert source.use_crds is use_crds
    seen = set()
    for name, attrs in HEADERS.items():
        reftypes = REFTYPES[attrs["INSTRUME"]]
        answers = _crds_answer(attrs, reftypes, context)
        for reftype in reftypes:
            expected = _expected(answers[reftype])
            assert _ours(source, reftype, attrs) == expected, (name, reftype, answers[reftype])
            seen.add("N/A" if expected is None else expected[:9])
    assert {"N/A", "NOT FOUND", "jwst_miri"} <= seen  # the cases the cache was made for


def test_the_cases_pinned(cache):
    # What the rules say, written out: N/A from an rmap entry, from the imap, from an rmap
    # whose type is not required; the later UseAfter; the subarray-specific flat.
    source = CrdsCache(cache, use_crds=False)
    assert source.choose("area", LRS_FS) is None
    assert source.choose("bkg", LRS_FS) is None
    assert source.choose("area", HEADERS["nirspec_fs"]) is None
    assert source.choose("flat", LRS_FS) == "jwst_miri_flat_0101.fits"
    assert source.choose("flat", HEADERS["miri_lrs_fs_later"]) == "jwst_miri_flat_0102.fits"
    slitless = HEADERS["miri_lrs_slitless_subarray"]
    assert source.choose("flat", slitless) == "jwst_miri_flat_0103.fits"
    assert source.choose("flat", HEADERS["miri_lrs_slitless_other_subarray"]) == (
        "jwst_miri_flat_0104.fits"
    )
    assert source.choose("apcorr", HEADERS["nirspec_fs_g395h"]) == "jwst_nirspec_apcorr_0500.fits"
    with pytest.raises(MissingReferenceError, match="no flat reference.*--ref flat=PATH"):
        source.choose("flat", HEADERS["miri_before_any_useafter"])


@pytest.mark.parametrize("use_crds", [False, True], ids=["own_reader", "crds_package"])
def test_type_without_rules_is_an_error(cache, use_crds):
    with pytest.raises(MissingReferenceError, match="specwcs.*--ref specwcs=PATH"):
        CrdsCache(cache, use_crds=use_crds).choose("specwcs", LRS_FS)
    with pytest.raises(MissingReferenceError, match="(?i)nircam.*--ref flat=PATH"):
        CrdsCache(cache, use_crds=use_crds).choose("flat", dict(LRS_FS, INSTRUME="NIRCAM"))


def test_context_from_argument_environment_or_cache(cache, monkeypatch):
    assert CrdsCache().context == "jwst_0042.pmap"  # the cache's operational context
    monkeypatch.setenv("CRDS_CONTEXT", "jwst_0041.pmap")
    assert CrdsCache().context == "jwst_0041.pmap"
    assert CrdsCache(cache, "jwst_0042.pmap").context == "jwst_0042.pmap"
    with pytest.raises(InputFileError, match="jwst_0099.pmap is not in"):
        CrdsCache(cache, "jwst_0099.pmap")


def test_no_cache_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("CRDS_PATH", raising=False)
    with pytest.raises(InputFileError, match="set CRDS_PATH"):
        CrdsCache()
    with pytest.raises(InputFileError, match="no mappings/jwst"):
        CrdsCache(tmp_path)


def test_files_are_found_in_either_cache_layout(tmp_path):
    for flat in (False, True):
        root = write_cache(tmp_path / f"flat_{flat}", flat_layout=flat)
        path = Path(CrdsCache(root).select("photom", LRS_FS))
        assert path.name == "jwst_miri_photom_0201.fits"
        assert path.is_file()
        assert path.parent.name == ("jwst" if flat else "miri")


def test_selected_file_missing_from_cache(cache):
    (cache / "references" / "jwst" / "miri" / "jwst_miri_flat_0101.fits").unlink()
    with pytest.raises(MissingReferenceError, match="crds sync --files jwst_miri_flat_0101.fits"):
        CrdsCache(cache).select("flat", LRS_FS)


def test_reference_set_from_crds(cache, tmp_path, caplog):
    refs = ReferenceSet.from_crds()
    with caplog.at_level("INFO", logger="spec2x.io.references"):
        assert refs.get("area", LRS_FS, "photom") is None  # N/A from CRDS
        assert refs.get("area", LRS_FS, "photom") is None
    assert [r.getMessage() for r in caplog.records] == [
        "photom: CRDS (jwst_0042.pmap) says area is N/A for this exposure"
    ]
    assert refs.get("photom", LRS_FS, "photom").name == "jwst_miri_photom_0201.fits"
    assert Path(refs.find("flat", LRS_FS)).parent == cache / "references" / "jwst" / "miri"
    own = tmp_path / "my_photom.fits"
    own.write_bytes(b"")
    assert ReferenceSet.from_crds(explicit={"photom": own}).find("photom", LRS_FS) == str(own)


def test_own_reader_names_what_it_cannot_read(cache):
    rmap = cache / "mappings" / "jwst" / "jwst_miri_pathloss_0002.rmap"
    text = rmap.read_text()
    rmap.write_text(text.replace("('MIR_LRS-FIXEDSLIT',)", "('(MIR_LRS-FIX.*)',)"))
    with pytest.raises(UnsupportedModeError, match=r"needs the crds package.*spec2x\[crds\]"):
        CrdsCache(cache, use_crds=False).choose("pathloss", LRS_FS)
    rmap.write_text(text.replace("header = {", "header = {\n    'rmap_relevance' : 'True',"))
    with pytest.raises(UnsupportedModeError, match="rmap_relevance"):
        CrdsCache(cache, use_crds=False).choose("pathloss", LRS_FS)


def test_keyword_translation_is_the_data_models(cache):
    # crds translates data-model names to FITS keywords from the jwst schemas
    from crds.jwst.schema import dm_to_fits

    from spec2x.io.crds_cache import PARKEYS

    assert {k: dm_to_fits(k) for k in PARKEYS} == PARKEYS


_POOLS = {
    "INSTRUME": ["MIRI", "NIRSPEC"],
    "DETECTOR": ["MIRIMAGE", "MIRIFULONG", "NRS1", "NRS2"],
    "FILTER": ["P750L", "F560W", "F770W", "F100LP", "ANY", "N/A"],
    "GRATING": ["G140M", "G395H", "PRISM"],
    "EXP_TYPE": [
        "MIR_LRS-FIXEDSLIT",
        "MIR_LRS-SLITLESS",
        "MIR_IMAGE",
        "NRS_FIXEDSLIT",
        "NRS_BRIGHTOBJ",
        "NRS_MSASPEC",
    ],  # fmt: skip
    "SUBARRAY": ["FULL", "SLITLESSPRISM", "SUB64", "GENERIC", "SUBS200A1"],
    "DATE-OBS": ["2021-12-31", "2022-01-01", "2023-06-01", "2024-02-29"],
    "TIME-OBS": ["00:00:00", "23:59:59.9"],
}


def test_selection_equals_crds_on_any_header(cache):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    own = CrdsCache(cache, "jwst_0042.pmap", use_crds=False)
    headers = st.fixed_dictionaries(
        {k: st.sampled_from(v) for k, v in _POOLS.items() if k != "DATE-OBS"},
        optional={"DATE-OBS": st.sampled_from(_POOLS["DATE-OBS"])},
    )

    @settings(max_examples=int(os.environ.get("CRDS_EXAMPLES", "25")))
    @given(attrs=headers)
    def check(attrs):
        reftypes = REFTYPES[attrs["INSTRUME"]]
        answers = _crds_answer(attrs, reftypes, "jwst_0042.pmap")
        for reftype in reftypes:
            assert _ours(own, reftype, attrs) == _expected(answers[reftype]), (reftype, attrs)

    check()
