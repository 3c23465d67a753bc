"""The step registry against jwst 3.0.0's Spec2Pipeline: names, classes, references, parameters."""

from __future__ import annotations

import importlib

import pytest

from spec2x.errors import UnsupportedModeError
from spec2x.registry import STEPS, get_step, step_names
from spec2x.steps._common import STATUS_KEYWORDS


def test_every_step_has_a_status_keyword_and_module():
    assert len(STEPS) == 24
    for name, spec in STEPS.items():
        assert spec.status_keyword == STATUS_KEYWORDS[name]
        assert spec.module == f"spec2x.steps.{name}"
        assert spec.params[0].name == "skip"


def test_load_reports_missing_steps(monkeypatch):
    import dataclasses

    spec = dataclasses.replace(STEPS["fringe"], module="spec2x.steps._absent")
    assert not spec.implemented
    with pytest.raises(
        UnsupportedModeError, match="fringe is not implemented.*MIR_MRS.*--skip fringe"
    ):
        spec.load("MIR_MRS")


def test_implemented_steps_load():
    for spec in STEPS.values():
        if spec.implemented:
            assert callable(spec.load())


@pytest.mark.parity
def test_registry_matches_jwst():
    pytest.importorskip("jwst")
    from jwst.pipeline import Spec2Pipeline

    assert step_names() == list(Spec2Pipeline.step_defs)
    for name, cls in Spec2Pipeline.step_defs.items():
        spec = get_step(name)
        module, _, cls_name = spec.jwst_class.rpartition(".")
        assert getattr(importlib.import_module(module), cls_name) is cls
        types = cls.reference_file_types
        if not isinstance(types, list):
            types = cls().reference_file_types
        assert list(spec.reftypes) == list(types), name
        jwst_spec = cls.load_spec_file()
        for p in spec.params:
            assert p.name in jwst_spec, (name, p.name)


def test_a_conditional_step_does_not_hold_a_mode_back():
    """master_background_mos is whole (user background and background slitlets): MOS is
    calibrated without any conditional step."""
    from spec2x.registry import CONDITIONAL_STEPS, STEPS, calibrated_exp_types

    assert STEPS["master_background_mos"].implemented
    assert "master_background_mos" not in CONDITIONAL_STEPS
    assert "NRS_MSASPEC" in calibrated_exp_types()
