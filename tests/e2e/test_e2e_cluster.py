"""An existing dask.distributed cluster (``dask scheduler`` and ``dask worker`` processes
on 127.0.0.1): the same products as in one process, and a worker killed mid-run costs
nothing but time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from spec2x.io.fits import open_product
from spec2x.scale import jobs_from_inputs, run_many

distributed = pytest.importorskip("dask.distributed")


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-threaded workers (with nannies), as a user starts them."""
    info = tmp_path / "scheduler.json"
    procs = [
        _start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                "--port", "0", "--no-dashboard", "--scheduler-file", str(info)])
    ]  # fmt: skip
    deadline = time.monotonic() + 60
    while not info.exists():
        assert time.monotonic() < deadline, "dask scheduler did not start"
        time.sleep(0.2)
    for _ in range(2):
        procs.append(
            _start([sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                    str(info), "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"])
        )  # fmt: skip
    client = distributed.Client(scheduler_file=str(info), timeout=60)
    client.wait_for_workers(2, timeout=120)
    yield client
    client.close()
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _refs(manifest) -> Path:
    return Path(manifest["products"]["quicklook"]).parent / "refs"


def _kill_a_busy_worker(client, stop: threading.Event) -> list[int]:
    """SIGKILL the first worker seen running a job (its nanny starts a new one)."""
    killed: list[int] = []
    while not stop.is_set() and not killed:
        busy = [w for w, keys in client.processing().items() if keys]
        if busy:
            time.sleep(0.5)  # mid-job
            pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        time.sleep(0.1)
    return killed


@pytest.mark.slow
def test_existing_cluster_survives_a_killed_worker(demo_runs, cluster, tmp_path):
    manifest = demo_runs("mir_lrs_slitless")
    inputs = []
    for i in range(3):
        path = tmp_path / "in" / f"jw0{i}_rateints.fits"
        path.parent.mkdir(exist_ok=True)
        shutil.copy(manifest["input"], path)
        inputs.append(path)
    stop = threading.Event()
    killed: list[int] = []
    killer = threading.Thread(target=lambda: killed.extend(_kill_a_busy_worker(cluster, stop)))
    killer.start()
    try:
        results = run_many(
            jobs_from_inputs(inputs),
            scheduler=cluster.scheduler.address,
            refs_dir=str(_refs(manifest)),
            output_dir=tmp_path / "out",
        )
    finally:
        stop.set()
        killer.join()
    assert killed, "no worker was killed mid-run"
    assert [r.ok for r in results] == [True] * 3, [r.error for r in results]
    local = open_product(manifest["products"]["x1dints"])
    for r in results:
        ours = open_product(r.outputs["x1dints"])
        np.testing.assert_array_equal(ours["flux"].values, local["flux"].values)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
