"""Explicit references for one exposure type: ``EXP_TYPE:TYPE`` keys (``--ref NRS_FIXEDSLIT:fflat=PATH``).

The fixed slits of a NIRSpec MOS exposure are calibrated as ``NRS_FIXEDSLIT``
with the fixed-slit references; jwst 3.0.0 takes one override per type for
both kinds of slits (its ``Spec2Pipeline`` runs the same step instances), so
``TYPE`` serves both, and ``EXP_TYPE:TYPE`` gives the fixed slits their own.
"""

from __future__ import annotations

import pytest

from spec2x.cli import main
from spec2x.errors import MissingReferenceError, ParameterError
from spec2x.io.references import ReferenceSet, split_ref_key

MOS = {"INSTRUME": "NIRSPEC", "DETECTOR": "NRS1", "EXP_TYPE": "NRS_MSASPEC"}
FS = {**MOS, "EXP_TYPE": "NRS_FIXEDSLIT"}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("fflat", (None, "fflat")),
        ("R_FLAT", (None, "flat")),
        ("NRS_FIXEDSLIT:fflat", ("NRS_FIXEDSLIT", "fflat")),
        (" nrs_fixedslit : FFLAT ", ("NRS_FIXEDSLIT", "fflat")),
        ("MIR_LRS-FIXEDSLIT:flat", ("MIR_LRS-FIXEDSLIT", "flat")),
    ],
)
def test_split_ref_key(key, expected):
    assert split_ref_key(key) == expected


def test_exp_type_key_serves_only_its_type_and_wins_there():
    mos, fs = "/refs/mos_fflat.fits", "/refs/fs_fflat.fits"
    refs = ReferenceSet({"fflat": mos, "NRS_FIXEDSLIT:fflat": fs, "NRS_FIXEDSLIT:pathloss": "N/A"})
    assert refs.find("fflat", MOS) == mos
    assert refs.find("fflat", FS) == fs
    assert refs.find("pathloss", FS) is None  # N/A for the fixed slits only
    with pytest.raises(MissingReferenceError, match="no pathloss reference"):
        ReferenceSet({"NRS_FIXEDSLIT:pathloss": "N/A"}, strict=True).find("pathloss", MOS)


def test_unknown_exposure_type_in_a_key_is_refused():
    with pytest.raises(ParameterError, match="did you mean 'NRS_FIXEDSLIT'"):
        ReferenceSet({"NRS_FIXEDSLT:fflat": "fs.fits"})


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("NRS_FIXEDSLT:fflat=fs.fits", "unknown exposure type 'NRS_FIXEDSLT' in reference key "
         "'NRS_FIXEDSLT:fflat'; did you mean 'NRS_FIXEDSLIT'?"),
        ("NRS_FIXEDSLIT:fflt=fs.fits", "unknown reference type 'fflt' in --ref; did you mean "
         "'fflat'?"),
        ("NRS_FIXEDSLIT:=fs.fits", "write it as --ref TYPE=PATH, or EXP_TYPE:TYPE=PATH"),
    ],
)  # fmt: skip
def test_cli_refuses_a_wrong_key_in_one_line(tmp_path, capsys, ref, expected):
    rate = tmp_path / "jw01_rate.fits"
    rate.write_bytes(b"")
    status = main(["run", str(rate), "--ref", ref, "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1
    assert expected in err[0]
