"""``--workers N``: jobs fed one per free worker, run here while workers start; the cluster's
workers fork from this process after its imports (Linux) or from a forkserver that imported
spec2x and its steps."""

from __future__ import annotations

import os
import sys

import pytest

from spec2x.gc_tuning import GEN0_THRESHOLD
from spec2x.job_feed import fed, largest_first


class _Future:
    """A job on a fake cluster: ends when the test says so."""

    def __init__(self, i: int) -> None:
        self.i = i
        self.callbacks: list = []

    def add_done_callback(self, fn) -> None:
        self.callbacks.append(fn)

    def finish(self) -> None:
        for fn in self.callbacks:
            fn(self)

    def result(self) -> str:
        return f"cluster {self.i}"


class _Client:
    """Workers joined as the test sets ``joined``."""

    joined = 0

    def nthreads(self) -> dict[int, int]:
        return dict.fromkeys(range(self.joined), 1)


def test_jobs_run_here_until_the_workers_join_and_one_per_worker_is_sent():
    client, sent = _Client(), {}

    def submit(i: int) -> _Future:
        sent[i] = _Future(i)
        return sent[i]

    def here(i: int) -> str:
        if i == 2:  # the workers join while this process runs its second job
            client.joined = 2
        return f"here {i}"

    ends = fed(client, [5, 4, 3, 2, 1, 0], submit, here, 2)
    assert [(i, outcome()) for i, outcome in (next(ends), next(ends))] == [
        (3, "here 3"),
        (2, "here 2"),
    ]
    assert list(sent) == [5, 4]  # one job per worker, the rest left for this process
    sent[4].finish()  # a worker is free: the next job goes to it
    assert list(sent) == [5, 4, 1]
    i, outcome = next(ends)
    assert (i, outcome()) == (4, "cluster 4")
    for k in (5, 1, 0):
        sent[k].finish()
    assert sorted(i for i, _ in ends) == [0, 1, 5]  # no job twice, none lost


def test_a_job_that_cannot_be_sent_ends_with_the_reason():
    def submit(i: int) -> _Future:
        raise RuntimeError(f"client closed before job {i}")

    ends = list(fed(_Client(), [0, 1], submit, None, 1))
    assert [i for i, _ in ends] == [0, 1]
    with pytest.raises(RuntimeError, match="before job 1"):
        ends[1][1]()


@pytest.mark.slow
def test_workers_fork_with_spec2x_imported_and_run_as_this_process():
    pytest.importorskip("dask.distributed")
    from spec2x.cluster import local_cluster

    def state() -> tuple[bool, str | None, bool, int, bool]:  # in the worker (by value)
        import gc

        import dask

        return (
            "spec2x.steps.assign_wcs" in sys.modules,
            os.environ.get("MALLOC_TRIM_THRESHOLD_"),
            dask.config.get("distributed.worker.profile.enabled"),
            gc.get_threshold()[0],
            gc.get_freeze_count() > 0,
        )

    with local_cluster(1) as client:
        client.wait_for_workers(1, timeout=120)
        (seen,) = client.run(state).values()
    assert seen == (True, None, False, GEN0_THRESHOLD, True)


def test_largest_input_first(tmp_path):
    sizes = {"small": 10, "large": 300, "mid": 100}
    for name, n in sizes.items():
        (tmp_path / name).write_bytes(b"x" * n)
    (tmp_path / "store.zarr").mkdir()
    inputs = [str(tmp_path / n) for n in ("small", "store.zarr", "large", "mid")]
    inputs.append("s3://bucket/x_rate.zarr")
    assert largest_first(inputs) == [2, 3, 0, 1, 4]  # folders and URLs last, in their order
