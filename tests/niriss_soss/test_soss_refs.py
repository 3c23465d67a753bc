"""The SOSS reference readers, and the synthetic references jwst's datamodels accept."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.errors import InputFileError, ReferenceMismatchError
from spec2x.instruments.niriss.soss_refs import (
    Pastasoss,
    SossKernels,
    SossProfiles,
    SossSpecwcs,
    soss_content,
)
from spec2x.io.ref_readers import reader_name
from spec2x.io.references import open_reference, reference_keyword
from spec2x.synthetic.niriss_soss_refs import write_specprofile


@pytest.mark.parametrize(
    ("reftype", "kind"),
    [
        ("pastasoss", Pastasoss),
        ("specwcs", SossSpecwcs),
        ("specprofile", SossProfiles),
        ("speckernel", SossKernels),
    ],
)
def test_each_reference_opens_as_its_kind(soss_refs, reftype, kind):
    ref = open_reference(soss_refs[reftype])
    assert ref.reftype == reftype
    assert isinstance(ref.content, kind)
    assert reader_name(reftype, "NIRISS").startswith("spec2x.instruments.niriss.soss_refs:")


def test_pastasoss_content(soss_refs):
    ref = open_reference(soss_refs["pastasoss"]).content
    assert sorted(ref.orders) == [1, 2, 3]
    assert ref.pwcpos_cmd == 245.76
    assert ref.pwcpos_bounds == (245.51, 246.01)
    assert ref.orders[1].trace.shape == (2048, 2)
    assert ref.orders[2].cutoff < 2048
    assert reference_keyword("pastasoss") == "R_PSTSOS"


def test_profiles_are_padded_and_normalised(soss_refs):
    prof = open_reference(soss_refs["specprofile"]).content
    assert prof.profiles[1].shape == (256 + 20, 2048 + 20)
    assert prof.padding[1] == 10
    column = prof.profiles[1][:, 1000]
    np.testing.assert_allclose(column.sum(), 1.0, rtol=1e-5)


@pytest.mark.parametrize(("subarray", "rows"), [("SUBSTRIP96", 96), ("FULL", 2048)])
def test_profiles_of_other_subarrays(tmp_path, subarray, rows):
    prof = open_reference(write_specprofile(tmp_path / "p.fits", subarray)).content
    assert prof.profiles[2].shape == (rows + 20, 2068)


@pytest.mark.parity
@pytest.mark.parametrize(
    ("reftype", "model"),
    [("pastasoss", "PastasossModel"), ("specprofile", "SpecProfileModel"),
     ("speckernel", "SpecKernelModel")],
)  # fmt: skip
def test_synthetic_references_valid_for_jwst_datamodels(soss_refs, reftype, model):
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    with getattr(datamodels, model)(str(soss_refs[reftype])) as m:
        m.validate()
        assert m.meta.instrument.name == "NIRISS"


def test_the_wrong_kind_of_reference_is_one_clear_error(soss_refs):
    with pytest.raises(ReferenceMismatchError, match="not a NIRISS SOSS pastasoss file"):
        soss_content(open_reference(soss_refs["speckernel"]), "pastasoss", Pastasoss)
    with pytest.raises(ReferenceMismatchError, match="SPECKERNEL.*pastasoss reference"):
        open_reference(soss_refs["speckernel"], "pastasoss")


def test_a_pastasoss_without_traces_is_one_clear_error(tmp_path):
    from spec2x.synthetic.base import asdf_meta
    from spec2x.synthetic.miri_lrs_refs import _write_asdf

    path = _write_asdf(tmp_path / "bad.asdf", {"meta": asdf_meta("pastasoss", "NIRISS")})
    with pytest.raises((ReferenceMismatchError, InputFileError), match="lacks traces"):
        open_reference(path)


def test_a_folder_serves_a_soss_exposure(soss_refs, soss_rateints):
    """The selectors of the synthetic files pick them for a SUBSTRIP256 SOSS exposure."""
    from spec2x.io.references import ReferenceSet

    folder = ReferenceSet(directory=soss_refs["pastasoss"].parent)
    for reftype, path in soss_refs.items():
        assert folder.find(reftype, soss_rateints.attrs) == str(path)
