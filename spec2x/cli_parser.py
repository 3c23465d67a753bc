"""The ``spec2x`` command line: its parser (:func:`build_parser`) and the step overrides.

``--steps.NAME.PARAM=VALUE`` options are taken out of the arguments first
(:func:`split_step_overrides`): argparse cannot know every step's parameters.
A parse error raises :class:`~spec2x.errors.ParameterError` (exit status 2,
one line), as every other spec2x error does (:mod:`spec2x.cli`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .errors import ParameterError

__all__ = ["build_parser", "split_step_overrides"]


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so errors go through one path."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ParameterError(f"{message} (see {self.prog} --help)")


def _global_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """The options every command takes, before or after its name."""
    parser.add_argument(
        "--debug", action="store_true", default=default, help="show tracebacks and debug logs"
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default,
        help="print only warnings and errors",
    )
    parser.add_argument(
        "--log-file",
        metavar="FILE",
        default=default,
        help="also write the whole log (times, each step's parameters) to FILE",
    )


def _demo_modes() -> dict[str, str]:
    """The demo modes and what each shows ({} in a spec2x without the demo)."""
    try:
        from .demo_files import MODES
    except ImportError:
        return {}
    return dict(MODES)


def _add_run(sub: Any, common: argparse.ArgumentParser) -> None:
    """The ``run`` command's options."""
    run = sub.add_parser(
        "run",
        parents=[common],
        help="calibrate exposures (rate/rateints files or level-2 associations)",
        epilog="Step parameters: --steps.NAME.PARAM=VALUE (e.g. --steps.flat_field.inverse=true).",
    )
    run.add_argument("inputs", nargs="+", metavar="INPUT", help="*_rate(ints).fits or *_asn.json")
    run.add_argument(
        "--refs",
        metavar="DIR",
        help="folder of CRDS-format reference files, or a CRDS cache "
        "(default: the CRDS cache at $CRDS_PATH)",
    )
    run.add_argument(
        "--ref",
        action="append",
        default=[],
        metavar="[EXP_TYPE:]TYPE=PATH",
        help="reference file of one type (PATH may be N/A); EXP_TYPE:TYPE=PATH only for the "
        "slits calibrated as EXP_TYPE (NRS_FIXEDSLIT:fflat=PATH: the fixed slits of a NIRSpec "
        "MOS exposure); repeatable",
    )
    run.add_argument(
        "--strict-refs",
        action="store_true",
        help="a reference type missing from --refs is an error even where jwst can do without it",
    )
    run.add_argument("--output-dir", default=".", metavar="DIR", help="where products go")
    run.add_argument("--format", choices=("fits", "zarr"), default="fits", help="product format")
    run.add_argument(
        "--chunks",
        type=_chunks,
        default="auto",
        metavar="N|auto",
        help="read the input N integrations at a time and stream the products to disk "
        "(auto: files over 1 GB or a quarter of the memory available; 0: read whole)",
    )
    run.add_argument("--params", metavar="FILE", help="parameter file (ASDF like jwst, or YAML)")
    run.add_argument(
        "--skip", action="append", default=[], metavar="NAME", help="skip a step; repeatable"
    )
    run.add_argument(
        "--save-steps",
        action="store_true",
        help="also write each intermediate step's output <base>_<step> (the final products "
        "are not written twice)",
    )
    group = run.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, metavar="N", help="run on a LocalCluster of N")
    group.add_argument("--scheduler", metavar="ADDR", help="run on an existing dask cluster")


def _chunks(text: str) -> int | str:
    if text == "auto":
        return text
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of integrations, auto or 0")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The ``spec2x`` parser: global options, and ``run``, ``demo``, ``params``, ``info``, ``plot``."""
    from . import __version__

    parser = _Parser(prog="spec2x", description="JWST Stage 2 spectroscopy with xarray.")
    parser.add_argument("--version", action="version", version=f"spec2x {__version__}")
    _global_options(parser, None)
    common = _Parser(add_help=False)
    _global_options(common, argparse.SUPPRESS)  # after the command: the same, not reset
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    _add_run(sub, common)

    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="synthetic observation through the whole chain",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="modes:\n" + "\n".join(f"  {m:<18}{t}" for m, t in _demo_modes().items()),
    )
    demo.add_argument(
        "mode", nargs="?", default=None, metavar="MODE", help="observing mode (default mir_lrs_fs)"
    )
    demo.add_argument("--output-dir", default="spec2x-demo", metavar="DIR")

    params = sub.add_parser("params", parents=[common], help="step parameters")
    psub = params.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    psub.required = True
    export = psub.add_parser(
        "export", parents=[common], help="write all steps' parameters (jwst-shaped ASDF/YAML)"
    )
    export.add_argument("file", metavar="FILE", help=".asdf (loads in jwst too) or .yaml")
    export.add_argument("--params", metavar="FILE", help="start from this parameter file")
    export.add_argument("--skip", action="append", default=[], metavar="NAME")

    info = sub.add_parser("info", parents=[common], help="what a product file holds")
    info.add_argument("file", metavar="FILE")
    info.add_argument("--json", action="store_true", help="print JSON")

    plot = sub.add_parser("plot", parents=[common], help="quick-look figure of a product")
    plot.add_argument("product", metavar="PRODUCT")
    plot.add_argument("-o", "--output", required=True, metavar="FILE.png")
    plot.add_argument(
        "--integration",
        type=int,
        metavar="N",
        help="time series: show integration N (1-based; default: the median of all)",
    )
    return parser


def split_step_overrides(argv: Sequence[str]) -> tuple[list[str], list[str]]:
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
