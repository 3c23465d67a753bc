"""The offline-jwst harness: jwst steps run with overridden references and no CRDS."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from jwst_offline import OFFLINE_CONTEXT, jwst_offline_env, run_jwst_spec2, run_jwst_step

pytestmark = pytest.mark.parity

SHAPE = (16, 20)


def _miri_image(exp_type: str = "MIR_IMAGE"):
    from stdatamodels.jwst import datamodels

    rng = np.random.default_rng(7)
    model = datamodels.ImageModel(SHAPE)
    model.data = rng.uniform(1.0, 3.0, SHAPE).astype(np.float32)
    model.err = np.full(SHAPE, 0.1, np.float32)
    model.dq = np.zeros(SHAPE, np.uint32)
    model.var_poisson = np.full(SHAPE, 0.004, np.float32)
    model.var_rnoise = np.full(SHAPE, 0.006, np.float32)
    model.meta.instrument.name = "MIRI"
    model.meta.instrument.detector = "MIRIMAGE"
    model.meta.instrument.filter = "P750L" if exp_type.startswith("MIR_LRS") else "F770W"
    model.meta.exposure.type = exp_type
    model.meta.subarray.name = "FULL"
    model.meta.subarray.xstart, model.meta.subarray.ystart = 1, 1
    model.meta.subarray.xsize, model.meta.subarray.ysize = SHAPE[1], SHAPE[0]
    model.meta.observation.date = "2024-01-01"
    model.meta.observation.time = "00:00:00"
    return model


def _flat(path, value):
    from stdatamodels.jwst import datamodels

    flat = datamodels.FlatModel(SHAPE)
    flat.data = np.asarray(value, np.float32)
    flat.dq = np.zeros(SHAPE, np.uint32)
    flat.err = np.zeros(SHAPE, np.float32)
    flat.meta.instrument.name = "MIRI"
    flat.meta.reftype = "FLAT"
    flat.meta.subarray.xstart, flat.meta.subarray.ystart = 1, 1
    flat.meta.subarray.xsize, flat.meta.subarray.ysize = SHAPE[1], SHAPE[0]
    flat.meta.description = "test flat"
    flat.meta.author = "spec2x tests"
    flat.meta.pedigree = "DUMMY"
    flat.meta.useafter = "2000-01-01T00:00:00"
    flat.save(str(path))
    return path


def test_flat_field_step_runs_offline(tmp_path):
    pytest.importorskip("jwst")
    from jwst.flatfield import FlatFieldStep

    rng = np.random.default_rng(3)
    flat_values = rng.uniform(0.5, 2.0, SHAPE)
    flat = _flat(tmp_path / "flat.fits", flat_values)
    model = _miri_image()
    result = run_jwst_step(FlatFieldStep, model, {"flat": flat}, rest="N/A", tmp_path=tmp_path)
    assert result.meta.cal_step.flat_field == "COMPLETE"
    np.testing.assert_allclose(result.data, model.data / flat_values.astype(np.float32), rtol=1e-6)
    np.testing.assert_allclose(
        result.var_poisson, model.var_poisson / flat_values.astype(np.float32) ** 2, rtol=1e-6
    )
    assert result.meta.ref_file.flat.name.endswith("flat.fits")
    assert result.meta.ref_file.crds.context_used == OFFLINE_CONTEXT


def test_environment_is_restored(tmp_path):
    before = os.environ.get("CRDS_PATH")
    with jwst_offline_env(tmp_path) as crds_path:
        assert os.environ["CRDS_PATH"] == str(crds_path)
        assert os.environ["STPIPE_DISABLE_CRDS_STEPPARS"] == "True"
        with jwst_offline_env() as inner:  # nesting reuses the outer cache
            assert inner == crds_path
        assert (crds_path / "config" / "jwst" / "server_config").is_file()
    assert os.environ.get("CRDS_PATH") == before


def test_missing_override_is_refused_before_running():
    pytest.importorskip("jwst")
    from jwst.flatfield import FlatFieldStep

    with pytest.raises(ValueError, match="fflat, sflat, dflat"):
        run_jwst_step(FlatFieldStep, _miri_image(), {"flat": "N/A"})


def test_crds_lookup_fails_fast(tmp_path):
    """A reference jwst must look up is an error within seconds, never a hang."""
    pytest.importorskip("jwst")
    from crds.core.exceptions import CrdsError
    from jwst.flatfield import FlatFieldStep

    start = time.monotonic()
    with jwst_offline_env(tmp_path), pytest.raises(CrdsError):
        FlatFieldStep.call(_miri_image())
    assert time.monotonic() - start < 30


def test_spec2_pipeline_runs_offline(tmp_path):
    """Spec2Pipeline's reference prefetch is satisfied by the overrides.

    With assign_wcs skipped, jwst stops after it and writes nothing: this
    proves the pipeline machinery (prefetch, step parameters) asks CRDS nothing.
    """
    pytest.importorskip("jwst")
    rate = tmp_path / "jw01_rate.fits"
    _miri_image("MIR_LRS-FIXEDSLIT").save(str(rate))
    out = tmp_path / "out"
    out.mkdir()
    run = run_jwst_spec2(rate, {}, {"assign_wcs": {"skip": True}}, out)
    assert run.models == []
    assert run.files == {}
    with pytest.raises(ValueError, match="no step"):
        run_jwst_spec2(rate, {}, {"flat_fielding": {"skip": True}})
