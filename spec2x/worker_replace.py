"""A forked worker that leaves while its cluster runs is replaced by a worker with a nanny."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from distributed.core import Status
from distributed.diagnostics.plugin import SchedulerPlugin

__all__ = ["Replace"]


class Replace(SchedulerPlugin):  # type: ignore[misc]
    """A scheduler plugin: when a worker named in ``names`` (forked, no nanny: see
    :mod:`spec2x.forked_workers`) leaves while :attr:`cluster` runs (killed, or out of
    memory), the cluster is given one more worker of its own kind, with a nanny that
    restarts it if it dies in turn.  ``before`` runs first (it readies the way the new
    worker starts)."""

    def __init__(self, names: Sequence[str], before: Callable[[], None]) -> None:
        self.names = set(names)
        self.before = before
        self.addresses: set[str] = set()
        self.cluster: Any = None  # the LocalCluster, set once made

    def add_worker(self, scheduler: Any, worker: str) -> None:
        if scheduler.workers[worker].name in self.names:
            self.addresses.add(worker)

    def remove_worker(
        self, scheduler: Any, worker: str, *, stimulus_id: str, **kwargs: Any
    ) -> None:
        if worker not in self.addresses or self.cluster.status != Status.running:
            return
        self.addresses.discard(worker)
        self.before()
        self.cluster.scale(len(self.cluster.worker_spec) + 1)
