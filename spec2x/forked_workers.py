"""Dask workers forked from this process once it has imported what the jobs need.

A forked worker starts with every module this process imported (spec2x, its
steps, ``distributed``): nothing imported twice, where a worker started from
a fresh interpreter or a ``forkserver`` imports it all again.  Forking is safe
only while this process runs no other thread (a lock another thread holds at
that moment stays held in the child for ever), so the workers are forked
before the cluster's event loop starts and wait, on a pipe, for the address
of its scheduler.  A second pipe, never written, tells them when this process
has gone: they end with it.  Linux only (:func:`can_fork`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
import uuid
from typing import NoReturn

__all__ = ["ForkedWorkers", "can_fork"]

#: Bytes of one scheduler address on the pipe (one ``os.write`` each, read whole).
_RECORD = 512


def can_fork() -> bool:
    """Whether workers may be forked from this process now: Linux, and no other thread."""
    return sys.platform == "linux" and threading.active_count() == 1


class ForkedWorkers:
    """``n`` single-threaded Dask worker processes forked from this one.

    Each waits for :meth:`start`, then serves the scheduler as a
    ``distributed.Worker`` named from :attr:`names` until the scheduler closes
    it, or this process ends.
    """

    def __init__(self, n: int) -> None:
        prefix = f"spec2x-forked-{uuid.uuid4().hex[:8]}"
        self.names = [f"{prefix}-{k}" for k in range(n)]
        for stream in (sys.stdout, sys.stderr):  # nothing buffered here is written twice
            stream.flush()
        address_r, self._address_w = os.pipe()
        alive_r, self._alive_w = os.pipe()
        self.pids: list[int] = []
        for name in self.names:
            pid = os.fork()
            if pid == 0:
                os.close(self._address_w)
                os.close(self._alive_w)
                _child(address_r, alive_r, name)
            self.pids.append(pid)
        os.close(address_r)
        os.close(alive_r)

    def start(self, address: str) -> None:
        """Hand every worker the scheduler's ``address`` (``tcp://host:port``)."""
        record = address.encode().ljust(_RECORD)
        for _ in self.pids:
            os.write(self._address_w, record)

    def close(self, timeout: float = 30.0) -> None:
        """Tell the workers this process is done with them and reap them; one still
        running after ``timeout`` seconds is killed."""
        os.close(self._address_w)
        os.close(self._alive_w)
        deadline = time.monotonic() + timeout
        for pid in self.pids:
            while _running(pid):
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                time.sleep(0.01)


def _running(pid: int) -> bool:
    """Whether child ``pid`` still runs (reaped if it has ended)."""
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:  # reaped already
        return False


def _child(address_r: int, alive_r: int, name: str) -> NoReturn:
    """A forked worker's whole life; it never returns into the caller's code."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt ends the parent: we follow
        address = os.read(address_r, _RECORD).decode().strip()
        if address:
            threading.Thread(target=_end_with_parent, args=(alive_r,), daemon=True).start()
            asyncio.run(_serve(address, name))
        code = 0
    finally:
        os._exit(code)  # neither this process's exit handlers nor its buffers


def _end_with_parent(alive_r: int) -> None:
    os.read(alive_r, 1)  # returns at end of file: every writer, the parent, has gone
    os._exit(0)


async def _serve(address: str, name: str) -> None:
    from distributed import Worker

    logging.getLogger("distributed").setLevel(logging.WARNING)  # as LocalCluster's workers
    async with Worker(address, nthreads=1, name=name) as worker:
        await worker.finished()
