"""Mutations of valid inputs for the reader fuzz tests, and the check every read must pass.

A mutation is drawn by hypothesis as data (a list of operations) and applied
to a fresh copy of a seed file, so a failing example prints what was done.
The check (:func:`read_safely`): the reader either returns or raises a
:class:`~spec2x.errors.Spec2xError` whose message names the file; it ends in
time; and it writes nothing, neither beside the input nor in the working
folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from astropy.io import fits
from hypothesis import assume
from hypothesis import strategies as st

from spec2x.errors import Spec2xError

#: Seconds a single read may take before it counts as a hang.
READ_TIMEOUT = 20

_SOURCE = Path(__file__).parents[2] / "spec2x"
#: Upper-case words quoted in spec2x's source: the keywords it reads (and some others).
KEYWORDS_READ = frozenset(
    m
    for f in _SOURCE.rglob("*.py")
    for m in re.findall(r"[\"']([A-Z][A-Z0-9_]{1,7})[\"']", f.read_text())
)

_ASCII = st.characters(min_codepoint=32, max_codepoint=126)
#: Header values of every type a keyword could wrongly hold.
WRONG_VALUES = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.text(_ASCII, max_size=60),
    st.sampled_from(["", "N/A", "NONE", "ANY", "nan", "-1", "0", "1.5", "x" * 68]),
)
_DTYPES = ["float32", "float64", "int16", "int32", "uint8", "int64"]
#: Structural cards, changed in the file's bytes (astropy would rewrite them).
_RAW_KEYS = ("NAXIS", "NAXIS1", "NAXIS2", "NAXIS3", "BITPIX", "PCOUNT", "TFIELDS", "XTENSION")


class Hang(Exception):
    """A read that did not end within :data:`READ_TIMEOUT`."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread after ``seconds``."""

    def stop(signum: int, frame: Any) -> None:
        raise Hang(f"read did not end within {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below ``folder``: relative path -> sha256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _load(result: Any) -> None:
    """Read everything a lazy result holds (Dask arrays, DataTree groups)."""
    if isinstance(result, xr.DataTree):
        for node in result.subtree:
            node.to_dataset().load()
    elif isinstance(result, xr.Dataset | xr.DataArray):
        result.load()
    elif isinstance(result, tuple | list):
        for item in result:
            _load(item)


def _log(path: Path, note: str, exc: BaseException) -> None:
    """Record an internal error in the ``SPEC2X_FUZZ_LOG`` file (a long hunt, see the tests)."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/spec2x/" in f.filename]
    where = f"{frames[-1].filename.split('/spec2x/')[-1]}:{frames[-1].lineno}" if frames else "?"
    entry = {"file": path.name, "note": note, "type": type(exc).__name__, "where": where}
    entry["message"] = str(exc)[:300]
    with open(os.environ["SPEC2X_FUZZ_LOG"], "a") as f:
        f.write(json.dumps(entry) + "\n")


def read_safely(
    read: Callable[[Path], Any], path: Path, *, names: tuple[str, ...] = (), note: str = ""
) -> str:
    """Run ``read(path)`` and check it ends well; return the error message ("" if it read).

    ``names``: the message must name one of them (default: the file's name).
    ``note``: what was done to the file, for the ``SPEC2X_FUZZ_LOG`` record.
    """
    folder = path.parent
    before = snapshot(folder)
    with tempfile.TemporaryDirectory(prefix="spec2x-fuzz-cwd-") as cwd:
        here = os.getcwd()
        os.chdir(cwd)
        try:
            with time_limit(READ_TIMEOUT):
                _load(read(path))
            message = ""
        except Spec2xError as exc:
            message = str(exc)
        except Exception as exc:
            if not os.environ.get("SPEC2X_FUZZ_LOG"):
                raise
            _log(path, note, exc)
            message = ""
        finally:
            os.chdir(here)
        assert os.listdir(cwd) == [], f"the reader wrote {os.listdir(cwd)} in the working folder"
    assert snapshot(folder) == before, "the reader changed its input folder"
    if message:
        wanted = names or (path.name,)
        assert any(n in message for n in wanted), f"message does not name {wanted}: {message}"
        assert "\n" not in message.strip(), f"not one line: {message}"
    return message


# --------------------------------------------------------------------------- FITS


def fits_layout(path: Path) -> list[dict[str, Any]]:
    """What each HDU of a seed file holds: name, kind, keywords, shape, dtype, columns."""
    out = []
    with fits.open(path, memmap=False) as hdul:
        for i, hdu in enumerate(hdul):
            keys = [k for k in hdu.header if k and k not in ("COMMENT", "HISTORY")]
            table = isinstance(hdu, fits.BinTableHDU)
            data = hdu.data if not table else None
            out.append(
                {
                    "index": i,
                    "name": hdu.name,
                    "table": table,
                    "keys": sorted(set(keys) - set(_RAW_KEYS)),
                    "shape": tuple(data.shape) if data is not None else None,
                    "columns": list(hdu.columns.names) if table else [],
                }
            )
    return out


def _keys_to_try(hdu: dict[str, Any]) -> list[str]:
    read = [k for k in hdu["keys"] if k in KEYWORDS_READ]
    return read or hdu["keys"]


@st.composite
def fits_mutations(draw: Any, layout: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """One or two operations on a FITS file of this ``layout`` (see :func:`apply_fits`)."""
    ops = []
    for _ in range(draw(st.integers(1, 2))):
        hdu = draw(st.sampled_from(layout))
        i = hdu["index"]
        kinds = ["drop_key", "set_key", "truncate", "garble", "raw_card"]
        if i > 0:
            kinds += ["drop_hdu", "rename_hdu"]
        if hdu["shape"] is not None:
            kinds += ["reshape", "retype"]
        if hdu["columns"]:
            kinds += ["drop_column", "retype_column"]
        kind = draw(st.sampled_from(kinds))
        if kind in ("drop_key", "set_key"):
            keys = _keys_to_try(hdu)
            if not keys:
                continue
            key = draw(st.sampled_from(keys))
            ops.append((kind, i, key, draw(WRONG_VALUES)) if kind == "set_key" else (kind, i, key))
        elif kind in ("truncate", "garble"):
            ops.append((kind, draw(st.floats(0.0, 0.999)), draw(st.binary(min_size=1, max_size=8))))
        elif kind == "raw_card":
            value = draw(st.sampled_from(["0", "1", "-1", "7", "999999", "'JUNK'", "T", "3.5", ""]))
            ops.append((kind, i, draw(st.sampled_from(_RAW_KEYS)), value))
        elif kind == "rename_hdu":
            names = sorted({h["name"] for h in layout} | {"JUNK"})
            ops.append((kind, i, draw(st.sampled_from(names))))
        elif kind == "reshape":
            ndim = draw(st.integers(0, 4))
            shape = tuple(draw(st.lists(st.integers(0, 6), min_size=ndim, max_size=ndim)))
            ops.append((kind, i, shape))
        elif kind == "retype":
            ops.append((kind, i, draw(st.sampled_from(_DTYPES))))
        elif kind in ("drop_column", "retype_column"):
            column = draw(st.sampled_from(hdu["columns"]))
            extra = (draw(st.sampled_from(["E", "D", "J", "K", "I", "B", "L", "10A"])),)
            ops.append((kind, i, column, *(extra if kind == "retype_column" else ())))
        else:
            ops.append((kind, i))
    assume(ops)
    return ops


def _set_column(hdu: Any, name: str, fmt: str | None) -> Any:
    columns = []
    for col in hdu.columns:
        if col.name != name:
            columns.append(col)
        elif fmt is not None:
            n = len(hdu.data)
            values = np.zeros(n, dtype="U10") if fmt == "10A" else np.ones(n)
            columns.append(fits.Column(name=name, format=fmt, array=values))
    return fits.BinTableHDU.from_columns(columns, header=hdu.header, name=hdu.name)


def _apply_hdu_op(hdul: fits.HDUList, op: tuple[Any, ...]) -> None:
    kind, i = op[0], op[1]
    hdu = hdul[i]
    if kind == "drop_key":
        del hdu.header[op[2]]
    elif kind == "set_key":
        hdu.header[op[2]] = op[3]
    elif kind == "drop_hdu":
        del hdul[i]
    elif kind == "rename_hdu":
        hdu.name = op[2]
    elif kind == "reshape":
        hdu.data = np.ones(op[2], dtype=hdu.data.dtype if hdu.data is not None else "f4")
    elif kind == "retype":
        hdu.data = np.ones(hdu.data.shape, dtype=op[2]) if hdu.data is not None else None
    elif kind in ("drop_column", "retype_column"):
        hdul[i] = _set_column(hdu, op[2], op[3] if kind == "retype_column" else None)


def _apply_raw(data: bytearray, starts: list[int], op: tuple[Any, ...]) -> bytearray:
    kind = op[0]
    if kind == "truncate":
        return data[: int(len(data) * op[1])]
    if kind == "garble":
        at = int(len(data) * op[1])
        data[at : at + len(op[2])] = op[2]
        return data
    # raw_card: rewrite the value of a structural card in the HDU's header
    start = starts[op[1]] if op[1] < len(starts) else 0
    for pos in range(start, len(data) - 80, 80):
        card = bytes(data[pos : pos + 80])
        if card[:8].rstrip() == op[2].encode() and card[8:10] == b"= ":
            data[pos + 10 : pos + 30] = op[3].rjust(20).encode()
            break
        if card[:8] == b"END     ":
            break
    return data


def apply_fits(seed: Path, ops: list[tuple[Any, ...]], out: Path) -> Path:
    """Write ``seed`` with ``ops`` applied to ``out`` (HDU operations first, then byte ones)."""
    byte_ops = [op for op in ops if op[0] in ("truncate", "garble", "raw_card")]
    hdu_ops = [op for op in ops if op not in byte_ops]
    try:
        with fits.open(seed, memmap=False) as hdul:
            hdul.readall()
            for op in sorted(hdu_ops, key=lambda o: o[0] == "drop_hdu"):  # drops last: indices hold
                _apply_hdu_op(hdul, op)
            hdul.writeto(out, output_verify="ignore", overwrite=True)
    except (ValueError, TypeError, KeyError, IndexError, fits.VerifyError):
        assume(False)  # astropy refuses to write this one: not a file anyone could hand us
    if byte_ops:
        try:
            with fits.open(out, memmap=False) as hdul:
                starts = [hdu.fileinfo()["hdrLoc"] for hdu in hdul]
        except Exception:  # the HDU operations already broke it: cards of the first header
            starts = [0]
        data = bytearray(out.read_bytes())
        for op in byte_ops:
            data = _apply_raw(data, starts, op)
        out.write_bytes(bytes(data))
    return out


# --------------------------------------------------------------------------- trees (JSON, YAML, ASDF)


def tree_paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every node of a tree of dicts and lists."""
    out = [prefix] if prefix else []
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += tree_paths(v, (*prefix, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += tree_paths(v, (*prefix, i))
    return out


#: Values a tree node could wrongly hold.
WRONG_NODES = st.one_of(
    WRONG_VALUES,
    st.none(),
    st.just([]),
    st.just({}),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.sampled_from(["name", "x", "steps"]), st.integers(0, 2), max_size=2),
)


@st.composite
def tree_mutations(draw: Any, tree: Any) -> list[tuple[Any, ...]]:
    """Delete or replace one or two nodes of ``tree`` (see :func:`apply_tree`)."""
    paths = tree_paths(tree)
    ops = []
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(paths)) if paths else ()
        if draw(st.booleans()) and path:
            ops.append(("drop", path))
        else:
            ops.append(("set", path, draw(WRONG_NODES)))
    return ops


def apply_tree(tree: Any, ops: list[tuple[Any, ...]]) -> Any:
    """A copy of ``tree`` with ``ops`` applied (a path gone by an earlier op is skipped)."""
    tree = json.loads(json.dumps(tree, default=str)) if not _has_arrays(tree) else _copy(tree)
    for op in ops:
        path = op[1]
        if not path:
            tree = op[2] if op[0] == "set" else {}
            continue
        node = tree
        try:
            for key in path[:-1]:
                node = node[key]
            if op[0] == "drop":
                del node[path[-1]]
            else:
                node[path[-1]] = op[2]
        except (KeyError, IndexError, TypeError):
            continue
    return tree


def _has_arrays(tree: Any) -> bool:
    if isinstance(tree, dict):
        return any(_has_arrays(v) for v in tree.values())
    if isinstance(tree, list):
        return any(_has_arrays(v) for v in tree)
    return not isinstance(tree, str | int | float | bool | type(None))


def _copy(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _copy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_copy(v) for v in tree]
    return tree


def copy_seed(seed: Path, folder: Path) -> Path:
    """A copy of a seed file or folder (Zarr store) in ``folder``."""
    out = folder / seed.name
    if seed.is_dir():
        shutil.copytree(seed, out)
    else:
        shutil.copyfile(seed, out)
    return out
