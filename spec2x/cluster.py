"""The ``LocalCluster`` of ``--workers N``, its fixed cost paid once.

A worker process started the default way (``spawn``) imports numpy, xarray,
astropy and spec2x itself: the whole import floor, once per worker.  Here
the workers fork from a ``forkserver`` process that imported the spec2x
modules this process has imported (and ``distributed``) once, before the
first worker starts.  Two of distributed's defaults that cost CPU in every
job are left out: the statistical profiler sampling each worker's stack
every 10 ms, and ``MALLOC_TRIM_THRESHOLD_=65536``, which hands memory back
to the system so eagerly that every large array allocation faults its pages
in again (a third more system time for small exposures).  The workers run
as this process does: the same allocator settings, one thread each.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["local_cluster"]

_CONFIG = {
    "distributed.worker.multiprocessing-method": "forkserver",
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
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

    with dask.config.set(_CONFIG):  # for the whole run: a killed worker restarts the same way
        if processes:
            _preload_forkserver()
        cluster = LocalCluster(
            n_workers=0, threads_per_worker=1, processes=processes, dashboard_address=None
        )
        try:
            cluster.scale(workers)
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()


def _preload_forkserver() -> None:
    """Have the forkserver import ``distributed``, the spec2x modules imported here and
    every step module (with what they import: asdf, gwcs, scipy ... which a worker's
    first exposure would import otherwise).

    Takes effect when the forkserver starts (at the first worker of the
    process); distributed's own preload list (its dependencies) is replaced.
    """
    import pkgutil

    from distributed.utils import get_mp_context

    from . import steps

    ours = {name for name in sys.modules if name.startswith("spec2x.")}
    ours |= {m.name for m in pkgutil.iter_modules(steps.__path__, "spec2x.steps.")}
    get_mp_context().set_forkserver_preload(["distributed", *sorted(ours)])
