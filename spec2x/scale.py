"""Many exposures: each through :func:`spec2x.spec2` and written out, on dask.distributed.

An input is a rate/rateints file or a level-2 association (one job per
product).  :func:`run_many` runs the jobs one after the other in this
process, or on a ``LocalCluster`` of ``workers`` processes, or on an existing
cluster (``scheduler`` address).  Every job ends as a :class:`JobResult`:
a failure is recorded with its message and traceback and the other jobs go
on; nothing is lost.

Products are first written into a hidden staging folder inside the output
folder and moved into place only when all of an exposure's products are
written, so a failed exposure leaves no partial files behind; a product
replaces an older one without ever leaving neither whole
(:func:`spec2x.io.atomic.replace`).  A run first cleans the output folder of
what killed runs left there (:func:`spec2x.io.atomic.recover`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import xarray as xr

from .errors import InputFileError, OutputError, Spec2xError
from .worker_log import Message, captured, replay, this_process

__all__ = [
    "Job",
    "JobResult",
    "ensure_output_dir",
    "jobs_from_inputs",
    "output_base",
    "process_job",
    "run_many",
]

log = logging.getLogger(__name__)

Format = Literal["fits", "zarr"]

_LEVEL2_SUFFIX = re.compile(r"_(rate|rateints|cal|calints|bsub|bsubints)$")


def output_base(path: str | os.PathLike[str]) -> str:
    """The jwst output base of an input file: its name without folder, extension and ``_rate``."""
    stem = Path(os.fspath(path)).name.split(".")[0]
    return _LEVEL2_SUFFIX.sub("", stem)


@dataclass(frozen=True)
class Job:
    """One exposure to calibrate.

    Attributes
    ----------
    science : the science exposure file.
    base : output base name (``<base>_cal.fits`` ...).
    members : other association members by role (file paths).
    source : the input as given (the exposure or the association).
    """

    science: str
    base: str
    members: Mapping[str, Sequence[str]] = field(default_factory=dict)
    source: str = ""


def jobs_from_inputs(inputs: Iterable[str | os.PathLike[str]]) -> list[Job]:
    """One :class:`Job` per exposure file, and per product of each association (``.json``)."""
    from .io.association import read_association

    jobs = []
    for item in inputs:
        text = os.fspath(item)
        if text.endswith(".json"):
            asn = read_association(text)
            for product in asn.products:
                members = {role: [str(p) for p in paths] for role, paths in product.members.items()}
                jobs.append(Job(str(product.science), product.name, members, text))
        else:
            if not _input_exists(text):
                raise InputFileError(f"input {text} does not exist")
            jobs.append(Job(text, output_base(text), {}, text))
    return jobs


def _input_exists(text: str) -> bool:
    """An exposure file, or a Zarr store (a folder locally, a prefix on object storage)."""
    from .pipeline import is_zarr

    if is_remote(text):
        import fsspec

        fs, path = fsspec.core.url_to_fs(text)
        return bool(fs.exists(path))
    return Path(text).is_dir() if is_zarr(text) else Path(text).is_file()


def is_remote(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an fsspec URL (``s3://…``, ``memory://…``) rather than a local folder."""
    return "://" in os.fspath(path)


def ensure_output_dir(path: str | os.PathLike[str]) -> Path:
    """Create the output folder if needed and check it can be written.

    Raises
    ------
    OutputError
        The folder cannot be created or written.
    """
    if is_remote(path):
        return Path(os.fspath(path))  # checked by the Zarr writer
    from .io.atomic import temp_path

    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = temp_path(folder / "spec2x-check")  # owned: a killed run's is cleaned
        probe.touch(exist_ok=False)
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputError(
            f"cannot write to output folder {folder}: {reason}; choose another with --output-dir"
        ) from None
    return folder


