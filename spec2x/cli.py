"""The ``spec2x`` command.

::

    spec2x [--version] [--debug] [-q | --quiet] [--log-file FILE] COMMAND ...
    spec2x run INPUT... [--refs DIR] [--ref TYPE=PATH]... [--strict-refs] [--output-dir DIR]
                        [--format fits|zarr] [--chunks N|auto] [--params FILE] [--steps.NAME.PARAM=V]...
                        [--skip NAME]... [--save-steps] [--workers N | --scheduler ADDR]
    spec2x demo [MODE] [--output-dir DIR]
    spec2x params export FILE [--params FILE] [--steps.NAME.PARAM=V]...
    spec2x info FILE
    spec2x plot PRODUCT -o FILE.png [--integration N]

Exit status: 0 on success; 2 for a spec2x error (bad input, missing
reference, unknown parameter, unwritable output ...), reported once, as one
line on stderr (``--debug`` adds the traceback); 1 for anything unexpected;
141 when the reader of stdout went away (``spec2x info FILE | head``).
Progress goes to stdout, warnings and errors to stderr; ``--quiet`` keeps
only those, ``--log-file`` also writes everything (each step's parameters
included) with times to a file.  The options before COMMAND may also follow it.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import json
import logging
import os
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from .cli_parser import build_parser, split_step_overrides
from .errors import ParameterError, Spec2xError, Spec2xWarning

__all__ = ["entry_point", "main"]

log = logging.getLogger("spec2x")

EXIT_OK, EXIT_INTERNAL, EXIT_ERROR, EXIT_PIPE = 0, 1, 2, 141

#: Set by :func:`entry_point`: this process is the ``spec2x`` program itself.
_PROGRAM = False


@contextmanager
def _frozen_imports() -> Iterator[None]:
    """In the program's own process, the modules imported inside load without garbage
    collection, and their objects are then left out of later collections (``gc.freeze``).

    Importing xarray, pandas and astropy makes objects that live as long as the process
    and no garbage worth a pass, yet the collector walks them again and again (about a
    tenth of the CPU of a small run).  Nothing else is frozen: this runs before any data
    is read, and only in the program (:func:`main` called from Python leaves the
    collector as it is).  The program also collects its youngest objects less often
    (every :data:`~spec2x.gc_tuning.GEN0_THRESHOLD` allocations, Python's default 700): the steps' own
    imports (gwcs, astropy.modeling ...) and xarray's many small objects otherwise set
    off collections that free nothing (about 0.05 s of a 150-integration MIRI LRS run).
    Optional packages those imports would load for nothing (pyarrow, numcodecs) are held
    off meanwhile (:func:`spec2x.import_guard.held_off`), and scipy's import-time docstring
    rewriting is left out of the whole run (:mod:`spec2x.scipy_docs`).
    """
    from .gc_tuning import settle
    from .import_guard import held_off
    from .scipy_docs import install as install_kept_docs

    if not _PROGRAM or not gc.isenabled():
        yield
        return
    install_kept_docs()  # the steps' scipy imports, later in the run
    gc.disable()
    try:
        with held_off():
            yield
    finally:
        settle()
        gc.enable()


@contextmanager
def _for_workers(workers: int | None) -> Iterator[None]:
    """With ``--workers``: the imports inside made with one BLAS/OpenMP thread, as a
    worker runs, then what every worker needs imported too (the workers fork from this
    process: :mod:`spec2x.cluster`)."""
    if not workers:
        yield
        return
    from .cluster import one_blas_thread, preload

    with one_blas_thread():
        yield
        preload()


def _optional(module: str, what: str) -> Any:
    """Import a module other parts of spec2x provide; a clear error if it is absent."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            raise Spec2xError(
                f"{what} is not available in this spec2x ({module} is missing)"
            ) from None
        raise


