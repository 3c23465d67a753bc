"""``--workers N`` on Linux: workers forked from the run's process after its imports, before
the cluster's threads; a killed one replaced; none left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import pytest

from spec2x.forked_workers import ForkedWorkers, can_fork
from spec2x.worker_log import this_process

linux = pytest.mark.skipif(sys.platform != "linux", reason="workers fork on Linux only")


def test_no_fork_while_another_thread_runs():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not can_fork()
    finally:
        stop.set()
        other.join()


def test_spec2x_run_with_workers_imports_with_one_blas_thread(monkeypatch):
    from spec2x import cluster
    from spec2x.cli import _for_workers

    preloaded = []
    monkeypatch.setattr(cluster, "preload", lambda: preloaded.append(True))
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the user's own setting stays
    with _for_workers(2):
        assert (os.environ["OPENBLAS_NUM_THREADS"], os.environ["OMP_NUM_THREADS"]) == ("1", "3")
    assert "OPENBLAS_NUM_THREADS" not in os.environ  # the environment left as it was
    assert preloaded == [True]  # what the workers need, imported before they fork
    with _for_workers(None):
        assert "OPENBLAS_NUM_THREADS" not in os.environ
    assert preloaded == [True]


@linux
def test_workers_never_started_end_when_closed():
    workers = ForkedWorkers(2)
    workers.close(timeout=20)
    for pid in workers.pids:
        with pytest.raises(ChildProcessError):  # reaped: no zombie left
            os.waitpid(pid, os.WNOHANG)


@linux
def test_a_forked_worker_is_another_process_to_the_warnings_relay():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, this_process().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 100).decode()
    os.waitpid(pid, 0)
    assert child
    assert child != this_process()  # its jobs' warnings come back, not lost


#: Run in a fresh interpreter (one thread, as ``spec2x run``; pytest's process may run others).
_SCRIPT = textwrap.dedent(
    """
    import gc, os, signal, sys, time
    from spec2x.cluster import local_cluster
    from spec2x.gc_tuning import GEN0_THRESHOLD

    def state():
        return (os.getppid(), "spec2x.steps.assign_wcs" in sys.modules,
                gc.get_freeze_count() > 0, gc.get_threshold()[0])

    def slow(seconds):
        time.sleep(seconds)
        return os.getpid()

    forked = []
    for _ in range(3):  # started and closed again: no hang, no process left
        with local_cluster(2) as client:
            client.wait_for_workers(2, timeout=60)
            seen = list(client.run(state).values())
            assert seen == [(os.getpid(), True, True, GEN0_THRESHOLD)] * 2, seen
            forked += client.run(os.getpid).values()
    with local_cluster(1) as client:  # its only worker killed mid-job: replaced, the job done
        client.wait_for_workers(1, timeout=60)
        (killed,) = client.run(os.getpid).values()
        job = client.submit(slow, 2, pure=False)
        while not any(client.processing().values()):
            time.sleep(0.05)
        os.kill(killed, signal.SIGKILL)
        assert job.result(timeout=180) != killed
        forked.append(killed)
    left = []
    for pid in forked:  # every forked worker ended and reaped (no zombie)
        try:
            os.kill(pid, 0)
            left.append(pid)
        except ProcessLookupError:
            pass
    print("forked workers left:", left)
    """
)


@linux
@pytest.mark.slow
def test_forked_workers_run_as_this_process_and_a_killed_one_is_replaced(tmp_path):
    pytest.importorskip("dask.distributed")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("forked workers left: []"), done.stdout