def process_job(
    job: Job,
    *,
    refs: Mapping[str, str] | None = None,
    refs_dir: str | os.PathLike[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    output_dir: str | os.PathLike[str] = ".",
    fmt: Format = "fits",
    save_steps: bool = False,
    crds_path: str | os.PathLike[str] | None = None,
    strict_refs: bool = False,
    chunks: int | Literal["auto"] | None = None,
) -> dict[str, str]:
    """Calibrate one exposure and write its products; return suffix -> path written.

    Parameters
    ----------
    job : the exposure.
    refs : explicit references, reftype -> path (or "N/A").
    refs_dir : a folder of CRDS-format reference files.
    params : step parameters (already resolved, or partial).
    output_dir : where products go (created if missing).
    fmt : ``fits`` (jwst-compatible) or ``zarr``.
    save_steps : also write each step's output as ``<base>_<step>``.
    crds_path : a CRDS cache to select the references not given otherwise
        (its context: ``CRDS_CONTEXT``, else the cache's own).
    strict_refs : a type missing from ``refs_dir`` is an error even where
        jwst could do without it (see ``docs/references.md``).
    chunks : integrations per chunk to read the input in (its products then
        stream to disk, :mod:`spec2x.io.streaming`); ``"auto"`` for files
        over the memory budget (:func:`~spec2x.io.streaming.auto_chunk_limit`:
        1 GB, or a quarter of the memory available if less); None reads it whole (a Zarr input keeps its chunks).
    """
    from .io import atomic
    from .io.association import check_product_name
    from .io.crds_cache import CrdsCache
    from .io.references import ReferenceSet
    from .io.streaming import input_chunks, is_lazy, write_products

    check_product_name(job.base, job.source or job.science)  # never write outside output_dir
    cache = CrdsCache(crds_path) if crds_path else None
    refset = ReferenceSet(refs, refs_dir, crds_cache=cache, strict=strict_refs)
    opened = input_chunks(job.science, chunks)
    if is_remote(output_dir):
        if fmt != "zarr":
            raise OutputError(
                f"{output_dir}: only Zarr products go to object storage; add --format zarr"
            )
        url = os.fspath(output_dir).rstrip("/")
        return _process_remote(job, refset, params, url, save_steps, opened)
    folder = ensure_output_dir(output_dir)
    staging = atomic.staging_dir(folder, job.base)
    try:
        on_step = None
        if save_steps:

            def on_step(step: str, ds: xr.Dataset) -> None:
                write_products({step: ds}, staging, job.base, fmt)

        def on_product(suffix: str, ds: xr.Dataset) -> bool:
            """An eager ``cal`` is written before extract_1d (its writer's memory freed
            by then); lazy products are written together, in one pass, at the end."""
            if is_lazy(ds):
                return False
            write_products({suffix: ds}, staging, job.base, fmt)
            return True

        products = _calibrate(job, refset, params, on_step, opened, on_product)
        with threads_scheduler():
            write_products(products, staging, job.base, fmt)
        written = {}
        inputs = {Path(job.science).resolve()}
        inputs |= {Path(p).resolve() for paths in job.members.values() for p in paths}
        clash = [
            item.name for item in staging.iterdir() if (folder / item.name).resolve() in inputs
        ]
        if clash:
            raise OutputError(
                f"{folder / clash[0]} is an input of this run and would be overwritten; "
                "choose another --output-dir"
            )
        for item in sorted(staging.iterdir()):
            final = folder / item.name
            atomic.replace(item, final)
            written[item.name[len(job.base) + 1 :].split(".")[0]] = str(final)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _process_remote(
    job: Job,
    refset: Any,
    params: Mapping[str, Mapping[str, Any]] | None,
    url: str,
    save_steps: bool,
    chunks: Mapping[str, int] | None,
) -> dict[str, str]:
    """Zarr stores straight to object storage (no staging: each store is written whole)."""
    from .io.streaming import store_all

    written: dict[str, str] = {}

    def put(name: str, ds: xr.Dataset) -> None:
        written.update(store_all({name: ds}, url, job.base))

    products = _calibrate(job, refset, params, put if save_steps else None, chunks)
    with threads_scheduler():
        written.update(store_all(products, url, job.base))
    return written


def threads_scheduler() -> contextlib.AbstractContextManager[Any]:
    """Dask's threads scheduler for what runs inside (also inside a distributed worker).

    Nothing to set, and Dask not imported, while ``dask`` is not imported: no
    distributed client exists then, and the Dask arrays made inside (a chunked
    input) compute with threads by default.
    """
    if "dask" not in sys.modules:
        return contextlib.nullcontext()
    import dask

    return dask.config.set(scheduler="threads")


def _calibrate(
    job: Job,
    refset: Any,
    params: Mapping[str, Mapping[str, Any]] | None,
    on_step: Callable[[str, xr.Dataset], None] | None,
    chunks: Any,
    on_product: Callable[[str, xr.Dataset], bool] | None = None,
) -> dict[str, xr.Dataset]:
    """``spec2`` on the job's exposure, products left for the caller to write (lazy where
    ``chunks`` makes the input lazy) but those ``on_product`` writes; Dask's threads
    scheduler, also inside a distributed worker."""
    from .pipeline import spec2

    with threads_scheduler():
        return spec2(
            job.science,
            refset,
            params,
            members=job.members,
            on_step=on_step,
            intermediate_only=True,
            chunks=chunks,
            on_product=on_product,
        )


@dataclass
class JobResult:
    """How one job ended.

    Attributes
    ----------
    source, science, base : which job.
    ok : whether all its products were written.
    outputs : product suffix -> path.
    error : the error message, on one line, when it failed.
    error_type : the exception class name.
    user_error : the failure is a spec2x error (bad input, missing reference ...)
        rather than a crash.
    traceback : the full traceback text of a failure.
    seconds : wall time.
    messages : warnings the job raised in a worker process (logger, level, text),
        logged again by the caller (:mod:`spec2x.worker_log`).
    """

    source: str
    science: str
    base: str
    ok: bool
    outputs: dict[str, str] = field(default_factory=dict)
    error: str = ""
    error_type: str = ""
    user_error: bool = False
    traceback: str = ""
    seconds: float = 0.0
    messages: list[Message] = field(default_factory=list)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


#: The caller of a job run in this process while its worker processes start: no process,
#: so that the job's warnings are relayed as the workers' are (one log format per run).
_ALONGSIDE = ""


def _run_one(job: Job, kwargs: Mapping[str, Any], caller: str | None = None) -> JobResult:
    """Run ``job``; in a process other than the ``caller``'s (its ``this_process()``; None:
    this one), its warnings come back in :attr:`JobResult.messages`."""
    start = time.perf_counter()
    messages: list[Message] = []
    relay = captured(messages) if caller not in (None, this_process()) else contextlib.nullcontext()
    try:
        with relay:
            outputs = process_job(job, **kwargs)
    except Exception as exc:  # recorded, never lost: the caller reports it
        return JobResult(
            job.source,
            job.science,
            job.base,
            False,
            error=_one_line(exc),
            error_type=type(exc).__name__,
            user_error=isinstance(exc, Spec2xError),
            traceback=traceback.format_exc(),
            seconds=time.perf_counter() - start,
            messages=messages,
        )
    return JobResult(
        job.source, job.science, job.base, True, outputs, seconds=time.perf_counter() - start,
        messages=messages,
    )  # fmt: skip


def run_many(
    jobs: Sequence[Job],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
    **kwargs: Any,
) -> list[JobResult]:
    """Run the jobs; return one :class:`JobResult` per job, in order.

    Parameters
    ----------
    jobs : the exposures (see :func:`jobs_from_inputs`).
    workers : run on a new ``LocalCluster`` with this many workers
        (one thread each); None and no ``scheduler``: run here, one by one.
    scheduler : address of an existing dask scheduler (``tcp://host:8786``).
    processes : LocalCluster workers are processes (True) or threads.
    **kwargs : passed to :func:`process_job` (refs, refs_dir, params,
        output_dir, fmt, save_steps).
    """
    if workers is not None and scheduler is not None:
        raise OutputError("give either workers or scheduler, not both")
    started = time.time()
    if "output_dir" in kwargs:
        ensure_output_dir(kwargs["output_dir"])  # fail before any work
        _recover(kwargs["output_dir"], started)
    if workers is None and scheduler is None:
        done = []
        for job in jobs:
            done.append(_run_one(job, kwargs))
            _log_result(done[-1])
        return done
    from dask.distributed import Client

    from .cluster import local_cluster, slow_start
    from .job_feed import fed, largest_first

    if workers is not None and workers < 1:
        raise OutputError(f"--workers must be at least 1, not {workers}")
    connect: contextlib.AbstractContextManager[Any]
    if scheduler is not None:
        connect, here, slots = Client(scheduler), None, len(jobs)  # its workers: all jobs at once
    else:  # jobs run here while workers start, unless they fork from here (they join at once)
        slots, connect = workers or 1, local_cluster(workers or 1, processes)
        here = (lambda i: _run_one(jobs[i], kwargs, _ALONGSIDE)) if slow_start(processes) else None
    results: list[JobResult | None] = [None] * len(jobs)
    order = largest_first([job.science for job in jobs])
    with connect as client:

        def submit(i: int) -> Any:
            key = f"spec2x-{i}-{jobs[i].base}"
            return client.submit(_run_one, jobs[i], kwargs, this_process(), pure=False, key=key)

        for i, outcome in fed(client, order, submit, here, slots):
            job = jobs[i]
            try:
                results[i] = outcome()
            except Exception as exc:  # a worker died or the job could not be sent
                results[i] = JobResult(
                    job.source,
                    job.science,
                    job.base,
                    False,
                    error=_one_line(exc),
                    error_type=type(exc).__name__,
                    traceback=traceback.format_exc(),
                )
            _log_result(results[i])
    if "output_dir" in kwargs:  # what workers killed mid-write left (their jobs ran again)
        _recover(kwargs["output_dir"], started)
    return [r for r in results if r is not None]


def _recover(output_dir: str | os.PathLike[str], started: float) -> None:
    """Clean a local output folder of what killed runs left there (one log line if any)."""
    if not is_remote(output_dir):
        from .io.atomic import recover

        recover(output_dir, before=started)


def _log_result(result: JobResult | None) -> None:
    if result is None:
        return
    replay(result.messages, result.base)  # what a worker process logged or warned
    if result.ok:
        log.info("%s: %s (%.1f s)", result.base, ", ".join(result.outputs), result.seconds)
    else:
        log.error("%s: failed: %s", result.base, result.error)
