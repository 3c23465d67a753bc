"""Jobs handed to a Dask cluster one per free worker, and to this process while workers start.

A cluster's workers take seconds to start (a process each, with its
imports).  Rather than wait, the process that started them runs jobs itself
until the workers it asked for have joined; from then on it only collects.
The cluster gets one job per worker at a time, the next as each ends, so
the jobs left are still free for this process to take and, at the end, no
worker sits on a queue of several while another is idle.
"""

from __future__ import annotations

import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["fed", "largest_first"]


def fed(
    client: Any,
    order: Sequence[int],
    submit: Callable[[int], Any],
    here: Callable[[int], Any] | None,
    workers: int,
) -> Iterator[tuple[int, Callable[[], Any]]]:
    """Run jobs ``order`` (indices, in the order to start them); yield each as it ends.

    Parameters
    ----------
    client : a ``dask.distributed.Client``.
    order : the jobs, first to start first.
    submit : sends job ``i`` to the cluster; returns its ``Future``.
    here : runs job ``i`` in this process and returns its result; None: never.
    workers : jobs in flight on the cluster at a time; this process runs jobs
        while fewer than ``workers`` workers have joined.

    Yields
    ------
    (i, outcome) : job ``i`` and what it returned when called: the job's result,
        or the exception that ended it on the cluster (a worker died, the job
        could not be sent ...) raised.
    """
    pending = deque(order)
    lock = threading.Lock()
    ended: queue.Queue[tuple[int, Callable[[], Any]]] = queue.Queue()

    def take() -> int | None:
        with lock:
            return pending.popleft() if pending else None

    def send() -> None:
        while (i := take()) is not None:
            try:
                future = submit(i)
            except Exception as exc:  # the client is closing: the job ends with the reason
                ended.put((i, _raise(exc)))
                continue
            future.add_done_callback(_then(i, ended, send))
            return

    for _ in range(min(workers, len(order))):
        send()
    left = len(order)
    while here is not None and len(client.nthreads()) < workers:
        i = take()
        if i is None:
            break
        yield i, _value(here(i))
        left -= 1
    for _ in range(left):
        yield ended.get()


def largest_first(inputs: Sequence[str]) -> list[int]:
    """Indices of ``inputs``, the largest local file first (no long job left to start last);
    folders (Zarr stores) and URLs count as empty, ties keep their order."""

    def size(i: int) -> int:
        path = inputs[i]
        return os.path.getsize(path) if "://" not in path and os.path.isfile(path) else 0

    return sorted(range(len(inputs)), key=lambda i: -size(i))


def _then(
    i: int, ended: queue.Queue[tuple[int, Callable[[], Any]]], send: Callable[[], None]
) -> Callable[[Any], None]:
    """What ends job ``i`` on the cluster: its outcome queued, the next job sent."""

    def done(future: Any) -> None:
        ended.put((i, future.result))
        send()

    return done


def _raise(exc: Exception) -> Callable[[], Any]:
    def outcome() -> Any:
        raise exc

    return outcome


def _value(result: Any) -> Callable[[], Any]:
    def outcome() -> Any:
        return result

    return outcome
