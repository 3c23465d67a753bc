"""The chain runner spec2(), with tiny stand-in step modules so its logic is tested on its own."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import xarray as xr
from pipeline_fakes import exposure

from spec2x import registry
from spec2x.errors import UnsupportedModeError
from spec2x.pipeline import run_step, spec2

_exposure = exposure


def _names(calls):
    return [c[0] for c in calls]


def test_products_follow_jwst(fake_steps):
    ds = _exposure()
    before = ds.copy(deep=True)
    products = spec2(ds, {})
    assert list(products) == ["cal", "s2d", "x1d"]
    assert _names(fake_steps) == ["assign_wcs", "srctype", "flat_field", "pathloss", "photom",
                                  "resample_spec", "extract_1d"]  # fmt: skip
    cal = products["cal"]
    np.testing.assert_allclose(cal["sci"], 2.0 * 0.5 * 3.0)
    assert cal.attrs["S_PHOTOM"] == "COMPLETE"
    assert "S_RESAMP" not in cal.attrs  # cal is the data before resampling
    np.testing.assert_allclose(products["s2d"]["sci"], 3.0 + 100.0)
    np.testing.assert_allclose(products["x1d"]["flux"], 4 * 103.0)  # extracted from s2d
    xr.testing.assert_identical(ds, before)


def test_multi_integration_products(fake_steps):
    products = spec2(_exposure("NRS_BRIGHTOBJ", nint=3), {})
    assert list(products) == ["calints", "x1dints"]
    assert products["x1dints"]["flux"].dims == ("integration", "spectral")


def test_ifu_extracts_from_the_cube(fake_steps):
    products = spec2(_exposure("MIR_MRS"), {})
    assert list(products) == ["cal", "s3d", "x1d"]
    np.testing.assert_allclose(products["x1d"]["flux"], 4 * (2.0 * 0.5 * 3.0 + 1000.0))


def test_soss_photom_converts_the_spectra(fake_steps):
    products = spec2(_exposure("NIS_SOSS", nint=2), {})
    assert _names(fake_steps)[-2:] == ["extract_1d", "photom"]
    np.testing.assert_allclose(products["calints"]["sci"], 1.0)  # no photom on the 2-D data
    np.testing.assert_allclose(products["x1dints"]["flux"], 4 * 1.0 * 3.0)
    assert products["x1dints"].attrs["S_PHOTOM"] == "COMPLETE"


def test_parameters_reach_the_steps(fake_steps):
    spec2(_exposure(), {}, {"flat_field": {"inverse": True}}, skip=["pathloss"])
    params = {name: p for name, p, _ in fake_steps}
    assert params["flat_field"]["inverse"] is True
    assert params["photom"]["apply_time_correction"] is True  # a default
    assert "pathloss" not in params


def test_parameter_file(fake_steps, tmp_path):
    from spec2x.params import export_params

    path = export_params(tmp_path / "p.asdf", {"resample_spec": {"pixfrac": 0.25}})
    spec2(_exposure(), {}, path)
    params = {name: p for name, p, _ in fake_steps}
    assert params["resample_spec"]["pixfrac"] == 0.25


def test_cube_build_gets_the_pipeline_setting(fake_steps):
    spec2(_exposure("NRS_IFU"), {})
    params = {name: p for name, p, _ in fake_steps}
    assert params["cube_build"]["skip_dqflagging"] is True  # Spec2Pipeline sets it


def test_on_step_sees_every_step(fake_steps):
    seen = []
    spec2(
        _exposure(),
        {},
        on_step=lambda name, ds: seen.append((name, float(ds[list(ds)[0]].values.flat[0]))),
    )
    assert [s[0] for s in seen] == _names(fake_steps)
    assert seen[2] == ("flat_field", 1.0)


def test_background_and_imprint_members(fake_steps):
    bkg = _exposure("NRS_IFU", value=0.5)
    imprint = _exposure("NRS_IFU", value=0.1)
    spec2(_exposure("NRS_IFU"), {}, members={"background": [bkg], "imprint": [imprint]})
    names = _names(fake_steps)
    # imprint subtraction runs on the science, then on each background (as jwst)
    assert names[:5] == ["assign_wcs", "msa_flagging", "imprint_subtract", "imprint_subtract",
                         "bkg_subtract"]  # fmt: skip
    bkg_seen = fake_steps[4][2]
    assert bkg_seen.attrs["EXP_TYPE"] == "NRS_IFU"
    np.testing.assert_allclose(fake_steps[3][2]["sci"], 0.5)  # the background went in ...


def test_not_implemented_step_fails_before_running(fake_steps, monkeypatch):
    spec = registry.STEPS["pathloss"]
    monkeypatch.setitem(
        registry.STEPS, "pathloss", dataclasses.replace(spec, module="spec2x.steps._no_such_step")
    )
    assert not registry.STEPS["pathloss"].implemented
    with pytest.raises(UnsupportedModeError) as info:
        spec2(_exposure(), {})
    message = str(info.value)
    assert "pathloss" in message
    assert "MIR_LRS-FIXEDSLIT" in message
    assert "--skip pathloss" in message
    assert fake_steps == []  # nothing ran
    assert "cal" in spec2(_exposure(), {}, skip=["pathloss"])


def test_skipping_assign_wcs_makes_nothing(fake_steps, caplog):
    assert spec2(_exposure(), {}, skip=["assign_wcs"]) == {}
    assert fake_steps == []


def test_association_input(fake_steps, tmp_path, monkeypatch):
    import spec2x.pipeline as pipeline

    opened = {}

    def fake_open(path):
        opened[str(path)] = True
        return _exposure("NRS_IFU", value=0.5 if "bkg" in str(path) else 2.0)

    monkeypatch.setattr(
        pipeline, "_open", lambda x, chunks=None: x if isinstance(x, xr.Dataset) else fake_open(x)
    )
    for name in ("sci_rate.fits", "bkg_rate.fits"):
        (tmp_path / name).write_bytes(b"")
    asn = tmp_path / "x_asn.json"
    asn.write_text(json.dumps({"products": [{"name": "x", "members": [
        {"expname": "sci_rate.fits", "exptype": "science"},
        {"expname": "bkg_rate.fits", "exptype": "background"}]}]}))  # fmt: skip
    products = spec2(asn, {})
    assert "bkg_subtract" in _names(fake_steps)
    assert set(opened) == {str(tmp_path / "sci_rate.fits"), str(tmp_path / "bkg_rate.fits")}
    assert "s3d" in products


def test_run_step_pipes(fake_steps):
    ds = _exposure()
    out = ds.pipe(run_step, "flat_field", {}, inverse=True).pipe(run_step, "photom")
    np.testing.assert_allclose(out["sci"], 2.0 * 0.5 * 3.0)
    assert fake_steps[0][1]["inverse"] is True


def test_wfss_needs_a_source_catalogue(fake_steps, tmp_path):
    from spec2x.errors import InputFileError

    with pytest.raises(InputFileError, match="sourcecat"):
        spec2(_exposure("NIS_WFSS"), {})
    cat = tmp_path / "jw_cat.ecsv"
    seg = tmp_path / "jw_segm.fits"
    products = spec2(_exposure("NIS_WFSS"), {}, members={"sourcecat": [cat], "segmap": [seg]})
    first = fake_steps[0][2]
    assert first.attrs["SCATFILE"] == "jw_cat.ecsv"
    assert first.attrs["SEGMFILE"] == "jw_segm.fits"
    assert set(products) == {"cal", "x1d"}
    assert _names(fake_steps)[:4] == ["assign_wcs", "bkg_subtract", "flat_field", "extract_2d"]
    ds = _exposure("NRC_WFSS")
    ds.attrs["SCATFILE"] = "given_cat.ecsv"
    assert "cal" in spec2(ds, {})


def test_a_step_may_update_members(fake_steps, monkeypatch):
    import sys

    module = sys.modules[registry.STEPS["badpix_selfcal"].module]
    seen = {}

    def selfcal(ds, ctx):
        flagged = [b.assign(dq=b["dq"] | 1) for b in ctx.members["background"]]
        return ds, {"background": flagged}

    def bkg(ds, ctx):
        seen["dq"] = int(ctx.members["background"][0]["dq"].max())
        return ds

    monkeypatch.setattr(module, "from_chain", selfcal)
    monkeypatch.setattr(sys.modules[registry.STEPS["bkg_subtract"].module], "from_chain", bkg)
    spec2(_exposure(), {}, {"badpix_selfcal": {"skip": False}},
          members={"background": [_exposure(value=0.5)]})  # fmt: skip
    assert seen["dq"] == 1


def test_chunked_input_stays_lazy(fake_steps, tmp_path):
    from spec2x.io.fits import write_fits

    path = write_fits(_exposure("NRS_BRIGHTOBJ", nint=4), tmp_path / "jw_rateints.fits")
    products = spec2(path, {}, chunks={"integration": 2})
    assert fake_steps[0][2]["sci"].chunks[0] == (2, 2)
    cal = products["calints"]
    assert cal["sci"].chunks is not None
    np.testing.assert_allclose(cal["sci"].values, 2.0 * 0.5 * 3.0)