def _refs(pairs: Sequence[str]) -> dict[str, str]:
    """``--ref [EXP_TYPE:]TYPE=PATH`` pairs by key (``fflat``, ``NRS_FIXEDSLIT:fflat``); an
    unknown type or exposure type is an error."""
    from .io.references import split_ref_key
    from .registry import STEPS

    known = sorted({t for spec in STEPS.values() for t in spec.reftypes})
    out = {}
    for pair in pairs:
        key, sep, path = pair.partition("=")
        key, path = key.strip(), path.strip()
        if not sep or not key.rpartition(":")[2].strip() or not path:
            raise ParameterError(
                f"--ref {pair!r}: write it as --ref TYPE=PATH, or EXP_TYPE:TYPE=PATH for the "
                "slits calibrated as EXP_TYPE (TYPE=N/A: it does not apply)"
            )
        exp_type, reftype = split_ref_key(key)
        if reftype not in known:
            raise ParameterError.unknown("reference type", reftype, known, " in --ref")
        out[reftype if exp_type is None else f"{exp_type}:{reftype}"] = path
    return out


def _absolute(path: str | None) -> str | None:
    """A local path made absolute (workers may run in another folder); URLs and N/A as given."""
    if path is None or "://" in path or path.upper() == "N/A":
        return path
    return os.path.abspath(path)


def _report(results: Sequence[Any], debug: bool) -> list[Any]:
    """Print each failed job once, on stderr; return the failed ones."""
    failed = [r for r in results if not r.ok]
    for r in failed:
        name = r.base if len(results) > 1 else os.path.basename(r.science)
        where = "" if name and name in r.error else f"{name}: "
        what = "error" if r.user_error else f"internal error: {r.error_type}"
        hint = "" if r.user_error or debug else " (run with --debug for the traceback)"
        print(f"spec2x: {what}: {where}{r.error}{hint}", file=sys.stderr)
        if debug and r.traceback:
            print(r.traceback, file=sys.stderr)
    return failed


def _cmd_run(args: argparse.Namespace, overrides: list[str]) -> int:
    with _frozen_imports(), _for_workers(args.workers):
        from .params import resolve
        from .pipeline import is_crds_cache
        from .scale import jobs_from_inputs, run_many

        if args.format == "fits":  # the products' writer, imported here to be frozen too
            importlib.import_module("spec2x.io.fits")

    params = resolve(_absolute(args.params), overrides=overrides, skip=args.skip)
    refs = {t: _absolute(p) or p for t, p in _refs(args.ref).items()}
    jobs = jobs_from_inputs([_absolute(i) or i for i in args.inputs])
    refs_dir, crds_path = _absolute(args.refs), None
    if refs_dir is None:
        crds_path = _absolute(os.environ.get("CRDS_PATH") or None)
    elif is_crds_cache(refs_dir):  # --refs given a CRDS cache: select as CRDS does
        refs_dir, crds_path = None, refs_dir
    results = run_many(
        jobs,
        workers=args.workers,
        scheduler=args.scheduler,
        refs=refs,
        refs_dir=refs_dir,
        crds_path=crds_path,
        strict_refs=args.strict_refs,
        params=params,
        output_dir=_absolute(args.output_dir),
        fmt=args.format,
        save_steps=args.save_steps,
        chunks=args.chunks or None,
    )
    failed = _report(results, _flag(args, "debug"))
    done = len(results) - len(failed)
    log.info("spec2x: %d of %d exposure(s) calibrated into %s", done, len(results), args.output_dir)
    if not failed:
        return EXIT_OK
    return EXIT_ERROR if all(r.user_error for r in failed) else EXIT_INTERNAL


def _cmd_demo(args: argparse.Namespace) -> int:
    demo = _optional("spec2x.demo", "spec2x demo")
    demo.run_demo(args.mode, args.output_dir)  # it prints what it wrote
    return EXIT_OK


def _cmd_params(args: argparse.Namespace, overrides: list[str]) -> int:
    from .params import export_params, resolve

    params = resolve(args.params, overrides=overrides, skip=args.skip)
    path = export_params(args.file, params)
    print(f"spec2x: wrote the parameters of {len(params)} steps to {path}")
    return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    info = _optional("spec2x.io.info", "spec2x info")
    description = info.describe(args.file)
    formatter = getattr(info, "format_description", None)
    if args.json or formatter is None:
        print(json.dumps(description, indent=2, default=str))
    else:
        print(formatter(description))
    return EXIT_OK


def _cmd_plot(args: argparse.Namespace) -> int:
    plot = _optional("spec2x.plot", "spec2x plot")
    quicklook = getattr(plot, "quicklook", None)
    if quicklook is None:
        raise Spec2xError("spec2x plot is not available in this spec2x (no spec2x.plot.quicklook)")
    out = quicklook(args.product, args.output, integration=args.integration)
    print(f"spec2x: wrote {out if out is not None else args.output}")
    return EXIT_OK


