"""Warnings from a job run in another process, carried back to the user's log.

A ``--workers N`` or ``--scheduler`` run calibrates each exposure in a Dask
worker process, whose log records and Python warnings would otherwise end
on that worker's stderr (or nowhere), never in the ``--log-file`` or on the
console of the process the user started.  :func:`captured` collects them in
the worker (records of the ``spec2x`` loggers at WARNING and above, and
Python warnings) and :func:`replay` logs them again in the parent, each under
its own logger name and level, prefixed by the job.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
import warnings
from collections.abc import Iterator, Sequence

from .errors import Spec2xWarning

__all__ = ["Message", "captured", "replay", "this_process"]

_PROCESS = [uuid.uuid4().hex]
if hasattr(os, "register_at_fork"):  # a forked worker is another process
    os.register_at_fork(after_in_child=lambda: _PROCESS.__setitem__(0, uuid.uuid4().hex))


def this_process() -> str:
    """This process's id: a job run where it differs from the caller's runs elsewhere (a
    process forked from this one has its own)."""
    return _PROCESS[0]


#: (logger name, level, message) of one record or warning.
Message = tuple[str, int, str]

_WARNINGS_LOGGER = "spec2x.warnings"


class _Collect(logging.Handler):
    def __init__(self, into: list[Message]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append((record.name, record.levelno, record.getMessage()))


@contextlib.contextmanager
def captured(into: list[Message]) -> Iterator[None]:
    """Collect into ``into`` the ``spec2x`` log records (WARNING and above) and the Python
    warnings raised inside the block, by any thread of this process; they are not shown here.
    Meant for a worker process running one job at a time."""
    logger = logging.getLogger("spec2x")
    handler = _Collect(into)
    saved = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False  # the worker's own stderr would show them a second time
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", Spec2xWarning)  # each one, as `spec2x run` shows
            try:
                yield
            finally:  # a job that fails keeps the warnings it raised before
                for w in caught:
                    text = " ".join(str(w.message).split())
                    into.append(
                        (_WARNINGS_LOGGER, logging.WARNING, f"{w.category.__name__}: {text}")
                    )
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved


def replay(messages: Sequence[Message], job: str) -> None:
    """Log ``messages`` (from :func:`captured` in another process) here, as ``job: message``."""
    for name, level, text in messages:
        logging.getLogger(name).log(level, "%s: %s", job, text)
