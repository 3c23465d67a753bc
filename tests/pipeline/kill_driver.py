"""Kill real runs with SIGKILL at chosen file operations (driven by test_fault_injection.py).

Usage: ``python kill_driver.py PLAN.json``.  The plan lists cases (format,
input, output folder, a folder of older products to copy in first or
null).  For each case a first child runs to the end and counts the file
operations of the run (every open for writing, create, rename, delete: each
counted before and after it happens); then, for each chosen point ``k``
(spread over the run, plus before and after every rename in the output
folder itself: where an old product is swapped for the new one), a
fresh output folder is made, a child is forked that kills itself with
SIGKILL at event ``k`` of its run, and, once it is dead, the next run's
clean-up (:func:`spec2x.io.atomic.recover`) is done in this process.

The parent never does Zarr or Dask work itself (forking is safe); the
results are written to ``PLAN.json``'s ``report`` as JSON.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import shutil
import signal
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pipeline_fakes import install_fake_steps  # noqa: E402

from spec2x.io.atomic import recover  # noqa: E402
from spec2x.scale import jobs_from_inputs, run_many  # noqa: E402

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT


class Killer:
    """Counts file events; SIGKILLs this process at event ``at`` (0: never)."""

    def __init__(self, at: int, top: str) -> None:
        self.at = at
        self.events = 0
        self.lock = threading.Lock()
        self.top = os.path.abspath(top)
        #: events of the renames into (or out of) the output folder itself
        self.moves: list[int] = []

    def tick(self) -> None:
        with self.lock:
            self.events += 1
            if self.events == self.at:
                os.kill(os.getpid(), signal.SIGKILL)

    def around(self, func, writes=None):
        def wrapped(*args, **kwargs):
            if writes is not None and not writes(*args, **kwargs):
                return func(*args, **kwargs)
            self.tick()
            out = func(*args, **kwargs)
            self.tick()
            return out

        return wrapped

    def install(self) -> None:
        def open_writes(file, mode="r", *args, **kwargs):
            return any(c in mode for c in "wax+")

        def os_open_writes(path, flags, *args, **kwargs):
            return bool(flags & _WRITE_FLAGS)

        opener = self.around(io.open, open_writes)
        io.open = builtins.open = opener
        os.open = self.around(os.open, os_open_writes)
        for name in ("mkdir", "unlink", "remove", "rmdir", "link"):
            setattr(os, name, self.around(getattr(os, name)))
        for name in ("replace", "rename"):
            setattr(os, name, self.around(getattr(os, name), self.note_move))

    def note_move(self, src, dst, *args, **kwargs) -> bool:
        if os.path.dirname(os.path.abspath(dst)) == self.top:
            self.moves.append(self.events + 1)
        return True


def _child(case: dict, at: int, count_file: str | None) -> None:
    """In the forked child: run the job with the killer armed, then leave at once."""
    signal.alarm(60)  # a child that hangs ends by SIGALRM, not SIGKILL: counted as not killed
    killer = Killer(at, case["run_dir"])
    killer.install()
    results = run_many(
        jobs_from_inputs([case["input"]]), output_dir=case["run_dir"], fmt=case["fmt"]
    )
    if count_file is not None:
        Path(count_file).write_text(json.dumps({"events": killer.events, "moves": killer.moves}))
    os._exit(0 if results[0].ok else 3)


def _fork(case: dict, at: int, count_file: str | None = None) -> int:
    """Run one child; return its wait status as (signal or -exit code)."""
    pid = os.fork()
    if pid == 0:  # child
        try:
            _child(case, at, count_file)
        finally:
            os._exit(4)
    _, status = os.waitpid(pid, 0)
    return os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status)


def _fresh(case: dict, name: str) -> str:
    run_dir = Path(case["out"]) / name
    if case["old"]:
        shutil.copytree(case["old"], run_dir)
    else:
        run_dir.mkdir(parents=True)
    return str(run_dir)


def _points(total: int, most: int) -> list[int]:
    """Up to ``most`` events spread evenly over 1..total (the first and last included)."""
    if total <= most:
        return list(range(1, total + 1))
    return sorted({1 + round(i * (total - 1) / (most - 1)) for i in range(most)})


def _warm_up(case: dict, folder: Path) -> None:
    """Import and load here what every child needs (once, not per child); start no thread."""
    import dask.array  # noqa: F401
    import xarray.backends.zarr  # noqa: F401
    import zarr.codecs  # noqa: F401
    import zarr.storage  # noqa: F401

    import spec2x.io.zarr_store  # noqa: F401

    folder.mkdir(parents=True)
    (result,) = run_many(jobs_from_inputs([case["input"]]), output_dir=folder, fmt="fits")
    assert result.ok, result.error
    assert threading.active_count() == 1, threading.enumerate()


def main(plan_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text())
    install_fake_steps(pytest.MonkeyPatch())
    _warm_up(plan["cases"][0], Path(plan["report"]).with_suffix(".warm"))
    report = []
    for case in plan["cases"]:
        count_file = str(Path(case["out"]) / "count.json")
        Path(case["out"]).mkdir(parents=True)
        case["run_dir"] = _fresh(case, "whole")
        assert _fork(case, 0, count_file) == 0, "the run without a kill failed"
        counted = json.loads(Path(count_file).read_text())
        total = counted["events"]
        moves = {m + i for m in counted["moves"] for i in (0, 1)}  # before and after each
        for at in sorted(set(_points(total, plan["points"])) | moves):
            case["run_dir"] = _fresh(case, f"kill{at:04d}")
            ended = _fork(case, at)
            found = recover(case["run_dir"])
            report.append(
                {
                    "case": case["name"],
                    "at": at,
                    "events": total,
                    "killed": ended == signal.SIGKILL,
                    "dir": case["run_dir"],
                    "restored": found.restored,
                    "removed": found.removed,
                }
            )
    Path(plan["report"]).write_text(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