class _Console(logging.Filter):
    """Which records go to one console stream: progress (stdout) or warnings (stderr).

    Failed jobs are left out: :func:`_report` prints each once, on stderr.
    """

    def __init__(self, *, warnings: bool) -> None:
        super().__init__()
        self.warnings = warnings

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.name == "spec2x.scale":
            return False
        return (record.levelno >= logging.WARNING) == self.warnings


class _StderrFormat(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"spec2x: {record.levelname.lower()}: {record.getMessage()}"


def _setup_logging(debug: bool, quiet: bool, log_file: str | None) -> None:
    out = logging.StreamHandler(sys.stdout)
    out.setFormatter(logging.Formatter("%(message)s"))
    out.addFilter(_Console(warnings=False))
    out.setLevel(logging.WARNING if quiet else logging.DEBUG if debug else logging.INFO)
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(_StderrFormat())
    err.addFilter(_Console(warnings=True))
    handlers: list[logging.Handler] = [out, err]
    if log_file is not None:
        try:
            to_file = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise ParameterError(f"--log-file {log_file}: {exc.strerror or exc}") from None
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(to_file)
    root = logging.getLogger("spec2x")
    root.handlers[:] = handlers
    root.setLevel(logging.DEBUG)
    root.propagate = False
    # dask's own chatter (workers stopping ...) would muddle the one-line errors on stderr
    logging.getLogger("distributed").setLevel(logging.DEBUG if debug else logging.ERROR)


def _show_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    """Python warnings (Spec2xWarning ...) as one log line: ``spec2x: WARNING: ...``."""
    log.warning("%s", " ".join(str(message).split()))


def _flag(args: argparse.Namespace, name: str) -> Any:
    return getattr(args, name, None)


def _quiet_pipe() -> int:
    """The reader of stdout went away (``| head``): stop without a word."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_PIPE


def _dispatch(args: argparse.Namespace, overrides: list[str]) -> int:
    if overrides and args.command not in ("run", "params"):
        raise ParameterError(f"{overrides[0]}: step parameters go with 'run' or 'params'")
    if args.command == "run":
        return _cmd_run(args, overrides)
    if args.command == "params":
        return _cmd_params(args, overrides)
    return {"demo": _cmd_demo, "info": _cmd_info, "plot": _cmd_plot}[args.command](args)  # type: ignore[no-any-return]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``spec2x`` command; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logger = logging.getLogger("spec2x")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    try:
        with warnings.catch_warnings():  # spec2x's warnings: one line each on stderr
            warnings.simplefilter("always", Spec2xWarning)
            warnings.showwarning = _show_warning
            return _main(argv)
    finally:  # leave logging as it was (main may be called from Python, or many times)
        for handler in logger.handlers:
            if handler not in saved[0]:
                handler.close()
        logger.handlers[:], logger.level, logger.propagate = saved


def _main(argv: list[str]) -> int:
    debug = "--debug" in argv
    try:
        rest, overrides = split_step_overrides(argv)
        args = build_parser().parse_args(rest)
        debug = debug or bool(_flag(args, "debug"))
        _setup_logging(debug, bool(_flag(args, "quiet")), _flag(args, "log_file"))
        code = _dispatch(args, overrides)
        sys.stdout.flush()  # a reader gone away shows here, not at the interpreter's exit
        return code
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except BrokenPipeError:
        return _quiet_pipe()
    except Spec2xError as exc:
        if debug:
            traceback.print_exc()
        print(f"spec2x: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("spec2x: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            traceback.print_exc()
        print(
            f"spec2x: internal error: {type(exc).__name__}: {' '.join(str(exc).split())} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def entry_point() -> NoReturn:
    """The ``spec2x`` program (console script, ``python -m spec2x.cli``): :func:`main`, then
    the process ends at once.

    Its exit handlers run and its streams are flushed, but the interpreter does
    not tear down every module it imported (astropy, gwcs, xarray ...), which
    takes longer than some whole runs of a small exposure.  Where threads are
    still running, Python's own exit waits for them as usual.
    """
    global _PROGRAM
    _PROGRAM = True
    code = main()
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader went away, or the stream is closed
            pass
    os._exit(code)


if __name__ == "__main__":
    entry_point()
