"""References given by CRDS file name, as ``R_*`` keywords record them, with or without ``crds://``.

jwst writes ``R_FLAT = 'crds://jwst_miri_flat_0101.fits'``, spec2x writes the
bare name; either, given as an explicit reference (or under its ``R_*``
keyword), is the file of that name in the CRDS cache, else in the folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from crds_cache_helpers import write_cache

from spec2x.errors import MissingReferenceError
from spec2x.io.crds_cache import CrdsCache
from spec2x.io.references import ReferenceSet

LRS_FS = {"INSTRUME": "MIRI", "DETECTOR": "MIRIMAGE", "EXP_TYPE": "MIR_LRS-FIXEDSLIT"}
NAME = "jwst_miri_flat_0101.fits"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return write_cache(tmp_path_factory.mktemp("names") / "crds_cache")


@pytest.mark.parametrize("key", ["flat", "R_FLAT", "r_flat"])
@pytest.mark.parametrize("value", [f"crds://{NAME}", NAME])
def test_name_resolves_from_the_cache(cache, key, value):
    refs = ReferenceSet({key: value}, crds_cache=CrdsCache(cache, use_crds=False))
    found = Path(refs.find("flat", LRS_FS, "flat_field"))
    assert found == cache / "references" / "jwst" / "miri" / NAME
    assert refs.get("flat", LRS_FS).name == NAME


def test_name_resolves_from_the_folder(cache):
    folder = cache / "references" / "jwst" / "miri"
    for value in (f"crds://{NAME}", NAME):
        assert ReferenceSet({"R_FLAT": value}, directory=folder).find("flat", LRS_FS) == str(
            folder / NAME
        )


def test_a_path_stays_a_path(cache, tmp_path, monkeypatch):
    here = tmp_path / NAME
    here.write_bytes(b"")
    monkeypatch.chdir(tmp_path)  # a bare name that is a file here is that file
    refs = ReferenceSet({"flat": NAME}, crds_cache=CrdsCache(cache, use_crds=False))
    assert refs.find("flat", LRS_FS) == NAME
    assert ReferenceSet({"flat": str(here)}).find("flat", LRS_FS) == str(here)


def test_a_name_nothing_holds_is_one_clear_error(cache, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MissingReferenceError, match=f"flat reference {NAME} is not a file here"):
        ReferenceSet({"R_FLAT": f"crds://{NAME}"}).find("flat", LRS_FS)
    cache_refs = ReferenceSet({"flat": "jwst_miri_flat_9999.fits"}, crds_cache=CrdsCache(cache))
    with pytest.raises(MissingReferenceError, match="crds sync --files jwst_miri_flat_9999.fits"):
        cache_refs.find("flat", LRS_FS)
