"""Step parameters: defaults, jwst-shaped files (ASDF/YAML), overrides and typos."""

from __future__ import annotations

import os

import pytest

from spec2x.errors import InputFileError, OutputError, ParameterError
from spec2x.params import coerce, defaults, export_params, load_params, parse_override, resolve
from spec2x.registry import STEPS, get_step


def test_defaults_are_jwst_defaults():
    d = defaults()
    assert list(d) == list(STEPS)
    assert d["resample_spec"]["pixfrac"] == 1.0
    assert d["extract_1d"]["extraction_type"] == "box"
    assert d["pixel_replace"]["skip"] is True
    assert d["assign_wcs"]["slit_y_low"] == -0.55
    assert all("skip" in values for values in d.values())
    assert all(p.help for spec in STEPS.values() for p in spec.params)


@pytest.mark.parametrize("suffix", [".asdf", ".yaml"])
def test_export_load_export_is_identical(tmp_path, suffix):
    params = resolve(overrides=["flat_field.inverse=true", "extract_1d.bkg_fit=poly"])
    first = export_params(tmp_path / f"a{suffix}", params)
    loaded = load_params(first)
    assert loaded == params
    second = export_params(tmp_path / f"b{suffix}", loaded)
    if suffix == ".yaml":
        assert first.read_text() == second.read_text()
    assert load_params(second) == loaded


def test_overrides_take_types_from_the_defaults():
    assert parse_override("--steps.flat_field.inverse=True") == ("flat_field", "inverse", True)
    assert parse_override("steps.resample_spec.pixfrac=0.5") == ("resample_spec", "pixfrac", 0.5)
    assert parse_override("extract_1d.bkg_order=2") == ("extract_1d", "bkg_order", 2)
    assert parse_override("extract_1d.bkg_order=none")[2] is None
    assert parse_override("resample_spec.output_shape=10,20")[2] == [10, 20]
    assert parse_override("extract_2d.slit_names=[S200A1, S200A2]")[2] == ["S200A1", "S200A2"]
    assert parse_override("srctype.source_type=POINT")[2] == "POINT"
    assert coerce("cube_build", "scalexy", 1) == 1.0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("flat_feild.inverse=true", "did you mean 'flat_field'"),
        ("flat_field.invers=true", "did you mean 'inverse'"),
        ("flat_field.inverse=maybe", "true/false"),
        ("resample_spec.kernel=gaussian", "square"),
        ("resample_spec.pixfrac=big", "pixfrac=.big.: not a number"),
        ("extract_1d.log_increment=none", "not an integer"),
        ("flat_field", "--steps.NAME.PARAM=VALUE"),
    ],
)
def test_bad_overrides(text, match):
    with pytest.raises(ParameterError, match=match):
        parse_override(text)


def test_skip_and_unknown_step():
    assert resolve(skip=["photom"])["photom"]["skip"] is True
    with pytest.raises(ParameterError, match="did you mean 'photom'"):
        resolve(skip=["photon"])
    with pytest.raises(ParameterError, match="did you mean 'pathloss'"):
        get_step("path_loss")


def test_file_errors(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        load_params(tmp_path / "none.asdf")
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: [\n")
    with pytest.raises(InputFileError, match="bad.yaml"):
        load_params(bad)
    typo = tmp_path / "typo.yaml"
    typo.write_text("steps:\n- name: flat_field\n  parameters: {invrse: true}\n")
    with pytest.raises(ParameterError, match="did you mean 'inverse'"):
        load_params(typo)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("steps:\n- name: flat_fielding\n  parameters: {}\n")
    with pytest.raises(ParameterError, match="did you mean 'flat_field'"):
        load_params(wrong)


def test_single_step_file_and_generic_parameters(tmp_path):
    path = tmp_path / "pars.yaml"
    path.write_text(
        "class: jwst.resample.resample_spec_step.ResampleSpecStep\nname: ResampleSpecStep\n"
        "parameters: {pixfrac: 0.7, output_dir: null, pre_hooks: [], suffix: s2d}\n"
    )
    assert load_params(path) == {"resample_spec": {"pixfrac": 0.7}}


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_export(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="cannot write"):
            export_params(folder / "p.asdf")
    finally:
        folder.chmod(0o700)


def test_export_to_missing_folder(tmp_path):
    with pytest.raises(OutputError, match="cannot write"):
        export_params(tmp_path / "nowhere" / "p.asdf")


@pytest.mark.parity
def test_jwst_loads_ours_and_we_load_jwsts(tmp_path, monkeypatch):
    pytest.importorskip("jwst")
    monkeypatch.setenv("STPIPE_DISABLE_CRDS_STEPPARS", "True")
    from jwst.pipeline import Spec2Pipeline

    ours = resolve(
        overrides=["flat_field.inverse=true", "resample_spec.pixfrac=0.5",
                   "extract_1d.bkg_fit=poly", "pixel_replace.skip=false"]
    )  # fmt: skip
    path = export_params(tmp_path / "spec2x.asdf", ours)
    pipe = Spec2Pipeline.from_config_file(str(path))
    assert pipe.flat_field.inverse is True
    assert pipe.resample_spec.pixfrac == 0.5
    assert pipe.extract_1d.bkg_fit == "poly"
    assert pipe.pixel_replace.skip is False
    assert pipe.photom.skip is False
    for name in STEPS:  # every value we export is the one jwst then uses
        step = getattr(pipe, name)
        for key, value in ours[name].items():
            assert getattr(step, key) == value, (name, key)
    Spec2Pipeline().export_config(str(tmp_path / "jwst.asdf"))
    assert load_params(tmp_path / "jwst.asdf") == defaults()
