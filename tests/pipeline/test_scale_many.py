"""Many exposures: in this process, on a LocalCluster, on an existing scheduler; failures kept."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from pipeline_fakes import exposure

from spec2x.errors import InputFileError, OutputError
from spec2x.io.fits import open_product, write_fits
from spec2x.scale import Job, jobs_from_inputs, output_base, run_many


@pytest.fixture
def inputs(tmp_path):
    paths = []
    for i, value in enumerate((1.0, 2.0, 4.0)):
        ds = exposure("MIR_LRS-SLITLESS", value=value, name=f"jw0{i}_rate.fits")
        paths.append(write_fits(ds, tmp_path / f"jw0{i}_rate.fits"))
    bad = tmp_path / "jw09_rate.fits"
    bad.write_text("not a FITS file")
    return [*paths, bad]


def test_output_base():
    assert output_base("/a/b/jw01_nrs1_rate.fits") == "jw01_nrs1"
    assert output_base("jw01_rateints.fits") == "jw01"
    assert output_base("x_cal.zarr") == "x"
    assert output_base("plain.fits") == "plain"


def test_jobs_from_association(tmp_path):
    for name in ("a_rate.fits", "b_rate.fits", "cat.ecsv"):
        (tmp_path / name).write_bytes(b"")
    asn = tmp_path / "x_asn.json"
    asn.write_text(json.dumps({"products": [
        {"name": "pa", "members": [{"expname": "a_rate.fits", "exptype": "science"},
                                   {"expname": "cat.ecsv", "exptype": "sourcecat"}]},
        {"name": "pb", "members": [{"expname": "b_rate.fits", "exptype": "science"}]}]}))  # fmt: skip
    jobs = jobs_from_inputs([asn, tmp_path / "a_rate.fits"])
    assert [j.base for j in jobs] == ["pa", "pb", "a"]
    assert jobs[0].members == {"sourcecat": [str(tmp_path / "cat.ecsv")]}
    assert jobs[0].source == str(asn)
    with pytest.raises(InputFileError, match="does not exist"):
        jobs_from_inputs([tmp_path / "missing_rate.fits"])


def _check(results, out_dir):
    assert [r.base for r in results] == ["jw00", "jw01", "jw02", "jw09"]
    assert [r.ok for r in results] == [True, True, True, False]
    failed = results[-1]
    assert failed.user_error
    assert "jw09_rate.fits" in failed.error
    assert "Traceback" in failed.traceback
    for r, value in zip(results[:3], (1.0, 2.0, 4.0), strict=True):
        assert set(r.outputs) == {"cal", "x1d"}
        np.testing.assert_allclose(open_product(r.outputs["cal"])["sci"], value * 1.5)
    assert sorted(os.listdir(out_dir)) == sorted(
        f"jw0{i}_{s}.fits" for i in range(3) for s in ("cal", "x1d")
    )


def test_in_process(fake_steps, inputs, tmp_path):
    out_dir = tmp_path / "out"
    _check(run_many(jobs_from_inputs(inputs), output_dir=out_dir), out_dir)


@pytest.mark.slow
def test_local_cluster(fake_steps, inputs, tmp_path):
    pytest.importorskip("dask.distributed")
    out_dir = tmp_path / "out"
    results = run_many(jobs_from_inputs(inputs), workers=2, processes=False, output_dir=out_dir)
    _check(results, out_dir)


@pytest.mark.slow
def test_existing_scheduler(fake_steps, inputs, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    out_dir = tmp_path / "out"
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        results = run_many(
            jobs_from_inputs(inputs), scheduler=cluster.scheduler_address, output_dir=out_dir
        )
    _check(results, out_dir)


def test_refuses_an_unwritable_output_dir(fake_steps, inputs, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match="cannot write to output folder"):
        run_many([Job(str(inputs[0]), "jw00")], output_dir=blocker / "sub")
    assert fake_steps == []


@pytest.mark.slow
def test_worker_processes_report_failures(tmp_path):
    """Real worker processes: every job's failure comes back with its message."""
    pytest.importorskip("dask.distributed")
    bad = []
    for i in range(2):
        path = tmp_path / f"jw1{i}_rate.fits"
        path.write_text("not FITS")
        bad.append(path)
    results = run_many(jobs_from_inputs(bad), workers=1, output_dir=tmp_path / "out")
    assert [r.ok for r in results] == [False, False]
    assert all(r.user_error for r in results)
    assert [r.base for r in results] == ["jw10", "jw11"]
    assert "jw11_rate.fits" in results[1].error
    assert os.listdir(tmp_path / "out") == []


def test_zarr_to_object_storage(fake_steps, inputs):
    from spec2x.io.zarr_store import open_zarr

    url = "memory://spec2x-scale-test/out"
    results = run_many(jobs_from_inputs(inputs[:1]), output_dir=url, fmt="zarr")
    assert results[0].ok, results[0].error
    assert set(results[0].outputs) == {"cal", "x1d"}
    cal = open_zarr(results[0].outputs["cal"])
    np.testing.assert_allclose(cal["sci"], 1.5)
    fits_remote = run_many(jobs_from_inputs(inputs[:1]), output_dir=url, fmt="fits")
    assert not fits_remote[0].ok
    assert "--format zarr" in fits_remote[0].error
