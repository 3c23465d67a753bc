"""Warnings raised in Dask worker processes (``--workers N``) reach the user's log.

Two small MIRI LRS slitless exposures run on a LocalCluster of 2 worker
processes, with ``photom`` given as N/A (the step logs a warning and skips)
and the second exposure all NaN (spec2 raises a ``Spec2xWarning``): both
come back to this process's log, each prefixed by its exposure, under the
logger that raised it.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from spec2x.io.fits import open_exposure, write_fits
from spec2x.scale import jobs_from_inputs, run_many
from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_exposures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("worker_log")
    obs = make_lrs_slitless_tso(folder / "tso", seed=1, nints=2)
    ds = open_exposure(obs.exposures[0]).load()
    empty = ds.assign(sci=ds["sci"].copy(data=np.full(ds["sci"].shape, np.nan, np.float32)))
    paths = [
        write_fits(ds, folder / "jw01_rateints.fits"),
        write_fits(
            empty.assign_attrs(FILENAME="jw02_rateints.fits"), folder / "jw02_rateints.fits"
        ),
    ]
    refs = {**{k: str(v) for k, v in obs.references.items()}, "photom": "N/A"}
    return paths, refs, folder


def test_worker_warnings_reach_the_log(two_exposures, caplog):
    pytest.importorskip("dask.distributed")
    paths, refs, folder = two_exposures
    with caplog.at_level(logging.WARNING):
        results = run_many(jobs_from_inputs(paths), workers=2, refs=refs, output_dir=folder / "out")
    assert [r.ok for r in results] == [True, True], [r.error for r in results]
    relayed = [(r.name, r.getMessage()) for r in caplog.records]
    for base in ("jw01", "jw02"):
        assert (
            "spec2x.steps.photom",
            f"{base}: photom: no photom reference (N/A); step skipped",
        ) in relayed, relayed
    empty = [m for name, m in relayed if name == "spec2x.warnings"]
    assert len(empty) == 1, relayed
    assert empty[0].startswith("jw02: Spec2xWarning: jw02_rateints.fits: the science array")
    assert results[1].messages  # carried in the result, as a scheduler's workers send it


def test_in_process_warnings_are_not_relayed_twice(two_exposures, caplog):
    paths, refs, folder = two_exposures
    with caplog.at_level(logging.WARNING):
        results = run_many(jobs_from_inputs(paths[:1]), refs=refs, output_dir=folder / "here")
    assert results[0].ok
    assert results[0].messages == []
    said = [r.getMessage() for r in caplog.records if "no photom reference" in r.getMessage()]
    assert said == ["photom: no photom reference (N/A); step skipped"]
