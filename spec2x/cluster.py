"""The ``LocalCluster`` of ``--workers N``, its fixed cost paid once.

A worker process started the default way (``spawn``) imports numpy, xarray,
astropy and spec2x itself: the whole import floor, once per worker, and its
first exposure imports its steps' modules (asdf, gwcs, scipy ...).  Here the
workers fork from a ``forkserver`` process that imported all of that once
(:func:`start_forkserver`).  Two of distributed's defaults that cost CPU in every
job are left out: the statistical profiler sampling each worker's stack
every 10 ms, and ``MALLOC_TRIM_THRESHOLD_=65536``, which hands memory back
to the system so eagerly that every large array allocation faults its pages
in again (a third more system time for small exposures).  The workers run
as this process does: the same allocator settings, one thread each.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["dask_setup", "local_cluster", "start_forkserver"]

_STEPS = Path(__file__).with_name("steps")
#: What every worker needs, imported once by the forkserver (the steps are added).
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
}


@contextlib.contextmanager
def local_cluster(workers: int, processes: bool = True) -> Iterator[Any]:
    """A ``Client`` of a new ``LocalCluster`` of ``workers`` single-threaded workers.

    The workers start in the background (the client is returned at once,
    before any has joined); they are processes forked from a preloaded
    forkserver, or threads of this process (``processes=False``).  The
    cluster is closed on leaving.
    """
    import dask
    from dask.distributed import Client, LocalCluster

    config = dict(_CONFIG)
    if not _has_forkserver():  # Windows: workers spawned (each imports what it needs)
        del config["distributed.worker.multiprocessing-method"]
    with dask.config.set(config):  # for the whole run: a killed worker restarts the same way
        if processes:
            start_forkserver()
        cluster = LocalCluster(
            n_workers=0, threads_per_worker=1, processes=processes, dashboard_address=None
        )
        try:
            cluster.scale(workers)
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()


def dask_setup(worker: Any) -> None:
    """distributed's hook, run in each worker process as it starts: garbage collection
    set as in ``spec2x run``'s own process (:func:`spec2x.gc_tuning.settle`; the
    modules the forkserver imported are then left out of collections)."""
    from .gc_tuning import settle

    settle()


def start_forkserver() -> None:
    """Start the forkserver the workers will fork from, importing ``distributed``, spec2x's
    pipeline and writers, and every step module (with what they import: asdf, gwcs,
    scipy ..., which each worker's first exposure would import otherwise).

    Called early (``spec2x run --workers N`` calls it before its own imports), it
    imports on one core while this process imports on another.  Nothing happens
    if it is running already, or where there is no forkserver (Windows).  It starts with one BLAS/OpenMP thread per process,
    as distributed starts workers (unless set otherwise in the environment); this
    process's environment is left as it was.
    """
    import multiprocessing
    import multiprocessing.forkserver
    import pkgutil

    if not _has_forkserver():
        return
    steps = [m.name for m in pkgutil.iter_modules([str(_STEPS)], "spec2x.steps.")]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([*_PRELOAD, *steps])
    unset = [name for name in _ONE_THREAD if name not in os.environ]  # a user's setting stays
    os.environ.update({name: _ONE_THREAD[name] for name in unset})
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        for name in unset:
            del os.environ[name]


def _has_forkserver() -> bool:
    import multiprocessing

    return "forkserver" in multiprocessing.get_all_start_methods()
