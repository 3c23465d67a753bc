"""The ``spec2x`` command.

::

    spec2x run INPUT... [--refs DIR] [--ref TYPE=PATH]... [--strict-refs] [--output-dir DIR]
                        [--format fits|zarr] [--params FILE] [--steps.NAME.PARAM=V]...
                        [--skip NAME]... [--save-steps] [--workers N | --scheduler ADDR]
    spec2x demo [MODE] [--output-dir DIR]
    spec2x params export FILE [--params FILE] [--steps.NAME.PARAM=V]...
    spec2x info FILE
    spec2x plot PRODUCT -o FILE.png

Exit status: 0 on success; 2 for a spec2x error (bad input, missing
reference, unknown parameter, unwritable output ...), reported as one line on
stderr (``--debug`` adds the traceback); 1 for anything unexpected.
Progress goes to stdout.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from .errors import ParameterError, Spec2xError

__all__ = ["main"]

log = logging.getLogger("spec2x")

EXIT_OK, EXIT_INTERNAL, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so errors go through one path."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ParameterError(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="spec2x", description="JWST Stage 2 spectroscopy with xarray.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    run = sub.add_parser(
        "run",
        help="calibrate exposures (rate/rateints files or level-2 associations)",
        epilog="Step parameters: --steps.NAME.PARAM=VALUE (e.g. --steps.flat_field.inverse=true).",
    )
    run.add_argument("inputs", nargs="+", metavar="INPUT", help="*_rate(ints).fits or *_asn.json")
    run.add_argument(
        "--refs",
        metavar="DIR",
        help="folder of CRDS-format reference files (default: the CRDS cache at $CRDS_PATH)",
    )
    run.add_argument(
        "--ref",
        action="append",
        default=[],
        metavar="TYPE=PATH",
        help="reference file of one type (PATH may be N/A); repeatable",
    )
    run.add_argument(
        "--strict-refs",
        action="store_true",
        help="a reference type missing from --refs is an error even where jwst can do without it",
    )
    run.add_argument("--output-dir", default=".", metavar="DIR", help="where products go")
    run.add_argument("--format", choices=("fits", "zarr"), default="fits", help="product format")
    run.add_argument("--params", metavar="FILE", help="parameter file (ASDF like jwst, or YAML)")
    run.add_argument(
        "--skip", action="append", default=[], metavar="NAME", help="skip a step; repeatable"
    )
    run.add_argument(
        "--save-steps", action="store_true", help="also write each step's output <base>_<step>"
    )
    group = run.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, metavar="N", help="run on a LocalCluster of N")
    group.add_argument("--scheduler", metavar="ADDR", help="run on an existing dask cluster")
    run.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    demo = sub.add_parser("demo", help="synthetic observation through the whole chain")
    demo.add_argument("mode", nargs="?", default=None, metavar="MODE", help="observing mode")
    demo.add_argument("--output-dir", default="spec2x-demo", metavar="DIR")
    demo.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    params = sub.add_parser("params", help="step parameters")
    psub = params.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    psub.required = True
    export = psub.add_parser("export", help="write all steps' parameters (jwst-shaped ASDF/YAML)")
    export.add_argument("file", metavar="FILE", help=".asdf (loads in jwst too) or .yaml")
    export.add_argument("--params", metavar="FILE", help="start from this parameter file")
    export.add_argument("--skip", action="append", default=[], metavar="NAME")
    export.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    info = sub.add_parser("info", help="what a product file holds")
    info.add_argument("file", metavar="FILE")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    plot = sub.add_parser("plot", help="quick-look figure of a product")
    plot.add_argument("product", metavar="PRODUCT")
    plot.add_argument("-o", "--output", required=True, metavar="FILE.png")
    plot.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return parser


def _split_step_overrides(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Take ``--steps.NAME.PARAM=V`` (or ``--steps.NAME.PARAM V``) out of ``argv``."""
    rest: list[str] = []
    overrides: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        arg = items[i]
        if arg.startswith("--steps."):
            if "=" not in arg:
                if i + 1 >= len(items):
                    raise ParameterError(f"{arg} needs a value: {arg}=VALUE")
                arg = f"{arg}={items[i + 1]}"
                i += 1
            overrides.append(arg)
        else:
            rest.append(arg)
        i += 1
    return rest, overrides


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
    out = {}
    for pair in pairs:
        reftype, sep, path = pair.partition("=")
        if not sep or not reftype or not path:
            raise ParameterError(f"--ref {pair!r}: write it as --ref TYPE=PATH (or TYPE=N/A)")
        out[reftype.strip().lower()] = path.strip()
    return out


def _cmd_run(args: argparse.Namespace, overrides: list[str]) -> int:
    from .params import resolve
    from .scale import jobs_from_inputs, run_many

    params = resolve(args.params, overrides=overrides, skip=args.skip)
    refs = _refs(args.ref)
    jobs = jobs_from_inputs(args.inputs)
    results = run_many(
        jobs,
        workers=args.workers,
        scheduler=args.scheduler,
        refs=refs,
        refs_dir=args.refs,
        crds_path=None if args.refs else os.environ.get("CRDS_PATH") or None,
        strict_refs=args.strict_refs,
        params=params,
        output_dir=args.output_dir,
        fmt=args.format,
        save_steps=args.save_steps,
    )
    failed = [r for r in results if not r.ok]
    for r in failed:
        where = r.base if len(results) > 1 else r.science
        what = "error" if r.user_error else f"internal error: {r.error_type}"
        hint = "" if r.user_error or args.debug else " (run with --debug for the traceback)"
        print(f"spec2x: {what}: {where}: {r.error}{hint}", file=sys.stderr)
        if args.debug and r.traceback:
            print(r.traceback, file=sys.stderr)
    done = len(results) - len(failed)
    print(f"spec2x: {done} of {len(results)} exposure(s) calibrated into {args.output_dir}")
    if not failed:
        return EXIT_OK
    return EXIT_ERROR if all(r.user_error for r in failed) else EXIT_INTERNAL


def _cmd_demo(args: argparse.Namespace) -> int:
    demo = _optional("spec2x.demo", "spec2x demo")
    result = demo.run_demo(args.mode, args.output_dir)
    if isinstance(result, dict):
        for name, path in result.items():
            print(f"  {name:<12} {path}")
    elif result is not None:
        print(result)
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
    out = quicklook(args.product, args.output)
    print(f"spec2x: wrote {out if out is not None else args.output}")
    return EXIT_OK


def _setup_logging(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("spec2x")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    root.propagate = False
    # dask's own chatter (workers stopping ...) would muddle the one-line errors on stderr
    logging.getLogger("distributed").setLevel(logging.DEBUG if debug else logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``spec2x`` command; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        rest, overrides = _split_step_overrides(argv)
        args = _parser().parse_args(rest)
        debug = debug or bool(getattr(args, "debug", False))
        _setup_logging(debug)
        if overrides and args.command not in ("run", "params"):
            raise ParameterError(f"{overrides[0]}: step parameters go with 'run' or 'params'")
        if args.command == "run":
            return _cmd_run(args, overrides)
        if args.command == "params":
            return _cmd_params(args, overrides)
        return {"demo": _cmd_demo, "info": _cmd_info, "plot": _cmd_plot}[args.command](args)
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


if __name__ == "__main__":
    sys.exit(main())
