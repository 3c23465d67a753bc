"""The ``LocalCluster`` of ``--workers N``, its fixed cost paid once.

A worker process started the default way (``spawn``) imports numpy, xarray,
astropy and spec2x itself: the whole import floor, once per worker, and its
first exposure imports its steps' modules (asdf, gwcs, scipy ...).  Here,
on Linux, the workers are forked from this process once it has imported all
of that (:func:`preload`, :mod:`spec2x.forked_workers`), before the
scheduler's threads start; a forked worker that dies while the cluster runs
is replaced by one with a nanny, forked from a preloaded ``forkserver``
(:func:`start_forkserver`), the way every worker starts elsewhere (macOS,
or a caller already running threads; Windows spawns them).  Distributed's
defaults that cost CPU in every job or every moment are left out: the
statistical profiler sampling each worker's stack every 10 ms,
``MALLOC_TRIM_THRESHOLD_=65536`` (memory handed back to the system so eagerly
that every large array allocation faults its pages in again: a third more
system time for small exposures), and each server's event-loop health check
every 20 ms, system monitor every 0.5 s and memory monitor every 0.1 s (here
1 s, 10 s and 1 s: a tenth of a second of CPU a second of wall time in all,
for three processes, was a fifth of it).  The workers run as this process
does: the same allocator settings, one thread each.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "dask_setup",
    "local_cluster",
    "one_blas_thread",
    "preload",
    "slow_start",
    "start_forkserver",
]

_STEPS = Path(__file__).with_name("steps")
#: What every worker needs, imported before the workers fork (the steps are added).
_PRELOAD = (
    "distributed",
    "spec2x.scale",
    "spec2x.pipeline",
    "spec2x.io.fits",
    "spec2x.io.streaming",
    "spec2x.cluster",
)
#: distributed's own settings for its worker processes (``distributed.nanny.pre-spawn-environ``).
_ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

_CONFIG = {
    "distributed.worker.multiprocessing-method": "forkserver",
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.preload": ["spec2x.cluster"],  # its dask_setup
    "distributed.admin.tick.interval": "1s",  # still warns of a loop blocked for 3 s
    "distributed.admin.system-monitor.interval": "10s",
    "distributed.worker.memory.monitor-interval": "1s",
}


@contextlib.contextmanager
def local_cluster(workers: int, processes: bool = True) -> Iterator[Any]:
    """A ``Client`` of a new ``LocalCluster`` of ``workers`` single-threaded workers.

    The workers start in the background (the client is returned at once,
    before any has joined); they are processes forked from this one after
    :func:`preload` (Linux, while this process runs no other thread) or from
    a preloaded forkserver, or threads of this process (``processes=False``).
    The cluster is closed on leaving.
    """
    import dask
    from dask.distributed import Client, LocalCluster

    from .forked_workers import ForkedWorkers
    from .worker_replace import Replace

    config = dict(_CONFIG)
    if not _has_forkserver():  # Windows: workers spawned (each imports what it needs)
        del config["distributed.worker.multiprocessing-method"]
    with dask.config.set(config):  # for the whole run: a killed worker restarts the same way
        forked = None
        if processes and not slow_start():
            preload()
            forked = ForkedWorkers(workers)
        elif processes:
            start_forkserver()
        replace = Replace(forked.names if forked else [], start_forkserver)
        cluster = LocalCluster(
            n_workers=0,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
            scheduler_kwargs={"plugins": [replace]},
        )
        replace.cluster = cluster
        try:
            if forked is None:
                cluster.scale(workers)
            else:
                forked.start(cluster.scheduler_address)
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
            if forked is not None:
                forked.close()


def slow_start(processes: bool = True) -> bool:
    """Whether :func:`local_cluster`'s worker processes would start from a fresh interpreter or
    the forkserver now (seconds each), rather than fork from this process (Linux, no other
    thread running: they join at once); ``processes=False``: threads, False."""
    from .forked_workers import can_fork

    return processes and not can_fork()


def dask_setup(worker: Any) -> None:
    """distributed's hook, run in each worker process as it starts: garbage collection
    set as in ``spec2x run``'s own process (:func:`spec2x.gc_tuning.settle`; the
    modules the forkserver imported are then left out of collections)."""
    from .gc_tuning import settle

    settle()


def preload() -> None:
    """Import what every worker needs: ``distributed``, spec2x's pipeline and writers, and
    every step module (with what they import: asdf, gwcs, scipy ...) and the asdf plugins
    spec2x uses, which each worker's first exposure would load otherwise."""
    from ._asdf import spec2x_asdf

    for module in _preloaded():
        importlib.import_module(module)
    with spec2x_asdf():  # its asdf plugins loaded (each reference and product opens them)
        pass


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """One BLAS/OpenMP thread for the libraries loaded inside (read as they load), as
    distributed starts its workers; a setting in the environment stays, and the
    environment is left as it was."""
    unset = [name for name in _ONE_THREAD if name not in os.environ]
    os.environ.update({name: _ONE_THREAD[name] for name in unset})
    try:
        yield
    finally:
        for name in unset:
            del os.environ[name]


def start_forkserver() -> None:
    """Start the forkserver the workers will fork from where they are not forked from this
    process, importing what :func:`preload` imports, with one BLAS/OpenMP thread.

    Nothing happens if it is running already, or where there is no forkserver (Windows).
    """
    import multiprocessing
    import multiprocessing.forkserver

    if not _has_forkserver():
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_preloaded())
    with one_blas_thread():
        multiprocessing.forkserver.ensure_running()


def _preloaded() -> list[str]:
    import pkgutil

    steps = [m.name for m in pkgutil.iter_modules([str(_STEPS)], "spec2x.steps.")]
    return [*_PRELOAD, *steps]


def _has_forkserver() -> bool:
    import multiprocessing

    return "forkserver" in multiprocessing.get_all_start_methods()
